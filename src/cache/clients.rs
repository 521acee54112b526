//! The steps the clients take through the cache, kept here so that the
//! clients' own code only calls in.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use super::{Cache, Lookup, Step, Tracked};
use crate::cmd::Command;
use crate::connection::sync::Connection as SyncConnection;
use crate::connection::ResponseFuture;
use crate::error::{check_reply, Error, ErrorKind, Result};
use crate::resp::Frame;

/// The async client's step for `cmd`: the reply future when the cache
/// answers or takes the command (a hit, a read to store, a write to
/// fence), `None` for the client's ordinary path.
pub(crate) fn execute<C: Command + ?Sized>(
    cache: &Arc<Cache>,
    client: &crate::Client,
    cmd: &C,
) -> Option<ResponseFuture> {
    // A write is sent as it was encoded to find its keys.
    let step = cache.look(cmd, |encoded| client.execute_past_cache(encoded));
    match step {
        Step::Pass => None,
        Step::Hit(frame) => Some(ResponseFuture::ready(Ok(frame))),
        Step::Write(writing, sent) => {
            // Until it is answered, reads of its keys store nothing (a
            // blocking write runs on a connection of its own, and may run
            // after them).
            Some(ResponseFuture::boxed(async move {
                let reply = sent.await;
                drop(writing);
                reply
            }))
        }
        Step::Miss(fill) => {
            let sent = match fill.opt_in_request() {
                // (The plain path waits on a RESP2 client's fence itself.)
                Some(request) => client.fenced(send_opted_in(client, request, cmd)),
                None => client.execute_past_cache(&fill.command(cmd)),
            };
            Some(ResponseFuture::boxed(async move {
                let reply = sent.await;
                fill.fill(&reply);
                reply
            }))
        }
    }
}

/// The blocking client's cached read: answered from the cache, or sent on
/// the `tracked` connection (opened with `open` when there is none, or
/// when it broke) and stored; `None` for a command the cache does not take
/// (a read outside the broadcast prefixes).
pub(crate) fn blocking_read<C: Command + ?Sized>(
    cache: &Arc<Cache>,
    tracked: &Mutex<Option<Tracked>>,
    open: impl Fn() -> Result<SyncConnection>,
    limit: Option<Duration>,
    cmd: &C,
) -> Option<Result<Frame>> {
    let mut tracked = tracked.lock().unwrap_or_else(|p| p.into_inner());
    // Invalidations that arrived since the last read go first; a
    // connection that broke is replaced (its end flushed the cache). One
    // quiet for longer than the health check interval is checked first (a
    // `PING`): a peer gone silent would leave the cache unflushed.
    if let Some(conn) = tracked.as_mut() {
        if !conn.refresh() {
            *tracked = None;
        }
    }
    if tracked.is_none() {
        match Tracked::open(cache, open) {
            Ok(conn) => *tracked = Some(conn),
            Err(e) => return Some(Err(e.for_command(cmd.name()))),
        }
    }
    let conn = tracked.as_mut()?;
    let fill = match cache.lookup(cmd) {
        Lookup::Pass | Lookup::Write(_) => return None,
        Lookup::Hit(frame) => return Some(Ok(frame)),
        Lookup::Miss(fill) => fill,
    };
    let reply = match fill.opt_in_request() {
        None => conn.data.send_within(&fill.command(cmd), limit),
        Some(request) => conn
            .data
            .send_raw_within(&request, 2, limit)
            .and_then(second_of_two),
    };
    fill.fill(&reply);
    // On RESP2, the invalidations of writes that completed before this
    // read began are behind a round trip on the redirect connection.
    if !conn.fence(limit) || conn.is_broken() {
        *tracked = None;
    }
    Some(reply.map_err(|e| e.for_command(cmd.name())))
}

/// A cached read in [`TrackingMode::OptIn`](super::TrackingMode::OptIn):
/// `request` is `CLIENT CACHING YES` and the command, written as one
/// request so that nothing comes between them on the shared connection.
fn send_opted_in<C: Command + ?Sized>(
    client: &crate::Client,
    request: Bytes,
    cmd: &C,
) -> ResponseFuture {
    let name = cmd.name().to_string();
    let required = cmd.requires();
    let client = client.clone();
    ResponseFuture::boxed(async move {
        let conn = client
            .connection()
            .await
            .map_err(|e| e.for_command(name.clone()))?;
        crate::connection::check_required(required, &name, conn.server_info())?;
        let frame = conn
            .send_encoded_within(request, 2, conn.response_timeout())
            .await
            .map_err(|e| e.for_command(name.clone()))?;
        match frame {
            Frame::Array(replies) => second_of_two(replies).map_err(|e| e.for_command(name)),
            other => Err(Error::new(
                ErrorKind::Protocol,
                format!("two replies expected, got {}", other.kind()),
            )
            .for_command(name)),
        }
    })
}

/// The reply of an opted-in read: the second of `CLIENT CACHING YES`'s
/// and the command's replies, an error reply of either as an `Err`.
pub(crate) fn second_of_two(mut replies: Vec<Frame>) -> Result<Frame> {
    let reply = replies.pop();
    match (replies.pop(), reply) {
        (Some(caching), Some(reply)) if replies.is_empty() => {
            check_reply(caching).map_err(|e| e.for_command("CLIENT CACHING"))?;
            check_reply(reply)
        }
        _ => Err(Error::new(ErrorKind::Protocol, "two replies expected")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opted_in_reply_is_the_second_and_errors_are_errors() {
        let ok = Frame::SimpleString(Bytes::from_static(b"OK"));
        let v = Frame::BulkString(Bytes::from_static(b"v"));
        assert_eq!(second_of_two(vec![ok.clone(), v.clone()]).unwrap(), v);
        let err = Frame::Error(Bytes::from_static(b"WRONGTYPE no"));
        let e = second_of_two(vec![ok.clone(), err.clone()]).unwrap_err();
        assert_eq!(e.code(), Some("WRONGTYPE"));
        let e = second_of_two(vec![err, v.clone()]).unwrap_err();
        assert_eq!(e.command(), Some("CLIENT CACHING"));
        assert!(second_of_two(vec![v]).is_err());
        assert!(second_of_two(vec![ok.clone(), ok.clone(), ok]).is_err());
    }
}

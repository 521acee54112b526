//! `SCAN`, `HSCAN`, `SSCAN` and `ZSCAN` as streams (async) and iterators
//! (blocking) that hide the cursor.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::scan::ScanOptions;
//!
//! let mut keys = client.scan_iter::<String>(ScanOptions::new().pattern("user:*").count(500));
//! while let Some(key) = keys.next().await {
//!     println!("{}", key?);
//! }
//! let mut fields = client.hscan_iter::<(String, String)>("user:1", ScanOptions::new());
//! while let Some(pair) = fields.next().await {
//!     let (field, value) = pair?;
//!     println!("{field} = {value}");
//! }
//! # Ok(()) }
//! ```
//!
//! As with the commands themselves, an element may be returned more than
//! once when the collection changes during the scan, and elements added or
//! removed meanwhile may or may not be seen.

use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::cmd::Cmd;
use crate::error::{Error, ErrorKind, Result};
use crate::reply::FromResp;
use crate::resp::encode::ToArg;
use crate::resp::Frame;

/// `MATCH`, `COUNT` and `TYPE` for a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanOptions {
    pattern: Option<Bytes>,
    count: Option<u64>,
    type_: Option<Bytes>,
}

impl ScanOptions {
    /// No options: every element, the server's default batch size.
    pub fn new() -> Self {
        Self::default()
    }

    /// `MATCH pattern`: only elements matching the glob-style pattern.
    pub fn pattern(mut self, pattern: impl AsRef<[u8]>) -> Self {
        self.pattern = Some(Bytes::copy_from_slice(pattern.as_ref()));
        self
    }

    /// `COUNT n`: a hint for how much work each round trip does.
    pub fn count(mut self, n: u64) -> Self {
        self.count = Some(n);
        self
    }

    /// `TYPE type` (`SCAN` only): only keys of that type (`"string"`,
    /// `"hash"`, `"zset"`, ...).
    pub fn key_type(mut self, type_: impl AsRef<[u8]>) -> Self {
        self.type_ = Some(Bytes::copy_from_slice(type_.as_ref()));
        self
    }
}

/// The command and cursor of one scan; shared by the stream and the iterator.
#[derive(Debug, Clone)]
pub(crate) struct ScanState {
    verb: &'static str,
    /// The verb and key, encoded once.
    prefix: Cmd,
    options: ScanOptions,
    /// The next cursor; `None` once the server answered cursor 0.
    cursor: Option<Bytes>,
    /// Reply items per element: 1 for keys and members, 2 for pairs.
    width: usize,
}

impl ScanState {
    pub(crate) fn new<K: ToArg + ?Sized>(
        verb: &'static str,
        key: Option<&K>,
        options: ScanOptions,
    ) -> Result<Self> {
        let width = match verb {
            "HSCAN" | "ZSCAN" => 2,
            _ => 1,
        };
        if options.type_.is_some() && verb != "SCAN" {
            return Err(
                Error::new(ErrorKind::InvalidInput, "TYPE applies to SCAN only").for_command(verb),
            );
        }
        let mut prefix = Cmd::new(verb);
        if let Some(k) = key {
            prefix.arg(k);
        }
        Ok(ScanState {
            verb,
            prefix,
            options,
            cursor: Some(Bytes::from_static(b"0")),
            width,
        })
    }

    /// The next request, or `None` when the scan is over.
    pub(crate) fn next_command(&self) -> Option<Cmd> {
        let cursor = self.cursor.as_ref()?;
        let mut cmd = self.prefix.clone();
        cmd.arg(&cursor[..]);
        if let Some(p) = &self.options.pattern {
            cmd.arg("MATCH").arg(&p[..]);
        }
        if let Some(c) = self.options.count {
            cmd.arg("COUNT").arg(c);
        }
        if let Some(t) = &self.options.type_ {
            cmd.arg("TYPE").arg(&t[..]);
        }
        Some(cmd)
    }

    /// Takes one reply: stores the new cursor and converts the batch.
    pub(crate) fn accept<T: FromResp>(
        &mut self,
        reply: Frame,
        out: &mut VecDeque<T>,
    ) -> Result<()> {
        let verb = self.verb;
        let bad = |what: &str| {
            Error::new(
                ErrorKind::Conversion,
                format!("unexpected {verb} reply: {what}"),
            )
            .for_command(verb)
        };
        let mut parts = match reply {
            Frame::Array(items) if items.len() == 2 => items.into_iter(),
            other => return Err(bad(other.kind())),
        };
        let cursor = parts
            .next()
            .and_then(|c| c.as_bytes().map(Bytes::copy_from_slice))
            .ok_or_else(|| bad("no cursor"))?;
        let batch = match parts.next() {
            Some(Frame::Array(items)) | Some(Frame::Set(items)) => items,
            Some(Frame::Map(pairs)) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
            Some(other) => return Err(bad(other.kind())),
            None => return Err(bad("no elements")),
        };
        if batch.len() % self.width != 0 {
            return Err(bad("an odd number of items in a list of pairs"));
        }
        self.cursor = if &cursor[..] == b"0" {
            None
        } else {
            Some(cursor)
        };
        if self.width == 1 {
            for item in batch {
                out.push_back(T::from_resp(item).map_err(|e| e.for_command(verb))?);
            }
        } else {
            let mut it = batch.into_iter();
            while let (Some(a), Some(b)) = (it.next(), it.next()) {
                out.push_back(
                    T::from_resp(Frame::Array(vec![a, b])).map_err(|e| e.for_command(verb))?,
                );
            }
        }
        Ok(())
    }
}

type Pending = Pin<Box<dyn Future<Output = Result<Frame>> + Send>>;

/// An async scan: a [`Stream`](futures_core::Stream) of elements, also
/// usable without a stream library through [`ScanStream::next`].
pub struct ScanStream<T> {
    client: crate::Client,
    state: ScanState,
    buffered: VecDeque<T>,
    pending: Option<Pending>,
    failed: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ScanStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanStream")
            .field("state", &self.state)
            .finish()
    }
}

impl<T: FromResp> ScanStream<T> {
    pub(crate) fn new(client: crate::Client, state: Result<ScanState>) -> Self {
        let (state, failed_with) = match state {
            Ok(s) => (s, None),
            Err(e) => (
                ScanState {
                    verb: "SCAN",
                    prefix: Cmd::new("SCAN"),
                    options: ScanOptions::default(),
                    cursor: None,
                    width: 1,
                },
                Some(e),
            ),
        };
        let mut s = ScanStream {
            client,
            state,
            buffered: VecDeque::new(),
            pending: None,
            failed: false,
            _t: PhantomData,
        };
        if let Some(e) = failed_with {
            s.pending = Some(Box::pin(async move { Err(e) }));
        }
        s
    }

    /// The next element; `None` when the scan is complete. After an error
    /// the scan ends.
    pub async fn next(&mut self) -> Option<Result<T>> {
        std::future::poll_fn(|cx| self.poll_next_item(cx)).await
    }

    /// Collects every remaining element.
    pub async fn collect_all(mut self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        while let Some(item) = self.next().await {
            out.push(item?);
        }
        Ok(out)
    }

    fn poll_next_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if self.failed {
                return Poll::Ready(None);
            }
            if self.pending.is_none() {
                let Some(cmd) = self.state.next_command() else {
                    return Poll::Ready(None);
                };
                let client = self.client.clone();
                self.pending = Some(Box::pin(async move { client.execute(&cmd).await }));
            }
            let reply = match self.pending.as_mut().unwrap().as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(r) => r,
            };
            self.pending = None;
            if let Err(e) = reply.and_then(|frame| self.state.accept(frame, &mut self.buffered)) {
                self.failed = true;
                return Poll::Ready(Some(Err(e)));
            }
        }
    }
}

impl<T: FromResp> futures_core::Stream for ScanStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.get_mut().poll_next_item(cx)
    }
}

impl<T> Unpin for ScanStream<T> {}

/// A blocking scan: an [`Iterator`] of elements.
pub struct ScanIter<'a, T> {
    client: &'a crate::blocking::Client,
    state: Result<ScanState>,
    buffered: VecDeque<T>,
    failed: bool,
}

impl<T> std::fmt::Debug for ScanIter<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanIter")
            .field("state", &self.state)
            .finish()
    }
}

impl<'a, T: FromResp> ScanIter<'a, T> {
    pub(crate) fn new(client: &'a crate::blocking::Client, state: Result<ScanState>) -> Self {
        ScanIter {
            client,
            state,
            buffered: VecDeque::new(),
            failed: false,
        }
    }
}

impl<T: FromResp> Iterator for ScanIter<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Some(Ok(item));
            }
            if self.failed {
                return None;
            }
            let state = match &mut self.state {
                Ok(s) => s,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e.duplicate()));
                }
            };
            let cmd = state.next_command()?;
            if let Err(e) = self
                .client
                .execute(&cmd)
                .and_then(|frame| state.accept(frame, &mut self.buffered))
            {
                self.failed = true;
                return Some(Err(e));
            }
        }
    }
}

impl crate::Client {
    /// `SCAN` over the keyspace as a stream of keys.
    pub fn scan_iter<T: FromResp>(&self, options: ScanOptions) -> ScanStream<T> {
        ScanStream::new(self.clone(), ScanState::new::<str>("SCAN", None, options))
    }

    /// `HSCAN` over a hash as a stream of `(field, value)` pairs (read `T`
    /// as a 2-tuple).
    pub fn hscan_iter<T: FromResp>(&self, key: impl ToArg, options: ScanOptions) -> ScanStream<T> {
        ScanStream::new(self.clone(), ScanState::new("HSCAN", Some(&key), options))
    }

    /// `SSCAN` over a set as a stream of members.
    pub fn sscan_iter<T: FromResp>(&self, key: impl ToArg, options: ScanOptions) -> ScanStream<T> {
        ScanStream::new(self.clone(), ScanState::new("SSCAN", Some(&key), options))
    }

    /// `ZSCAN` over a sorted set as a stream of `(member, score)` pairs.
    pub fn zscan_iter<T: FromResp>(&self, key: impl ToArg, options: ScanOptions) -> ScanStream<T> {
        ScanStream::new(self.clone(), ScanState::new("ZSCAN", Some(&key), options))
    }
}

impl crate::blocking::Client {
    /// `SCAN` over the keyspace as an iterator of keys.
    pub fn scan_iter<T: FromResp>(&self, options: ScanOptions) -> ScanIter<'_, T> {
        ScanIter::new(self, ScanState::new::<str>("SCAN", None, options))
    }

    /// `HSCAN` over a hash as an iterator of `(field, value)` pairs.
    pub fn hscan_iter<T: FromResp>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> ScanIter<'_, T> {
        ScanIter::new(self, ScanState::new("HSCAN", Some(&key), options))
    }

    /// `SSCAN` over a set as an iterator of members.
    pub fn sscan_iter<T: FromResp>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> ScanIter<'_, T> {
        ScanIter::new(self, ScanState::new("SSCAN", Some(&key), options))
    }

    /// `ZSCAN` over a sorted set as an iterator of `(member, score)` pairs.
    pub fn zscan_iter<T: FromResp>(
        &self,
        key: impl ToArg,
        options: ScanOptions,
    ) -> ScanIter<'_, T> {
        ScanIter::new(self, ScanState::new("ZSCAN", Some(&key), options))
    }
}

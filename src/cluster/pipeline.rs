//! Pipelines and transactions on a cluster.
//!
//! A plain pipeline is split by node: the commands whose keys live on one
//! primary go to it together, in one write and in the order they were
//! added, every node at once; then the commands that go elsewhere (every
//! primary, split per slot, blocking) run, each on its own. Commands on
//! different nodes run concurrently, so no order holds between them. The
//! results come back in the order the commands were added, one per
//! command; a command answered `MOVED` or `ASK` (its slot moved meanwhile)
//! is sent again where the slot is now, alone, and its result takes its
//! place. A transaction (`Pipeline::atomic`) runs on one node: every key of
//! every command must be in one slot, which is checked before anything is
//! sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::client::{ClusterClient, Inner};
use super::redirect::{NodeAddr, Redirect};
use super::route::{route, Route};
use crate::cmd::{Block, Command};
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::Pipeline;
use crate::reply::FromResp;
use crate::resp::Frame;

/// One command of a pipeline, already encoded, with its spec found by name.
struct Raw<'a> {
    name: &'a str,
    bytes: &'a [u8],
}

impl Command for Raw<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(self.bytes);
    }
    fn spec(&self) -> Option<&'static crate::commands::CommandSpec> {
        crate::commands::spec_of(self.name)
            .or_else(|| crate::commands::spec_of(&crate::connection::aio_name_of(self.bytes)))
    }
}

impl Pipeline {
    /// Sends the pipeline on a cluster (see the [module docs](crate::cluster));
    /// one result per command, in the order they were added.
    pub async fn execute_cluster(&self, client: &ClusterClient) -> Result<Vec<Result<Frame>>> {
        self.validate()?;
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let inner = client.inner.clone();
        inner.ensure_map().await?;
        if self.is_atomic() {
            return run_transaction(&inner, self).await;
        }
        let commands: Vec<(String, Bytes)> = self
            .commands()
            .map(|(n, b)| (n.to_string(), b))
            .collect();
        let map = inner.map();
        // Commands by the node that owns their slot; the rest alone.
        let mut by_node: BTreeMap<NodeAddr, Vec<usize>> = BTreeMap::new();
        let mut alone = Vec::new();
        for (i, (name, bytes)) in commands.iter().enumerate() {
            let raw = Raw { name, bytes };
            match route(&raw) {
                Ok(Route::Slot { slot, .. }) if raw.blocks() == Block::No => {
                    match map.primary(slot) {
                        Some(addr) => by_node.entry(addr.clone()).or_default().push(i),
                        None => alone.push(i),
                    }
                }
                Ok(_) => alone.push(i),
                Err(e) => return Err(e),
            }
        }
        drop(map);
        let mut results: Vec<Option<Result<Frame>>> = (0..commands.len()).map(|_| None).collect();
        let commands = Arc::new(commands);
        let mut tasks = Vec::new();
        for (addr, indices) in by_node {
            let (inner, commands) = (inner.clone(), commands.clone());
            tasks.push(tokio::spawn(async move {
                let mut payload = BytesMut::new();
                for &i in &indices {
                    payload.extend_from_slice(&commands[i].1);
                }
                let replies = match inner.connection(&addr).await {
                    Ok(conn) => conn
                        .send_encoded(payload.freeze(), indices.len(), true)
                        .await
                        .map(|f| match f {
                            Frame::Array(items) if indices.len() > 1 => items,
                            single => vec![single],
                        }),
                    Err(e) => Err(e),
                };
                let mut out = Vec::with_capacity(indices.len());
                match replies {
                    Ok(items) => {
                        for (&i, item) in indices.iter().zip(items) {
                            let r =
                                match item.error_message() {
                                    Some(m) => Err(Error::from_server_reply(m)
                                        .for_command(commands[i].0.as_str())),
                                    None => Ok(item),
                                };
                            out.push((i, r));
                        }
                    }
                    Err(e) => {
                        for &i in &indices {
                            out.push((i, Err(e.duplicate().for_command(commands[i].0.as_str()))));
                        }
                    }
                }
                out
            }));
        }
        gather(tasks, &mut results).await?;
        // Then the commands that run on several nodes or need routing of
        // their own, after every node's batch.
        let mut tasks = Vec::new();
        for i in alone {
            let (inner, commands) = (inner.clone(), commands.clone());
            tasks.push(tokio::spawn(async move {
                let (name, bytes) = &commands[i];
                let raw = Raw { name, bytes };
                let r = ClusterClient { inner }.execute(&raw).await;
                vec![(i, r)]
            }));
        }
        gather(tasks, &mut results).await?;
        // Commands whose slot moved meanwhile: again, alone, where it is now.
        for (i, slot_result) in results.iter_mut().enumerate() {
            let redirected = matches!(
                slot_result,
                Some(Err(e)) if matches!(
                    Redirect::from_error(e),
                    Some(Redirect::Moved { .. } | Redirect::Ask { .. } | Redirect::TryAgain)
                )
            );
            if redirected {
                if let Some(Err(e)) = slot_result.as_ref() {
                    if let Some(Redirect::Moved { slot, to }) = Redirect::from_error(e) {
                        inner.note_moved(slot, &to);
                    }
                }
                let (name, bytes) = &commands[i];
                let raw = Raw { name, bytes };
                *slot_result = Some(
                    ClusterClient {
                        inner: inner.clone(),
                    }
                    .execute(&raw)
                    .await,
                );
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Protocol, "no reply"))))
            .collect())
    }

    /// Sends the pipeline on a cluster and converts the replies to `T`.
    pub async fn query_cluster<T: FromResp>(&self, client: &ClusterClient) -> Result<T> {
        self.convert(self.execute_cluster(client).await?)
    }
}

/// One part of a cluster pipeline, running: the results of its commands,
/// by their place in the pipeline.
type PartTask = tokio::task::JoinHandle<Vec<(usize, Result<Frame>)>>;

/// Waits for the parts of a pipeline and puts each result in its place.
async fn gather(tasks: Vec<PartTask>, results: &mut [Option<Result<Frame>>]) -> Result<()> {
    for t in tasks {
        let done = t.await.map_err(|e| {
            Error::new(
                ErrorKind::ConnectionClosed,
                format!("a pipeline part failed: {e}"),
            )
        })?;
        for (i, r) in done {
            results[i] = Some(r);
        }
    }
    Ok(())
}

/// A transaction: one slot for every key, checked before sending; run on
/// that slot's primary, and again where the slot moved to when it moved
/// (a `MOVED` while queueing aborts the transaction, so nothing ran).
async fn run_transaction(inner: &Arc<Inner>, pipe: &Pipeline) -> Result<Vec<Result<Frame>>> {
    let slot = transaction_slot(pipe)?.unwrap_or(0);
    let (bytes, replies) = pipe.encoded();
    for _ in 0..=inner.max_redirects() {
        let Some(addr) = inner.map().primary(slot).cloned() else {
            let seen = inner.generation();
            inner.refresh(seen).await?;
            continue;
        };
        let conn = inner.connection(&addr).await?;
        let frame = conn.send_encoded(bytes.clone(), replies, true).await?;
        let items = match frame {
            Frame::Array(items) => items,
            single => vec![single],
        };
        let moved = items.iter().find_map(|f| {
            let m = f.error_message()?;
            Redirect::from_error(&Error::from_server_reply(m))
        });
        match moved {
            Some(Redirect::Moved { slot: s, to }) => inner.note_moved(s, &to),
            Some(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            None => return pipe.split(items),
        }
    }
    Err(Error::new(ErrorKind::ConnectionClosed, "too many redirects").for_command("EXEC"))
}

/// The one slot of every key of a transaction's commands (`None`: no
/// keys), refused before anything is sent when they span slots or a
/// command runs on several nodes.
pub(super) fn transaction_slot(pipe: &Pipeline) -> Result<Option<u16>> {
    let mut slot = None;
    for (name, bytes) in pipe.commands() {
        match route(&Raw {
            name,
            bytes: &bytes,
        })? {
            Route::Slot { slot: s, .. } => match slot {
                None => slot = Some(s),
                Some(first) if first != s => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "a transaction on a cluster runs on one node: every key of every \
                         command must be in one hash slot (use a hash tag)",
                    )
                    .for_command("MULTI"))
                }
                _ => {}
            },
            Route::AnyPrimary => {}
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "{name} runs on several nodes and cannot be part of a cluster transaction"
                    ),
                )
                .for_command("MULTI"))
            }
        }
    }
    Ok(slot)
}

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

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::client::{ClusterClient, Inner};
use super::plan::{self, Raw};
use super::redirect::Redirect;
use super::route::{route, Route};
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::Pipeline;
use crate::reply::FromResp;
use crate::resp::Frame;

impl Pipeline {
    /// The commands, each with its name, as owned values (for the parts of
    /// a cluster run).
    pub(super) fn named_commands(&self) -> Vec<(String, Bytes)> {
        self.commands().map(|(n, b)| (n.into_owned(), b)).collect()
    }

    /// Sends the pipeline on a cluster (see the [module docs](crate::cluster));
    /// one result per command, in the order they were added.
    pub async fn execute_cluster(&self, client: &ClusterClient) -> Result<Vec<Result<Frame>>> {
        #[cfg(feature = "tracing")]
        {
            let span = crate::events::cluster_pipeline_span(self.len());
            if !span.is_disabled() {
                use tracing::Instrument;
                return self.execute_cluster_untraced(client).instrument(span).await;
            }
        }
        self.execute_cluster_untraced(client).await
    }

    async fn execute_cluster_untraced(&self, client: &ClusterClient) -> Result<Vec<Result<Frame>>> {
        self.validate()?;
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let inner = client.inner.clone();
        // Its writes drop their keys' cached entries before it is sent (its
        // reads are not cached); until it is answered, no read of them
        // stores its reply.
        let _writing = inner.cache().and_then(|c| c.before_pipeline(self));
        inner.ensure_map().await?;
        if self.is_atomic() {
            return run_transaction(&inner, self).await;
        }
        let commands = Arc::new(self.named_commands());
        let plan::Groups { by_node, alone } = plan::group_pipeline(&commands, &inner.map())?;
        let mut results: Vec<Option<Result<Frame>>> = (0..commands.len()).map(|_| None).collect();
        let mut tasks = Vec::new();
        for (addr, indices) in by_node {
            let (inner, commands) = (inner.clone(), commands.clone());
            tasks.push(tokio::spawn(async move {
                let mut payload = BytesMut::new();
                for &i in &indices {
                    payload.extend_from_slice(&commands[i].1);
                }
                let n = indices.len();
                let replies = match inner.connection(&addr).await {
                    Ok(conn) => conn
                        .send_encoded(payload.freeze(), n, true)
                        .await
                        .map(|f| plan::batch_items(f, n)),
                    Err(e) => Err(e),
                };
                plan::deal(&indices, replies, |i| Some(commands[i].0.as_str()))
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
                let r = ClusterClient {
                    inner,
                    cached: false,
                }
                .execute(&raw)
                .await;
                vec![(i, r)]
            }));
        }
        gather(tasks, &mut results).await?;
        // Commands whose slot moved meanwhile: again, alone, where it is now.
        for (i, slot_result) in results.iter_mut().enumerate() {
            let Some(moved) = slot_result.as_ref().and_then(plan::to_reroute) else {
                continue;
            };
            if let Some((slot, to)) = moved {
                inner.note_moved(slot, &to);
            }
            let (name, bytes) = &commands[i];
            let raw = Raw { name, bytes };
            *slot_result = Some(
                ClusterClient {
                    inner: inner.clone(),
                    cached: false,
                }
                .execute(&raw)
                .await,
            );
        }
        Ok(plan::in_order(results))
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
            name: &name,
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

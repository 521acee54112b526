//! `SCAN` over a whole cluster: every primary in turn.

use std::collections::VecDeque;

use super::client::ClusterClient;
use super::redirect::NodeAddr;
use crate::error::Result;
use crate::reply::FromResp;
use crate::scan::{ScanOptions, ScanState};

/// The keys of every primary of a cluster, one node after another (see
/// [`ClusterClient::scan_iter`]).
pub struct ClusterScan<T> {
    client: ClusterClient,
    options: ScanOptions,
    /// Primaries still to scan, and the one being scanned.
    nodes: Option<VecDeque<NodeAddr>>,
    current: Option<(NodeAddr, ScanState)>,
    buffered: VecDeque<T>,
    done: bool,
}

impl<T> std::fmt::Debug for ClusterScan<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterScan")
            .field("node", &self.current.as_ref().map(|(a, _)| a))
            .finish()
    }
}

impl ClusterClient {
    /// Scans the keys of every primary (`SCAN` with a cursor per node, the
    /// nodes one after another), as `T` (`String`, `Vec<u8>`, ...). A key
    /// whose slot moves during the scan may be seen twice or not at all,
    /// as with `SCAN` on one server while keys change.
    ///
    /// ```no_run
    /// # async fn demo(cluster: respec::cluster::ClusterClient) -> respec::Result<()> {
    /// use respec::scan::ScanOptions;
    /// let mut keys = cluster.scan_iter::<String>(ScanOptions::new().pattern("user:*"));
    /// while let Some(key) = keys.next().await {
    ///     println!("{}", key?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn scan_iter<T: FromResp>(&self, options: ScanOptions) -> ClusterScan<T> {
        ClusterScan {
            client: self.clone(),
            options,
            nodes: None,
            current: None,
            buffered: VecDeque::new(),
            done: false,
        }
    }
}

impl<T: FromResp> ClusterScan<T> {
    /// The next key; `None` when every primary was scanned. After an error
    /// the scan ends.
    pub async fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Some(Ok(item));
            }
            if self.done {
                return None;
            }
            match self.step().await {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }

    /// Collects every remaining key.
    pub async fn collect_all(mut self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        while let Some(item) = self.next().await {
            out.push(item?);
        }
        Ok(out)
    }

    /// Runs one `SCAN` call; false when there is nothing left to scan.
    async fn step(&mut self) -> Result<bool> {
        let inner = self.client.inner.clone();
        if self.nodes.is_none() {
            inner.ensure_map().await?;
            self.nodes = Some(inner.map().primaries().cloned().collect());
        }
        loop {
            if self.current.is_none() {
                let Some(next) = self.nodes.as_mut().and_then(VecDeque::pop_front) else {
                    return Ok(false);
                };
                let state = ScanState::new::<&[u8]>("SCAN", None, self.options.clone())?;
                self.current = Some((next, state));
            }
            let Some((addr, state)) = self.current.as_mut() else {
                continue;
            };
            let Some(cmd) = state.next_command() else {
                self.current = None;
                continue;
            };
            let conn = inner.connection(addr).await?;
            let reply = conn.send(&cmd).await?;
            state.accept(reply, &mut self.buffered)?;
            return Ok(true);
        }
    }
}

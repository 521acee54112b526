//! Following the sentinels' messages: one task (async clients) or one
//! thread (blocking clients) per sentinel, subscribed to the channels that
//! announce a new master, subscribing again while the sentinel is away.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::locator::Shared;
use crate::cmd::Cmd;
use crate::connection::Addr;
use crate::pubsub::Message;
use crate::resp::Frame;

/// The channels followed: the leading sentinel's word that it told a
/// replica to become master, and every sentinel's word that the master
/// changed.
const CHANNELS: [&str; 2] = ["+failover-state-wait-promotion", "+switch-master"];

/// How long to wait before subscribing again to a sentinel that is away.
const RESUBSCRIBE_AFTER: Duration = Duration::from_millis(250);

/// Starts the watcher tasks, once, when there is a tokio runtime.
pub(super) fn start_tasks(shared: &Arc<Shared>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    if shared.async_watchers_started() {
        return;
    }
    for sentinel in shared.sentinel_list() {
        let stop = shared.stop.subscribe();
        runtime.spawn(watch_task(Arc::downgrade(shared), sentinel, stop));
    }
}

async fn watch_task(
    shared: Weak<Shared>,
    sentinel: Addr,
    mut stop: tokio::sync::watch::Receiver<()>,
) {
    loop {
        let Some(cfg) = shared.upgrade().map(|s| s.sentinel_config(&sentinel)) else {
            return;
        };
        let shared = shared.clone();
        let follow = async move {
            let mut sub = crate::pubsub::Subscriber::connect(&cfg).await?;
            // Reconnecting is this loop's business.
            sub.set_reconnect_timeout(Duration::ZERO);
            sub.subscribe(CHANNELS).await?;
            loop {
                let m = sub.next_message().await?;
                let Some(s) = shared.upgrade() else {
                    return Ok::<(), crate::Error>(());
                };
                s.on_event(&m.channel, &m.payload);
            }
        };
        tokio::select! {
            // The Sentinel value is gone.
            _ = stop.changed() => return,
            r = follow => if r.is_ok() { return },
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(RESUBSCRIBE_AFTER) => {}
        }
    }
}

/// Starts the watcher threads, once.
pub(super) fn start_threads(shared: &Arc<Shared>) {
    if shared.thread_watchers_started() {
        return;
    }
    for sentinel in shared.sentinel_list() {
        let weak = Arc::downgrade(shared);
        let spawned = std::thread::Builder::new()
            .name("respec-sentinel".into())
            .spawn(move || watch_thread(weak, sentinel));
        if spawned.is_err() {
            // No thread: failovers are still followed on errors.
            shared.thread_watchers.store(false, Ordering::Release);
            return;
        }
    }
}

fn watch_thread(shared: Weak<Shared>, sentinel: Addr) {
    use crate::connection::sync::Connection;
    loop {
        let Some(cfg) = shared.upgrade().map(|s| s.sentinel_config(&sentinel)) else {
            return;
        };
        if let Ok(mut conn) = Connection::connect(&cfg) {
            let mut subscribe = Cmd::new("SUBSCRIBE");
            subscribe.args(CHANNELS);
            if conn.write_command(&subscribe).is_ok() {
                loop {
                    // Short reads, to notice soon that the client is gone.
                    let frame = match conn.read_frame(Some(RESUBSCRIBE_AFTER)) {
                        Ok(f) => f,
                        Err(_) => break,
                    };
                    let Some(s) = shared.upgrade() else {
                        return;
                    };
                    if let Some(m) = frame.as_ref().and_then(Message::from_push) {
                        s.on_event(&m.channel, &m.payload);
                    } else if let Some(Frame::Error(_) | Frame::BulkError(_)) = frame {
                        break;
                    }
                }
            }
        }
        std::thread::sleep(RESUBSCRIBE_AFTER);
    }
}

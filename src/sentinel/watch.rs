//! Following the sentinels' messages: one thread per sentinel, for the
//! async and blocking clients alike, subscribed to the channels that
//! announce a new master, subscribing again while the sentinel is away.
//!
//! A thread rather than a task: the operating system schedules it however
//! busy the application keeps its runtime, so a `+switch-master` is acted
//! on when it arrives, not after the tasks queued before it (with 64 tasks
//! writing on two worker threads, a watcher task was seen to learn of a
//! promotion 160 ms late).

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

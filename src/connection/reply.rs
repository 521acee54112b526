//! The channel a reply travels on from the driver to its caller: a one-shot
//! channel whose slots are used again, so that a request allocates nothing
//! for it once the thread has sent a few.
//!
//! A slot is shared by one [`Sender`] (held by the driver with the request)
//! and one [`Receiver`] (the caller's future). Whichever of the two is done
//! with it last puts it back on its thread's list of free slots, after
//! bumping its generation; nothing touches a slot after giving it back.
//! Either side may be dropped at any time: a receiver dropped before the
//! reply came leaves the slot to the sender (which then drops the reply,
//! the caller having given up), and a sender dropped without sending wakes
//! the receiver with [`Closed`].

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::error::Result;
use crate::resp::Frame;

/// What travels on the channel.
type Value = Result<Frame>;

/// How many free slots a thread keeps at most; more are freed.
const KEEP: usize = 512;

thread_local! {
    static FREE: RefCell<Vec<Arc<Slot>>> = const { RefCell::new(Vec::new()) };
}

/// The sender was dropped without sending.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Closed;

struct Slot {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    value: Option<Value>,
    waker: Option<Waker>,
    /// The sender sent, or was dropped.
    sender_done: bool,
    /// The receiver was dropped before it took a value.
    receiver_gone: bool,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing can panic while the lock is held; a poisoned lock still
        // holds a consistent state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Resets `slot` and keeps it for the next channel of this thread. Called
/// by the last side to use it, after which that side never touches it.
fn give_back(slot: &Arc<Slot>) {
    *slot.lock() = State::default();
    let _ = FREE.try_with(|free| {
        if let Ok(mut free) = free.try_borrow_mut() {
            if free.len() < KEEP {
                free.push(slot.clone());
            }
        }
    });
}

/// A new channel, on a slot used before when this thread has one free.
pub(crate) fn channel() -> (Sender, Receiver) {
    let slot = FREE
        .try_with(|free| free.try_borrow_mut().ok().and_then(|mut f| f.pop()))
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            Arc::new(Slot {
                state: Mutex::new(State::default()),
            })
        });
    (
        Sender {
            slot: slot.clone(),
            done: false,
        },
        Receiver { slot, done: false },
    )
}

/// The driver's end: sends one reply.
pub(crate) struct Sender {
    slot: Arc<Slot>,
    /// Sent (the slot is no longer this side's to touch).
    done: bool,
}

impl Sender {
    /// Sends the reply; gives it back when the receiver is gone.
    pub(crate) fn send(self, value: Value) -> std::result::Result<(), Value> {
        if let Some(w) = self.put(value)? {
            w.wake();
        }
        Ok(())
    }

    /// Like [`send`](Self::send), but the receiver's waker, if any, is
    /// pushed to `wakes` for the caller to wake (after it released a lock
    /// the woken task is about to want).
    pub(crate) fn send_deferred(
        self,
        value: Value,
        wakes: &mut Vec<Waker>,
    ) -> std::result::Result<(), Value> {
        if let Some(w) = self.put(value)? {
            wakes.push(w);
        }
        Ok(())
    }

    /// Leaves the reply in the slot; the receiver's waker to wake.
    fn put(mut self, value: Value) -> std::result::Result<Option<Waker>, Value> {
        self.done = true;
        let mut state = self.slot.lock();
        state.sender_done = true;
        if state.receiver_gone {
            drop(state);
            give_back(&self.slot);
            return Err(value);
        }
        state.value = Some(value);
        Ok(state.waker.take())
    }

    /// Whether the receiver was dropped (the caller gave up).
    pub(crate) fn is_closed(&self) -> bool {
        self.slot.lock().receiver_gone
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.slot.lock();
        state.sender_done = true;
        if state.receiver_gone {
            drop(state);
            give_back(&self.slot);
            return;
        }
        let waker = state.waker.take();
        drop(state);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The caller's end: a future of the reply.
pub(crate) struct Receiver {
    slot: Arc<Slot>,
    /// The value or the closing was taken (the slot was given back).
    done: bool,
}

impl Future for Receiver {
    type Output = std::result::Result<Value, Closed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.done {
            return Poll::Ready(Err(Closed));
        }
        let mut state = self.slot.lock();
        if let Some(value) = state.value.take() {
            drop(state);
            self.done = true;
            give_back(&self.slot);
            return Poll::Ready(Ok(value));
        }
        if state.sender_done {
            drop(state);
            self.done = true;
            give_back(&self.slot);
            return Poll::Ready(Err(Closed));
        }
        match &state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.slot.lock();
        if state.sender_done {
            // Sent (or closed) but not taken: the value is dropped here.
            let value = state.value.take();
            drop(state);
            drop(value);
            give_back(&self.slot);
        } else {
            state.receiver_gone = true;
            state.waker = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};

    fn frame(n: i64) -> Value {
        Ok(Frame::Integer(n))
    }

    fn poll_now(rx: &mut Receiver) -> Poll<std::result::Result<Value, Closed>> {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        Pin::new(rx).poll(&mut cx)
    }

    #[test]
    fn a_sent_value_is_received_and_the_slot_is_used_again() {
        let (tx, mut rx) = channel();
        let first = Arc::as_ptr(&rx.slot);
        assert!(poll_now(&mut rx).is_pending());
        tx.send(frame(7)).unwrap();
        match poll_now(&mut rx) {
            Poll::Ready(Ok(Ok(Frame::Integer(7)))) => {}
            other => panic!("unexpected {other:?}"),
        }
        drop(rx);
        let (tx, mut rx) = channel();
        assert_eq!(Arc::as_ptr(&rx.slot), first, "the slot was not reused");
        // The reused slot starts empty.
        assert!(poll_now(&mut rx).is_pending());
        assert!(!tx.is_closed());
        tx.send(frame(8)).unwrap();
        assert!(matches!(
            poll_now(&mut rx),
            Poll::Ready(Ok(Ok(Frame::Integer(8))))
        ));
    }

    #[test]
    fn a_dropped_sender_closes_the_receiver() {
        let (tx, mut rx) = channel();
        drop(tx);
        assert!(matches!(poll_now(&mut rx), Poll::Ready(Err(Closed))));
        // Polled again after the end: still closed, no panic.
        assert!(matches!(poll_now(&mut rx), Poll::Ready(Err(Closed))));
    }

    #[test]
    fn a_dropped_receiver_is_seen_by_the_sender_and_the_value_comes_back() {
        let (tx, rx) = channel();
        drop(rx);
        assert!(tx.is_closed());
        let back = tx.send(Err(Error::new(ErrorKind::Io, "x"))).unwrap_err();
        assert_eq!(back.unwrap_err().kind(), &ErrorKind::Io);
        // The slot came back to this thread's list, reset.
        let (tx, mut rx) = channel();
        assert!(!tx.is_closed());
        assert!(poll_now(&mut rx).is_pending());
    }

    #[test]
    fn a_value_never_taken_is_dropped_with_the_receiver() {
        let (tx, rx) = channel();
        tx.send(frame(1)).unwrap();
        drop(rx);
        let (_tx, mut rx) = channel();
        assert!(
            poll_now(&mut rx).is_pending(),
            "an old value leaked into a new channel"
        );
    }

    #[test]
    fn values_cross_threads_and_wake_the_receiver() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            for i in 0..2_000 {
                let (tx, rx) = channel();
                let t = std::thread::spawn(move || tx.send(frame(i)).is_ok());
                let got = rx.await.unwrap().unwrap();
                assert_eq!(got, Frame::Integer(i));
                assert!(t.join().unwrap());
            }
        });
    }
}

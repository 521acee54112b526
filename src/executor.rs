//! What a generated command method needs from whatever runs it.
//!
//! Every generated command type is generic over an executor handle `E`:
//!
//! - `E = ()`: a detached command value, built with the free functions in
//!   the generated command modules and handed to a pipeline or transaction;
//! - `E = &C` where `C:` [`AsyncExecutor`]: the value returned by a method on
//!   the async client; awaiting it (`IntoFuture`) sends it;
//! - `E = &C` where `C:` [`BlockingExecutor`]: the value returned by a method
//!   on the blocking client; its `run()` sends it.
//!
//! There is still one definition per command: executors only ever see the
//! command through the [`Command`] trait.

use std::future::Future;

use crate::{Command, Frame, Result};

/// An executor that sends commands and resolves their replies asynchronously.
pub trait AsyncExecutor {
    /// The future of one command's reply.
    type Future<'a>: Future<Output = Result<Frame>> + Send + Unpin + 'a
    where
        Self: 'a;

    /// Encodes `cmd` and queues it; the returned future resolves to its reply
    /// (an error reply from the server is an `Err`).
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Self::Future<'_>;
}

/// An executor that sends a command and waits for its reply on this thread.
pub trait BlockingExecutor {
    /// Sends `cmd` and returns its reply (an error reply is an `Err`).
    fn execute<C: Command + ?Sized>(&self, cmd: &C) -> Result<Frame>;
}

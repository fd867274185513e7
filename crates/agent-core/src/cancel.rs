//! Cooperative cancellation of long runs (training loops, grid searches).
//!
//! The program that owns a run creates a [`CancelToken`] and runs the work
//! inside [`scope`]; training loops call [`check`] between their units of
//! work (epochs, rollouts, boosting rounds, grid points) and stop with
//! [`CoreError::Cancelled`] once the token is cancelled. Code that runs
//! outside any scope is never cancelled, so libraries and the command line
//! need no token at all.
//!
//! A run that must not be stopped half-way through an irreversible step
//! (publishing a model) calls [`CancelToken::commit`] first: from then on
//! [`CancelToken::cancel`] refuses, and a run cancelled earlier cannot
//! commit. Which of the two happened is decided by one atomic operation, so
//! a cancelled run never publishes.
//!
//! The scope is per thread: work handed to other threads (a rayon pool, a
//! LightGBM cancel callback) takes [`current`] on the calling thread first
//! and checks that token.

use crate::error::CoreError;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

const LIVE: u8 = 0;
const CANCELLED: u8 = 1;
const COMMITTED: u8 = 2;

/// A shared cancellation flag; clones share it.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicU8>);

impl CancelToken {
    /// A live token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the run to stop. Returns `false` when the run has already
    /// committed (it will not stop), `true` when it is (now) cancelled.
    pub fn cancel(&self) -> bool {
        match self
            .0
            .compare_exchange(LIVE, CANCELLED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(state) => state == CANCELLED,
        }
    }

    /// Whether [`cancel`](Self::cancel) succeeded.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) == CANCELLED
    }

    /// Whether [`commit`](Self::commit) succeeded.
    pub fn is_committed(&self) -> bool {
        self.0.load(Ordering::SeqCst) == COMMITTED
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<(), CoreError> {
        if self.is_cancelled() {
            Err(CoreError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Pass the point of no return: fails with `Cancelled` when the token
    /// was cancelled first; afterwards `cancel` refuses.
    pub fn commit(&self) -> Result<(), CoreError> {
        match self
            .0
            .compare_exchange(LIVE, COMMITTED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => Ok(()),
            Err(COMMITTED) => Ok(()),
            Err(_) => Err(CoreError::Cancelled),
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Restores the enclosing scope's token, also when `f` panics.
struct Restore(Option<CancelToken>);

impl Drop for Restore {
    fn drop(&mut self) {
        let prev = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

/// Run `f` with `token` as this thread's current token.
pub fn scope<R>(token: &CancelToken, f: impl FnOnce() -> R) -> R {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(token.clone()));
    let _restore = Restore(prev);
    f()
}

/// This thread's current token; outside any [`scope`], a live token that
/// nobody can cancel.
pub fn current() -> CancelToken {
    CURRENT.with(|c| c.borrow().clone()).unwrap_or_default()
}

/// `Err(Cancelled)` when this thread's current token is cancelled.
pub fn check() -> Result<(), CoreError> {
    CURRENT.with(|c| match &*c.borrow() {
        Some(t) => t.check(),
        None => Ok(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_and_commit_exclude_each_other() {
        let t = CancelToken::new();
        assert!(t.cancel());
        assert!(t.cancel(), "cancelling twice still reports cancelled");
        assert!(matches!(t.commit(), Err(CoreError::Cancelled)));
        assert!(t.is_cancelled() && !t.is_committed());

        let t = CancelToken::new();
        t.commit().unwrap();
        assert!(!t.cancel(), "a committed run is not stopped");
        assert!(t.check().is_ok() && t.is_committed());
    }

    #[test]
    fn scope_sets_and_restores_the_thread_token() {
        assert!(check().is_ok());
        let outer = CancelToken::new();
        let inner = CancelToken::new();
        inner.cancel();
        scope(&outer, || {
            assert!(check().is_ok());
            scope(&inner, || {
                assert!(matches!(check(), Err(CoreError::Cancelled)))
            });
            assert!(check().is_ok());
            let seen = current();
            outer.cancel();
            assert!(seen.is_cancelled(), "current() shares the scope's flag");
        });
        assert!(check().is_ok(), "outside any scope nothing is cancelled");
        let r = std::panic::catch_unwind(|| scope(&inner, || panic!("boom")));
        assert!(r.is_err());
        assert!(check().is_ok(), "a panic inside restores the outer scope");
        // Other threads do not see this thread's scope.
        scope(&inner, || {
            std::thread::scope(|s| {
                s.spawn(|| assert!(check().is_ok()));
            });
        });
    }
}

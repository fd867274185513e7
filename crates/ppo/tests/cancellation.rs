//! A cancelled caller scope stops PPO at the next update, also when the
//! loop runs on its own thread pool.

use agent_core::cancel::{self, CancelToken};
use agent_core::{CoreError, ParamGuard, ProgressEvent};
use ppo::{ContextualBandit, NetArch, PpoError, PpoParams, VecEnv};
use std::sync::atomic::{AtomicU64, Ordering};

fn envs() -> VecEnv<ContextualBandit> {
    VecEnv::new(
        (0..2)
            .map(|_| ContextualBandit::new(4, 4, 8).unwrap())
            .collect(),
    )
    .unwrap()
}

#[test]
fn cancelling_stops_learning_at_the_next_update() {
    for threads in [0, 1] {
        let params = PpoParams::new()
            .n_steps(16)
            .batch_size(16)
            .n_epochs(2)
            .net_arch(NetArch {
                pi: vec![8],
                vf: vec![8],
            })
            .total_timesteps(1_000_000)
            .n_threads(threads)
            .check()
            .unwrap();
        let token = CancelToken::new();
        let updates = AtomicU64::new(0);
        let cb = |e: ProgressEvent| {
            updates.store(e.done, Ordering::SeqCst);
            if e.done == 3 {
                token.cancel();
            }
        };
        let r = cancel::scope(&token, || params.learn(&mut envs(), Some(&cb)));
        assert!(
            matches!(r, Err(PpoError::Core(CoreError::Cancelled))),
            "threads {threads}: {:?}",
            r.err()
        );
        assert_eq!(updates.load(Ordering::SeqCst), 3, "threads {threads}");
    }
    // Outside any scope nothing cancels.
    let done = PpoParams::new()
        .n_steps(16)
        .batch_size(16)
        .total_timesteps(64)
        .check()
        .unwrap()
        .learn(&mut envs(), None);
    assert!(done.is_ok());
}

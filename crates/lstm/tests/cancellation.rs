//! A cancelled caller scope stops LSTM training before the next minibatch.

use agent_core::cancel::{self, CancelToken};
use agent_core::{CoreError, Dataset, ParamGuard, ProgressEvent, SplitMix64};
use lstm::{LstmError, LstmModel};
use ndarray::{Array1, Array2};
use std::sync::atomic::{AtomicU64, Ordering};

fn toy(n: usize) -> Dataset {
    let mut rng = SplitMix64::new(3);
    let x = Array2::from_shape_fn((n, 2), |_| rng.next_normal());
    let y = Array1::from_shape_fn(n, |t| x[[t, 0]] * 0.5);
    Dataset::new(x, y, vec!["a".into(), "b".into()]).unwrap()
}

#[test]
fn cancelling_after_an_epoch_stops_training() {
    let params = LstmModel::params()
        .hidden_size(8)
        .window(6)
        .batch_size(32)
        .max_epochs(500)
        .patience(500)
        .threads(1)
        .check()
        .unwrap();
    let token = CancelToken::new();
    let epochs = AtomicU64::new(0);
    let cb = |e: ProgressEvent| {
        if e.stage == "lstm epochs" {
            epochs.store(e.done, Ordering::SeqCst);
            token.cancel();
        }
    };
    let r = cancel::scope(&token, || params.fit_with_progress(&toy(600), Some(&cb)));
    assert!(
        matches!(r, Err(LstmError::Core(CoreError::Cancelled))),
        "{:?}",
        r.err()
    );
    assert_eq!(epochs.load(Ordering::SeqCst), 1);
}

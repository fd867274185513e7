//! A cancelled caller scope stops the grid search (checked before every
//! fit, on the search's pool threads) and reports the core's `Cancelled`.

use agent_core::cancel::{self, CancelToken};
use agent_core::{CoreError, Dataset, Fit, ParamGuard, SplitMix64};
use ndarray::{Array1, Array2};
use signal::{SignalError, SignalParams};

#[test]
fn a_cancelled_scope_stops_the_search() {
    let mut rng = SplitMix64::new(4);
    let n = 600;
    let x = Array2::from_shape_fn((n, 2), |_| rng.next_normal());
    let y = Array1::from_shape_fn(n, |i| {
        if x[[i, 0]] + 0.3 * x[[i, 1]] > 0.0 {
            1.0
        } else {
            0.0
        }
    });
    let data = Dataset::new(x, y, vec!["a".into(), "b".into()]).unwrap();
    let params = SignalParams::new()
        .cs(vec![0.1, 1.0])
        .l1_ratios(vec![0.0])
        .n_splits(3)
        .n_threads(2)
        .check()
        .unwrap();
    let token = CancelToken::new();
    token.cancel();
    let r = cancel::scope(&token, || params.fit_with_progress(&data, None));
    assert!(
        matches!(r, Err(SignalError::Core(CoreError::Cancelled))),
        "{:?}",
        r.err()
    );
    assert!(params.fit(&data).is_ok());
}

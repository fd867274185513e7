//! A cancelled caller scope stops the LightGBM grid (polled every round,
//! from LightGBM's worker threads) and reports the core's `Cancelled`.

use agent_core::cancel::{self, CancelToken};
use agent_core::{CoreError, Fit, ParamGuard};
use market::SyntheticMarket;
use regime::{RegimeData, RegimeError, RegimeModel};

#[test]
fn a_cancelled_scope_stops_the_grid() {
    let c = SyntheticMarket::new()
        .seed(1)
        .bars(2_500)
        .generate()
        .unwrap()
        .candles;
    let data = RegimeData::from_candles(&[("X", &c)], 24, 0.8).unwrap();
    let params = RegimeModel::params()
        .num_leaves(vec![7, 15])
        .n_estimators(vec![400])
        .check()
        .unwrap();
    let token = CancelToken::new();
    token.cancel();
    let r = cancel::scope(&token, || params.fit_with_progress(&data, None));
    assert!(
        matches!(r, Err(RegimeError::Core(CoreError::Cancelled))),
        "{:?}",
        r.err()
    );
    // The same training outside the scope works.
    assert!(params.fit(&data).is_ok());
}

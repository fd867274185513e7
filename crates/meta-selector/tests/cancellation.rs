//! A cancelled caller scope stops the LightGBM grid and reports the core's
//! `Cancelled`.

use agent_core::cancel::{self, CancelToken};
use agent_core::{CoreError, Fit, ParamGuard};
use meta_selector::{MetaSelector, MetaSelectorError, MetaTable, StrategyReturns};
use std::path::PathBuf;

#[test]
fn a_cancelled_scope_stops_the_grid() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/meta-selector/window_returns.csv");
    let sr = StrategyReturns::read_csv(&path).unwrap();
    let table = MetaTable::from_strategy_returns(&sr, 7).unwrap();
    let params = MetaSelector::params()
        .learning_rates(vec![0.1])
        .num_leaves(vec![7])
        .max_rounds(20)
        .check()
        .unwrap();
    let token = CancelToken::new();
    token.cancel();
    let r = cancel::scope(&token, || params.fit_with_progress(&table, None));
    assert!(
        matches!(r, Err(MetaSelectorError::Core(CoreError::Cancelled))),
        "{:?}",
        r.err()
    );
    assert!(params.fit(&table).is_ok());
}

//! SPEC T2 on the shared benchmark datasets: the feature builder reproduces
//! the peer's meta table, and training meets the equal-quality bars.
//! Without `shared/` (user clones) the tests show as ignored (a failure
//! under `COINTRAINER_REQUIRE_SHARED_DATA=1`).
//!
//! A `harness = false` target: every test is registered in `main`.

use agent_core::ParamGuard;
use meta_selector::{MetaSelector, MetaTable, StrategyReturns};
use std::path::Path;
use test_support::{needs_shared, run_tests};

fn main() {
    run_tests(vec![
        needs_shared(
            "feature_builder_reproduces_the_peer_meta_table",
            &[
                "bench/datasets/strategy_returns_btc_1h.csv",
                "bench/datasets/meta_btc_1h.csv",
            ],
            |shared| feature_builder_reproduces_the_peer_meta_table(&shared.join("bench/datasets")),
        ),
        needs_shared(
            "spec_t2_meets_the_equal_quality_bars",
            &["bench/datasets/meta_btc_1h.csv"],
            |shared| spec_t2_meets_the_equal_quality_bars(&shared.join("bench/datasets")),
        ),
    ]);
}

// Peer values from SPEC.md "Quality targets".
const PEER_VAL_MSE: f64 = 9.550361e-4;
const PEER_TEST_R2: f64 = 0.000467;
const PEER_FIXED500_TEST_MSE: f64 = 6.354520560057535e-4; // measured with benches/peer/t2_lightgbm.py

fn feature_builder_reproduces_the_peer_meta_table(dir: &Path) {
    let sr = StrategyReturns::read_csv(&dir.join("strategy_returns_btc_1h.csv")).unwrap();
    assert_eq!(sr.n_windows(), 2431);
    assert_eq!(sr.n_train(), 1944);
    let ours = MetaTable::from_strategy_returns(&sr, 10).unwrap();
    let peer = MetaTable::read_csv(&dir.join("meta_btc_1h.csv"), None).unwrap();
    assert_eq!(ours.n_rows(), 12_105);
    assert_eq!(ours.n_train(), 9_670);
    assert_eq!(ours.feature_names(), peer.feature_names());
    assert_eq!(ours.group(), peer.group());
    assert_eq!(ours.is_train(), peer.is_train());
    for (a, b) in ours.target().iter().zip(peer.target()) {
        assert_eq!(a, b);
    }
    for ((i, j), a) in ours.features().indexed_iter() {
        let b = peer.features()[[i, j]];
        assert!(
            (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
            "row {i} {}: {a} vs {b}",
            ours.feature_names()[j]
        );
    }
}

fn spec_t2_meets_the_equal_quality_bars(dir: &Path) {
    let table = MetaTable::read_csv(&dir.join("meta_btc_1h.csv"), None).unwrap();
    let params = MetaSelector::params().num_threads(2).check().unwrap();
    let model = params.fit_with_progress(&table, None).unwrap();
    let r = model.report();
    eprintln!("{}", serde_json::to_string(r).unwrap());
    assert_eq!(r.split.fit_groups, 1547);
    assert_eq!(r.split.valid_groups, 387);
    assert_eq!(r.split.test_groups, 487);
    assert_eq!(r.grid.len(), 6);
    assert!(r.val_mse.unwrap() <= 1.01 * PEER_VAL_MSE, "{:?}", r.val_mse);
    assert!(r.test_r2.unwrap() >= PEER_TEST_R2 - 0.01, "{:?}", r.test_r2);
    let sel = r.selection.as_ref().unwrap();
    assert_eq!(sel.n_decisions, 487);

    // One LightGBM thread: same model (deterministic), and no OpenMP spin
    // contention when the test machine is busy.
    let single = MetaSelector::params().num_threads(1).check().unwrap();
    let fixed = single.fit_fixed_rounds(&table, 0.05, 63, 500).unwrap();
    assert_eq!(fixed.n_iterations(), 500);
    let mse = fixed.report().test_mse.unwrap();
    assert!(mse <= 1.05 * PEER_FIXED500_TEST_MSE, "{mse}");
}

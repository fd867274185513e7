//! SPEC T1 on the prepared benchmark table: every grid point's mean CV AUC
//! within 0.001 of the scikit-learn peer, the same best point, and a test
//! AUC no worse than the peer's minus 0.002. Without `shared/` (user clones)
//! the test shows as ignored (a failure under
//! `COINTRAINER_REQUIRE_SHARED_DATA=1`).
//!
//! A `harness = false` target: every test is registered in `main`.

use agent_core::{Fit, ParamGuard};
use signal::{FeatureCsvSpec, SignalParams};
use std::path::Path;
use test_support::{needs_shared, run_tests};

/// Peer values from SPEC.md "Quality targets" (scikit-learn 1.9 saga).
const PEER_GRID: [(f64, f64, f64); 12] = [
    (0.01, 0.0, 0.554226),
    (0.01, 0.5, 0.558407),
    (0.01, 1.0, 0.559801),
    (0.1, 0.0, 0.553235),
    (0.1, 0.5, 0.554072),
    (0.1, 1.0, 0.555047),
    (1.0, 0.0, 0.553106),
    (1.0, 0.5, 0.553188),
    (1.0, 1.0, 0.553280),
    (10.0, 0.0, 0.553092),
    (10.0, 0.5, 0.553098),
    (10.0, 1.0, 0.553107),
];
const PEER_TEST_AUC: f64 = 0.559243;

const FEATURES_CSV: &str = "bench/datasets/features_btc_1h.csv";

fn main() {
    run_tests(vec![needs_shared(
        "t1_grid_best_point_and_test_auc_match_the_sklearn_peer",
        &[FEATURES_CSV],
        |shared| t1_grid_best_point_and_test_auc_match_the_sklearn_peer(&shared.join(FEATURES_CSV)),
    )]);
}

fn t1_grid_best_point_and_test_auc_match_the_sklearn_peer(path: &Path) {
    let table = signal::read_feature_csv(path, &FeatureCsvSpec::t1()).unwrap();
    // The peer splits at `is_train` without purging the last training
    // row's one-bar label (the agent's `train_test` purges it).
    let (train, test, _) = table.train_test_with(agent_core::Purge::new(0)).unwrap();
    assert_eq!((train.n_samples(), test.n_samples()), (46_658, 11_665));
    assert_eq!(table.train_test().unwrap().0.n_samples(), 46_657);

    let t0 = std::time::Instant::now();
    // The peer's folds are scikit-learn's TimeSeriesSplit without a gap, so
    // this comparison alone runs unpurged; the agent's default purges the
    // 1-bar label horizon before every test block.
    let mut model = SignalParams::new()
        .label_horizon(0)
        .max_iter(1000)
        .n_threads(2)
        .check()
        .unwrap()
        .fit(&train)
        .unwrap();
    let eval = model.evaluate(&test).unwrap();
    eprintln!(
        "T1 search + refit + test metrics: {:.3} s (informational)",
        t0.elapsed().as_secs_f64()
    );
    let report = model.search().unwrap().clone();

    for g in &report.grid {
        eprintln!(
            "C={:<5} l1_ratio={:<4} mean_cv_auc={:.6} max_newton_iter={}",
            g.c, g.l1_ratio, g.mean_cv_auc, g.max_n_iter
        );
    }
    eprintln!("refit: {:?}", model.fit_info());
    assert_eq!(report.folds[0].train_end, 7_778);
    assert_eq!(report.grid.len(), 12);
    let mut worst: f64 = 0.0;
    for (g, &(c, r, peer)) in report.grid.iter().zip(&PEER_GRID) {
        assert_eq!((g.c, g.l1_ratio), (c, r));
        assert!(g.converged, "C={c} l1_ratio={r} did not converge");
        let diff = (g.mean_cv_auc - peer).abs();
        worst = worst.max(diff);
        assert!(
            diff <= 0.001,
            "C={c} l1_ratio={r}: {} vs peer {peer}",
            g.mean_cv_auc
        );
    }
    let best = report.best_record();
    assert_eq!((best.c, best.l1_ratio), (0.01, 1.0));
    assert!(eval.auc >= PEER_TEST_AUC - 0.002, "test AUC {}", eval.auc);
    assert!(model.fit_info().converged);
    // Both sides solve the same convex problems: we expect far tighter agreement
    // than the SPEC's 0.001 (the peer's values are rounded to 6 decimals).
    assert!(worst < 2e-5, "largest grid deviation {worst:e}");
    assert!(
        (eval.auc - PEER_TEST_AUC).abs() < 2e-5,
        "test AUC {}",
        eval.auc
    );
    // Saved metrics carry the out-of-sample numbers.
    assert_eq!(model.metrics()["test_auc"], eval.auc);
    assert!(model.metrics().contains_key("cv_auc"));
}

//! SPEC T2: the five strategies on the raw BTC 1h candles reproduce
//! `shared/bench/datasets/strategy_returns_btc_1h.csv`. Without `shared/`
//! (user clones) the tests show as ignored (a failure under
//! `COINTRAINER_REQUIRE_SHARED_DATA=1`).
//!
//! A `harness = false` target: every test is registered in `main`.

use backtest::{StrategyReturns, spec_t2_strategy_returns};
use std::path::Path;
use test_support::{needs_shared, run_tests};

/// The shared files both tests read.
const INPUTS: &[&str] = &[
    "bench/datasets/strategy_returns_btc_1h.csv",
    "data/BTCUSDT-1h.csv",
];

fn main() {
    run_tests(vec![
        needs_shared(
            "spec_t2_strategy_returns_match_the_reference_file_cell_by_cell",
            INPUTS,
            spec_t2_strategy_returns_match_the_reference_file_cell_by_cell,
        ),
        needs_shared(
            "spec_t2_table_round_trips_through_csv",
            INPUTS,
            spec_t2_table_round_trips_through_csv,
        ),
    ]);
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * b.abs().max(1e-300)
}

fn spec_t2_strategy_returns_match_the_reference_file_cell_by_cell(root: &Path) {
    let candles = market::read_candles(&root.join("data/BTCUSDT-1h.csv")).unwrap();
    let ours = spec_t2_strategy_returns(&candles).unwrap();
    let reference =
        StrategyReturns::read_csv(&root.join("bench/datasets/strategy_returns_btc_1h.csv"))
            .unwrap();

    assert_eq!(ours.strategies, reference.strategies);
    assert_eq!(ours.len(), 2431);
    assert_eq!(ours.len(), reference.len());
    assert_eq!(ours.n_train, 1944);
    assert_eq!(ours.n_train, reference.n_train);
    assert_eq!(ours.first_bar, reference.first_bar);
    assert_eq!(ours.last_bar, reference.last_bar);
    assert_eq!(ours.start_ts, reference.start_ts);
    assert_eq!(ours.end_ts, reference.end_ts);
    assert_eq!(ours.regime, reference.regime);
    // Window regime cut points from the datasets README.
    assert_eq!(ours.q1, 0.004724717038248057);
    assert_eq!(ours.q2, 0.007701011796806074);

    let mut worst = (0.0f64, String::new());
    for w in 0..ours.len() {
        for k in 0..ours.strategies.len() {
            let (a, b) = (ours.returns[w][k], reference.returns[w][k]);
            let rel = (a - b).abs() / b.abs().max(1e-300);
            if a != b && rel > worst.0 {
                worst = (
                    rel,
                    format!("window {w} ret_{}: {a} vs {b}", ours.strategies[k]),
                );
            }
            assert!(
                close(a, b),
                "window {w} ret_{}: {a} vs {b}",
                ours.strategies[k]
            );
        }
        for j in 0..7 {
            let (a, b) = (ours.ctx[w][j], reference.ctx[w][j]);
            assert!(close(a, b), "window {w} {}: {a} vs {b}", backtest::CTX[j]);
        }
    }
    eprintln!(
        "largest relative difference of a return: {:e} {}",
        worst.0, worst.1
    );
}

fn spec_t2_table_round_trips_through_csv(root: &Path) {
    let candles = market::read_candles(&root.join("data/BTCUSDT-1h.csv")).unwrap();
    let ours = spec_t2_strategy_returns(&candles).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("strategy_returns.csv");
    ours.write_csv(&p).unwrap();
    assert_eq!(StrategyReturns::read_csv(&p).unwrap(), ours);
}

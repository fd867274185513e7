//! SPEC T5 (b) on the prepared BTC data: replaying
//! `shared/bench/datasets/strategy_returns_btc_1h.csv` must reproduce the
//! NumPy results to 1e-6 relative. Without `shared/` (user clones) the
//! test shows as ignored (a failure under `COINTRAINER_REQUIRE_SHARED_DATA=1`).
//!
//! Ties (every untried arm scores the same) go to the lowest index, so the
//! arm order matters. With the T2 strategy ids (the file's column order) a
//! literal NumPy implementation gives 53.944750 %. The SPEC's published
//! peer value, -19.044829 %, is reproduced exactly with `rsi_rev` before
//! `breakout_24`, and by no other of the 120 orders.
//!
//! A `harness = false` target: every test is registered in `main`.

use agent_core::StandardScaler;
use linucb::{Learn, LinUcb, LinUcbParams, ParamGuard, RegimeMode, read_strategy_returns};
use std::path::Path;
use test_support::{needs_shared, run_tests};

const STRATEGY_RETURNS: &str = "bench/datasets/strategy_returns_btc_1h.csv";

fn main() {
    run_tests(vec![needs_shared(
        "replay_on_btc_strategy_returns_matches_the_numpy_peer_t5b",
        &[STRATEGY_RETURNS],
        replay_on_btc_strategy_returns_matches_the_numpy_peer_t5b,
    )]);
}

fn replay_on_btc_strategy_returns_matches_the_numpy_peer_t5b(shared: &Path) {
    let path = shared.join(STRATEGY_RETURNS);
    let mut data = read_strategy_returns(&path).unwrap();
    assert_eq!(data.len(), 2430);
    assert_eq!(data.n_arms(), 5);
    assert_eq!(data.n_features(), 7);
    data.scale_rewards(100.0).unwrap();
    // Z standardised with the 1,944 train windows (contexts of events 0..1944).
    let w_train = 1944;
    let z = ndarray::ArrayView2::from_shape((w_train, 7), &data.contexts()[..w_train * 7]).unwrap();
    let scaler = StandardScaler::fit(z).unwrap();
    let p = LinUcbParams::new()
        .alpha(1.0)
        .lambda(1.0)
        .regime_mode(RegimeMode::Context)
        .check()
        .unwrap();
    let file_order = data.arm_names().to_vec();
    let mut peer_order = file_order.clone();
    peer_order.swap(3, 4);
    for (arms, want) in [(file_order, 53.944750), (peer_order, -19.044829)] {
        let mut m = LinUcb::new(
            &p,
            arms.clone(),
            data.regime_names().to_vec(),
            data.feature_names().to_vec(),
        )
        .unwrap()
        .with_scaler(scaler.clone())
        .unwrap();
        assert_eq!(m.context_dim(), 11);
        let rep = m.replay(&data, Learn::Chosen).unwrap();
        let test = rep.reward_over(w_train - 1..data.len());
        eprintln!("T5(b) arms {arms:?}: test cumulative reward {test:.6} % (NumPy {want})");
        assert!(
            (test - want).abs() <= 1e-6 * (1.0 + f64::abs(want)),
            "{test} vs {want}"
        );
        // The benchmarks of the SPEC: best fixed 149.87, uniform -27.46.
        let best: f64 = (0..5)
            .map(|a| {
                (w_train - 1..data.len())
                    .map(|i| data.reward(i, a).unwrap())
                    .sum::<f64>()
            })
            .fold(f64::NEG_INFINITY, f64::max);
        assert!((best - 149.87).abs() < 0.01, "{best}");
    }
}

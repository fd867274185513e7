//! The SPEC T4 environment on the shared dataset, against values computed
//! with pandas/NumPy by `fixtures/ppo/make_fixtures.py`. Where `../shared`
//! is absent (user clones) the tests show as ignored (a failure under
//! `COINTRAINER_REQUIRE_SHARED_DATA=1`).
//!
//! A `harness = false` target: every test is registered in `main`.

use ppo::{Action, Env, EpisodeStart, StrategyData, StrategyEnv, StrategyEnvConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use test_support::{needs_shared, run_tests};

const STRATEGY_RETURNS: &str = "bench/datasets/strategy_returns_btc_1h.csv";

fn main() {
    run_tests(vec![
        needs_shared(
            "t4_environment_matches_the_numpy_reference",
            &[STRATEGY_RETURNS],
            |shared| t4_environment_matches_the_numpy_reference(&shared.join(STRATEGY_RETURNS)),
        ),
        needs_shared(
            "t4_episodes_are_64_steps_and_end_terminated",
            &[STRATEGY_RETURNS],
            |shared| t4_episodes_are_64_steps_and_end_terminated(&shared.join(STRATEGY_RETURNS)),
        ),
    ]);
}

fn fixture() -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ppo/sb3_fixtures.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn t4_environment_matches_the_numpy_reference(csv: &Path) {
    let f = fixture();
    let want = &f["t4_env"];
    // The committed fixture has it; one regenerated without ../shared does not.
    assert!(
        !want.is_null(),
        "fixtures/ppo/sb3_fixtures.json has no t4_env: regenerate it with ../shared present"
    );
    let data = Arc::new(StrategyData::read_csv(csv).unwrap());
    assert_eq!(data.n_windows() as u64, want["n_windows"].as_u64().unwrap());
    assert_eq!(data.n_train as u64, want["n_train"].as_u64().unwrap());
    assert_eq!(data.n_train, 1944);
    assert_eq!(data.test_decisions(), (1943, 487));
    let names: Vec<&str> = want["context_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(data.context_names, names);
    let (mean, std) = data.context_scaler();
    for j in 0..7 {
        let m = want["mean"][j].as_f64().unwrap();
        let s = want["std0"][j].as_f64().unwrap();
        assert!(
            (mean[j] - m).abs() <= 1e-12 * (1.0 + m.abs()),
            "mean[{j}] {} vs {m}",
            mean[j]
        );
        assert!(
            (std[j] - s).abs() <= 1e-12 * s,
            "std0[{j}] {} vs {s}",
            std[j]
        );
    }
    let cfg = StrategyEnvConfig {
        start: EpisodeStart::At(0),
        ..Default::default()
    };
    let mut env = StrategyEnv::new(data, cfg).unwrap();
    assert_eq!(env.observation_space().dim(), 12);
    let mut obs = vec![0.0f32; 12];
    env.reset(None, &mut obs).unwrap();
    let o = |i: usize| -> Vec<f32> {
        want["obs"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect()
    };
    // float64 standardization cast to float32 on both sides: equal up to
    // float32 rounding (summation order differs)
    let same = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-6 * (1.0 + y.abs()))
    };
    assert!(same(&obs, &o(0)), "{obs:?} vs {:?}", o(0));
    let s1 = env.step(Action::Discrete(2), &mut obs).unwrap();
    assert!(same(&obs, &o(1)));
    let s2 = env.step(Action::Discrete(4), &mut obs).unwrap();
    assert!(same(&obs, &o(2)));
    assert!((s1.reward - want["rewards"][0].as_f64().unwrap()).abs() < 1e-12);
    assert!((s2.reward - want["rewards"][1].as_f64().unwrap()).abs() < 1e-12);
}

fn t4_episodes_are_64_steps_and_end_terminated(csv: &Path) {
    let data = Arc::new(StrategyData::read_csv(csv).unwrap());
    let mut env = StrategyEnv::new(data, StrategyEnvConfig::default()).unwrap();
    let mut obs = vec![0.0f32; 12];
    for seed in 0..20 {
        env.reset(Some(seed), &mut obs).unwrap();
        assert!(env.window() <= 1944 - 65);
        for t in 1..=64 {
            let s = env.step(Action::Discrete(t % 5), &mut obs).unwrap();
            assert_eq!(s.terminated, t == 64);
            assert!(!s.truncated);
        }
        assert!(
            env.window() <= 1943,
            "last reward window must be a training window"
        );
    }
}

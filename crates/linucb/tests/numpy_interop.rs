//! The saved `.npy` files are read by `numpy.load` itself: the committed
//! script `fixtures/linucb/check_npy.py` loads an artifact written here and
//! recomputes the UCB scores with NumPy. Without a Python with NumPy the
//! tests show as ignored with the reason (a failure under
//! `COINTRAINER_REQUIRE_PYTHON=1`).
//!
//! A `harness = false` target: every test is registered in `main`.

use linucb::{BanditData, Fit, LinUcbParams, ParamGuard, Persist, RegimeMode};
use std::path::{Path, PathBuf};
use std::process::Command;
use test_support::{needs_python, run_tests};

fn main() {
    run_tests(vec![
        needs_python(
            "numpy_loads_every_array_and_recomputes_the_same_scores",
            &["numpy"],
            numpy_loads_every_array_and_recomputes_the_same_scores,
        ),
        needs_python(
            "numpy_loads_a_hybrid_artifact_and_checks_beta",
            &["numpy"],
            numpy_loads_a_hybrid_artifact_and_checks_beta,
        ),
    ]);
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/linucb/check_npy.py")
}

fn data() -> BanditData {
    let mut rng = agent_core::SplitMix64::new(11);
    let n = 500;
    let (mut regimes, mut ctx, mut rewards) = (vec![], vec![], vec![]);
    for t in 0..n {
        regimes.push(t % 3);
        let (f, g) = (rng.next_normal(), 3.0 + 2.0 * rng.next_normal());
        ctx.extend([f, g]);
        for a in 0..4 {
            rewards.push(
                0.1 * a as f64 * f - 0.05 * g + 0.2 * rng.next_normal() + (t % 3) as f64 * 0.1,
            );
        }
    }
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    BanditData::new_full(
        names(&["hold", "sma", "zscore", "breakout"]),
        names(&["low", "medium", "high"]),
        names(&["ctx_lr", "ctx_vol"]),
        regimes,
        ctx,
        rewards,
    )
    .unwrap()
}

fn run_check(py: &Path, dir: &Path, probe: Option<&Path>) {
    let mut cmd = Command::new(py);
    cmd.arg(script()).arg(dir);
    if let Some(p) = probe {
        cmd.arg(p);
    }
    let out = cmd.output().expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.starts_with("OK"),
        "check_npy.py failed:\n{stdout}\n{stderr}"
    );
    eprintln!("{}", stdout.trim());
}

fn numpy_loads_every_array_and_recomputes_the_same_scores(py: &Path) {
    let p = LinUcbParams::new()
        .regime_mode(RegimeMode::PerRegime)
        .alpha(0.8)
        .check()
        .unwrap();
    let mut m = p.fit(&data()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let features = [0.3, 4.0];
    let x = m.context_vector(2, &features).unwrap();
    let (_, scores) = m.select(2, &features).unwrap();
    let probe = serde_json::json!({ "bandit": "r2", "x": x, "scores": scores });
    let probe_path = dir.path().join("probe.json.txt");
    std::fs::write(&probe_path, probe.to_string()).unwrap();
    run_check(py, dir.path(), Some(&probe_path));
}

fn numpy_loads_a_hybrid_artifact_and_checks_beta(py: &Path) {
    let p = LinUcbParams::new()
        .regime_mode(RegimeMode::Context)
        .hybrid(None)
        .check()
        .unwrap();
    let m = p.fit(&data()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    run_check(py, dir.path(), None);
}

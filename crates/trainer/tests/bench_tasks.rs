//! The benchmark tasks end to end on the shared datasets (`../shared`, not
//! part of the repository): the result lines carry the SPEC's keys and T7
//! agrees with its reference on every window. Each task takes seconds to
//! minutes, so these tests are ignored unless asked for:
//!
//! `cargo test -p cointrainer-trainer --release --test bench_tasks -- --ignored`
//!
//! Run that way without the shared data, a test shows as ignored with the
//! missing file (a failure under `COINTRAINER_REQUIRE_SHARED_DATA=1`).
//!
//! A `harness = false` target: every test is registered in `main`.

use cointrainer_trainer::bench::{BenchContext, run_task, t2, t3, t4, t7};
use serde_json::{Value, json};
use std::path::Path;
use test_support::{Trial, needs_shared, run_tests};

fn main() {
    let task = |name: &str, files: &'static [&'static str], f: fn(&BenchContext)| -> Trial {
        needs_shared(name, files, move |shared| f(&context(shared))).with_ignored_flag(true)
    };
    run_tests(vec![
        test_support::test(
            "a_device_applies_to_t4_and_t6_only",
            a_device_applies_to_t4_and_t6_only,
        ),
        task(
            "t2_reports_every_required_key",
            &["bench/datasets/meta_btc_1h.csv"],
            t2_reports_every_required_key,
        ),
        task(
            "t3_reports_every_required_key",
            &["bench/datasets/features_btc_1h.csv"],
            t3_reports_every_required_key,
        ),
        task(
            "t4_reports_the_spec_keys",
            &["bench/datasets/strategy_returns_btc_1h.csv"],
            t4_reports_the_spec_keys,
        ),
        task(
            "t6_full_run_prints_the_result_line",
            &["bench/datasets/features_btc_1h.csv"],
            t6_full_run_prints_the_result_line,
        ),
        task(
            "t7_agrees_with_the_reference_on_every_window",
            &[
                "bench/datasets/ou_reference_btc_1h.csv",
                "data/BTCUSDT-1h.csv",
            ],
            t7_agrees_with_the_reference_on_every_window,
        ),
    ]);
}

/// The SPEC's setting: 2 threads, seed 0.
fn context(shared: &Path) -> BenchContext {
    BenchContext {
        data_dir: shared.join("bench/datasets"),
        raw_dir: shared.join("data"),
        threads: 2,
        seed: 0,
        device: Default::default(),
    }
}

/// T2 takes about 2 s in a release build.
fn t2_reports_every_required_key(ctx: &BenchContext) {
    let m = t2::run(ctx).unwrap();
    println!("{}", Value::Object(m.clone()));
    for k in [
        "best_learning_rate",
        "best_num_leaves",
        "best_iteration",
        "val_mse",
        "test_mse",
        "test_r2",
        "grid",
        "fixed500_s",
        "fixed500_test_mse",
        "wall_s",
        "foreign_cpu_s",
        "quiet",
    ] {
        assert!(m.contains_key(k), "missing {k}");
    }
}

fn t3_reports_every_required_key(ctx: &BenchContext) {
    let m = t3::run(ctx).unwrap();
    println!("{}", Value::Object(m.clone()));
    for k in [
        "best_num_leaves",
        "best_n_estimators",
        "best_iteration",
        "val_logloss",
        "test_f1_macro",
        "test_roc_auc_ovr",
        "grid",
        "wall_s",
        "foreign_cpu_s",
        "quiet",
    ] {
        assert!(m.contains_key(k), "missing {k}");
    }
    assert_eq!(m["labels_match_y_regime"], json!(true));
}

/// A few seconds in a release build.
fn t4_reports_the_spec_keys(ctx: &BenchContext) {
    let m = t4::run(ctx).unwrap();
    println!("{}", serde_json::to_string(&m).unwrap());
    assert_eq!(m["env_steps"], 200_704);
    assert_eq!(m["n_updates"], 98);
    for k in [
        "steps_per_s",
        "test_mean_ret_greedy",
        "test_mean_ret_best_fixed_hindsight",
        "test_mean_ret_uniform",
        "train_ep_reward_last10pct",
    ] {
        assert!(m[k].is_number(), "{k}");
    }
}

/// The full T6 run (minutes).
fn t6_full_run_prints_the_result_line(ctx: &BenchContext) {
    let line = run_task("T6", ctx).unwrap();
    println!("{line}");
}

fn t7_agrees_with_the_reference_on_every_window(ctx: &BenchContext) {
    let m = t7::run(ctx).unwrap();
    assert_eq!(m["n_windows"], json!(1159));
    assert_eq!(m["ref_agreement"], json!(1.0));
}

/// `--device` moves T4 and T6 only; the other tasks refuse it before reading
/// anything, and a device this build lacks is refused by name.
fn a_device_applies_to_t4_and_t6_only() {
    let mut ctx = context(Path::new("/nonexistent"));
    ctx.device = cointrainer_trainer::device::Device::Wgpu;
    let e = run_task("T0", &ctx).unwrap_err().to_string();
    assert!(e.contains("T0 runs on the CPU only"), "{e}");
    #[cfg(not(feature = "wgpu"))]
    for task in ["T4", "T6"] {
        let e = run_task(task, &ctx).unwrap_err().to_string();
        assert!(
            e.contains("--features wgpu") || e.contains("missing"),
            "{task}: {e}"
        );
    }
}

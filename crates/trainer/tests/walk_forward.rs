//! Walk-forward evaluation: folds in time, no fold learns from its test
//! period, bit-for-bit reproducible, and the command's outputs.

use cointrainer_trainer::agents::MarketData;
use cointrainer_trainer::jobs::DataSpec;
use cointrainer_trainer::orchestrator::load_data;
use cointrainer_trainer::walk_forward::{self as wf, DAY_MS, WalkForward, WalkForwardOptions};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

fn synthetic(bars: usize) -> MarketData {
    load_data(&DataSpec::Synthetic { seed: 7, bars }).unwrap()
}

fn options(agents: &[&str]) -> WalkForwardOptions {
    let mut agent_params = BTreeMap::new();
    // Small and quick: the test is about the folds, not the agents' quality.
    agent_params.insert(
        "regime".to_string(),
        json!({"num_leaves": [7], "learning_rate": 0.1})
            .as_object()
            .unwrap()
            .clone(),
    );
    WalkForwardOptions {
        train_days: 60,
        test_days: 20,
        agents: agents.iter().map(|s| s.to_string()).collect(),
        agent_params,
        ..WalkForwardOptions::default()
    }
}

fn run(data: &MarketData, opts: &WalkForwardOptions, dir: &Path) -> WalkForward {
    wf::run(data, opts, dir, &|_, _| {}).unwrap()
}

/// The bytes of every model file a fold trained (the manifests carry
/// creation times, so they are left out).
fn fold_models(dir: &Path, fold: usize) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let root = dir.join(format!("fold-{fold:03}"));
    for agent in std::fs::read_dir(&root).unwrap() {
        let model = agent.unwrap().path().join("model");
        for f in std::fs::read_dir(&model).unwrap() {
            let p = f.unwrap().path();
            if p.file_name().unwrap() != "manifest.json" {
                out.insert(
                    p.strip_prefix(&root).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    assert!(!out.is_empty(), "fold {fold} trained no model");
    out
}

/// The files that differ, by name (the bytes are too long to print).
fn assert_same_models(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, what: &str) {
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    assert!(differ.is_empty(), "{what}: {differ:?}");
}

#[test]
fn folds_step_through_time_after_a_training_window() {
    let data = synthetic(6_000);
    let (first, last) = data.series[0].1.span().unwrap();
    let opts = options(&["linucb"]);
    let folds = wf::plan(&data, &opts).unwrap();
    assert_eq!(folds[0].test_from, first + 60 * DAY_MS);
    for (i, f) in folds.iter().enumerate() {
        assert_eq!(f.index, i);
        assert_eq!(f.train_from, f.test_from - 60 * DAY_MS);
        assert!(f.test_to <= last + 1 && f.test_from < f.test_to);
        if i > 0 {
            assert_eq!(f.test_from, folds[i - 1].test_from + 20 * DAY_MS);
        }
    }
    assert!(folds.last().unwrap().test_to == last + 1);
    // --from/--to bound the traded period.
    let bounded = WalkForwardOptions {
        from: Some(first + 100 * DAY_MS),
        to: Some(first + 160 * DAY_MS),
        ..opts.clone()
    };
    let f = wf::plan(&data, &bounded).unwrap();
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].test_from, first + 100 * DAY_MS);
    assert_eq!(f[2].test_to, first + 160 * DAY_MS);
    // Errors name what is wrong.
    let e = wf::plan(&data, &options(&["nope"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown agent `nope`"), "{e}");
    for (fee, slippage) in [(-0.001, 0.0), (0.001, -0.001), (0.6, 0.5), (f64::NAN, 0.0)] {
        let o = WalkForwardOptions {
            fee_per_unit: fee,
            slippage_per_unit: slippage,
            ..opts.clone()
        };
        let e = wf::plan(&data, &o).unwrap_err().to_string();
        assert!(e.contains("--slippage"), "{e}");
    }
    let long = WalkForwardOptions {
        train_days: 400,
        ..opts
    };
    let e = wf::plan(&data, &long).unwrap_err().to_string();
    assert!(e.contains("no fold fits"), "{e}");
}

#[test]
fn no_fold_learns_from_its_test_period_and_a_planted_leak_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let data = synthetic(5_000);
    let opts = options(&["regime", "signal", "linucb", "meta-selector"]);
    let folds = wf::plan(&data, &opts).unwrap();
    assert!(folds.len() >= 3, "{folds:?}");
    let k = 1;
    let base = run(&data, &opts, &dir.path().join("base"));
    let models = fold_models(&dir.path().join("base"), k);

    // Rewrite the prices of fold k's test period (and after): fold k must
    // train exactly the same models and make the same first decision.
    let change_from = |from_ts: i64| {
        let mut d = data.clone();
        let c = &mut d.series[0].1;
        let i0 = c.ts.partition_point(|&t| t < from_ts);
        for i in i0..c.len() {
            let f = 1.0 + 0.02 * (((i * 7919) % 13) as f64 - 6.0) / 6.0;
            c.close[i] *= f;
            c.high[i] = c.high[i].max(c.close[i]);
            c.low[i] = c.low[i].min(c.close[i]);
        }
        d
    };
    let future = change_from(folds[k].test_from);
    let changed = run(&future, &opts, &dir.path().join("future"));
    assert_same_models(
        &fold_models(&dir.path().join("future"), k),
        &models,
        &format!("fold {k}'s models changed when only its test period changed"),
    );
    let first_choices = |r: &WalkForward| {
        let f = r.folds.iter().find(|f| f.fold.index == k).unwrap();
        f.series[0]
            .choices
            .iter()
            .map(|(v, c)| (v.clone(), c[0]))
            .collect::<BTreeMap<_, _>>()
    };
    let mut expected = first_choices(&base);
    let mut got = first_choices(&changed);
    // Hindsight is the ceiling: it does look at the test period.
    expected.remove("hindsight");
    got.remove("hindsight");
    assert_eq!(got, expected);
    // The test period's returns did change: the comparison is not vacuous.
    let test_returns = |r: &WalkForward| {
        r.folds.iter().find(|f| f.fold.index == k).unwrap().series[0]
            .returns
            .clone()
    };
    assert_ne!(test_returns(&base), test_returns(&changed));

    // The planted leak: the same change a day before the test period lies in
    // fold k's training window, and the check sees it.
    let leak = change_from(folds[k].test_from - DAY_MS);
    run(&leak, &opts, &dir.path().join("leak"));
    assert!(
        fold_models(&dir.path().join("leak"), k) != models,
        "a change inside the training window must change the models (else the check above proves nothing)"
    );
}

#[test]
fn a_run_is_reproducible_bit_for_bit_and_writes_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let data = synthetic(4_000);
    let opts = options(&["regime", "linucb", "meta-selector", "ppo"]);
    let mut opts = opts;
    opts.agent_params.insert(
        "ppo".to_string(),
        json!({"total_timesteps": 2048, "n_steps": 256, "batch_size": 64, "n_epochs": 2})
            .as_object()
            .unwrap()
            .clone(),
    );
    let a = run(&data, &opts, &dir.path().join("a"));
    let b = run(&data, &opts, &dir.path().join("b"));
    let ra = wf::report::report(&a).unwrap();
    let rb = wf::report::report(&b).unwrap();
    let fa = wf::report::write(&ra, &a, &dir.path().join("out-a")).unwrap();
    wf::report::write(&rb, &b, &dir.path().join("out-b")).unwrap();
    for name in ["windows.csv", "folds.csv", "summary.csv", "paired.csv"] {
        let x = std::fs::read(dir.path().join("out-a").join(name)).unwrap();
        let y = std::fs::read(dir.path().join("out-b").join(name)).unwrap();
        assert!(x == y, "{name} differs between two runs of the same inputs");
    }
    // Every variant and selector has a row, the selectors are compared with
    // the best strategy chosen on the training window, the plots are PNGs.
    let summary = std::fs::read_to_string(dir.path().join("out-a/summary.csv")).unwrap();
    for v in [
        "buy_hold",
        "best_on_train",
        "regime_gated",
        "random",
        "hindsight",
        "linucb",
        "meta-selector",
        "ppo",
    ] {
        assert!(
            summary.lines().any(|l| l.starts_with(&format!("{v},"))),
            "{v} missing from summary.csv"
        );
    }
    let paired = std::fs::read_to_string(dir.path().join("out-a/paired.csv")).unwrap();
    for s in ["linucb", "meta-selector", "ppo"] {
        assert!(paired.contains(&format!("{s},best_on_train,")), "{paired}");
    }
    let pngs: Vec<_> = fa
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(pngs.len(), 3, "{fa:?}");
    for p in pngs {
        assert_eq!(&std::fs::read(p).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    }
    // A variant that holds one strategy through a fold earns exactly that
    // strategy's returns; a switch pays for its position change, so a
    // selector differs from its picks' returns only where it switched.
    for f in &a.folds {
        for s in &f.series {
            let best = &s.choices["best_on_train"];
            for (i, r) in s.variants["best_on_train"].iter().enumerate() {
                assert!((r - s.returns[i][best[i]]).abs() < 1e-12);
            }
            let picks = &s.choices["linucb"];
            for (i, r) in s.variants["linucb"].iter().enumerate() {
                if i == 0 || picks[i] == picks[i - 1] {
                    assert!((r - s.returns[i][picks[i]]).abs() < 1e-12, "window {i}");
                }
            }
            assert!(s.turnover["linucb"].iter().all(|t| *t >= 0.0));
        }
    }
    assert!(summary.lines().next().unwrap().ends_with(",turnover,fees"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out-a/summary.json")).unwrap())
            .unwrap();
    assert_eq!(json["folds"].as_u64().unwrap() as usize, a.folds.len());
    let table = wf::report::table(&ra);
    assert!(
        table.contains("linucb") && table.contains("vs best_on_train"),
        "{table}"
    );
}

#[test]
fn the_bot_trades_only_the_strategies_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let data = synthetic(3_500);
    let bad = WalkForwardOptions {
        strategies: vec!["nope".into(), "buy_hold".into()],
        ..options(&["linucb"])
    };
    let e = wf::plan(&data, &bad).unwrap_err().to_string();
    assert!(
        e.contains("unknown strategy `nope`") && e.contains("sma_cross"),
        "{e}"
    );
    let opts = WalkForwardOptions {
        strategies: vec!["buy_hold".into(), "sma_cross".into(), "signal".into()],
        ..options(&["linucb", "signal"])
    };
    let r = run(&data, &opts, dir.path());
    for f in &r.folds {
        for s in &f.series {
            assert_eq!(s.strategies, ["buy_hold", "sma_cross", "signal"]);
            assert!(s.choices["linucb"].iter().all(|&k| k < 3));
        }
    }
}

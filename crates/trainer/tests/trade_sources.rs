//! Agents that learn from the whole-bot bootstrap's simulated trades: the
//! signal agent (`source = "trades"`: `P(win)` of a trade from its features
//! at entry) and the meta-selector (`inputs = "trades"`: per-strategy trade
//! statistics). Trained through the orchestrator on the synthetic market;
//! only trades closed by the bootstrap's training cut train, the re-scored
//! model reproduces its stored test metric, and the program's trade rows
//! are what the bootstrap's `trades.csv` reads back as.

use agent_core::persist::read_dir;
use cointrainer_trainer::agents::signal_agent::trade_rows;
use cointrainer_trainer::bootstrap::{BootstrapOptions, run};
use cointrainer_trainer::jobs::{DataSpec, JobSpec};
use cointrainer_trainer::orchestrator::{
    ModelRef, Orchestrator, OrchestratorConfig, TrainOutcome, load_data,
};
use serde_json::{Value, json};

const DATA: DataSpec = DataSpec::Synthetic {
    seed: 11,
    bars: 3000,
};

fn job(agent: &str, params: Value) -> JobSpec {
    JobSpec {
        agent: agent.into(),
        data: DATA,
        params,
        symbol: None,
        force: true,
        promote: None,
        per_symbol: false,
        device: Default::default(),
    }
}

fn train(orch: &Orchestrator, agent: &str, params: Value) -> TrainOutcome {
    let mut out = orch
        .train(&job(agent, params), &|_| {})
        .unwrap_or_else(|e| panic!("{agent}: {e}"));
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn num(m: &std::collections::BTreeMap<String, Value>, k: &str) -> f64 {
    m.get(k)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no metric `{k}` in {m:?}"))
}

#[test]
fn signal_learns_from_the_bootstraps_trades_closed_before_its_cut() {
    let dir = tempfile::tempdir().unwrap();
    let orch = Orchestrator::new(OrchestratorConfig::local(dir.path()));
    let params = json!({"source": "trades", "cs": [0.1, 1.0], "l1_ratios": [0.0], "n_splits": 2});
    let out = train(&orch, "signal", params);

    // The program's rows are the bootstrap's trade log as the signal crate
    // reads the file the bootstrap wrote.
    let file = out.report_dir.join("bootstrap").join("trades.csv");
    let mut from_file = signal::read_trade_log(&file).unwrap();
    from_file.sort_by_key(|t| t.entry_time);
    let data = load_data(&DATA).unwrap();
    let boot = run(&data, &BootstrapOptions::default()).unwrap();
    let trades = trade_rows(&boot.report.trades);
    assert_eq!(trades, from_file);

    // Trained on the trades closed by the cut; the ones straddling it are
    // purged; the test trades were entered after it.
    let cut = boot.cut_ts;
    let closed = trades
        .iter()
        .filter(|t| t.exit_time.unwrap() <= cut)
        .count();
    let straddling = trades
        .iter()
        .filter(|t| t.entry_time <= cut && t.exit_time.unwrap() > cut)
        .count();
    let after: Vec<_> = trades.iter().filter(|t| t.entry_time > cut).collect();
    assert!(closed > 50 && straddling > 0 && !after.is_empty());
    let (manifest, _) = read_dir(&out.model_dir).unwrap();
    assert_eq!(manifest.extra["source"], "trades");
    assert_eq!(manifest.extra["fit"]["n_train"], json!(closed));
    assert_eq!(manifest.label_order, ["loss", "win"]);
    assert_eq!(&manifest.feature_names[..2], ["side", "log_notional"]);
    assert_eq!(num(&out.metrics, "test_purged_rows"), straddling as f64);
    assert_eq!(num(&out.metrics, "test_n"), after.len() as f64);
    assert_eq!(num(&out.metrics, "train_cut_ts"), cut as f64);
    assert!(num(&out.metrics, "test_from_ts") > cut as f64);

    // Re-scored on the same candles: the test trades give the stored
    // metric, and so does the out-of-sample slice.
    let ev = orch
        .evaluate("signal", &ModelRef::Dir(out.model_dir.clone()), &DATA)
        .unwrap();
    let auc = num(&out.metrics, "test_auc");
    assert!((num(&ev, "auc") - auc).abs() < 1e-12, "{ev:?}");
    assert_eq!(num(&ev, "n"), after.len() as f64);
    let oos = ev["out_of_sample"]["metrics"].as_object().unwrap();
    assert!(
        (oos["auc"].as_f64().unwrap() - auc).abs() < 1e-12,
        "{oos:?}"
    );
}

#[test]
fn signal_trade_params_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let orch = Orchestrator::new(OrchestratorConfig::local(dir.path()));
    let e = orch
        .train(
            &job("signal", json!({"source": "trades", "label_horizon": 3})),
            &|_| {},
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("label_horizon") && e.contains("candles"), "{e}");
    let e = orch
        .train(&job("signal", json!({"source": "ticks"})), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("source"), "{e}");
}

#[test]
fn meta_selector_learns_from_trade_statistics_and_live_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let orch = Orchestrator::new(OrchestratorConfig::local(dir.path()));
    let params = json!({
        "inputs": "trades",
        "trades_k": 5,
        "trades_stride": 5,
        "learning_rates": [0.1],
        "num_leaves": [7],
        "max_rounds": 30,
    });
    let out = train(&orch, "meta-selector", params);
    let (manifest, files) = read_dir(&out.model_dir).unwrap();
    assert_eq!(manifest.feature_names, meta_selector::TRADE_FEATURES);
    assert_eq!(manifest.extra["inputs"], "trades");
    assert_eq!(manifest.extra["trade_windows"]["k"], 5);

    // The table the model learnt from: windows of the bootstrap's trades,
    // training rows closed by its cut.
    let data = load_data(&DATA).unwrap();
    let boot = run(&data, &BootstrapOptions::default()).unwrap();
    assert!(num(&out.metrics, "test_from_ts") > boot.cut_ts as f64);

    // Re-scored: the out-of-sample slice reproduces the stored test error
    // (and the selection return, when a test decision group held every
    // strategy).
    let ev = orch
        .evaluate(
            "meta-selector",
            &ModelRef::Dir(out.model_dir.clone()),
            &DATA,
        )
        .unwrap();
    let oos = ev["out_of_sample"]["metrics"].as_object().unwrap();
    let stored = num(&out.metrics, "test_mse");
    assert!(
        (oos["mse"].as_f64().unwrap() - stored).abs() < 1e-12,
        "{oos:?} vs {stored}"
    );
    assert_eq!(
        oos.get("selection_mean_return").and_then(Value::as_f64),
        out.metrics
            .get("test_selection_mean_return")
            .and_then(Value::as_f64)
    );

    // The live ranker serves per-window models only, and says so.
    let blob = agent_core::persist::to_blob(&manifest, &files).unwrap();
    let model: meta_selector::MetaSelector = agent_core::Persist::from_bytes(&blob).unwrap();
    let e = cointrainer::live::LiveMetaSelector::from_model(
        model,
        cointrainer::live::Origin::Dir(out.model_dir.clone()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("trade statistics"), "{e}");

    // `lookback` belongs to the returns table.
    let e = orch
        .train(
            &job("meta-selector", json!({"inputs": "trades", "lookback": 5})),
            &|_| {},
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("lookback"), "{e}");
}

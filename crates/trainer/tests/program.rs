//! The program end to end through its library: orchestrator, promotion and
//! rollback, CLI parsing, config errors, the menu on piped input, the
//! backtest command and the token watcher. Small data and tiny models keep
//! it quick in release.

use clap::Parser;
use cointrainer_trainer::cli::{BacktestArgs, Cli, Command, DataArgs, ModelsCommand, TrainArgs};
use cointrainer_trainer::commands::{self, App};
use cointrainer_trainer::config::Config;
use cointrainer_trainer::jobs::{DataSpec, JobRunner, JobSpec};
use cointrainer_trainer::orchestrator::{ModelRef, Orchestrator, OrchestratorConfig};
use cointrainer_trainer::promotion::PromoteRule;
use cointrainer_trainer::tokens::{TokenRegistry, TokenSource, TokenWatcher};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use store::SYNTHETIC_SYMBOL;

const BARS: usize = 3_000;

/// Tiny settings for every agent, as a config file would give them.
const SMALL_AGENTS: &str = r#"
[agents.regime]
num_leaves = [7]
n_estimators = [20]

[agents.signal]
cs = [0.1, 1.0]
l1_ratios = [0.0]
n_splits = 3

[agents.ou-mean]
window = 200
refit_every = 50
grid = { adf_pvalue_max = [0.1], hurst_max = [0.5], entry_z = [2.0], exit_z = [0.5] }

[agents.meta-selector]
learning_rates = [0.1]
num_leaves = [7]
max_rounds = 40

[agents.ppo]
total_timesteps = 1024
n_steps = 64
batch_size = 64
n_envs = 2
n_epochs = 2
net_arch = { pi = [16], vf = [16] }

[agents.lstm]
hidden_size = 8
window = 16
max_epochs = 1
batch_size = 128
threads = 2
"#;

fn small_config(dir: &Path) -> Config {
    let text = format!(
        "[store]\ndir = \"{}\"\nreports_dir = \"{}\"\n\n[data]\nsynthetic_seed = 7\nsynthetic_bars = {BARS}\n{SMALL_AGENTS}",
        dir.join("models").display(),
        dir.join("reports").display()
    );
    Config::parse(&text, "test.toml").expect("test config parses")
}

fn orchestrator(dir: &Path) -> Orchestrator {
    let cfg = small_config(dir);
    Orchestrator::new(cfg.orchestrator_config().unwrap())
}

fn job(agent: &str, force: bool) -> JobSpec {
    JobSpec {
        agent: agent.into(),
        data: DataSpec::Synthetic {
            seed: 7,
            bars: BARS,
        },
        params: json!({}),
        symbol: None,
        force,
        promote: None,
        per_symbol: false,
        device: Default::default(),
    }
}

#[test]
fn train_all_on_the_synthetic_market_publishes_every_agent_with_reports() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    let mut last = 0.0f64;
    for agent in orch.agents() {
        let seen = std::sync::Mutex::new(Vec::new());
        let o = orch
            .train_one(&job(&agent, false), &|p| seen.lock().unwrap().push(p))
            .unwrap_or_else(|e| panic!("{agent}: {e}"));
        let seen = seen.into_inner().unwrap();
        assert!(
            seen.iter().all(|p| (0.0..=1.0).contains(p)),
            "{agent}: {seen:?}"
        );
        assert_eq!(seen.last().copied(), Some(1.0), "{agent}");
        assert!(o.promoted, "{agent}: first model must become current");
        assert!(
            o.metrics.contains_key(&o.promote_metric),
            "{agent}: metric {} missing from {:?}",
            o.promote_metric,
            o.metrics.keys().collect::<Vec<_>>()
        );
        let report: Value =
            serde_json::from_slice(&std::fs::read(o.report_dir.join("metrics.json")).unwrap())
                .unwrap();
        assert_eq!(report["agent"], agent.as_str());
        assert!(o.model_dir.join("manifest.json").is_file());
        if agent == "regime" || agent == "meta-selector" {
            let gains = o.metrics["feature_importance_gain"].as_object().unwrap();
            assert!(!gains.is_empty() && gains.values().all(|g| g.as_f64().unwrap() >= 0.0));
        }
        for p in &o.plots {
            assert_eq!(
                &std::fs::read(p).unwrap()[..4],
                b"\x89PNG",
                "{}",
                p.display()
            );
        }
        last = last.max(seen.len() as f64);
    }
    assert!(last > 0.0);
    // Every agent is current, and the HTTP `GET /models` view lists them.
    let models = orch.models().unwrap();
    assert_eq!(
        models["models"].as_array().map(Vec::len),
        Some(orch.agents().len())
    );
    assert_eq!(models["errors"], json!([]));
    // Bootstrap files of the strategy-return agents are kept for inspection.
    let linucb_reports = dir.path().join("reports/linucb/_synthetic");
    let run = std::fs::read_dir(&linucb_reports)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    for f in ["strategy_returns.csv", "strategy_pnl.csv", "trades.csv"] {
        assert!(run.path().join("bootstrap").join(f).is_file(), "{f}");
    }
    // The current models evaluate on fresh data.
    let m = orch
        .evaluate(
            "signal",
            &ModelRef::Current {
                symbol: SYNTHETIC_SYMBOL.into(),
            },
            &DataSpec::Synthetic {
                seed: 99,
                bars: BARS,
            },
        )
        .unwrap();
    assert!(m.contains_key("auc"));
}

#[test]
fn evaluate_labels_the_rows_as_the_model_was_trained() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    let mut j = job("signal", true);
    j.params = json!({"label_horizon": 3, "dead_zone": 0.001});
    orch.train_one(&j, &|_| {}).unwrap();
    let data = DataSpec::Synthetic {
        seed: 99,
        bars: BARS,
    };
    let current = ModelRef::Current {
        symbol: SYNTHETIC_SYMBOL.into(),
    };
    let m = orch.evaluate("signal", &current, &data).unwrap();
    assert_eq!(m["label_horizon"], json!(3.0), "{m:?}");
    assert_eq!(m["dead_zone"], json!(0.001), "{m:?}");
    // Another seed's market was never seen; the training seed's all was.
    assert_eq!(m["eval_bars"], json!(BARS), "{m:?}");
    assert_eq!(m["eval_bars_in_training_data"], json!(0), "{m:?}");
    let seen = DataSpec::Synthetic {
        seed: 7,
        bars: BARS,
    };
    let m7 = orch.evaluate("signal", &current, &seen).unwrap();
    assert_eq!(m7["eval_bars_in_training_data"], json!(BARS), "{m7:?}");
    // The same model scored with next-bar labels would see other rows: the
    // dead zone drops small moves, so fewer rows are scored.
    let mut plain = job("signal", true);
    plain.params = json!({});
    orch.train_one(&plain, &|_| {}).unwrap();
    let m1 = orch.evaluate("signal", &current, &data).unwrap();
    assert_eq!(m1["label_horizon"], json!(1.0), "{m1:?}");
    assert!(m["n"].as_f64() < m1["n"].as_f64(), "{m:?} vs {m1:?}");
}

#[test]
fn evaluate_builds_the_meta_selector_features_with_the_models_lookback() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    let mut j = job("meta-selector", true);
    j.params = json!({"lookback": 4});
    orch.train_one(&j, &|_| {}).unwrap();
    let current = ModelRef::Current {
        symbol: SYNTHETIC_SYMBOL.into(),
    };
    let data = DataSpec::Synthetic {
        seed: 99,
        bars: BARS,
    };
    let m = orch.evaluate("meta-selector", &current, &data).unwrap();
    assert_eq!(m["lookback"], json!(4.0), "{m:?}");
}

#[test]
fn an_embargo_beyond_the_label_horizon_reaches_the_regime_and_meta_selector_models() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    for agent in ["regime", "meta-selector"] {
        let mut j = job(agent, true);
        j.params = json!({"embargo": 3});
        orch.validate(&j).unwrap();
        orch.train_one(&j, &|_| {})
            .unwrap_or_else(|e| panic!("{agent}: {e}"));
        let (_, blob) = orch
            .registry()
            .fetch_latest(agent, SYNTHETIC_SYMBOL)
            .unwrap();
        let (manifest, _) = agent_core::persist::from_blob(&blob).unwrap();
        assert_eq!(
            manifest.hyperparameters["embargo"],
            json!(3),
            "{agent}: {}",
            manifest.hyperparameters
        );
    }
}

#[test]
fn a_worse_model_is_not_promoted_unless_forced_and_rollback_restores_the_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    let first = orch.train_one(&job("linucb", false), &|_| {}).unwrap();
    assert!(first.promoted);
    // Make the current model look far better than any retrain can be.
    let latest = dir
        .path()
        .join("models/models/linucb/_synthetic/LATEST.json");
    let mut p: Value = serde_json::from_slice(&std::fs::read(&latest).unwrap()).unwrap();
    p["metrics"]["test_mean_reward"] = json!(1.0e9);
    std::fs::write(&latest, serde_json::to_vec(&p).unwrap()).unwrap();

    // The stored-metric rule compares the stored numbers.
    let mut stored = job("linucb", false);
    stored.promote = Some(PromoteRule::StoredMetric);
    let second = orch.train_one(&stored, &|_| {}).unwrap();
    assert!(!second.promoted);
    assert!(second.reason.unwrap().contains("worse"));
    // The default rule scores both on the same slice: the same training
    // gives the same model, which is not significantly better.
    let third = orch.train_one(&job("linucb", false), &|_| {}).unwrap();
    assert!(!third.promoted);
    assert!(
        third
            .reason
            .as_deref()
            .unwrap()
            .contains("not significantly better"),
        "{:?}",
        third.reason
    );
    let cur = orch
        .registry()
        .latest("linucb", SYNTHETIC_SYMBOL)
        .unwrap()
        .unwrap();
    assert_eq!(cur.key, first.key, "the better model stays current");

    let forced = orch.train_one(&job("linucb", true), &|_| {}).unwrap();
    assert!(forced.promoted);
    assert_eq!(
        orch.registry()
            .latest("linucb", SYNTHETIC_SYMBOL)
            .unwrap()
            .unwrap()
            .key,
        forced.key
    );
    let back = orch.rollback("linucb", SYNTHETIC_SYMBOL).unwrap();
    assert_eq!(back.key, first.key);
    assert_eq!(
        orch.registry()
            .latest("linucb", SYNTHETIC_SYMBOL)
            .unwrap()
            .unwrap()
            .key,
        first.key
    );
    // A damaged pointer elsewhere is reported beside the readable model, not
    // a failure that hides it, and its content is not echoed.
    orch.registry()
        .store()
        .put(
            "models/regime/BTCUSDT/LATEST.json",
            b"{\"agent\": \"hunter2-secret",
        )
        .unwrap();
    let report = orch.current_models().unwrap();
    assert_eq!(report.models.len(), 1, "{report:?}");
    assert_eq!(report.models[0].key, first.key);
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert_eq!(
        (
            report.errors[0].agent.as_str(),
            report.errors[0].symbol.as_str()
        ),
        ("regime", "BTCUSDT")
    );
    assert!(!report.errors[0].error.contains("hunter2"), "{report:?}");
}

#[test]
fn bad_params_and_unknown_agents_fail_before_training_and_publish_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    let mut j = job("linucb", false);
    j.params = json!({"alpah": 0.5});
    let e = orch.train_one(&j, &|_| {}).unwrap_err().to_string();
    assert!(e.contains("alpah") && e.contains("alpha"), "{e}");
    j.params = json!({"alpha": -1.0});
    let e = orch.train_one(&j, &|_| {}).unwrap_err().to_string();
    assert!(e.contains("alpha"), "{e}");
    let e = orch
        .train_one(&job("nope", false), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope") && e.contains("regime"), "{e}");
    assert!(orch.current_models().unwrap().models.is_empty());
}

#[test]
fn lightgbm_tree_parameters_reach_the_saved_model() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    let mut j = job("regime", false);
    j.params =
        json!({"max_bin": 63, "lambda_l2": 0.5, "seed": 3, "device": "cpu", "num_leaves": [7]});
    let o = orch.train_one(&j, &|_| {}).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(o.model_dir.join("manifest.json")).unwrap())
            .unwrap();
    let h = &manifest["hyperparameters"];
    assert_eq!(h["max_bin"], 63, "{h}");
    assert_eq!(h["lambda_l2"], 0.5);
    assert_eq!(h["seed"], 3);
    assert_eq!(h["device"], "cpu");
    assert_eq!(h["num_leaves"], json!([7]));
    assert_eq!(
        h["min_data_in_bin"], 3,
        "untouched keys keep their defaults"
    );

    // Out-of-range and unknown values name the key.
    let mut j = job("meta-selector", false);
    j.params = json!({"max_bin": 1});
    let e = orch.train_one(&j, &|_| {}).unwrap_err().to_string();
    assert!(e.contains("max_bin"), "{e}");
    j.params = json!({"device": "tpu"});
    let e = orch.train_one(&j, &|_| {}).unwrap_err().to_string();
    assert!(e.contains("device") && e.contains("tpu"), "{e}");
}

#[test]
fn every_command_parses() {
    for args in [
        vec!["cointrainer", "train", "all"],
        vec![
            "cointrainer",
            "train",
            "linucb",
            "--data",
            "a.csv",
            "b.csv",
            "--symbol",
            "BTC",
            "--params",
            "{\"alpha\":1}",
            "--force",
            "--json",
        ],
        vec![
            "cointrainer",
            "--config",
            "x.toml",
            "train",
            "regime",
            "--params-file",
            "p.json",
        ],
        vec!["cointrainer", "evaluate", "signal", "--model", "dir"],
        vec![
            "cointrainer",
            "evaluate",
            "signal",
            "--symbol",
            "BTC",
            "--data",
            "a.csv",
        ],
        vec!["cointrainer", "models", "list", "--json"],
        vec!["cointrainer", "models", "show", "regime", "--symbol", "BTC"],
        vec![
            "cointrainer",
            "models",
            "promote",
            "models/regime/BTC/x.ctart",
            "--symbol",
            "BTC",
        ],
        vec![
            "cointrainer",
            "models",
            "rollback",
            "regime",
            "--symbol",
            "BTC",
        ],
        vec![
            "cointrainer",
            "backtest",
            "--data",
            "a.csv",
            "--strategies",
            "buy_hold,sma_cross",
            "--out",
            "o",
        ],
        vec!["cointrainer", "serve", "--addr", "0.0.0.0:8080"],
        vec!["cointrainer", "schedule", "--list"],
        vec!["cointrainer", "menu"],
        vec!["cointrainer", "tokens", "list"],
        vec!["cointrainer", "market", "synth", "--bars", "1000"],
        vec!["cointrainer", "bench", "--task", "T0"],
    ] {
        Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    }
    // No default market for commands that change which model serves one.
    for args in [
        vec!["cointrainer", "models", "rollback", "regime"],
        vec![
            "cointrainer",
            "models",
            "promote",
            "models/regime/BTC/x.ctart",
        ],
    ] {
        let e = Cli::try_parse_from(&args).unwrap_err().to_string();
        assert!(e.contains("--symbol"), "{args:?}: {e}");
    }
    let cli = Cli::try_parse_from(["cointrainer", "backtest", "--strategies", "a,b"]).unwrap();
    match cli.command {
        Command::Backtest(b) => assert_eq!(b.strategies, vec!["a", "b"]),
        other => panic!("{other:?}"),
    }
    assert!(Cli::try_parse_from(["cointrainer", "train"]).is_err());
    assert!(
        Cli::try_parse_from([
            "cointrainer",
            "train",
            "x",
            "--params",
            "{}",
            "--params-file",
            "f"
        ])
        .is_err()
    );
}

#[test]
fn config_errors_name_file_line_and_key() {
    let text = "[store]\ndir = \"m\"\n\n[server]\nmax_queue = \"lots\"\n";
    let e = Config::parse(text, "my.toml").unwrap_err().to_string();
    assert!(
        e.contains("my.toml") && e.contains("line 5") && e.contains("max_queue"),
        "{e}"
    );
    let e = Config::parse("[data]\nsymbl = \"X\"\n", "c.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("symbl"), "{e}");
    let e = Config::parse("[agents.lineucb]\nalpha = 1\n", "c.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1") && e.contains("lineucb"), "{e}");
    let e = Config::parse(
        "[schedule]\n[[schedule.jobs]]\nname = \"n\"\ncron = \"99 * * * *\"\n",
        "c.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 4") && e.contains("cron"), "{e}");
}

#[test]
fn the_menu_trains_an_agent_from_piped_input() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(small_config(dir.path())).unwrap();
    let linucb = cointrainer_trainer::agents::names()
        .iter()
        .position(|a| a == "linucb")
        .unwrap()
        + 1;
    // Train one agent (linucb), list models, then a bad choice, then quit.
    let script = format!("1\n{linucb}\n3\n9\n0\n");
    let mut input = std::io::Cursor::new(script.into_bytes());
    let mut out = Vec::new();
    cointrainer_trainer::menu::run(&app, &mut input, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("promoted"), "{text}");
    assert!(text.contains("`9` is not a choice"), "{text}");
    let current = app.orch.current_models().unwrap().models;
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].agent, "linucb");
    // End of input also ends the menu.
    let mut empty = std::io::Cursor::new(Vec::new());
    cointrainer_trainer::menu::run(&app, &mut empty, &mut Vec::new()).unwrap();
}

#[test]
fn train_command_prints_json_and_models_list_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(small_config(dir.path())).unwrap();
    let args = TrainArgs {
        agent: "linucb".into(),
        data: DataArgs {
            data: Vec::new(),
            seed: None,
            bars: None,
        },
        symbol: None,
        params: Some("{\"alpha\": 0.5}".into()),
        params_file: None,
        force: false,
        promote: None,
        per_symbol: false,
        device: Default::default(),
        json: true,
    };
    let mut out = Vec::new();
    commands::train(&app, &args, &mut out).unwrap();
    let line: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(line["agent"], "linucb");
    assert_eq!(line["symbol"], SYNTHETIC_SYMBOL);
    assert_eq!(line["provenance"]["kind"], "synthetic");
    assert_eq!(line["provenance"]["seed"], 7);
    let mut out = Vec::new();
    commands::models(&app, &ModelsCommand::List { json: true }, &mut out).unwrap();
    let list: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(list[0]["symbol"], SYNTHETIC_SYMBOL);
    assert_eq!(list[0]["provenance"]["kind"], "synthetic");
    let mut out = Vec::new();
    commands::models(&app, &ModelsCommand::List { json: false }, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("data: synthetic (seed 7)"), "{text}");
}

#[test]
fn backtest_command_writes_trades_pnl_returns_and_equity_png() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(small_config(dir.path())).unwrap();
    // A candle CSV, as users bring them.
    let csv = dir.path().join("ETHUSDT-1h.csv");
    let run = market::SyntheticMarket::new()
        .seed(3)
        .bars(2_000)
        .generate()
        .unwrap();
    market::write_candles(&csv, &run.candles).unwrap();
    let out_dir = dir.path().join("bt");
    let args = BacktestArgs {
        data: DataArgs {
            data: vec![csv],
            seed: None,
            bars: None,
        },
        strategies: vec!["buy_hold".into(), "sma_cross".into(), "rsi_rev".into()],
        out: out_dir.clone(),
        fee_bps: 10.0,
        slippage_bps: 5.0,
        fraction: 0.5,
        stop_loss: Some(0.05),
        take_profit: None,
        window_bars: 24,
        json: false,
        model_symbol: None,
        lstm_threshold: 0.0,
        regime_agent: false,
    };
    let mut out = Vec::new();
    let report = commands::backtest(&app, &args, &mut out).unwrap();
    assert_eq!(report.strategies.len(), 3);
    let text = String::from_utf8(out).unwrap();
    for s in ["buy_hold", "sma_cross", "rsi_rev"] {
        assert!(text.contains(s), "{text}");
        assert!(out_dir.join(format!("equity_{s}.csv")).is_file());
    }
    for f in [
        "trades.csv",
        "strategy_pnl.csv",
        "summary.csv",
        "strategy_returns_ETHUSDT.csv",
    ] {
        assert!(out_dir.join(f).is_file(), "{f}");
    }
    assert_eq!(
        &std::fs::read(out_dir.join("equity.png")).unwrap()[..4],
        b"\x89PNG"
    );
    let bad = BacktestArgs {
        strategies: vec!["nope".into()],
        ..args
    };
    let e = commands::backtest(&app, &bad, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope") && e.contains("buy_hold"), "{e}");
}

#[test]
fn agent_strategies_backtest_on_published_models_and_say_when_one_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(small_config(dir.path())).unwrap();
    let args = BacktestArgs {
        data: DataArgs {
            data: vec![],
            seed: Some(4),
            bars: Some(1_500),
        },
        strategies: vec!["lstm".into()],
        out: dir.path().join("bt"),
        fee_bps: 10.0,
        slippage_bps: 0.0,
        fraction: 1.0,
        stop_loss: None,
        take_profit: None,
        window_bars: 24,
        json: false,
        // The default: the models of the market the data is of (`_synthetic`).
        model_symbol: None,
        lstm_threshold: 0.0,
        regime_agent: false,
    };
    // No lstm model yet: a clear error that says how to get one.
    let e = commands::backtest(&app, &args, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cointrainer train lstm"), "{e}");
    // Published models drive the agent strategies.
    for agent in ["lstm", "ou-mean"] {
        app.orch.train_one(&job(agent, false), &|_| {}).unwrap();
    }
    let args = BacktestArgs {
        strategies: vec!["ou_mean_rev".into(), "lstm".into()],
        regime_agent: true,
        ..args
    };
    let report = commands::backtest(&app, &args, &mut Vec::new()).unwrap();
    let names: Vec<&str> = report
        .strategies
        .iter()
        .map(|s| s.strategy.as_str())
        .collect();
    assert_eq!(names, ["ou_mean_rev", "lstm"]);
    assert_eq!(report.regime_labeler, "regime_agent");
    // With threshold 0 the lstm bot is always in the market after warm-up.
    assert!(
        report.strategies[1].exposure > 0.5,
        "{:?}",
        report.strategies[1]
    );
}

#[test]
fn a_new_candle_file_triggers_exactly_one_retrain_after_the_debounce() {
    let dir = tempfile::tempdir().unwrap();
    let candles = dir.path().join("candles");
    std::fs::create_dir_all(&candles).unwrap();
    let run = market::SyntheticMarket::new()
        .seed(1)
        .bars(600)
        .generate()
        .unwrap();
    market::write_candles(&candles.join("BTCUSDT-1h.csv"), &run.candles).unwrap();
    let reg = dir.path().join("tokens.json");
    let debounce = Duration::from_secs(5);
    let mut w = TokenWatcher::new(
        TokenSource::CandleDir(candles.clone()),
        reg.clone(),
        debounce,
    )
    .unwrap();
    let t0 = Instant::now();
    // The file present at start is new to an empty registry: one burst.
    assert_eq!(w.poll(t0).unwrap(), None);
    assert_eq!(
        w.poll(t0 + debounce).unwrap(),
        Some(vec!["BTCUSDT".to_string()])
    );
    assert_eq!(w.poll(t0 + debounce * 3).unwrap(), None);

    // Two files in quick succession: recorded at once, one trigger after
    // the debounce counted from the last one.
    market::write_candles(&candles.join("ETHUSDT-1h.csv"), &run.candles).unwrap();
    let t1 = t0 + debounce * 4;
    assert_eq!(w.poll(t1).unwrap(), None);
    assert!(
        TokenRegistry::load(&reg)
            .unwrap()
            .tokens
            .contains_key("ETHUSDT")
    );
    market::write_candles(&candles.join("SOLUSDT-1h.csv"), &run.candles).unwrap();
    let t2 = t1 + debounce / 2;
    assert_eq!(w.poll(t2).unwrap(), None);
    assert_eq!(
        w.poll(t1 + debounce).unwrap(),
        None,
        "debounce restarts on each new token"
    );
    let mut fired = 0;
    let mut got = Vec::new();
    for k in 0..10u32 {
        if let Some(t) = w
            .poll(t2 + debounce + Duration::from_millis(100 * u64::from(k)))
            .unwrap()
        {
            fired += 1;
            got = t;
        }
    }
    assert_eq!(fired, 1);
    assert_eq!(got, vec!["ETHUSDT".to_string(), "SOLUSDT".to_string()]);

    // A restarted watcher reads the registry: nothing is new.
    let mut again =
        TokenWatcher::new(TokenSource::CandleDir(candles), reg, Duration::ZERO).unwrap();
    assert_eq!(again.poll(Instant::now()).unwrap(), None);
    assert_eq!(again.registry().tokens.len(), 3);
}

#[test]
fn the_watcher_thread_starts_one_job_for_a_new_file() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let candles = dir.path().join("candles");
    std::fs::create_dir_all(&candles).unwrap();
    let w = TokenWatcher::new(
        TokenSource::CandleDir(candles.clone()),
        dir.path().join("tokens.json"),
        Duration::from_millis(200),
    )
    .unwrap();
    let jobs = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let j = jobs.clone();
    let handle = cointrainer_trainer::tokens::watch(
        w,
        Duration::from_millis(20),
        stop.clone(),
        Arc::new(move |_| {
            j.fetch_add(1, Ordering::SeqCst);
        }),
    );
    let run = market::SyntheticMarket::new()
        .seed(1)
        .bars(600)
        .generate()
        .unwrap();
    market::write_candles(&candles.join("ADAUSDT-1h.csv"), &run.candles).unwrap();
    // Wait (bounded) for the trigger, then a while longer to see no second one.
    let start = Instant::now();
    while jobs.load(Ordering::SeqCst) == 0 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::SeqCst);
    handle.join().unwrap();
    assert_eq!(jobs.load(Ordering::SeqCst), 1);
}

#[test]
fn local_orchestrator_config_uses_the_given_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = OrchestratorConfig::local(dir.path());
    assert!(
        cfg.store
            .describe()
            .contains(&dir.path().display().to_string())
    );
}

#[test]
fn jobs_are_checked_before_they_are_queued() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    orch.validate(&job("ppo", false)).unwrap();
    let mut j = job("linucb", false);
    j.params = json!({"reward_scal": 1.0});
    let e = orch.validate(&j).unwrap_err();
    // The message lists the agent's own keys and the trainer-level ones.
    assert!(
        e.contains("reward_scal") && e.contains("alpha") && e.contains("reward_scale"),
        "{e}"
    );
    j.params = json!({});
    j.data = DataSpec::Csv {
        path: dir.path().join("missing.csv"),
    };
    assert!(orch.validate(&j).unwrap_err().contains("missing.csv"));
}

#[test]
fn csvs_dropped_into_the_watched_directory_retrain_regime_once_per_market() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let candles = dir.path().join("candles");
    std::fs::create_dir_all(&candles).unwrap();
    let mut cfg = small_config(dir.path());
    cfg.tokens.watch_dir = Some(candles.clone());
    cfg.tokens.registry_file = dir.path().join("tokens.json");
    cfg.tokens.debounce_s = 0.2;
    cfg.tokens.poll_s = 0.05;
    let app = App::new(cfg).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let handle = commands::start_token_watcher(&app, stop.clone())
        .unwrap()
        .expect("a watch_dir is configured");
    let run = market::SyntheticMarket::new()
        .seed(11)
        .bars(BARS)
        .generate()
        .unwrap();
    // Two new markets in one burst: each trains on its own candles and is
    // published under its own symbol.
    market::write_candles(&candles.join("XRPUSDT-1h.csv"), &run.candles).unwrap();
    market::write_candles(&candles.join("ADAUSDT-1h.csv"), &run.candles).unwrap();
    let start = Instant::now();
    while app.orch.current_models().unwrap().models.len() < 2
        && start.elapsed() < Duration::from_secs(120)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    handle.join().unwrap();
    let models = app.orch.current_models().unwrap().models;
    let mut symbols: Vec<(&str, &str)> = models
        .iter()
        .map(|m| (m.agent.as_str(), m.symbol.as_str()))
        .collect();
    symbols.sort();
    assert_eq!(
        symbols,
        [("regime", "ADAUSDT"), ("regime", "XRPUSDT")],
        "{models:?}"
    );
    for sym in ["XRPUSDT", "ADAUSDT"] {
        let runs = std::fs::read_dir(dir.path().join("reports/regime").join(sym))
            .unwrap()
            .count();
        assert_eq!(runs, 1, "exactly one retraining job for {sym}");
    }
    let reg = TokenRegistry::load(&dir.path().join("tokens.json")).unwrap();
    assert!(reg.tokens.contains_key("XRPUSDT") && reg.tokens.contains_key("ADAUSDT"));
}

#[test]
fn models_trained_by_the_program_serve_the_live_side_bar_by_bar() {
    use cointrainer::live::{
        Bar, CandleBuffer, LiveError, LiveMetaSelector, LivePpo, LiveRegime, LiveSignal, Loader,
        ModelSlot, Origin, load_latest,
    };
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    for agent in ["regime", "signal", "linucb", "ppo", "meta-selector"] {
        orch.train_one(&job(agent, false), &|_| {})
            .unwrap_or_else(|e| panic!("{agent}: {e}"));
    }
    let reg = orch.registry();
    // These models are of the synthetic market: a bot refuses them unless
    // it opts in.
    match load_latest::<linucb::LinUcb, _>(reg, SYNTHETIC_SYMBOL) {
        Err(LiveError::Provenance { why, .. }) => {
            assert!(why.contains("allow_synthetic"), "{why}")
        }
        other => panic!("a synthetic model must be refused by default: {other:?}"),
    }
    let strict = ModelSlot::<regime::RegimeModel>::from_registry(reg, SYNTHETIC_SYMBOL);
    assert!(!strict.is_loaded());
    let loader = Loader::new().allow_synthetic(true);
    // Loading validates pointer, checksum, format and feature order against
    // the live feature code.
    loader
        .load_latest::<linucb::LinUcb, _>(reg, SYNTHETIC_SYMBOL)
        .expect("linucb loads");
    let regime_slot = Arc::new(ModelSlot::<regime::RegimeModel>::with_loader(loader));
    regime_slot.refresh(reg, SYNTHETIC_SYMBOL);
    assert!(!regime_slot.is_fallback(), "{:?}", regime_slot.last_error());
    let live_regime = LiveRegime::new(regime_slot);
    let signal_slot = ModelSlot::<signal::SignalModel>::with_loader(loader);
    signal_slot.refresh(reg, SYNTHETIC_SYMBOL);
    let live_signal = LiveSignal::new(Arc::new(signal_slot));
    // The strategy selectors carry what serving needs (PPO's context scaler,
    // the meta-selector's lookback): no training data on the live side.
    let (_, ppo_model) = loader
        .load_latest::<ppo::PpoModel, _>(reg, SYNTHETIC_SYMBOL)
        .expect("ppo loads");
    let mut live_ppo = LivePpo::from_model(ppo_model, Origin::Provided).expect("ppo serves");
    let (_, meta_model) = loader
        .load_latest::<meta_selector::MetaSelector, _>(reg, SYNTHETIC_SYMBOL)
        .expect("meta loads");
    let strategies = meta_model.strategy_names().len();
    let lookback = meta_model
        .lookback()
        .expect("the program records the lookback");
    let mut live_meta =
        LiveMetaSelector::from_model(meta_model, Origin::Provided).expect("meta serves");
    // Replay unseen candles as if live.
    let c = market::SyntheticMarket::new()
        .seed(99)
        .bars(400)
        .generate()
        .unwrap()
        .candles;
    let mut buf = CandleBuffer::with_default_capacity();
    let mut answered = 0;
    for t in 0..c.len() {
        buf.push(Bar::of(&c, t).unwrap()).unwrap();
        if !buf.is_ready() {
            continue;
        }
        let row = *buf.features().unwrap();
        let r = live_regime.predict(&row).unwrap();
        assert!(!r.fallback);
        let p: f64 = r.prediction.probabilities.iter().sum();
        assert!((p - 1.0).abs() < 1e-9);
        let s = live_signal
            .predict(&row)
            .unwrap()
            .expect("a signal model serves");
        assert!((0.0..=1.0).contains(&s.p_up));
        let choice = live_ppo.act(&row, r.prediction.regime, &[]).unwrap();
        assert!(choice.name.is_some());
        live_meta.record_window(&vec![0.001; strategies]).unwrap();
        if live_meta.windows() == lookback {
            assert_eq!(live_meta.rank(&row).unwrap().len(), strategies);
        }
        answered += 1;
    }
    assert!(answered > 300, "{answered}");
}

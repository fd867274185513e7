//! Where a model's training data came from: real candle files publish under
//! the symbol they are of, with each file's sha256, timeframe and span in
//! the manifest and the pointer; synthetic runs publish under the reserved
//! symbol and never become current for a market; the live side refuses
//! synthetic models unless the bot opts in; artifacts written before
//! provenance was recorded still load.

use agent_core::persist::{CandleFile, Provenance, from_blob, read_dir, sha256_hex, to_blob};
use cointrainer::live::{LiveError, Loader, load_latest};
use cointrainer_trainer::cli::{DataArgs, ModelsCommand, TrainArgs};
use cointrainer_trainer::commands::{self, App};
use cointrainer_trainer::config::Config;
use cointrainer_trainer::jobs::{DataSpec, JobSpec};
use cointrainer_trainer::orchestrator::{ModelRef, job_symbol};
use serde_json::json;
use std::path::{Path, PathBuf};
use store::{PromotePolicy, SYNTHETIC_SYMBOL};

/// The small candle fixture (400 hourly bars), under a market's file name.
fn candles_as(dir: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/market/synthetic_400.csv");
    let dst = dir.join(name);
    std::fs::copy(src, &dst).unwrap();
    dst
}

fn app(dir: &Path, data: &str) -> App {
    let text = format!(
        "[store]\ndir = \"{}\"\nreports_dir = \"{}\"\n\n[data]\nsynthetic_seed = 5\nsynthetic_bars = 3000\n{data}",
        dir.join("models").display(),
        dir.join("reports").display()
    );
    App::new(Config::parse(&text, "test.toml").unwrap()).unwrap()
}

fn train_args(agent: &str, data: Vec<PathBuf>, symbol: Option<&str>) -> TrainArgs {
    TrainArgs {
        agent: agent.into(),
        data: DataArgs {
            data,
            seed: None,
            bars: None,
        },
        symbol: symbol.map(str::to_string),
        params: None,
        params_file: None,
        force: false,
        promote: None,
        per_symbol: false,
        device: Default::default(),
        json: true,
    }
}

#[test]
fn a_real_data_run_records_each_files_fingerprint_and_span_and_publishes_under_its_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let csv = candles_as(dir.path(), "SOLUSDT-1h.csv");
    let app = app(dir.path(), "");
    let out = commands::train(
        &app,
        &train_args("linucb", vec![csv.clone()], None),
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(out[0].symbol, "SOLUSDT");
    let candles = market::read_candles(&csv).unwrap();
    let want = Provenance::CandleFiles {
        files: vec![CandleFile {
            name: "SOLUSDT-1h.csv".into(),
            sha256: sha256_hex(&std::fs::read(&csv).unwrap()),
            bytes: std::fs::metadata(&csv).unwrap().len(),
            symbol: "SOLUSDT".into(),
            timeframe: Some("1h".into()),
            first_ts: candles.ts[0],
            last_ts: candles.ts[399],
            bars: 400,
        }],
    };
    let (manifest, _) = read_dir(&out[0].model_dir).unwrap();
    assert_eq!(manifest.provenance.as_ref(), Some(&want));
    let reg = app.orch.registry();
    let cur = reg.latest("linucb", "SOLUSDT").unwrap().unwrap();
    assert_eq!(cur.provenance.as_ref(), Some(&want));
    assert!(reg.latest("linucb", "GLOBAL").unwrap().is_none());
    let mut text = Vec::new();
    commands::models(&app, &ModelsCommand::List { json: false }, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            "data: SOLUSDT-1h.csv 1h 2023-01-01T00:00:00Z..2023-01-17T15:00:00Z (400 bars"
        ),
        "{text}"
    );
    // A bot serves it with the default policy.
    load_latest::<linucb::LinUcb, _>(reg, "SOLUSDT").expect("a real-data model serves");

    // Files of several symbols need the job to say which symbol it publishes.
    let eth = candles_as(dir.path(), "ETHUSDT-1h.csv");
    let spec = |symbol: Option<&str>| JobSpec {
        agent: "linucb".into(),
        data: DataSpec::CsvFiles {
            paths: vec![csv.clone(), eth.clone()],
        },
        params: json!({}),
        symbol: symbol.map(str::to_string),
        force: false,
        promote: None,
        per_symbol: false,
        device: Default::default(),
    };
    let e = job_symbol(&spec(None)).unwrap_err().to_string();
    assert!(
        e.contains("SOLUSDT, ETHUSDT") && e.contains("--symbol"),
        "{e}"
    );
    assert_eq!(job_symbol(&spec(Some("GLOBAL"))).unwrap(), "GLOBAL");
    // No real data may claim the reserved symbol (or any `_` name).
    for s in [SYNTHETIC_SYMBOL, "_x"] {
        assert!(job_symbol(&spec(Some(s))).is_err(), "{s}");
    }
}

#[test]
fn a_synthetic_run_publishes_under_the_reserved_symbol_and_never_replaces_a_real_model() {
    let dir = tempfile::tempdir().unwrap();
    let csv = candles_as(dir.path(), "SOLUSDT-1h.csv");
    let app = app(dir.path(), "");
    let real = commands::train(
        &app,
        &train_args("linucb", vec![csv], None),
        &mut Vec::new(),
    )
    .unwrap()
    .remove(0);
    // No --data: the synthetic market, under the reserved symbol.
    let synth = commands::train(&app, &train_args("linucb", vec![], None), &mut Vec::new())
        .unwrap()
        .remove(0);
    assert_eq!(synth.symbol, SYNTHETIC_SYMBOL);
    match &synth.provenance {
        Provenance::Synthetic { seed, params, .. } => {
            assert_eq!(*seed, 5);
            assert_eq!(params["bars"], 3000);
            assert_eq!(params["interval_ms"], 3_600_000);
        }
        other => panic!("{other:?}"),
    }
    // Naming a market's symbol for synthetic data is refused before training.
    let e = commands::train(
        &app,
        &train_args("linucb", vec![], Some("SOLUSDT")),
        &mut Vec::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains(SYNTHETIC_SYMBOL), "{e}");
    // Neither promotion by key nor publishing by hand makes it current there.
    assert!(app.orch.promote(&synth.key, "SOLUSDT").is_err());
    let reg = app.orch.registry();
    let blob = reg.fetch(&synth.key, None).unwrap();
    assert!(
        reg.publish_blob(&blob, "SOLUSDT", PromotePolicy::Always)
            .is_err()
    );
    assert_eq!(
        reg.latest("linucb", "SOLUSDT").unwrap().unwrap().key,
        real.key
    );

    // The live side refuses it unless the bot opts in.
    match load_latest::<linucb::LinUcb, _>(reg, SYNTHETIC_SYMBOL) {
        Err(e @ LiveError::Provenance { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("synthetic (seed 5)") && m.contains("allow_synthetic"),
                "{m}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    Loader::new()
        .allow_synthetic(true)
        .load_latest::<linucb::LinUcb, _>(reg, SYNTHETIC_SYMBOL)
        .expect("served with the opt-in");
}

#[test]
fn a_scheduled_job_trains_on_the_candles_dir_under_the_files_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let candles = dir.path().join("candles");
    std::fs::create_dir_all(&candles).unwrap();
    candles_as(&candles, "SOLUSDT-1h.csv");
    let app = app(
        dir.path(),
        &format!("candles_dir = \"{}\"\n", candles.display()),
    );
    // What `schedule` runs for a job with no symbol.
    let line = commands::run_agents(
        &app.orch,
        &["linucb".to_string()],
        &app.config.data.spec(),
        None,
        false,
        None,
        Default::default(),
    );
    assert!(line.contains("promoted"), "{line}");
    let cur = app
        .orch
        .registry()
        .latest("linucb", "SOLUSDT")
        .unwrap()
        .unwrap();
    assert!(matches!(
        cur.provenance,
        Some(Provenance::CandleFiles { .. })
    ));
    assert!(
        app.orch
            .registry()
            .latest("linucb", SYNTHETIC_SYMBOL)
            .unwrap()
            .is_none()
    );
}

#[test]
fn an_artifact_without_provenance_still_loads_and_a_bot_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let csv = candles_as(dir.path(), "SOLUSDT-1h.csv");
    let app = app(dir.path(), "");
    let trained = commands::train(
        &app,
        &train_args("linucb", vec![csv.clone()], None),
        &mut Vec::new(),
    )
    .unwrap()
    .remove(0);
    // The same model as written before provenance was recorded.
    let (mut manifest, files) = read_dir(&trained.model_dir).unwrap();
    manifest.provenance = None;
    let old = to_blob(&manifest, &files).unwrap();
    let json = serde_json::to_string(&from_blob(&old).unwrap().0).unwrap();
    assert!(!json.contains("provenance"), "{json}");
    let reg = app.orch.registry();
    reg.publish_blob(&old, "LEGACY", PromotePolicy::Always)
        .unwrap();

    let mut text = Vec::new();
    commands::models(&app, &ModelsCommand::List { json: false }, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("data: unknown"), "{text}");
    let m = app
        .orch
        .evaluate(
            "linucb",
            &ModelRef::Current {
                symbol: "LEGACY".into(),
            },
            &DataSpec::Csv { path: csv.clone() },
        )
        .unwrap();
    assert!(!m.is_empty());
    // Without provenance, whether the bars were seen in training is unknown.
    assert!(!m.contains_key("eval_bars_in_training_data"), "{m:?}");
    // A model that records its data: every bar of its own file was seen.
    let m = app
        .orch
        .evaluate(
            "linucb",
            &ModelRef::Current {
                symbol: "SOLUSDT".into(),
            },
            &DataSpec::Csv { path: csv },
        )
        .unwrap();
    assert!(m["eval_bars"].as_u64().unwrap() > 0, "{m:?}");
    assert_eq!(m["eval_bars_in_training_data"], m["eval_bars"], "{m:?}");
    // Served by default (with a warning in the log); refused by a bot that
    // requires provenance.
    load_latest::<linucb::LinUcb, _>(reg, "LEGACY").expect("an old model still serves");
    match Loader::new()
        .require_provenance(true)
        .load_latest::<linucb::LinUcb, _>(reg, "LEGACY")
    {
        Err(LiveError::Provenance { why, .. }) => assert!(why.contains("retrain"), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

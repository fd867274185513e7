//! Sweeps as shards: a plan, one shard at a time into a store, merged into
//! the same results as a single process (walk-forward folds into the same
//! report as `walk-forward`; trainings into the models `train` makes, the
//! grid point chosen on validation and offered through champion/challenger);
//! running a shard twice is harmless, and a missing or mismatched shard is
//! named.

use cointrainer_trainer::jobs::{DataSpec, JobSpec};
use cointrainer_trainer::orchestrator::{Orchestrator, OrchestratorConfig, load_data};
use cointrainer_trainer::sweep::{self, SweepConfig, Task, train::PublishOutcome};
use cointrainer_trainer::walk_forward::{self as wf, WalkForwardConfig};
use std::collections::BTreeMap;
use std::sync::Arc;
use store::{ArtifactStore, LocalStore};

/// The tests that train LightGBM run one at a time: its OpenMP thread count
/// is process-global, so a concurrent fit with another thread count could
/// change a fit's sums in the last bit, and these tests compare bit for bit
/// (each shard is its own process in a real sweep).
static LIGHTGBM: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    LIGHTGBM.lock().unwrap_or_else(|p| p.into_inner())
}

fn fold_config() -> WalkForwardConfig {
    WalkForwardConfig {
        train_days: 60,
        test_days: 20,
        agents: vec!["regime".into(), "linucb".into(), "meta-selector".into()],
        ..WalkForwardConfig::default()
    }
}

fn folds_only() -> SweepConfig {
    SweepConfig {
        walk_forward: Some(fold_config()),
        ..SweepConfig::default()
    }
}

fn plan(spec: &DataSpec, sweep: &SweepConfig) -> Vec<sweep::Shard> {
    sweep::plan(spec, sweep, &BTreeMap::new()).unwrap()
}

fn report_files(run: &wf::WalkForward, dir: &std::path::Path) -> Vec<Vec<u8>> {
    let report = wf::report::report(run).unwrap();
    wf::report::write(&report, run, dir).unwrap();
    ["windows.csv", "folds.csv", "summary.csv", "paired.csv"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect()
}

#[test]
fn shards_run_in_any_order_merge_into_the_single_process_result() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let spec = DataSpec::Synthetic {
        seed: 11,
        bars: 3_500,
    };
    let opts = fold_config().options(&BTreeMap::new()).unwrap();
    let shards = plan(&spec, &folds_only());
    assert!(shards.len() >= 3);
    let plan_file = dir.path().join("plan.jsonl");
    sweep::write_plan(&shards, &plan_file).unwrap();
    let read = sweep::read_plan(&plan_file).unwrap();
    assert_eq!(read, shards);
    let ids: std::collections::BTreeSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), shards.len(), "shard ids are unique");
    // A plan made again from the same inputs has the same ids.
    assert_eq!(plan(&spec, &folds_only()), shards);

    let store = LocalStore::new(dir.path().join("store"));
    // Nothing run yet: merge names the missing shards.
    let e = sweep::merge(&shards, &store).unwrap_err().to_string();
    assert!(
        e.contains(&format!("{} of {} shards", shards.len(), shards.len())),
        "{e}"
    );
    // The single-machine engine (here last shard first), then the first
    // shard again, as after a retry.
    let reversed: Vec<_> = shards.iter().rev().cloned().collect();
    let failed = sweep::run_all(&reversed, &store, &dir.path().join("work"), &|_| {});
    assert!(failed.is_empty(), "{failed:?}");
    let first = store.get(&shards[0].key()).unwrap().unwrap();
    sweep::run_shard(&shards[0], &store, &dir.path().join("again")).unwrap();
    assert_eq!(store.get(&shards[0].key()).unwrap().unwrap(), first);
    let merged = sweep::merge(&shards, &store).unwrap();
    assert!(merged.trainings.is_empty());
    let merged = merged.walk_forward.unwrap();

    let data = load_data(&spec).unwrap();
    let single = wf::run(&data, &opts, &dir.path().join("single"), &|_, _| {}).unwrap();
    assert!(
        report_files(&merged, &dir.path().join("m"))
            == report_files(&single, &dir.path().join("s")),
        "the merged report differs from the single-process run"
    );

    // A shard whose result is gone is named.
    store.delete(&shards[1].key()).unwrap();
    let e = sweep::merge(&shards, &store).unwrap_err().to_string();
    assert!(e.contains("1 of") && e.ends_with(": 1"), "{e}");
}

#[test]
fn a_shard_refuses_data_that_is_not_the_plans_and_a_bad_plan_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let spec = DataSpec::Synthetic {
        seed: 11,
        bars: 3_500,
    };
    let mut shards = plan(&spec, &folds_only());
    // The data changed since the plan (here: another seed).
    shards[0].data = DataSpec::Synthetic {
        seed: 12,
        bars: 3_500,
    };
    let store = LocalStore::new(dir.path().join("store"));
    let e = sweep::run_shard(&shards[0], &store, dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not what the plan was made on"), "{e}");
    assert!(store.list("sweeps").unwrap().is_empty());

    let plan = dir.path().join("plan.jsonl");
    std::fs::write(&plan, "{\"id\": 3}\n").unwrap();
    let e = sweep::read_plan(&plan).unwrap_err().to_string();
    assert!(e.contains("line 1") && e.contains("not a shard"), "{e}");
}

fn grid(pairs: &[(&str, &str)]) -> BTreeMap<String, toml::Table> {
    pairs
        .iter()
        .map(|(agent, table)| (agent.to_string(), table.parse::<toml::Table>().unwrap()))
        .collect()
}

fn orchestrator(dir: &std::path::Path) -> Orchestrator {
    Orchestrator::new(OrchestratorConfig {
        store: Arc::new(LocalStore::new(dir.join("models"))),
        reports_dir: dir.join("reports"),
        agent_params: BTreeMap::new(),
    })
}

/// The manifest and files of an artifact, with the creation time left out
/// (the one thing two trainings of the same inputs differ in).
fn content(blob: &[u8]) -> (serde_json::Value, Vec<(String, Vec<u8>)>) {
    let (m, files) = agent_core::persist::from_blob(blob).unwrap();
    let mut m = serde_json::to_value(&m).unwrap();
    m.as_object_mut().unwrap().remove("created_at");
    let files = files
        .names()
        .map(|n| (n.to_string(), files.get(n).unwrap().to_vec()))
        .collect();
    (m, files)
}

#[test]
fn training_shards_choose_on_validation_and_publish_what_train_makes() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let spec = DataSpec::Synthetic {
        seed: 11,
        bars: 3_000,
    };
    let config = SweepConfig {
        agents: vec!["regime".into(), "linucb".into()],
        grid: grid(&[
            ("regime", "num_leaves = [[7], [15]]"),
            ("linucb", "lambda = [0.1, 10.0]"),
        ]),
        ..SweepConfig::default()
    };
    let shards = plan(&spec, &config);
    assert_eq!(shards.len(), 4);
    let Task::Train(first) = &shards[0].task else {
        panic!("{:?}", shards[0].task)
    };
    assert_eq!(
        (
            first.agent.as_str(),
            first.symbol.as_str(),
            first.grid_point
        ),
        ("regime", "_synthetic", 0)
    );
    assert_eq!(first.params["num_leaves"], serde_json::json!([7]));

    let orch = orchestrator(dir.path());
    let store = orch.config().store.clone();
    let failed = sweep::run_all(&shards, store.as_ref(), &dir.path().join("work"), &|_| {});
    assert!(failed.is_empty(), "{failed:?}");
    // A retried shard: its model (created again, at another time) is put
    // beside the first under its own hash, and the result names one of them.
    sweep::run_shard(&shards[1], store.as_ref(), &dir.path().join("again")).unwrap();
    let merged = sweep::merge(&shards, store.as_ref()).unwrap();
    assert_eq!(merged.trainings.len(), 4);
    assert!(merged.walk_forward.is_none());
    for r in &merged.trainings {
        assert!(
            store.get(&r.model.key).unwrap().is_some(),
            "{}",
            r.model.key
        );
        // The validation model saw none of the model's test span.
        let test_from = r.metrics["test_from_ts"].as_i64().unwrap();
        assert!(r.validation.until_ts < test_from);
        assert!(r.validation.metrics["test_to_ts"].as_i64().unwrap() < r.validation.until_ts);
    }

    let out = dir.path().join("out");
    let report = sweep::merge_report(&orch, &shards, &out, true).unwrap();
    assert_eq!(report.choices.len(), 2);
    let csv = std::fs::read_to_string(out.join("trainings.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    // Two rows chosen and published (`chosen,published_key,...`).
    assert_eq!(csv.matches(",true,models/").count(), 2, "{csv}");

    // Each chosen model is what `train` makes of the same parameters and
    // data in another process's store, and it is the current model.
    let single = orchestrator(&dir.path().join("single"));
    for c in &report.choices {
        let id = c.chosen.as_ref().unwrap();
        let r = merged.trainings.iter().find(|r| &r.shard == id).unwrap();
        // Chosen on validation: no other grid point of the group validates better.
        let (_, direction) = cointrainer_trainer::agents::get(&c.agent)
            .unwrap()
            .promote_metric();
        for other in merged.trainings.iter().filter(|o| o.task.agent == c.agent) {
            let (a, b) = (r.validation.value.unwrap(), other.validation.value.unwrap());
            match direction {
                agent_core::Direction::Maximize => assert!(a >= b),
                agent_core::Direction::Minimize => assert!(a <= b),
            }
        }
        let Some(PublishOutcome::Offered(o)) = report.published.get(id) else {
            panic!("{:?}", report.published.get(id))
        };
        assert!(o.promoted, "{o:?}");
        let published = orch.registry().fetch(&o.key, None).unwrap();
        let job = JobSpec {
            agent: c.agent.clone(),
            data: spec.clone(),
            params: serde_json::Value::Object(r.task.params.clone()),
            symbol: None,
            force: false,
            promote: None,
            per_symbol: false,
            device: Default::default(),
        };
        let trained = single.train_one(&job, &|_| {}).unwrap();
        let theirs = single.registry().fetch(&trained.key, None).unwrap();
        assert!(
            content(&published) == content(&theirs),
            "{}: the sweep's model differs from `train`'s",
            c.agent
        );
        let current = orch
            .registry()
            .latest(&c.agent, "_synthetic")
            .unwrap()
            .unwrap();
        assert_eq!(current.key, o.key);
    }

    // Merging again changes nothing.
    let again = sweep::merge_report(&orch, &shards, &out, true).unwrap();
    assert!(
        again
            .published
            .values()
            .all(|p| matches!(p, PublishOutcome::AlreadyCurrent { .. })),
        "{:?}",
        again.published
    );

    // Another sweep's model meets the current one on its own test slice:
    // the decision and its numbers are recorded either way.
    let other = SweepConfig {
        agents: vec!["regime".into()],
        grid: grid(&[("regime", "num_leaves = [[31]]\nlearning_rate = [0.3]")]),
        ..SweepConfig::default()
    };
    let shards = plan(&spec, &other);
    assert!(sweep::run_all(&shards, store.as_ref(), &dir.path().join("work2"), &|_| {}).is_empty());
    let report = sweep::merge_report(&orch, &shards, &dir.path().join("out2"), true).unwrap();
    let Some(PublishOutcome::Offered(o)) = report.published.values().next() else {
        panic!("{:?}", report.published)
    };
    match (&o.promotion, o.promoted) {
        (Some(p), true) => assert_eq!(p.rule, "same_slice", "{p:?}"),
        (_, false) => assert!(o.reason.as_deref().is_some_and(|r| !r.is_empty())),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_sweep_over_files_names_each_symbol_and_timeframe() {
    let dir = tempfile::tempdir().unwrap();
    let returns: Vec<f64> = (0..600).map(|i| ((i as f64) * 0.7).sin() * 0.01).collect();
    let files = ["BTCUSDT-1h.csv", "BTCUSDT-4h.csv", "ETHUSDT-1h.csv"]
        .map(|f| test_support::candles::write_hourly(dir.path(), f, &returns));
    // The 4h file's bars 4 hours apart (the timeframe is measured, not read
    // from the name).
    let text = std::fs::read_to_string(&files[1]).unwrap();
    let four_hourly: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| match (i, l.split_once(',')) {
            (0, _) | (_, None) => l.to_string(),
            (i, Some((_, rest))) => format!(
                "{},{rest}",
                test_support::candles::START_MS + (i as i64 - 1) * 4 * 3_600_000
            ),
        })
        .collect();
    std::fs::write(&files[1], four_hourly.join("\n") + "\n").unwrap();
    let spec = DataSpec::CsvFiles {
        paths: files.to_vec(),
    };
    let config = SweepConfig {
        agents: vec!["ou-mean".into()],
        ..SweepConfig::default()
    };
    let shards = plan(&spec, &config);
    let names: Vec<(String, String)> = shards
        .iter()
        .map(|s| match &s.task {
            Task::Train(t) => (t.symbol.clone(), t.timeframe.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            ("BTCUSDT-1h".to_string(), "1h".to_string()),
            ("BTCUSDT-4h".into(), "4h".into()),
            ("ETHUSDT".into(), "1h".into()),
        ]
    );
    // A grid for an agent the sweep does not train, or a parameter the agent
    // does not take, is refused at planning.
    let bad = SweepConfig {
        agents: vec!["ou-mean".into()],
        grid: grid(&[("regime", "num_leaves = [[7]]")]),
        ..SweepConfig::default()
    };
    let e = sweep::plan(&spec, &bad, &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not in [sweep] agents"), "{e}");
    let bad = SweepConfig {
        agents: vec!["ou-mean".into()],
        grid: grid(&[("ou-mean", "windw = [72]")]),
        ..SweepConfig::default()
    };
    let e = sweep::plan(&spec, &bad, &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("windw"), "{e}");
    // A device this build has no backend for, or one the agent cannot use,
    // is refused at planning, before any worker starts.
    for (agent, why) in [("lstm", "--features"), ("ou-mean", "CPU only")] {
        let on_gpu = SweepConfig {
            agents: vec![agent.into()],
            device: "cuda:0".parse().unwrap(),
            ..SweepConfig::default()
        };
        let e = sweep::plan(&spec, &on_gpu, &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{agent}: {e}");
    }
    // Each shard reads its own file, refused when the file changed.
    assert!(matches!(&shards[2].data, DataSpec::Csv { path } if path.ends_with("ETHUSDT-1h.csv")));
    std::fs::write(&files[2], "timestamp,open,high,low,close,volume\n").unwrap();
    let store = LocalStore::new(dir.path().join("store"));
    let e = sweep::run_shard(&shards[2], &store, dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("ETHUSDT-1h.csv"), "{e}");
    assert!(store.list("sweeps").unwrap().is_empty());
}

/// `examples/sweep.toml` as its comment says to run it: `plan`, every
/// `run-shard`, `merge`, through the program.
#[test]
fn the_example_sweep_runs_shard_by_shard_through_the_program() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let config = test_support::workspace_root().join("examples/sweep.toml");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cointrainer"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cointrainer {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    run(&["sweep", "plan", "--out", "plan.jsonl"]);
    let shards = sweep::read_plan(&dir.path().join("plan.jsonl")).unwrap();
    assert!(shards.len() >= 8, "{} shards", shards.len());
    assert!(shards.iter().any(|s| matches!(s.task, Task::Train(_))));
    assert!(shards.iter().any(|s| matches!(s.task, Task::Fold { .. })));
    for i in 0..shards.len() {
        run(&[
            "sweep",
            "run-shard",
            "--plan",
            "plan.jsonl",
            "--index",
            &i.to_string(),
        ]);
    }
    let table = run(&["sweep", "merge", "--plan", "plan.jsonl", "--out", "out"]);
    for agent in ["regime", "linucb", "ou-mean"] {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(agent) && l.contains("promoted")),
            "{table}"
        );
    }
    assert!(table.contains("walk-forward:"), "{table}");
    for f in ["trainings.csv", "summary.csv", "windows.csv"] {
        assert!(dir.path().join("out").join(f).is_file(), "{f}");
    }
    let listed = run(&["models", "list"]);
    assert!(listed.contains("ou-mean"), "{listed}");
}

/// With `per_symbol`, a walk-forward is cut into (symbol x fold) shards,
/// each reading its symbol's files only, and merges into the same report as
/// `walk-forward --per-symbol` in one process.
#[test]
fn per_symbol_folds_are_shards_of_their_own_and_merge_into_the_single_process_run() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let btc: Vec<f64> = (0..3000)
        .map(|i| ((i as f64) * 0.37).sin() * 0.01)
        .collect();
    let eth: Vec<f64> = (0..3000)
        .map(|i| ((i as f64) * 0.23).cos() * 0.012)
        .collect();
    let files = vec![
        test_support::candles::write_hourly(dir.path(), "BTCUSDT-1h.csv", &btc),
        test_support::candles::write_hourly(dir.path(), "ETHUSDT-1h.csv", &eth),
    ];
    let spec = DataSpec::CsvFiles {
        paths: files.clone(),
    };
    let wfc = WalkForwardConfig {
        agents: vec!["regime".into(), "linucb".into()],
        per_symbol: true,
        ..fold_config()
    };
    let config = SweepConfig {
        walk_forward: Some(wfc.clone()),
        ..SweepConfig::default()
    };
    let shards = plan(&spec, &config);
    let symbols: Vec<Option<&str>> = shards
        .iter()
        .map(|s| match &s.task {
            Task::Fold { symbol, .. } => symbol.as_deref(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        shards.len() >= 4 && shards.len().is_multiple_of(2),
        "{}",
        shards.len()
    );
    assert!(
        symbols
            .chunks(2)
            .all(|c| c == [Some("BTCUSDT"), Some("ETHUSDT")])
    );
    // Each shard reads its own symbol's file only.
    assert!(
        matches!(&shards[1].data, DataSpec::CsvFiles { paths } if paths.len() == 1 && paths[0].ends_with("ETHUSDT-1h.csv"))
    );

    let store = LocalStore::new(dir.path().join("store"));
    let reversed: Vec<_> = shards.iter().rev().cloned().collect();
    let failed = sweep::run_all(&reversed, &store, &dir.path().join("work"), &|_| {});
    assert!(failed.is_empty(), "{failed:?}");
    let merged = sweep::merge(&shards, &store).unwrap().walk_forward.unwrap();

    let data = load_data(&spec).unwrap();
    let opts = wfc.options(&BTreeMap::new()).unwrap();
    let single = wf::run(&data, &opts, &dir.path().join("single"), &|_, _| {}).unwrap();
    assert!(
        report_files(&merged, &dir.path().join("m"))
            == report_files(&single, &dir.path().join("s")),
        "the merged report differs from the single-process run"
    );
    // Each symbol alone is not the pooled run.
    let pooled = wf::run(
        &data,
        &wf::WalkForwardOptions {
            per_symbol: false,
            ..opts
        },
        &dir.path().join("pooled"),
        &|_, _| {},
    )
    .unwrap();
    assert!(
        report_files(&pooled, &dir.path().join("p"))
            != report_files(&single, &dir.path().join("s2"))
    );
}

//! Walk-forward folds as shards: a plan, one shard at a time into a store,
//! merged into the same report as a single-process run; running a shard
//! twice is harmless, and a missing or mismatched shard is named.

use cointrainer_trainer::jobs::DataSpec;
use cointrainer_trainer::orchestrator::load_data;
use cointrainer_trainer::sweep;
use cointrainer_trainer::walk_forward::{self as wf, WalkForwardOptions};
use store::{ArtifactStore, LocalStore};

fn options() -> WalkForwardOptions {
    WalkForwardOptions {
        train_days: 60,
        test_days: 20,
        agents: vec!["regime".into(), "linucb".into(), "meta-selector".into()],
        ..WalkForwardOptions::default()
    }
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
    let dir = tempfile::tempdir().unwrap();
    let spec = DataSpec::Synthetic {
        seed: 11,
        bars: 3_500,
    };
    let opts = options();
    let shards = sweep::plan(&spec, &opts).unwrap();
    assert!(shards.len() >= 3);
    let plan = dir.path().join("plan.jsonl");
    sweep::write_plan(&shards, &plan).unwrap();
    let read = sweep::read_plan(&plan).unwrap();
    assert_eq!(read, shards);
    let ids: std::collections::BTreeSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), shards.len(), "shard ids are unique");
    // A plan made again from the same inputs has the same ids.
    assert_eq!(sweep::plan(&spec, &opts).unwrap(), shards);

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
    let mut shards = sweep::plan(&spec, &options()).unwrap();
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

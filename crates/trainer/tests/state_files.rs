//! The service's own state files (job table, token registry, schedule
//! state) and a user's symbols file, when something hostile stands in their
//! place: a FIFO is refused without blocking, a file over the limit is
//! refused from its size before reading, and a damaged file's error names
//! where the damage is without quoting it.

use cointrainer_trainer::jobs::{JobOutcome, JobRunner, JobSpec};
use cointrainer_trainer::schedule::{MAX_STATE_BYTES, read_state};
use cointrainer_trainer::server::{MAX_JOBS_FILE_BYTES, ServerConfig, router};
use cointrainer_trainer::tokens::{
    MAX_REGISTRY_BYTES, MAX_SYMBOLS_FILE_BYTES, TokenRegistry, TokenSource,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use test_support::hostile::{fifo, promptly, sparse_file};

const SECRET: &str = "AKIAhunter2SECRET";

struct NoJobs;

impl JobRunner for NoJobs {
    fn agents(&self) -> Vec<String> {
        vec!["signal".into()]
    }
    fn run(&self, _: &JobSpec, _: &(dyn Fn(f64) + Sync)) -> Result<JobOutcome, String> {
        Err("no jobs here".into())
    }
}

fn load_jobs(dir: &Path, jobs_file: PathBuf) -> Result<(), String> {
    let config = ServerConfig {
        upload_dir: dir.join("uploads"),
        jobs_file: Some(jobs_file),
        ..Default::default()
    };
    router(Arc::new(NoJobs), config).map(drop)
}

type Reader = fn(PathBuf) -> Result<(), String>;

/// Each state file's reader, with its limit.
fn readers() -> [(&'static str, u64, Reader); 3] {
    [
        ("job table", MAX_JOBS_FILE_BYTES, |p| {
            let dir = p.parent().unwrap().to_path_buf();
            load_jobs(&dir, p)
        }),
        ("token registry", MAX_REGISTRY_BYTES, |p| {
            TokenRegistry::load(&p).map(drop).map_err(|e| e.to_string())
        }),
        ("symbols file", MAX_SYMBOLS_FILE_BYTES, |p| {
            TokenSource::SymbolsFile(p)
                .scan()
                .map(drop)
                .map_err(|e| e.to_string())
        }),
    ]
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    for (what, _, read) in readers() {
        let p = fifo(dir.path(), &what.replace(' ', "_"));
        let e = promptly(what, move || read(p)).unwrap_err();
        assert!(e.contains("FIFO, socket or device"), "{what}: {e}");
    }
    // The schedule state reads as empty (jobs then follow the missed-run
    // policy) instead of hanging the scheduler.
    let p = fifo(dir.path(), "schedule_state.json");
    assert!(promptly("schedule state", move || read_state(&p)).is_empty());
}

#[test]
fn a_file_over_the_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    for (what, max, read) in readers() {
        let p = sparse_file(dir.path(), &what.replace(' ', "_"), max + 1);
        let e = promptly(what, move || read(p)).unwrap_err();
        assert!(
            e.contains(&format!("more than the {max} allowed")),
            "{what}: {e}"
        );
    }
    let p = sparse_file(dir.path(), "schedule_state.json", MAX_STATE_BYTES + 1);
    assert!(promptly("schedule state", move || read_state(&p)).is_empty());
}

#[test]
fn a_damaged_file_is_located_but_not_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let [(_, _, jobs), (_, _, registry), (_, _, symbols)] = readers();
    // Wrong types: serde_json's own message would quote the value.
    let p = dir.path().join("jobs.json");
    std::fs::write(&p, format!("{{\"next_id\": \"{SECRET}\", \"jobs\": []}}")).unwrap();
    let e = jobs(p.clone()).unwrap_err();
    assert!(
        e.contains("jobs.json") && e.contains("line 1, column"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    let p = dir.path().join("tokens.json");
    std::fs::write(&p, format!("{{\"tokens\": {{\"BTC\": \"{SECRET}\"}}}}")).unwrap();
    let e = registry(p.clone()).unwrap_err();
    assert!(
        e.contains("tokens.json") && e.contains("line 1, column"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    let p = dir.path().join("symbols.txt");
    std::fs::write(&p, b"BTCUSDT\nETH\xffUSDT\n").unwrap();
    let e = symbols(p).unwrap_err();
    assert!(
        e.contains("symbols.txt line 2") && e.contains("UTF-8"),
        "{e}"
    );
}

#[test]
fn the_symbols_file_may_be_a_link_but_the_registry_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.txt");
    std::fs::write(&real, "btcusdt\n# comment\nETHUSDT\n").unwrap();
    let link = dir.path().join("symbols.txt");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let found = TokenSource::SymbolsFile(link).scan().unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), ["BTCUSDT", "ETHUSDT"]);
    // The registry is only ever written by the service (atomically): a link
    // in its place (to a secret, say) is refused, not parsed.
    let secret = dir.path().join("secret.json");
    std::fs::write(&secret, "{\"tokens\": {}}").unwrap();
    let reg = dir.path().join("tokens.json");
    std::os::unix::fs::symlink(&secret, &reg).unwrap();
    let e = TokenRegistry::load(&reg).unwrap_err().to_string();
    assert!(e.contains("symbolic link"), "{e}");
}

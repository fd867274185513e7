//! A store someone else can write to: a corrupt `LATEST.json` must not hide
//! the other models, and objects that are links, FIFOs or devices are
//! refused instead of followed, read without end or waited on.

use agent_core::persist::{ArtifactFiles, ModelInfo, make_manifest, to_blob};
use std::time::Duration;
use store::{ArtifactStore, LocalStore, ModelRegistry, PromotePolicy, StoreError};

fn blob(agent: &str, payload: u8) -> Vec<u8> {
    let mut files = ArtifactFiles::new();
    files.insert("weights.bin", vec![payload; 64]).unwrap();
    let mut m = make_manifest(agent, "0.1.0", 1, ModelInfo::default(), &files);
    m.created_at = format!("2026-11-25T10:00:{payload:02}Z");
    to_blob(&m, &files).unwrap()
}

fn registry_with_three(dir: &std::path::Path) -> ModelRegistry<LocalStore> {
    let reg = ModelRegistry::new(LocalStore::new(dir));
    for (agent, symbol, n) in [
        ("linucb", "BTCUSDT", 1),
        ("signal", "BTCUSDT", 2),
        ("signal", "ETHUSDT", 3),
    ] {
        reg.publish_blob(&blob(agent, n), symbol, PromotePolicy::Always)
            .unwrap();
    }
    reg
}

#[test]
fn a_corrupt_latest_pointer_leaves_the_others_listed() {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry_with_three(dir.path());
    let all = reg.list_current().unwrap();
    assert_eq!(all.models.len(), 3);
    assert!(all.problems.is_empty());

    let bad = dir.path().join("models/signal/BTCUSDT/LATEST.json");
    std::fs::write(&bad, b"{\"key\": \"hunter2\", oops").unwrap();
    let listed = reg.list_current().unwrap();
    let names: Vec<(&str, &str)> = listed
        .models
        .iter()
        .map(|p| (p.agent.as_str(), p.symbol.as_str()))
        .collect();
    assert_eq!(names, [("linucb", "BTCUSDT"), ("signal", "ETHUSDT")]);
    assert_eq!(listed.problems.len(), 1);
    let p = &listed.problems[0];
    assert_eq!(p.key, "models/signal/BTCUSDT/LATEST.json");
    assert!(
        p.error.contains("is corrupt") && p.error.contains("line 1"),
        "{}",
        p.error
    );
    assert!(!p.error.contains("hunter2"), "{}", p.error);
}

#[test]
fn a_pointer_naming_another_agent_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry_with_three(dir.path());
    let src = dir.path().join("models/linucb/BTCUSDT/LATEST.json");
    let dst = dir.path().join("models/signal/ETHUSDT/LATEST.json");
    std::fs::copy(src, dst).unwrap();
    let listed = reg.list_current().unwrap();
    assert_eq!(listed.models.len(), 2);
    assert_eq!(listed.problems.len(), 1);
    assert!(
        listed.problems[0].error.contains("another agent or symbol"),
        "{}",
        listed.problems[0].error
    );
}

#[test]
fn links_fifos_and_devices_in_the_store_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path());
    store.put("a/real.json", b"{}").unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, b"TOKEN=hunter2").unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("a/link.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("a/zero.json")).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(dir.path().join("a/fifo.json"))
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(store.get("a/real.json").unwrap().unwrap(), b"{}");
    assert_eq!(store.get("a/missing.json").unwrap(), None);
    let store2 = store.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r: Vec<_> = ["a/link.json", "a/zero.json", "a/fifo.json"]
            .iter()
            .map(|k| store2.get(k))
            .collect();
        let _ = tx.send(r);
    });
    let results = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("reading the store blocked");
    for r in results {
        let e = r.unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert!(!e.is_transient(), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}

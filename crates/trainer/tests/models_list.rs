//! `cointrainer models list` with a store holding one corrupt `LATEST.json`:
//! the good models are listed and the bad pointer is one warning line.

use agent_core::persist::{ArtifactFiles, ModelInfo, make_manifest, to_blob};
use cointrainer_trainer::cli::ModelsCommand;
use cointrainer_trainer::commands::{self, App};
use cointrainer_trainer::config::Config;
use store::PromotePolicy;

fn blob(agent: &str, payload: u8) -> Vec<u8> {
    let mut files = ArtifactFiles::new();
    files.insert("weights.bin", vec![payload; 64]).unwrap();
    let mut m = make_manifest(agent, "0.1.0", 1, ModelInfo::default(), &files);
    m.created_at = format!("2026-11-25T10:00:{payload:02}Z");
    to_blob(&m, &files).unwrap()
}

#[test]
fn models_list_shows_good_models_and_warns_about_a_corrupt_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let text = format!(
        "[store]\ndir = \"{}\"\nreports_dir = \"{}\"\n",
        store_dir.display(),
        dir.path().join("reports").display()
    );
    let app = App::new(Config::parse(&text, "test.toml").unwrap()).unwrap();
    for (agent, symbol, n) in [("linucb", "BTCUSDT", 1), ("signal", "ETHUSDT", 2)] {
        app.orch
            .registry()
            .publish_blob(&blob(agent, n), symbol, PromotePolicy::Always)
            .unwrap();
    }
    let pointer = store_dir.join("models/signal/ETHUSDT/LATEST.json");
    assert!(pointer.is_file(), "{}", pointer.display());
    std::fs::write(&pointer, b"{ not json").unwrap();

    let mut out = Vec::new();
    commands::models(&app, &ModelsCommand::List { json: false }, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("warning: skipped models/signal/ETHUSDT/LATEST.json: ")
            && lines[0].contains("is corrupt"),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("linucb") && l.contains("BTCUSDT")),
        "{text}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("signal")), "{text}");

    let mut out = Vec::new();
    commands::models(&app, &ModelsCommand::List { json: true }, &mut out).unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["agent"], "linucb");
}

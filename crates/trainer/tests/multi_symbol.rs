//! Candle files of several symbols: one model per symbol, the selectors
//! trained on the pooled bootstrap of every strategy on every file, real
//! provenance, and a later synthetic run that cannot replace them. The
//! shared-data case is `ignored` with its reason when `shared/` is absent.

use agent_core::{Provenance, SplitMix64};
use cointrainer_trainer::cli::{DataArgs, TrainArgs};
use cointrainer_trainer::commands::{self, App};
use cointrainer_trainer::config::Config;
use cointrainer_trainer::jobs::{DataSpec, JobSpec};
use cointrainer_trainer::orchestrator::{Orchestrator, OrchestratorConfig};
use serde_json::json;
use std::path::{Path, PathBuf};
use store::SYNTHETIC_SYMBOL;
use test_support::candles::{write_hourly, write_tail};
use test_support::{needs_shared, run_tests, test};

fn walk(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| 0.008 * rng.next_normal()).collect()
}

fn files_of(p: &Provenance) -> Vec<String> {
    match p {
        Provenance::CandleFiles { files } => files.iter().map(|f| f.symbol.clone()).collect(),
        other => panic!("not candle files: {other:?}"),
    }
}

fn job(agent: &str, paths: Vec<PathBuf>, per_symbol: bool) -> JobSpec {
    JobSpec {
        agent: agent.into(),
        data: DataSpec::CsvFiles { paths },
        params: json!({}),
        symbol: None,
        force: false,
        promote: None,
        per_symbol,
        device: Default::default(),
    }
}

fn two_symbols_publish_a_model_each() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_hourly(&dir.path().join("d"), "AAAUSDT-1h.csv", &walk(1, 3_000));
    let b = write_hourly(&dir.path().join("d"), "BBBUSDT-1h.csv", &walk(2, 2_600));
    let orch = Orchestrator::new(OrchestratorConfig::local(dir.path()));

    // An agent of one price path: one model per symbol, each of its own file.
    let out = orch
        .train(&job("signal", vec![a.clone(), b.clone()], false), &|_| {})
        .unwrap();
    let symbols: Vec<&str> = out.iter().map(|o| o.symbol.as_str()).collect();
    assert_eq!(symbols, ["AAAUSDT", "BBBUSDT"]);
    for o in &out {
        assert_eq!(files_of(&o.provenance), std::slice::from_ref(&o.symbol));
        assert!(o.promoted);
        assert_ne!(out[0].report_dir, out[1].report_dir);
    }

    // A selector: one model of both symbols' pooled bootstrap, offered to each.
    let out = orch
        .train(&job("linucb", vec![a.clone(), b.clone()], false), &|_| {})
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].report_dir, out[1].report_dir, "one training");
    for o in &out {
        assert_eq!(files_of(&o.provenance), ["AAAUSDT", "BBBUSDT"]);
        let cur = orch
            .registry()
            .latest("linucb", &o.symbol)
            .unwrap()
            .unwrap();
        assert_eq!(cur.key, o.key);
    }
    // The bootstrap ran every strategy of the bot on both files.
    let table =
        std::fs::read_to_string(out[0].report_dir.join("bootstrap/strategy_returns.csv")).unwrap();
    let header = table.lines().next().unwrap();
    for s in [
        "ret_buy_hold",
        "ret_sma_cross",
        "ret_ou_mean_rev",
        "ret_lstm",
        "ret_signal",
    ] {
        assert!(header.contains(s), "{s} missing from {header}");
    }
    for sym in ["AAAUSDT", "BBBUSDT"] {
        assert!(
            table.lines().any(|l| l.starts_with(&format!("{sym},"))),
            "{sym}"
        );
    }
    let trades = std::fs::read_to_string(out[0].report_dir.join("bootstrap/trades.csv")).unwrap();
    assert!(trades.contains("AAAUSDT") && trades.contains("BBBUSDT"));

    // Per-symbol selectors on request.
    let out = orch
        .train(&job("linucb", vec![a, b], true), &|_| {})
        .unwrap();
    for o in &out {
        assert_eq!(files_of(&o.provenance), std::slice::from_ref(&o.symbol));
    }
}

fn app(dir: &Path) -> App {
    let text = format!(
        "[store]\ndir = \"{}\"\nreports_dir = \"{}\"\n\n[data]\nsynthetic_seed = 5\nsynthetic_bars = 3000\n\n\
         [agents.lstm]\nmax_epochs = 2\n\n[agents.ppo]\ntotal_timesteps = 4096\n",
        dir.join("models").display(),
        dir.join("reports").display()
    );
    App::new(Config::parse(&text, "test.toml").unwrap()).unwrap()
}

fn args(data: Vec<PathBuf>) -> TrainArgs {
    TrainArgs {
        agent: "all".into(),
        data: DataArgs {
            data,
            seed: None,
            bars: None,
        },
        symbol: None,
        params: None,
        params_file: None,
        force: false,
        promote: None,
        per_symbol: false,
        device: Default::default(),
        json: true,
    }
}

/// `train all --data BTCUSDT-1h.csv ETHUSDT-1h.csv` (their last 3000 bars,
/// to stay quick): every agent has a current model for both symbols, with
/// the files' provenance, and a synthetic run cannot replace them.
fn train_all_on_btc_and_eth(shared: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let btc = write_tail(
        &shared.join("data/BTCUSDT-1h.csv"),
        &data,
        "BTCUSDT-1h.csv",
        3_000,
    );
    let eth = write_tail(
        &shared.join("data/ETHUSDT-1h.csv"),
        &data,
        "ETHUSDT-1h.csv",
        3_000,
    );
    let app = app(dir.path());
    let out = commands::train(&app, &args(vec![btc, eth]), &mut Vec::new()).unwrap();
    let agents = cointrainer_trainer::agents::names();
    assert_eq!(
        out.len(),
        2 * agents.len(),
        "one model per agent and symbol"
    );
    let before = app.orch.current_models().unwrap().models;
    for agent in &agents {
        for sym in ["BTCUSDT", "ETHUSDT"] {
            let p = before
                .iter()
                .find(|p| &p.agent == agent && p.symbol == sym)
                .unwrap_or_else(|| panic!("no current {agent} for {sym}"));
            let files = files_of(p.provenance.as_ref().unwrap());
            assert!(files.contains(&sym.to_string()), "{agent} {sym}: {files:?}");
        }
    }
    // No --data: the synthetic market publishes under its own symbol only.
    let synth = commands::train(&app, &args(vec![]), &mut Vec::new()).unwrap();
    assert!(synth.iter().all(|o| o.symbol == SYNTHETIC_SYMBOL));
    let after = app.orch.current_models().unwrap().models;
    for p in &before {
        let still = after
            .iter()
            .find(|q| q.agent == p.agent && q.symbol == p.symbol)
            .unwrap();
        assert_eq!(still.key, p.key, "{} {} was replaced", p.agent, p.symbol);
    }
}

fn main() {
    run_tests(vec![
        test(
            "two_symbols_publish_a_model_each",
            two_symbols_publish_a_model_each,
        ),
        needs_shared(
            "train_all_on_btc_and_eth",
            &["data/BTCUSDT-1h.csv", "data/ETHUSDT-1h.csv"],
            train_all_on_btc_and_eth,
        ),
    ]);
}

//! Replays the fuzzing regression corpus (`fixtures/fuzz/<target>/`) through
//! the same harness the libFuzzer targets use (`fuzz/src/lib.rs`): no input
//! may panic. Files named `seed-*` are valid inputs and must also be
//! accepted, so a format change that leaves the fuzzer starting from dead
//! seeds fails here; `crash-*` files are inputs that once crashed a parser.
//!
//! `cargo test --release -p cointrainer-trainer --test fuzz_corpus -- --ignored`
//! rewrites the generated `seed-*` files from the current code.

#[allow(dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fuzz")
}

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = corpus_root().join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_replays_without_a_panic() {
    let mut failures = Vec::new();
    let mut total = 0;
    for &target in harness::TARGETS {
        let files = corpus(target);
        assert!(
            files.iter().any(|f| file_name(f).starts_with("seed-")),
            "fixtures/fuzz/{target} has no seed"
        );
        for f in files {
            let bytes = std::fs::read(&f).expect("corpus file");
            total += 1;
            let name = file_name(&f);
            match std::panic::catch_unwind(|| harness::run(target, &bytes)) {
                Err(_) => failures.push(format!("{target}/{name}: panicked")),
                Ok(None) => failures.push(format!("{target}: no such harness target")),
                Ok(Some(false)) if name.starts_with("seed-") => {
                    failures.push(format!("{target}/{name}: a seed the parser refuses"))
                }
                Ok(Some(_)) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(total >= 2 * harness::TARGETS.len(), "only {total} files");
}

/// The corpus directories and the harness's targets are the same set.
#[test]
fn corpus_directories_match_the_targets() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus_root())
        .expect("fixtures/fuzz")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    dirs.sort();
    let mut targets: Vec<String> = harness::TARGETS.iter().map(|s| s.to_string()).collect();
    targets.sort();
    assert_eq!(dirs, targets);
}

#[test]
fn packed_artifacts_round_trip() {
    let files: [(&str, &[u8]); 3] = [
        ("model.json", b"{}"),
        ("r0_A.npy", b"\x93NUMPY\x01\x00"),
        ("empty", b""),
    ];
    let packed = harness::pack(files);
    let back: Vec<(String, Vec<u8>)> = harness::unpack(&packed)
        .into_iter()
        .map(|(n, b)| (n, b.to_vec()))
        .collect();
    let want: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    assert_eq!(back, want);
    assert!(harness::unpack(b"no mark at all").is_empty());
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// seed generation

fn write_seed(target: &str, name: &str, bytes: &[u8]) {
    let dir = corpus_root().join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed file");
}

fn tiny_ppo() -> ppo::PpoModel {
    use ppo::{ContextualBandit, NetArch, ParamGuard, PpoParams, Schedule, VecEnv};
    let mut venv = VecEnv::new(
        (0..2)
            .map(|_| ContextualBandit::new(3, 3, 4).expect("bandit env"))
            .collect(),
    )
    .expect("vec env");
    PpoParams::new()
        .n_steps(16)
        .batch_size(16)
        .n_epochs(1)
        .learning_rate(Schedule::constant(1e-3))
        .net_arch(NetArch {
            pi: vec![4],
            vf: vec![4],
        })
        .total_timesteps(32)
        .normalize_obs(true)
        .check()
        .expect("PPO parameters")
        .learn(&mut venv, None)
        .expect("a tiny PPO model")
}

fn tiny_lightgbm(n_classes: usize) -> String {
    let n = 200;
    let nf = 3;
    let mut rng = agent_core::SplitMix64::new(3);
    let x: Vec<f64> = (0..n * nf).map(|_| rng.next_f64()).collect();
    let y: Vec<f32> = (0..n)
        .map(|i| {
            let s = x[i * nf] + 0.5 * x[i * nf + 1];
            if n_classes > 1 {
                ((s * n_classes as f64 / 1.5) as usize).min(n_classes - 1) as f32
            } else {
                s as f32
            }
        })
        .collect();
    let mut params = lgbm::LgbParams::new()
        .set("verbosity", -1)
        .set("num_leaves", 4)
        .set("min_data_in_leaf", 5)
        .set("num_threads", 1);
    params = if n_classes > 1 {
        params
            .set("objective", "multiclass")
            .set("num_class", n_classes)
    } else {
        params.set("objective", "regression")
    };
    let ds = lgbm::LgbDataset::from_rows(&x, nf, &y, None, &params, None).expect("dataset");
    let mut t = lgbm::LgbTraining::new(&ds, None, &params).expect("training");
    for _ in 0..3 {
        t.update().expect("boosting round");
    }
    t.finish().save_string().expect("model text")
}

const CONFIG_SEED: &str = r#"[store]
kind = "local"
dir = "cointrainer-data/models"
reports_dir = "cointrainer-data/reports"

[data]
files = []
candles_dir = "data/candles"
synthetic_seed = 42
synthetic_bars = 20000
symbol = "GLOBAL"

[agents.linucb]
alpha = 0.5
[agents.ppo]
total_timesteps = 400000

[server]
addr = "127.0.0.1:5000"
max_concurrent = 1
max_queue = 16
body_limit_mb = 64
token_env = "COINTRAINER_TOKEN"
grace_s = 300

[schedule]
missed = "skip"

[[schedule.jobs]]
name = "nightly"
cron = "0 3 * * *"
agents = ["linucb", "regime"]

[tokens]
registry_file = "cointrainer-data/tokens.json"
debounce_s = 30
poll_s = 10
agents = ["regime"]
"#;

/// Rewrites every generated `seed-*` file of `fixtures/fuzz/` from the
/// current code (real artifacts of small models, real candle files).
#[test]
#[ignore = "writes fixtures/fuzz/*/seed-*; run when a format changes"]
fn write_seeds() {
    use agent_core::Persist;
    use linucb::{RegimeMode, Variant};

    // Candles, as a file and as an upload.
    let csv = harness::small_candles_csv();
    write_seed("candle_csv", "small.csv", csv.as_bytes());
    let crlf = format!("\u{feff}{}", csv.replace('\n', "\r\n"));
    write_seed("candle_csv", "bom-crlf.csv", crlf.as_bytes());

    // .npy
    use agent_core::npy::encode as npy;
    write_seed(
        "npy",
        "f64-2x3.npy",
        &npy(&[2, 3], &[0.5f64, 1., 2., 3., 4., 5.]).unwrap(),
    );
    write_seed("npy", "i64-3.npy", &npy(&[3], &[1i64, -2, 3]).unwrap());
    write_seed("npy", "f64-empty.npy", &npy::<f64>(&[0], &[]).unwrap());
    write_seed("npy", "f64-scalar.npy", &npy(&[], &[7.0f64]).unwrap());
    write_seed(
        "npy",
        "f64-3d.npy",
        &npy(&[2, 1, 2], &[1.0f64, 2., 3., 4.]).unwrap(),
    );

    // LSTM weights.
    let dims = lstm::Dims {
        input_size: 3,
        hidden_size: 4,
        num_layers: 2,
        n_outputs: 2,
    };
    let w = lstm::LstmWeights::init(dims, 1).expect("LSTM weights");
    write_seed(
        "safetensors",
        "lstm-2layer.safetensors",
        &w.to_safetensors(),
    );

    // rl_selector.zip
    write_seed(
        "rl_selector_zip",
        "tiny.zip",
        &tiny_ppo().to_zip_bytes().unwrap(),
    );

    // Manifests: one whose file is present, one of a real model.
    let mut files = agent_core::ArtifactFiles::new();
    files
        .insert("a.npy", harness::MANIFEST_FILE_BODY.to_vec())
        .unwrap();
    let m = agent_core::persist::make_manifest(
        "toy",
        "0.1.0",
        1,
        agent_core::ModelInfo::default(),
        &files,
    );
    write_seed(
        "manifest_json",
        "one-file.json",
        &serde_json::to_vec_pretty(&m).unwrap(),
    );
    let lin = harness::small_linucb(Variant::Disjoint, RegimeMode::PerRegime);
    let lin_files = lin.to_files().unwrap();
    let lin_manifest = lin.manifest(&lin_files);
    let lin_json = serde_json::to_vec_pretty(&lin_manifest).unwrap();
    let dir = corpus_root().join("manifest_json");
    std::fs::write(dir.join("case-linucb-manifest.json"), lin_json).unwrap();

    // LATEST.json pointing at the registry target's model.
    let blob = harness::registry_blob();
    let (man, _) = agent_core::persist::from_blob(blob).unwrap();
    let pointer = store::LatestPointer {
        key: harness::REGISTRY_KEY.into(),
        schema_version: store::registry::POINTER_SCHEMA,
        agent: man.agent.clone(),
        symbol: harness::REGISTRY_SYMBOL.into(),
        feature_list: man.feature_names.clone(),
        label_order: man.label_order.clone(),
        hash: format!("sha256:{}", agent_core::persist::sha256_hex(blob)),
        format_version: man.format_version,
        crate_version: man.crate_version.clone(),
        data_fingerprint: man.data_fingerprint.clone(),
        created_at: man.created_at.clone(),
        promoted_at: "2025-01-02T00:00:00Z".into(),
        metrics: man.metrics.clone(),
        provenance: man.provenance.clone(),
        promotion: None,
    };
    write_seed(
        "latest_pointer_json",
        "LATEST.json",
        &serde_json::to_vec_pretty(&pointer).unwrap(),
    );

    // LinUCB artifacts of each variant and regime mode.
    for (name, variant, mode) in [
        (
            "disjoint-per-regime",
            Variant::Disjoint,
            RegimeMode::PerRegime,
        ),
        ("disjoint-context", Variant::Disjoint, RegimeMode::Context),
        (
            "hybrid-ignore",
            Variant::Hybrid {
                arm_attributes: None,
            },
            RegimeMode::Ignore,
        ),
    ] {
        let files = harness::small_linucb(variant, mode).to_files().unwrap();
        let list: Vec<(&str, &[u8])> = files.names().map(|n| (n, files.get(n).unwrap())).collect();
        write_seed(
            "linucb_model",
            &format!("{name}.pack"),
            &harness::pack(list),
        );
    }

    // LinUCB training files: an excerpt of a fixture, per-window returns
    // and a trade log.
    let fixture = |path: &str, lines: usize| {
        let text = std::fs::read_to_string(corpus_root().join("..").join(path)).unwrap();
        text.lines()
            .take(lines)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    let aggregate = fixture("backtest/expected_strategy_pnl.csv", 10);
    write_seed("linucb_csv", "strategy_pnl.csv", aggregate.as_bytes());
    let mut returns = String::from("window,regime,ret_trend,ret_revert,ctx_vol,is_train\n");
    for w in 0..20 {
        let x = w as f64;
        returns.push_str(&format!(
            "{w},{},{},{},{},{}\n",
            w % 3,
            0.01 * (x * 0.7).sin(),
            -0.01 * (x * 0.3).cos(),
            0.5 + 0.02 * x,
            u8::from(w < 14)
        ));
    }
    write_seed("linucb_csv", "window_returns.csv", returns.as_bytes());
    let mut log = String::from("timestamp,regime,strategy,pnl,ctx_vol\n");
    for i in 0..20 {
        let ts = 1_700_000_000_000i64 + i * 3_600_000;
        let (regime, strategy) = (
            ["calm", "wild"][i as usize % 2],
            ["trend", "revert"][i as usize % 2],
        );
        log.push_str(&format!(
            "{ts},{regime},{strategy},{},{}\n",
            0.01 * i as f64 - 0.1,
            0.5 + 0.01 * i as f64
        ));
    }
    write_seed("linucb_csv", "trade_log.csv", log.as_bytes());

    // LightGBM model text.
    write_seed(
        "lightgbm_text",
        "regression.txt",
        tiny_lightgbm(1).as_bytes(),
    );
    write_seed(
        "lightgbm_text",
        "multiclass.txt",
        tiny_lightgbm(3).as_bytes(),
    );

    // Config.
    write_seed("config_toml", "cli-doc.toml", CONFIG_SEED.as_bytes());
    write_seed("config_toml", "empty.toml", b"");

    // HTTP job bodies.
    for (name, body) in [
        (
            "synthetic.json",
            r#"{"agent": "linucb", "data": {"synthetic": {"seed": 1, "bars": 1000}}, "params": {"alpha": 0.5}, "symbol": "BTCUSDT"}"#,
        ),
        ("minimal.json", r#"{"agent": "signal"}"#),
        (
            "csv-in-root.json",
            r#"{"agent": "regime", "data": {"csv": {"path": "btc.csv"}}}"#,
        ),
        (
            "csv-files.json",
            r#"{"agent": "regime", "data": {"csv_files": {"paths": ["btc.csv", "./btc.csv"]}}, "force": true}"#,
        ),
    ] {
        write_seed("job_json", name, body.as_bytes());
    }
    let dir = corpus_root().join("job_json");
    for (name, body) in [
        (
            "case-link-out.json",
            r#"{"agent": "regime", "data": {"csv": {"path": "outside.csv"}}}"#,
        ),
        (
            "case-dotdot.json",
            r#"{"agent": "regime", "data": {"csv": {"path": "../secret.csv"}}}"#,
        ),
        (
            "case-upload.json",
            r#"{"agent": "regime", "data": {"upload": {"bytes": 10}}}"#,
        ),
    ] {
        std::fs::write(dir.join(name), body).unwrap();
    }

    // HTTP uploads: the original suite's form.
    let b = harness::MULTIPART_BOUNDARY;
    let part = |name: &str, file: Option<&str>, body: &str| {
        let disp = match file {
            Some(f) => {
                format!("form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv")
            }
            None => format!("form-data; name=\"{name}\""),
        };
        format!("--{b}\r\nContent-Disposition: {disp}\r\n\r\n{body}\r\n")
    };
    let form = format!(
        "{}{}{}--{b}--\r\n",
        part("csv", Some("btc.csv"), &csv),
        part("agent", None, "linucb"),
        part("symbol", None, "BTCUSDT"),
    );
    write_seed("multipart_upload", "form.txt", form.as_bytes());
    let only_csv = format!("{}--{b}--\r\n", part("csv", Some("x.csv"), &csv));
    write_seed("multipart_upload", "csv-only.txt", only_csv.as_bytes());
}

//! The fuzz harness: one function per parser of outside data, each feeding
//! arbitrary bytes through the entry point the program itself uses. A
//! harness function returns normally for any input; errors are expected,
//! panics, aborts, hangs and unbounded allocations are the bugs.
//!
//! Compiled twice: as the library of the `cointrainer-fuzz` crate (the
//! libFuzzer targets in `fuzz_targets/`) and as a module of the program's
//! corpus replay test (`crates/trainer/tests/fuzz_corpus.rs`), which runs
//! every file of `fixtures/fuzz/<target>/` through [`run`] on stable.

use cointrainer_trainer::jobs::{DataSpec, JobOutcome, JobRunner, JobSpec};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Every target, by the name of its fuzz binary and corpus directory.
pub const TARGETS: &[&str] = &[
    "candle_csv",
    "npy",
    "safetensors",
    "rl_selector_zip",
    "manifest_json",
    "latest_pointer_json",
    "linucb_model",
    "linucb_csv",
    "lightgbm_text",
    "config_toml",
    "job_json",
    "multipart_upload",
];

/// Run target `name` on `data`: `Some(accepted)`, where `accepted` says
/// whether the parser took the input; `None` for an unknown target.
pub fn run(name: &str, data: &[u8]) -> Option<bool> {
    let f: fn(&[u8]) -> bool = match name {
        "candle_csv" => candle_csv,
        "npy" => npy,
        "safetensors" => safetensors,
        "rl_selector_zip" => rl_selector_zip,
        "manifest_json" => manifest_json,
        "latest_pointer_json" => latest_pointer_json,
        "linucb_model" => linucb_model,
        "linucb_csv" => linucb_csv,
        "lightgbm_text" => lightgbm_text,
        "config_toml" => config_toml,
        "job_json" => job_json,
        "multipart_upload" => multipart_upload,
        _ => return None,
    };
    Some(f(data))
}

/// One scratch directory per process, reused by every execution (no
/// per-input directory creation); removed when the process exits normally.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("cointrainer-fuzz-")
            .tempdir()
            .expect("a scratch directory for the fuzz harness")
    })
    .path()
}

/// Files packed into one fuzz input, so a target can mutate several files
/// of an artifact at once: segments separated by [`FILE_MARK`], each
/// `name\n` followed by the file's bytes. Text before the first mark is
/// ignored.
pub const FILE_MARK: &[u8] = b"\n@@file:";

/// Split a packed input into `(name, bytes)` pairs.
pub fn unpack(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut out = Vec::new();
    let mut rest = match find(data, FILE_MARK) {
        Some(i) => &data[i + FILE_MARK.len()..],
        None => return out,
    };
    loop {
        let (seg, next) = match find(rest, FILE_MARK) {
            Some(i) => (&rest[..i], Some(&rest[i + FILE_MARK.len()..])),
            None => (rest, None),
        };
        let nl = seg.iter().position(|&b| b == b'\n').unwrap_or(seg.len());
        let name = String::from_utf8_lossy(&seg[..nl]).into_owned();
        let body = seg.get(nl + 1..).unwrap_or(&[]);
        out.push((name, body));
        match next {
            Some(n) => rest = n,
            None => return out,
        }
    }
}

/// Pack `(name, bytes)` pairs as [`unpack`] reads them.
pub fn pack<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        out.extend_from_slice(FILE_MARK);
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(bytes);
    }
    out
}

/// Put `data` at `path` as a new file. Removing first, rather than
/// truncating, keeps ext4 from flushing the data to disk at every close
/// (its `auto_da_alloc` rule for truncated files), which would make a
/// target spend most of its time waiting for the disk.
fn replace(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, data)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------
// candle CSV

/// The candle CSV reader (`--data` files, the data directory), and what the
/// program computes first from candles it accepted.
pub fn candle_csv(data: &[u8]) -> bool {
    let Ok(c) = market::parse_candles(data, "fuzz.csv") else {
        return false;
    };
    let _ = c.validate("fuzz.csv");
    let _ = (c.interval_ms(), c.gaps(), c.span());
    let _ = market::feature_matrix(&c);
    true
}

// ---------------------------------------------------------------------------
// .npy

/// The `.npy` header parser and decoder, for both element types the agents
/// store.
pub fn npy(data: &[u8]) -> bool {
    let _ = agent_core::npy::parse_header(data);
    let f = agent_core::npy::decode::<f64>(data).is_ok();
    let i = agent_core::npy::decode::<i64>(data).is_ok();
    f || i
}

// ---------------------------------------------------------------------------
// safetensors

/// LSTM weights from safetensors (`weights.safetensors` of an artifact, or a
/// PyTorch export), then every tensor view of the weights it accepted.
pub fn safetensors(data: &[u8]) -> bool {
    let Ok(w) = lstm::LstmWeights::from_safetensors(data) else {
        return false;
    };
    let d = w.dims();
    for l in 0..d.num_layers {
        let _ = (w.weight_ih(l), w.weight_hh(l), w.bias_ih(l), w.bias_hh(l));
    }
    let _ = (w.head_weight(), w.head_bias(), w.named_tensors());
    true
}

// ---------------------------------------------------------------------------
// rl_selector.zip

/// `rl_selector.zip` as stored, then (when it is a zip holding a
/// `config.json` and weights) the same zip with the weights' checksum
/// recomputed, so the policy and weights parsers behind the checksum are
/// fuzzed too. A model that loads must act on an observation.
pub fn rl_selector_zip(data: &[u8]) -> bool {
    let as_is = ppo_load(data);
    let fixed = rezip_with_checksum(data).is_some_and(|z| ppo_load(&z));
    as_is || fixed
}

fn ppo_load(bytes: &[u8]) -> bool {
    let Ok(m) = ppo::PpoModel::from_zip_bytes(bytes, "fuzz.zip") else {
        return false;
    };
    let obs = vec![0.0f32; m.spec().obs_dim];
    let _ = m.act(&obs);
    let _ = m.value(&obs);
    true
}

fn rezip_with_checksum(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::{Read, Write};
    // Larger entries are left to the loader's own limits.
    const LIMIT: u64 = 4 << 20;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(data)).ok()?;
    let mut read = |name: &str| -> Option<Vec<u8>> {
        let f = zip.by_name(name).ok()?;
        if f.size() > LIMIT {
            return None;
        }
        let mut out = Vec::new();
        f.take(LIMIT).read_to_end(&mut out).ok()?;
        Some(out)
    };
    let config = read("config.json")?;
    let weights = read("policy.safetensors")?;
    let mut cfg: serde_json::Value = serde_json::from_slice(&config).ok()?;
    let sha = agent_core::persist::sha256_hex(&weights);
    *cfg.as_object_mut()?.get_mut("weights_sha256")? = serde_json::Value::String(sha);
    let config = serde_json::to_vec(&cfg).ok()?;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [("config.json", &config), ("policy.safetensors", &weights)] {
        w.start_file(name, opts).ok()?;
        w.write_all(bytes).ok()?;
    }
    Some(w.finish().ok()?.into_inner())
}

// ---------------------------------------------------------------------------
// artifact manifest

const BLOB_MAGIC: &[u8; 8] = b"CTART\x001\n";
/// The one file beside the manifest, `a.npy`.
pub const MANIFEST_FILE_BODY: &[u8] = b"payload";

/// `manifest.json`: read from an artifact directory that also holds `a.npy`
/// ([`MANIFEST_FILE_BODY`]) and `link.npy` (a symbolic link to it), and
/// inside an artifact blob (every listed file then holds
/// [`MANIFEST_FILE_BODY`]); the input is also tried as a whole blob.
pub fn manifest_json(data: &[u8]) -> bool {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = scratch().join("manifest");
        std::fs::create_dir_all(&dir).expect("artifact directory");
        std::fs::write(dir.join("a.npy"), MANIFEST_FILE_BODY).expect("a.npy");
        #[cfg(unix)]
        std::os::unix::fs::symlink("a.npy", dir.join("link.npy")).expect("link.npy");
        dir
    });
    let from_dir = replace(&dir.join("manifest.json"), data).is_ok()
        && agent_core::persist::read_dir(dir).is_ok();
    let mut blob = Vec::with_capacity(data.len() + 64);
    blob.extend_from_slice(BLOB_MAGIC);
    blob.extend_from_slice(&(data.len() as u64).to_le_bytes());
    blob.extend_from_slice(data);
    for _ in 0..4 {
        blob.extend_from_slice(&(MANIFEST_FILE_BODY.len() as u64).to_le_bytes());
        blob.extend_from_slice(MANIFEST_FILE_BODY);
    }
    let from_blob = agent_core::persist::from_blob(&blob).is_ok();
    let whole = agent_core::persist::from_blob(data).is_ok();
    from_dir || from_blob || whole
}

// ---------------------------------------------------------------------------
// LATEST.json

/// Symbol and key under which the registry target keeps its one model.
pub const REGISTRY_SYMBOL: &str = "FUZZ";
pub const REGISTRY_KEY: &str = "models/linucb/FUZZ/v1.ctart";

/// A small real LinUCB model.
pub fn small_linucb(variant: linucb::Variant, mode: linucb::RegimeMode) -> linucb::LinUcb {
    use agent_core::ParamGuard;
    let params = linucb::LinUcbParams::new()
        .variant(variant)
        .regime_mode(mode)
        .check_unwrap();
    let regimes = match mode {
        linucb::RegimeMode::Ignore => vec![],
        _ => vec!["calm".into(), "wild".into()],
    };
    let n_regimes = regimes.len().max(1);
    let mut m = linucb::LinUcb::new(
        &params,
        vec!["trend".into(), "mean_rev".into()],
        regimes,
        vec!["f0".into(), "f1".into()],
    )
    .expect("a small LinUCB model");
    for i in 0..20 {
        let x = [i as f64 * 0.1, 1.0 - i as f64 * 0.05];
        m.update(i % n_regimes, &x, i % 2, 0.1 * i as f64)
            .expect("an update of the small LinUCB model");
    }
    m
}

/// The registry target's LinUCB artifact blob. Deterministic (fixed
/// creation time), so a committed `LATEST.json` seed can carry its hash.
pub fn registry_blob() -> &'static [u8] {
    static BLOB: OnceLock<Vec<u8>> = OnceLock::new();
    BLOB.get_or_init(|| {
        use agent_core::Persist;
        let m = small_linucb(linucb::Variant::Disjoint, linucb::RegimeMode::PerRegime);
        let files = m.to_files().expect("LinUCB files");
        let mut manifest = m.manifest(&files);
        manifest.created_at = "2025-01-01T00:00:00Z".into();
        agent_core::persist::to_blob(&manifest, &files).expect("LinUCB blob")
    })
}

/// `LATEST.json` (and `HISTORY.json`) of a local registry, followed as the
/// program does: read the pointer, fetch and verify the blob it names, load
/// the model. [`registry_blob`] is stored at [`REGISTRY_KEY`].
pub fn latest_pointer_json(data: &[u8]) -> bool {
    use store::ArtifactStore;
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let root = scratch().join("registry");
        store::LocalStore::new(&root)
            .put(REGISTRY_KEY, registry_blob())
            .expect("the registry target's model");
        root
    });
    // Written directly rather than through `put`, whose fsyncs would make
    // this target a hundred times slower; the reads are the store's own.
    let dir = root.join("models/linucb").join(REGISTRY_SYMBOL);
    if replace(&dir.join("LATEST.json"), data).is_err()
        || replace(&dir.join("HISTORY.json"), data).is_err()
    {
        return false;
    }
    let reg = store::ModelRegistry::new(store::LocalStore::new(root));
    let _ = reg.latest("linucb", REGISTRY_SYMBOL);
    let _ = reg.history("linucb", REGISTRY_SYMBOL);
    let _ = reg.list_current();
    let Ok((_, blob)) = reg.fetch_latest("linucb", REGISTRY_SYMBOL) else {
        return false;
    };
    <linucb::LinUcb as agent_core::Persist>::from_bytes(&blob).is_ok()
}

// ---------------------------------------------------------------------------
// LinUCB model.json + arrays

/// A LinUCB artifact: `model.json` and its `.npy` arrays, packed with
/// [`pack`]. The harness writes the manifest (checksums included) the way a
/// store would hold it, so the fuzzer reaches the model loader behind the
/// checksums; a model that loads must select and learn.
pub fn linucb_model(data: &[u8]) -> bool {
    use agent_core::Persist;
    let Some(blob) = packed_blob::<linucb::LinUcb>(data) else {
        return false;
    };
    let Ok(mut m) = linucb::LinUcb::from_bytes(&blob) else {
        return false;
    };
    let x = vec![0.5; m.feature_names().len()];
    for r in 0..m.regime_names().len().max(1) {
        if let Ok((arm, _)) = m.select(r, &x) {
            let _ = m.update(r, &x, arm, 1.0);
        }
    }
    true
}

/// An artifact blob of agent `M` holding the packed files of `data`, with a
/// manifest whose checksums match.
fn packed_blob<M: agent_core::Persist>(data: &[u8]) -> Option<Vec<u8>> {
    let mut files = agent_core::ArtifactFiles::new();
    for (name, bytes) in unpack(data) {
        files.insert(name, bytes.to_vec()).ok()?;
    }
    let manifest = agent_core::persist::make_manifest(
        M::AGENT,
        M::CRATE_VERSION,
        M::FORMAT_VERSION,
        agent_core::ModelInfo::default(),
        &files,
    );
    agent_core::persist::to_blob(&manifest, &files).ok()
}

// ---------------------------------------------------------------------------
// LinUCB training files

/// The LinUCB training CSVs (aggregate `strategy_pnl.csv`, trade log,
/// per-window returns): the layout-detecting reader the program uses, then
/// each layout's own reader.
pub fn linucb_csv(data: &[u8]) -> bool {
    let any = linucb::io::parse_training_file(data, "fuzz.csv").is_ok();
    let _ = linucb::io::parse_strategy_pnl(data, "fuzz.csv");
    let _ = linucb::io::parse_trade_log(data, "fuzz.csv");
    let _ = linucb::io::parse_strategy_returns(data, "fuzz.csv");
    any
}

// ---------------------------------------------------------------------------
// LightGBM model text

/// LightGBM model text as an artifact holds it, through the loader the
/// regime and meta-selector agents use; a model that loads must predict.
pub fn lightgbm_text(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(b) = lgbm::LgbBooster::from_string(text) else {
        return false;
    };
    let row = vec![0.0; b.n_features()];
    let mut out = vec![0.0; b.n_classes().max(1)];
    let _ = b.predict_row(&row, &mut out);
    true
}

// ---------------------------------------------------------------------------
// config TOML

/// `cointrainer.toml`.
pub fn config_toml(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(cfg) = cointrainer_trainer::config::Config::parse(text, "fuzz.toml") else {
        return false;
    };
    let _ = cfg.agent_params();
    let _ = cfg.data.spec();
    true
}

// ---------------------------------------------------------------------------
// HTTP service

/// Boundary of the multipart bodies the upload target sends.
pub const MULTIPART_BOUNDARY: &str = "fuzzboundary";
/// Candle file inside the service's data root (`data/btc.csv`).
pub const DATA_FILE: &str = "btc.csv";
/// Content of a file outside the data root, reachable through
/// `data/outside.csv` (a symbolic link) and `../secret.csv`: it must never
/// be read for a job nor appear in an answer.
pub const SECRET: &str = "timestamp,open,high,low,close,volume\nSECRET-7f3a9c\n";
const SECRET_MARK: &[u8] = b"SECRET-7f3a9c";

/// A job runner that checks jobs as the program does (the orchestrator's
/// own `validate`) and never queues one: a fuzz input must not start a
/// training. Whatever reaches it has passed the service's parsing and
/// checks, so it asserts what those guarantee.
struct CheckOnly {
    inner: cointrainer_trainer::orchestrator::Orchestrator,
    root: PathBuf,
    reached: AtomicBool,
}

impl JobRunner for CheckOnly {
    fn agents(&self) -> Vec<String> {
        self.inner.agents()
    }

    fn run(&self, _spec: &JobSpec, _progress: &(dyn Fn(f64) + Sync)) -> Result<JobOutcome, String> {
        Err("the fuzz harness trains nothing".into())
    }

    fn validate(&self, spec: &JobSpec) -> Result<(), String> {
        self.reached.store(true, Ordering::SeqCst);
        let paths: Vec<&PathBuf> = match &spec.data {
            DataSpec::Csv { path } => vec![path],
            DataSpec::CsvFiles { paths } => paths.iter().collect(),
            _ => vec![],
        };
        for p in paths {
            assert!(
                p.starts_with(&self.root),
                "a job reached the runner with {} outside the data root {}",
                p.display(),
                self.root.display()
            );
        }
        self.inner.validate(spec)?;
        Err("the fuzz harness queues no job".into())
    }
}

struct Service {
    rt: tokio::runtime::Runtime,
    app: axum::Router,
    runner: std::sync::Arc<CheckOnly>,
}

/// The service, built once per process: the real router and its checks,
/// a data root holding [`DATA_FILE`] and a link to a file outside it.
fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        use cointrainer_trainer::orchestrator::{Orchestrator, OrchestratorConfig};
        let base = scratch().join("service");
        let data = base.join("data");
        std::fs::create_dir_all(&data).expect("data root");
        std::fs::write(data.join(DATA_FILE), small_candles_csv()).expect("candle file");
        std::fs::write(base.join("secret.csv"), SECRET).expect("outside file");
        #[cfg(unix)]
        std::os::unix::fs::symlink("../secret.csv", data.join("outside.csv")).expect("link");
        let root = data.canonicalize().expect("data root");
        let runner = std::sync::Arc::new(CheckOnly {
            inner: Orchestrator::new(OrchestratorConfig::local(&base.join("store"))),
            root: root.clone(),
            reached: false.into(),
        });
        let config = cointrainer_trainer::server::ServerConfig {
            insecure_no_auth: true,
            body_limit: 1 << 20,
            upload_dir: base.join("uploads"),
            upload_cap: 4 << 20,
            data_roots: cointrainer_trainer::jobs::DataRoots::new(vec![root]),
            ..Default::default()
        };
        let (app, _handle) =
            cointrainer_trainer::server::router(runner.clone(), config).expect("router");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Service { rt, app, runner }
    })
}

/// Sixty bars of the synthetic market as a candle file.
pub fn small_candles_csv() -> String {
    let run = market::SyntheticMarket::new()
        .seed(7)
        .bars(600)
        .generate()
        .expect("synthetic candles");
    market::io::format_candles(&run.candles.slice(0..60))
}

/// `POST /train_model` with `body`; true when the job reached the runner's
/// checks. No answer may quote the file outside the data root.
fn post_job(content_type: &str, body: &[u8]) -> bool {
    use tower::ServiceExt;
    let svc = service();
    svc.runner.reached.store(false, Ordering::SeqCst);
    let req = axum::http::Request::post("/train_model")
        .header("content-type", content_type)
        .body(axum::body::Body::from(body.to_vec()))
        .expect("request");
    let answer = svc.rt.block_on(async {
        let res = svc.app.clone().oneshot(req).await.expect("router answers");
        axum::body::to_bytes(res.into_body(), 1 << 20).await
    });
    // (An answer may echo the client's own bytes.)
    if let Ok(text) = answer
        && find(body, SECRET_MARK).is_none()
    {
        assert!(
            find(&text, SECRET_MARK).is_none(),
            "an answer quoted a file outside the data root"
        );
    }
    svc.runner.reached.load(Ordering::SeqCst)
}

/// A `POST /train_model` JSON body, through the service's router: its
/// deserialisation, checks and data-root resolution, then the
/// orchestrator's own validation. Paths that reach the runner must lie
/// inside the data root.
pub fn job_json(data: &[u8]) -> bool {
    post_job("application/json", data)
}

/// A `POST /train_model` multipart body (boundary
/// [`MULTIPART_BOUNDARY`]) through the service's router: the form parser,
/// its fields, the candle file check and the job checks.
pub fn multipart_upload(data: &[u8]) -> bool {
    post_job(
        &format!("multipart/form-data; boundary={MULTIPART_BOUNDARY}"),
        data,
    )
}

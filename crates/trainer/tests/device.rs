//! `--device` and the job field `device`: a device this build has no
//! backend for fails before anything is loaded or trained, with the cargo
//! feature to build with; a malformed one lists the accepted forms; CPU-only
//! agents refuse accelerators; `cpu` trains exactly as before. Through the
//! program binary, the orchestrator and the HTTP service on loopback.
//! Tests of refusals assume a build without the device features; with
//! `--features tch` (CI's second build) a GPU the machine lacks is refused.

use cointrainer_trainer::device::{Device, FORMS};
use cointrainer_trainer::jobs::{JobRunner, JobSpec};
use cointrainer_trainer::orchestrator::Orchestrator;
use cointrainer_trainer::server::{ApiToken, ServerConfig, router};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_cointrainer");

/// Tiny lstm and ppo settings on a short synthetic market.
fn config_text(dir: &Path) -> String {
    format!(
        r#"[store]
dir = "{}"
reports_dir = "{}"

[data]
synthetic_seed = 7
synthetic_bars = 3000

[agents.lstm]
hidden_size = 8
window = 16
max_epochs = 1
batch_size = 128
threads = 2

[agents.ppo]
total_timesteps = 1024
n_steps = 64
batch_size = 64
n_envs = 2
n_epochs = 2
net_arch = {{ pi = [16], vf = [16] }}
"#,
        dir.join("models").display(),
        dir.join("reports").display()
    )
}

fn orchestrator(dir: &Path) -> Orchestrator {
    let cfg = cointrainer_trainer::config::Config::parse(&config_text(dir), "test.toml").unwrap();
    Orchestrator::new(cfg.orchestrator_config().unwrap())
}

fn job(json: Value) -> JobSpec {
    serde_json::from_value(json).unwrap()
}

/// Entries under `dir` (none when it does not exist).
fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|r| r.count()).unwrap_or(0)
}

fn program(dir: &Path, args: &[&str]) -> std::process::Output {
    let config = dir.join("cointrainer.toml");
    std::fs::write(&config, config_text(dir)).unwrap();
    Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[cfg(not(any(feature = "cuda", feature = "tch")))]
#[test]
fn train_on_cuda_without_the_feature_fails_before_training_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    for agent in ["lstm", "ppo"] {
        let out = program(dir.path(), &["train", agent, "--device", "cuda:0"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{agent}: {err}");
        assert!(
            err.contains("device cuda:0") && err.contains("--features cuda"),
            "{agent}: {err}"
        );
    }
    // Nothing was trained, reported or published.
    assert_eq!(entries(&dir.path().join("reports")), 0);
    assert_eq!(entries(&dir.path().join("models")), 0);
}

/// With libtorch compiled in (`--features tch`), a GPU the machine lacks is
/// an error naming the device, before anything trains. The index asked for
/// is one past the GPUs libtorch finds, so this holds on a GPU machine too.
#[cfg(all(feature = "tch", not(feature = "cuda"), not(feature = "rocm")))]
#[test]
fn train_on_a_gpu_this_machine_lacks_names_the_device() {
    let gpus = burn_gpus();
    let dir = tempfile::tempdir().unwrap();
    for (agent, device) in [
        ("lstm", format!("cuda:{gpus}")),
        ("ppo", format!("cuda:{gpus}")),
        ("lstm", format!("rocm:{gpus}")),
    ] {
        let out = program(dir.path(), &["train", agent, "--device", &device]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{agent} {device}: {err}");
        assert!(
            err.contains(&format!("device {device}"))
                && err.contains(&format!("finds {gpus} GPU(s)"))
                && !err.contains("panicked"),
            "{agent} {device}: {err}"
        );
    }
    assert_eq!(entries(&dir.path().join("reports")), 0);
    assert_eq!(entries(&dir.path().join("models")), 0);
}

/// How many GPUs libtorch finds here, as the program would count them.
#[cfg(all(feature = "tch", not(feature = "cuda"), not(feature = "rocm")))]
fn burn_gpus() -> usize {
    (0..64)
        .find(|&i| lstm::Backend::TchCuda(i).check_present().is_err())
        .unwrap()
}

#[test]
fn a_malformed_device_is_a_usage_error_listing_the_forms() {
    let dir = tempfile::tempdir().unwrap();
    let out = program(dir.path(), &["train", "lstm", "--device", "gpu0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown device `gpu0`") && err.contains(FORMS),
        "{err}"
    );
    assert_eq!(entries(&dir.path().join("reports")), 0);
}

#[test]
fn job_json_carries_the_device_and_omits_cpu() {
    let spec = job(json!({"agent": "lstm", "device": "cuda"}));
    assert_eq!(spec.device, Device::Cuda(0));
    assert_eq!(serde_json::to_value(&spec).unwrap()["device"], "cuda:0");
    let spec = job(json!({"agent": "lstm"}));
    assert_eq!(spec.device, Device::Cpu);
    assert!(serde_json::to_value(&spec).unwrap().get("device").is_none());
    let e = serde_json::from_value::<JobSpec>(json!({"agent": "lstm", "device": "cuda:one"}))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown device `cuda:one`") && e.contains(FORMS),
        "{e}"
    );
}

#[cfg(not(any(feature = "wgpu", feature = "lightgbm-cuda")))]
#[test]
fn the_orchestrator_refuses_devices_before_loading_anything() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    // A candle file that does not exist: the device is refused first.
    for (agent, device, feature) in [
        ("lstm", "wgpu", "--features wgpu"),
        ("ppo", "wgpu", "--features wgpu"),
        ("regime", "cuda:0", "--features lightgbm-cuda"),
        ("meta-selector", "cuda:0", "--features lightgbm-cuda"),
    ] {
        let spec = job(json!({"agent": agent, "device": device,
            "data": {"csv": {"path": "/nonexistent/BTCUSDT.csv"}}}));
        let e = orch.train(&spec, &|_| {}).unwrap_err().to_string();
        assert!(
            e.contains(&format!("device {device}")) && e.contains(feature),
            "{agent}: {e}"
        );
        let e = JobRunner::validate(&orch, &spec).unwrap_err();
        assert!(e.contains(feature), "{agent}: {e}");
    }
    assert_eq!(entries(&dir.path().join("reports")), 0);
}

#[test]
fn cpu_only_agents_refuse_accelerators() {
    let dir = tempfile::tempdir().unwrap();
    let orch = orchestrator(dir.path());
    for agent in ["signal", "linucb", "ou-mean"] {
        for device in ["cuda:0", "rocm", "wgpu"] {
            let spec = job(json!({"agent": agent, "device": device}));
            let e = orch.check(&spec).unwrap_err().to_string();
            assert!(
                e.contains(&format!("{agent} runs on the CPU only")),
                "{agent} {device}: {e}"
            );
        }
        orch.check(&job(json!({"agent": agent, "device": "cpu"})))
            .unwrap();
    }
}

/// `device: cpu` is what a job without one does: the same model, to the
/// last digit of every metric.
#[test]
fn cpu_trains_lstm_and_ppo_as_before() {
    for agent in ["lstm", "ppo"] {
        let metrics = |device: Option<&str>| {
            let dir = tempfile::tempdir().unwrap();
            let mut spec =
                json!({"agent": agent, "data": {"synthetic": {"seed": 7, "bars": 3000}}});
            if let Some(d) = device {
                spec["device"] = json!(d);
            }
            let out = orchestrator(dir.path())
                .train_one(&job(spec), &|_| {})
                .unwrap_or_else(|e| panic!("{agent} on {device:?}: {e}"));
            assert!(out.promoted, "{agent}");
            // Everything but wall-clock timings.
            let mut m = serde_json::to_value(&out.metrics).unwrap();
            if let Some(o) = m.as_object_mut() {
                o.retain(|k, _| !is_timing(k));
            }
            m
        };
        let before = metrics(None);
        assert_eq!(metrics(Some("cpu")), before, "{agent}");
        assert!(before.as_object().is_some_and(|m| !m.is_empty()), "{agent}");
    }
}

fn is_timing(key: &str) -> bool {
    key.starts_with("s_per")
        || key.ends_with("_s")
        || ["second", "fps", "elapsed", "per_sec"]
            .iter()
            .any(|w| key.contains(w))
}

/// A minimal HTTP/1.1 exchange: (status, body).
fn request(addr: SocketAddr, ctype: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /train_model HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer tok\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|x| x.1.to_string());
    (status, body.unwrap_or_default())
}

fn upload_form(device: &str) -> (String, String) {
    let mut csv = String::from("timestamp,open,high,low,close,volume\n");
    for i in 0..50 {
        let c = 100.0 + i as f64 * 0.01;
        csv.push_str(&format!(
            "{},{c},{},{},{c},10\n",
            1_672_531_200_000i64 + i * 3_600_000,
            c + 1.0,
            c - 1.0
        ));
    }
    let b = "XyZ";
    let part = |name: &str, value: &str| {
        format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    };
    let body = format!(
        "{}{}{}--{b}\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"BTCUSDT.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{b}--\r\n",
        part("agent", "lstm"),
        part("symbol", "BTCUSDT"),
        part("device", device),
    );
    (format!("multipart/form-data; boundary={b}"), body)
}

#[cfg(not(feature = "wgpu"))]
#[test]
fn the_http_service_refuses_devices_the_build_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let orch: Arc<dyn JobRunner> = Arc::new(orchestrator(dir.path()));
    let config = ServerConfig {
        token: Some(ApiToken::new("tok")),
        upload_dir: dir.path().join("uploads"),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (app, _handle) = router(orch, config).unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });

    let json_job = |device: &str| {
        let body = json!({"agent": "lstm", "device": device}).to_string();
        request(addr, "application/json", body.as_bytes())
    };
    let (st, body) = json_job("wgpu");
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("--features wgpu"), "{body}");
    let (st, body) = json_job("gpu");
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("unknown device `gpu`"), "{body}");

    let (ct, form) = upload_form("wgpu");
    let (st, body) = request(addr, &ct, form.as_bytes());
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("--features wgpu"), "{body}");
    let (ct, form) = upload_form("tpu");
    let (st, body) = request(addr, &ct, form.as_bytes());
    assert_eq!(st, 400, "{body}");
    assert!(
        body.contains("form field `device`") && body.contains(FORMS),
        "{body}"
    );
    // Nothing was queued or kept.
    assert_eq!(entries(&dir.path().join("uploads")), 0);
    assert_eq!(entries(&dir.path().join("reports")), 0);
}

/// `device` of a `[[schedule.jobs]]` entry is checked for every agent of the
/// job when the config is read: a scheduled GPU job that could never run
/// fails at startup, naming the job, the key and the reason.
#[cfg(not(feature = "wgpu"))]
#[test]
fn scheduled_jobs_carry_a_device_checked_when_the_config_is_read() {
    use cointrainer_trainer::config::Config;
    let dir = tempfile::tempdir().unwrap();
    let with_job = |agents: &str, device: &str| {
        format!(
            "{}\n[[schedule.jobs]]\nname = \"nightly-gpu\"\ncron = \"0 3 * * *\"\nagents = {agents}\ndevice = \"{device}\"\n",
            config_text(dir.path())
        )
    };
    let e = Config::parse(&with_job(r#"["lstm", "signal"]"#, "wgpu"), "c.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("schedule.jobs `nightly-gpu`: key `device`")
            && e.contains("device wgpu")
            && e.contains("--features wgpu"),
        "{e}"
    );
    // `all` includes CPU-only agents, which refuse any accelerator.
    let e = Config::parse(&with_job(r#"["all"]"#, "cuda:0"), "c.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("key `device`") && e.contains("cuda:0"), "{e}");
    let e = Config::parse(&with_job(r#"["lstm"]"#, "gpu0"), "c.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown device `gpu0`"), "{e}");
    let cfg = Config::parse(&with_job(r#"["lstm", "signal"]"#, "cpu"), "c.toml").unwrap();
    assert_eq!(cfg.schedule.jobs[0].device, Device::Cpu);
    let cfg = Config::parse(&config_text(dir.path()), "c.toml").unwrap();
    assert!(cfg.schedule.jobs.is_empty());
}

//! The HTTP service over a real socket: auth, validation, job life cycle,
//! queue limits, the original suite's multipart upload, data confinement,
//! upload hygiene, the saved job table and graceful drain with cancellation.

use agent_core::cancel;
use cointrainer_trainer::jobs::{DataRoots, DataSpec, JobOutcome, JobRunner, JobSpec};
use cointrainer_trainer::orchestrator::{Orchestrator, OrchestratorConfig};
use cointrainer_trainer::server::{ApiToken, JobState, ServerConfig, router};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Trains nothing heavy: reads the candles it is given (the real reader)
/// and takes `params.sleep_ms` (uploads: `UPLOAD_SLEEP_MS`), so the HTTP
/// layer's behaviour can be timed. `params.until_cancelled` loops until the
/// job's cancel token fires and then tries to publish, like the
/// orchestrator; `params.publish_ms` commits first and then takes that long.
struct CandleCheckRunner {
    /// Set when a cancelled job got past its commit point (it must not).
    published_after_cancel: Arc<AtomicBool>,
}

const UPLOAD_SLEEP_MS: u64 = 20;

impl CandleCheckRunner {
    fn new() -> Self {
        Self {
            published_after_cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl JobRunner for CandleCheckRunner {
    fn agents(&self) -> Vec<String> {
        vec!["signal".into(), "linucb".into()]
    }
    fn run(&self, spec: &JobSpec, progress: &(dyn Fn(f64) + Sync)) -> Result<JobOutcome, String> {
        let (bars, first_close, sleep_default) = match &spec.data {
            DataSpec::Csv { path } => {
                let c = market::read_candles(path).map_err(|e| e.to_string())?;
                (c.len(), c.close.first().copied(), UPLOAD_SLEEP_MS)
            }
            DataSpec::CsvFiles { paths } => (paths.len(), None, 0),
            DataSpec::Synthetic { bars, .. } => (*bars, None, 0),
            DataSpec::Upload { .. } => return Err("the runner got the client's view".into()),
        };
        let ms = spec
            .params
            .get("sleep_ms")
            .and_then(Value::as_u64)
            .unwrap_or(sleep_default);
        progress(0.5);
        std::thread::sleep(Duration::from_millis(ms));
        if spec.params.get("until_cancelled").is_some() {
            let token = cancel::current();
            let start = Instant::now();
            while cancel::check().is_ok() && start.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(5));
            }
            if token.commit().is_ok() {
                self.published_after_cancel.store(true, Ordering::SeqCst);
            }
            return Err("cancelled".into());
        }
        if let Some(ms) = spec.params.get("publish_ms").and_then(Value::as_u64) {
            cancel::current().commit().map_err(|e| e.to_string())?;
            std::thread::sleep(Duration::from_millis(ms));
        }
        if spec.params.get("fail").is_some() {
            return Err("asked to fail".into());
        }
        Ok(JobOutcome {
            metrics: json!({ "bars": bars, "first_close": first_close }),
            artifact: None,
            promoted: false,
            message: "checked".into(),
            published: Vec::new(),
        })
    }
}

struct Server {
    addr: SocketAddr,
    rt: tokio::runtime::Runtime,
    handle: cointrainer_trainer::server::ServiceHandle,
    upload_dir: PathBuf,
    _dir: tempfile::TempDir,
}

fn test_config(dir: &Path, token: Option<&str>, max_queue: usize) -> ServerConfig {
    ServerConfig {
        token: token.map(ApiToken::new),
        max_concurrent: 1,
        max_queue,
        body_limit: 256 * 1024,
        upload_dir: dir.join("uploads"),
        grace: Duration::from_millis(300),
        ..Default::default()
    }
}

fn start(token: Option<&str>, max_queue: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), token, max_queue);
    start_with(Arc::new(CandleCheckRunner::new()), config, dir)
}

fn start_with(runner: Arc<dyn JobRunner>, config: ServerConfig, dir: tempfile::TempDir) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let upload_dir = config.upload_dir.clone();
    let (app, handle) = router(runner, config).unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    Server {
        addr,
        rt,
        handle,
        upload_dir,
        _dir: dir,
    }
}

/// A minimal HTTP/1.1 client: returns (status, body).
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status: u16 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

fn json_post(addr: SocketAddr, token: &str, body: Value) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (st, b) = request(
        addr,
        "POST",
        "/train_model",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
        body.to_string().as_bytes(),
    );
    (st, serde_json::from_str(&b).unwrap_or(Value::Null))
}

fn wait_done(addr: SocketAddr, token: &str, id: u64) -> Value {
    let auth = format!("Bearer {token}");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let (st, b) = request(
            addr,
            "GET",
            &format!("/jobs/{id}"),
            &[("Authorization", &auth)],
            b"",
        );
        assert_eq!(st, 200, "{b}");
        let v: Value = serde_json::from_str(&b).unwrap();
        if v["state"] != "queued" && v["state"] != "running" {
            return v;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("job {id} did not finish");
}

fn multipart(csv: &str, agent: &str) -> (String, String) {
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"agent\"\r\n\r\n{agent}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A valid candle CSV of `bars` hourly bars whose closes start at `close`.
fn candles_csv(bars: usize, close: f64) -> String {
    let mut s = String::from("timestamp,open,high,low,close,volume\n");
    for i in 0..bars {
        let c = close + i as f64 * 0.01;
        s.push_str(&format!(
            "{},{c},{},{},{c},10\n",
            1_672_531_200_000i64 + i as i64 * 3_600_000,
            c + 1.0,
            c - 1.0
        ));
    }
    s
}

fn upload(addr: SocketAddr, token: &str, csv: &str) -> (u16, Value) {
    let (ct, body) = multipart(csv, "signal");
    let auth = format!("Bearer {token}");
    let (st, b) = request(
        addr,
        "POST",
        "/train_model",
        &[("Content-Type", &ct), ("Authorization", &auth)],
        body.as_bytes(),
    );
    (st, serde_json::from_str(&b).unwrap_or(Value::Null))
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn requests_without_the_right_token_are_refused_but_healthz_is_open() {
    let srv = start(Some("s3cret-token"), 4);
    let (st, _) = request(srv.addr, "GET", "/healthz", &[], b"");
    assert_eq!(st, 200);
    let (st, body) = request(srv.addr, "GET", "/jobs", &[], b"");
    assert_eq!(st, 401);
    assert!(!body.contains("s3cret"), "{body}");
    let (st, _) = request(
        srv.addr,
        "GET",
        "/jobs",
        &[("Authorization", "Bearer s3cret-tokeX")],
        b"",
    );
    assert_eq!(st, 401);
    let (st, _) = request(
        srv.addr,
        "GET",
        "/jobs",
        &[("Authorization", "Bearer s3cret-token")],
        b"",
    );
    assert_eq!(st, 200);
    drop(srv.rt);
}

#[test]
fn a_read_only_token_reads_but_cannot_submit() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path(), Some("full-token"), 4);
    config.read_token = Some(ApiToken::new("read-token"));
    let srv = start_with(Arc::new(CandleCheckRunner::new()), config, dir);
    for path in ["/jobs", "/models", "/metrics"] {
        let (st, b) = request(
            srv.addr,
            "GET",
            path,
            &[("Authorization", "Bearer read-token")],
            b"",
        );
        assert_eq!(st, 200, "{path}: {b}");
    }
    let (st, v) = json_post(srv.addr, "read-token", json!({"agent": "signal"}));
    assert_eq!(st, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("only read"), "{v}");
    let (st, v) = json_post(srv.addr, "full-token", json!({"agent": "signal"}));
    assert_eq!(st, 202, "{v}");
    let (st, _) = json_post(srv.addr, "read-tokem", json!({"agent": "signal"}));
    assert_eq!(st, 401);
}

#[test]
fn a_job_is_accepted_at_once_and_its_outcome_is_reported() {
    let srv = start(Some("t"), 4);
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "linucb", "data": {"synthetic": {"seed": 1, "bars": 1000}}, "params": {"sleep_ms": 50}}),
    );
    assert_eq!(st, 202, "{v}");
    let id = v["job_id"].as_u64().unwrap();
    let done = wait_done(srv.addr, "t", id);
    assert_eq!(done["state"], "succeeded");
    assert_eq!(done["outcome"]["metrics"]["bars"], 1000);

    let (_, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "signal", "params": {"fail": true}}),
    );
    let failed = wait_done(srv.addr, "t", v["job_id"].as_u64().unwrap());
    assert_eq!(failed["state"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("asked to fail"));

    let (st, body) = request(
        srv.addr,
        "GET",
        "/metrics",
        &[("Authorization", "Bearer t")],
        b"",
    );
    assert_eq!(st, 200);
    assert!(
        body.contains("cointrainer_jobs{state=\"succeeded\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("cointrainer_jobs{state=\"failed\"} 1"),
        "{body}"
    );
}

#[test]
fn invalid_requests_get_4xx_with_a_json_reason() {
    let srv = start(None, 4);
    let (st, v) = json_post(srv.addr, "", json!({"agent": "nope"}));
    assert_eq!(st, 422);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("unknown agent `nope`"),
        "{v}"
    );
    let (st, v) = json_post(srv.addr, "", json!({"agent": "signal", "params": [1, 2]}));
    assert_eq!(st, 422, "{v}");
    let (st, v) = json_post(srv.addr, "", json!({"agent": "signal", "symbol": "../etc"}));
    assert_eq!(st, 422, "{v}");
    let (st, _) = request(
        srv.addr,
        "POST",
        "/train_model",
        &[("Content-Type", "application/json")],
        b"{not json",
    );
    assert_eq!(st, 400);
    let (st, _) = request(srv.addr, "GET", "/jobs/999", &[], b"");
    assert_eq!(st, 404);
    let big = vec![b'x'; 300 * 1024];
    let (st, _) = request(
        srv.addr,
        "POST",
        "/train_model",
        &[("Content-Type", "application/json")],
        &big,
    );
    assert_eq!(st, 413);
}

#[test]
fn the_queue_is_bounded() {
    let srv = start(None, 1);
    let slow = json!({"agent": "signal", "params": {"sleep_ms": 400}});
    assert_eq!(json_post(srv.addr, "", slow.clone()).0, 202); // running
    assert_eq!(json_post(srv.addr, "", slow.clone()).0, 202); // queued
    let (st, v) = json_post(srv.addr, "", slow);
    assert_eq!(st, 503, "{v}");
}

#[test]
fn multipart_csv_upload_like_the_original_endpoint() {
    let srv = start(None, 4);
    let csv = "timestamp,open,high,low,close,volume\n1672531200000,100,101,99,100.5,10\n1672534800000,100.5,102,100,101,12\n";
    let (ct, body) = multipart(csv, "signal");
    let (st, b) = request(
        srv.addr,
        "POST",
        "/train_model",
        &[("Content-Type", &ct)],
        body.as_bytes(),
    );
    assert_eq!(st, 202, "{b}");
    let id = serde_json::from_str::<Value>(&b).unwrap()["job_id"]
        .as_u64()
        .unwrap();
    let done = wait_done(srv.addr, "", id);
    assert_eq!(done["outcome"]["metrics"]["bars"], 2);

    // A malformed file is refused at once with the reader's precise message.
    let bad = body.replace("100.5,10", "abc,10");
    let (st, b) = request(
        srv.addr,
        "POST",
        "/train_model",
        &[("Content-Type", &ct)],
        bad.as_bytes(),
    );
    assert_eq!(st, 422, "{b}");
    assert!(b.contains("line 2"), "{b}");
    // The job's upload is gone with the job; the refused one was never kept.
    assert!(files_in(&srv.upload_dir).is_empty());
}

#[test]
fn drain_lets_running_jobs_finish_and_marks_the_rest_interrupted() {
    let srv = start(None, 4);
    let (_, a) = json_post(
        srv.addr,
        "",
        json!({"agent": "signal", "params": {"sleep_ms": 100}}),
    );
    let (_, b) = json_post(
        srv.addr,
        "",
        json!({"agent": "signal", "params": {"sleep_ms": 100}}),
    );
    // Drain once the first job runs (a fixed sleep raced on a busy machine).
    let a_id = a["job_id"].as_u64().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while serde_json::to_value(srv.handle.job(a_id).unwrap().state).unwrap() != "running"
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    let interrupted = srv.rt.block_on(srv.handle.drain());
    assert_eq!(interrupted, 1);
    let a = srv.handle.job(a["job_id"].as_u64().unwrap()).unwrap();
    let b = srv.handle.job(b["job_id"].as_u64().unwrap()).unwrap();
    assert_eq!(serde_json::to_value(a.state).unwrap(), "succeeded");
    assert_eq!(serde_json::to_value(b.state).unwrap(), "interrupted");
}

#[test]
fn a_body_without_a_usable_content_type_or_with_unknown_keys_is_a_400_that_says_why() {
    let srv = start(None, 4);
    let body = json!({"agent": "signal"}).to_string();
    let (st, b) = request(srv.addr, "POST", "/train_model", &[], body.as_bytes());
    assert_eq!(st, 400, "{b}");
    assert!(
        b.contains("Content-Type") && b.contains("application/json"),
        "{b}"
    );
    let (st, b) = request(
        srv.addr,
        "POST",
        "/train_model",
        &[("Content-Type", "text/plain")],
        body.as_bytes(),
    );
    assert_eq!(st, 400, "{b}");
    assert!(b.contains("text/plain"), "{b}");
    // A misspelt key is not silently ignored (here: `force` would be lost).
    let (st, v) = json_post(srv.addr, "", json!({"agent": "signal", "forse": true}));
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("`forse`"), "{v}");
    let (st, v) = json_post(
        srv.addr,
        "",
        json!({"agent": "signal", "data": {"synthetic": {"seed": 1, "barz": 900}}}),
    );
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("`barz`"), "{v}");
    // A known key with a wrong value is a well-formed but invalid job.
    let (st, v) = json_post(srv.addr, "", json!({"agent": "signal", "force": "yes"}));
    assert_eq!(st, 422, "{v}");
    // With a charset parameter the JSON is still accepted.
    let (st, b) = request(
        srv.addr,
        "POST",
        "/train_model",
        &[("Content-Type", "application/json; charset=utf-8")],
        body.as_bytes(),
    );
    assert_eq!(st, 202, "{b}");
}

/// Files outside the data directory, through `..`, an absolute path or a
/// symlink, are refused with the same words as a file that does not exist.
#[test]
fn jobs_read_candle_files_only_inside_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("BTC-1h.csv"), candles_csv(3, 100.0)).unwrap();
    std::fs::write(data.join("sub/ETH-1h.csv"), candles_csv(4, 50.0)).unwrap();
    let outside = dir.path().join("outside.csv");
    std::fs::write(&outside, "SECRET_TOKEN=hunter2\n").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, data.join("link.csv")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", data.join("passwd.csv")).unwrap();
    }
    let mut config = test_config(dir.path(), Some("t"), 8);
    config.data_roots = DataRoots::new(vec![data.clone()]);
    let srv = start_with(Arc::new(CandleCheckRunner::new()), config, dir);

    let refusal = |path: &str| {
        let (st, v) = json_post(
            srv.addr,
            "t",
            json!({"agent": "signal", "data": {"csv": {"path": path}}}),
        );
        assert_eq!(st, 422, "{path}: {v}");
        let e = v["error"].as_str().unwrap().to_string();
        assert!(!e.contains("hunter2") && !e.contains("root:"), "{e}");
        if path.is_empty() {
            e.replace("``", "`<path>`")
        } else {
            e.replace(path, "<path>")
        }
    };
    let missing = refusal("missing.csv");
    assert!(missing.contains("not available"), "{missing}");
    let outside = outside.display().to_string();
    for path in [
        "/proc/self/environ",
        "/etc/passwd",
        "/nonexistent/x.csv",
        "../outside.csv",
        "sub/../../outside.csv",
        outside.as_str(),
        "link.csv",
        "passwd.csv",
        "sub",
        "",
    ] {
        assert_eq!(refusal(path), missing, "{path}");
    }
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "signal", "data": {"csv_files": {"paths": ["BTC-1h.csv", "/etc/hostname"]}}}),
    );
    assert_eq!(st, 422, "{v}");

    // Files inside the root work, by relative or absolute path.
    for (path, bars) in [
        ("BTC-1h.csv".to_string(), 3),
        ("sub/ETH-1h.csv".to_string(), 4),
        (data.join("BTC-1h.csv").display().to_string(), 3),
    ] {
        let (st, v) = json_post(
            srv.addr,
            "t",
            json!({"agent": "signal", "data": {"csv": {"path": path}}}),
        );
        assert_eq!(st, 202, "{path}: {v}");
        let done = wait_done(srv.addr, "t", v["job_id"].as_u64().unwrap());
        assert_eq!(done["outcome"]["metrics"]["bars"], bars, "{done}");
        // The record shows the client's own path, not the server's layout.
        assert_eq!(done["spec"]["data"]["csv"]["path"], path.as_str());
    }
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "signal", "data": {"upload": {"bytes": 10}}}),
    );
    assert_eq!(st, 422, "{v}");
}

#[test]
fn without_a_data_directory_no_csv_path_is_read() {
    let srv = start(Some("t"), 4);
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "signal", "data": {"csv": {"path": "/proc/self/environ"}}}),
    );
    assert_eq!(st, 422, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("no data directory"),
        "{v}"
    );
}

/// The real orchestrator on a file that is not candle data: the job fails,
/// naming the file and line, without reading the content back.
#[test]
fn a_failed_job_never_quotes_the_file_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("env.csv"),
        "AWS_SECRET_ACCESS_KEY=hunter2-first-line\nCOINTRAINER_TOKEN=tok\n",
    )
    .unwrap();
    std::fs::write(
        data.join("row.csv"),
        "timestamp,open,high,low,close,volume\n1672531200000,hunter3-in-a-row,101,99,100,1\n",
    )
    .unwrap();
    std::fs::write(
        data.join("nan.csv"),
        "timestamp,open,high,low,close,volume\n1672531200000,100,101,99,NaN,1\n",
    )
    .unwrap();
    let orch = Orchestrator::new(OrchestratorConfig::local(&dir.path().join("store")));
    let mut config = test_config(dir.path(), Some("t"), 8);
    config.data_roots = DataRoots::new(vec![data]);
    let srv = start_with(Arc::new(orch), config, dir);
    for (file, secret, line) in [
        ("env.csv", "hunter2", "line 1"),
        ("row.csv", "hunter3", "line 2"),
        ("nan.csv", "NaN", "line 2"),
    ] {
        let (st, v) = json_post(
            srv.addr,
            "t",
            json!({"agent": "linucb", "data": {"csv": {"path": file}}}),
        );
        assert_eq!(st, 202, "{v}");
        let done = wait_done(srv.addr, "t", v["job_id"].as_u64().unwrap());
        assert_eq!(done["state"], "failed", "{done}");
        let e = done["error"].as_str().unwrap();
        assert!(e.contains(file) && e.contains(line), "{e}");
        assert!(!e.contains(secret), "{e}");
        assert!(!e.contains("COINTRAINER_TOKEN"), "{e}");
        // Nor does the server's own layout show.
        assert!(!e.contains("/data/"), "{e}");
    }
}

/// 30 clients upload different files at once: each job trains on its own
/// file, and no upload is left on disk afterwards.
#[test]
fn concurrent_uploads_each_train_on_their_own_file_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path(), Some("t"), 40);
    config.max_concurrent = 2;
    let srv = start_with(Arc::new(CandleCheckRunner::new()), config, dir);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&srv.upload_dir)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "upload directory mode {mode:o}");
    }
    let addr = srv.addr;
    let jobs: Vec<(usize, u64)> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..30)
            .map(|i| {
                sc.spawn(move || {
                    let (st, v) = upload(addr, "t", &candles_csv(2 + i, 100.0 + i as f64));
                    assert_eq!(st, 202, "upload {i}: {v}");
                    (i, v["job_id"].as_u64().unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ids: Vec<u64> = jobs.iter().map(|j| j.1).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 30, "every upload got its own job id");
    for (i, id) in jobs {
        let done = wait_done(addr, "t", id);
        assert_eq!(done["state"], "succeeded", "{done}");
        assert_eq!(done["outcome"]["metrics"]["bars"], 2 + i, "{done}");
        assert_eq!(
            done["outcome"]["metrics"]["first_close"],
            100.0 + i as f64,
            "{done}"
        );
        assert!(done["spec"]["data"]["upload"]["bytes"].as_u64().is_some());
    }
    assert_eq!(files_in(&srv.upload_dir), Vec::<String>::new());
}

/// An upload is written only for a job that is admitted: not without the
/// token, not when the queue is full, not over the disk cap.
#[test]
fn uploads_are_kept_only_for_admitted_jobs_and_within_the_disk_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path(), Some("t"), 1);
    let small = candles_csv(3, 100.0);
    config.upload_cap = (small.len() as u64) * 3 / 2;
    let srv = start_with(Arc::new(CandleCheckRunner::new()), config, dir);

    let (st, _) = upload(srv.addr, "wrong", &small);
    assert_eq!(st, 401);
    assert!(files_in(&srv.upload_dir).is_empty());

    // A file bigger than the whole cap can never fit.
    let (st, v) = upload(srv.addr, "t", &candles_csv(6, 100.0));
    assert_eq!(st, 413, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("upload_cap_mb"),
        "{v}"
    );

    // One running (slow) job holds its upload; a second upload would pass the cap.
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "signal", "params": {"sleep_ms": 1500}}),
    );
    assert_eq!(st, 202, "{v}");
    let blocker = v["job_id"].as_u64().unwrap();
    let (st, v) = upload(srv.addr, "t", &small);
    assert_eq!(st, 202, "{v}");
    let queued = v["job_id"].as_u64().unwrap();
    assert_eq!(files_in(&srv.upload_dir).len(), 1);
    // The queue (1 running + 1 waiting) is full: refused before writing.
    let (st, v) = upload(srv.addr, "t", &small);
    assert_eq!(st, 503, "{v}");
    assert_eq!(files_in(&srv.upload_dir).len(), 1);
    wait_done(srv.addr, "t", blocker);
    wait_done(srv.addr, "t", queued);
    assert!(files_in(&srv.upload_dir).is_empty());
    drop(srv);

    // Room in the queue, but two uploads together would exceed the cap: 507.
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path(), Some("t"), 4);
    config.upload_cap = (small.len() as u64) * 3 / 2;
    let srv = start_with(Arc::new(CandleCheckRunner::new()), config, dir);
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "signal", "params": {"sleep_ms": 1500}}),
    );
    assert_eq!(st, 202, "{v}");
    let blocker = v["job_id"].as_u64().unwrap();
    let (st, v) = upload(srv.addr, "t", &small);
    assert_eq!(st, 202, "{v}");
    let first = v["job_id"].as_u64().unwrap();
    let (st, v) = upload(srv.addr, "t", &small);
    assert_eq!(st, 507, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("upload_cap_mb"),
        "{v}"
    );
    assert_eq!(files_in(&srv.upload_dir).len(), 1);
    wait_done(srv.addr, "t", blocker);
    wait_done(srv.addr, "t", first);
    let (st, v) = upload(srv.addr, "t", &small);
    assert_eq!(st, 202, "the cap frees up as jobs end: {v}");
}

/// Ids keep counting across restarts and finished jobs stay visible; a job
/// the file shows as running (a crash) comes back as interrupted.
#[test]
fn the_job_table_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let jobs_file = dir.path().join("reports/jobs.json");
    let mut config = test_config(dir.path(), Some("t"), 4);
    config.jobs_file = Some(jobs_file.clone());
    let keep = tempfile::tempdir().unwrap();
    let srv = start_with(Arc::new(CandleCheckRunner::new()), config.clone(), keep);
    for _ in 0..2 {
        let (st, v) = json_post(srv.addr, "t", json!({"agent": "signal"}));
        assert_eq!(st, 202, "{v}");
        wait_done(srv.addr, "t", v["job_id"].as_u64().unwrap());
    }
    drop(srv);

    // As a crash would leave it: job 2 still running.
    let mut saved: Value = serde_json::from_slice(&std::fs::read(&jobs_file).unwrap()).unwrap();
    saved["jobs"][1]["state"] = json!("running");
    std::fs::write(&jobs_file, saved.to_string()).unwrap();

    let srv = start_with(
        Arc::new(CandleCheckRunner::new()),
        config.clone(),
        tempfile::tempdir().unwrap(),
    );
    let auth = [("Authorization", "Bearer t")];
    let (st, b) = request(srv.addr, "GET", "/jobs/1", &auth, b"");
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        serde_json::from_str::<Value>(&b).unwrap()["state"],
        "succeeded"
    );
    let (_, b) = request(srv.addr, "GET", "/jobs/2", &auth, b"");
    assert_eq!(
        serde_json::from_str::<Value>(&b).unwrap()["state"],
        "interrupted"
    );
    let (st, v) = json_post(srv.addr, "t", json!({"agent": "signal"}));
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["job_id"], 3);
    wait_done(srv.addr, "t", 3);
    drop(srv);

    // A damaged table stops the service instead of silently forgetting jobs.
    std::fs::write(&jobs_file, "{not json").unwrap();
    let err = router(Arc::new(CandleCheckRunner::new()), config)
        .err()
        .expect("a damaged job table is refused");
    assert!(
        err.contains("jobs.json") && err.contains("move it aside"),
        "{err}"
    );
}

fn wait_running(srv: &Server, id: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while srv.handle.job(id).unwrap().state != JobState::Running && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// After the grace period a running job is cancelled: drain returns soon,
/// the job is interrupted and could not publish; a job already publishing
/// is allowed to finish.
#[test]
fn drain_cancels_jobs_still_running_after_the_grace_period() {
    let runner = Arc::new(CandleCheckRunner::new());
    let published = runner.published_after_cancel.clone();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), None, 4);
    let srv = start_with(runner, config, dir);
    let (_, v) = json_post(
        srv.addr,
        "",
        json!({"agent": "signal", "params": {"until_cancelled": true}}),
    );
    let id = v["job_id"].as_u64().unwrap();
    wait_running(&srv, id);
    // An upload waiting behind it is interrupted too, and its file goes.
    let (st, v) = upload(srv.addr, "", &candles_csv(3, 100.0));
    assert_eq!(st, 202, "{v}");
    let queued = v["job_id"].as_u64().unwrap();
    assert_eq!(files_in(&srv.upload_dir).len(), 1);
    let t0 = Instant::now();
    let interrupted = srv.rt.block_on(srv.handle.drain());
    let took = t0.elapsed();
    assert_eq!(interrupted, 2);
    assert_eq!(srv.handle.job(queued).unwrap().state, JobState::Interrupted);
    assert!(files_in(&srv.upload_dir).is_empty());
    assert!(
        took < Duration::from_millis(300 + 700),
        "drain took {took:?}"
    );
    let job = srv.handle.job(id).unwrap();
    assert_eq!(job.state, JobState::Interrupted);
    assert!(job.error.unwrap().contains("nothing was published"));
    // The runner saw the cancellation and its commit was refused.
    std::thread::sleep(Duration::from_millis(100));
    assert!(!published.load(Ordering::SeqCst));

    // A job past its commit point when the grace period ends finishes.
    let dir = tempfile::tempdir().unwrap();
    let srv = start_with(
        Arc::new(CandleCheckRunner::new()),
        test_config(dir.path(), None, 4),
        dir,
    );
    let (_, v) = json_post(
        srv.addr,
        "",
        json!({"agent": "signal", "params": {"publish_ms": 800}}),
    );
    let id = v["job_id"].as_u64().unwrap();
    wait_running(&srv, id);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(srv.rt.block_on(srv.handle.drain()), 0);
    let job = srv.handle.job(id).unwrap();
    assert_eq!(job.state, JobState::Succeeded);
}

/// One unreadable current-model pointer does not hide the others, and the
/// answer is never a success status around an error.
#[test]
fn models_lists_the_readable_pointers_and_names_the_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let orch = Orchestrator::new(OrchestratorConfig::local(&store));
    let small = JobSpec {
        agent: "ou-mean".into(),
        data: DataSpec::Synthetic {
            seed: 3,
            bars: 2000,
        },
        params: json!({"window": 200, "refit_every": 100,
            "grid": {"adf_pvalue_max": [0.1], "hurst_max": [0.5], "entry_z": [2.0], "exit_z": [0.5]}}),
        symbol: None,
        force: true,
        promote: None,
        per_symbol: false,
        device: Default::default(),
    };
    let trained = orch.train_one(&small, &|_| {}).unwrap();
    assert!(trained.promoted);
    // Beside the good pointer: <root>/<agent>/<symbol>/LATEST.json.
    let good = walk_for(&store, "LATEST.json");
    assert_eq!(good.len(), 1, "{good:?}");
    let broken = good[0]
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("ppo/GLOBAL");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("LATEST.json"), "{ damaged").unwrap();
    let config = test_config(dir.path(), Some("t"), 4);
    let srv = start_with(Arc::new(orch), config, dir);
    let (st, b) = request(
        srv.addr,
        "GET",
        "/models",
        &[("Authorization", "Bearer t")],
        b"",
    );
    assert_eq!(st, 200, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert!(v.get("error").is_none(), "{v}");
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{v}");
    assert_eq!(models[0]["agent"], "ou-mean");
    // Trained on the synthetic market: listed under the reserved symbol,
    // with the seed it was generated from.
    assert_eq!(models[0]["symbol"], store::SYNTHETIC_SYMBOL);
    assert_eq!(models[0]["provenance"]["kind"], "synthetic", "{v}");
    assert_eq!(models[0]["provenance"]["seed"], 3, "{v}");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(errors[0]["agent"], "ppo");
    assert_eq!(errors[0]["symbol"], "GLOBAL");
    assert!(
        errors[0]["key"]
            .as_str()
            .unwrap()
            .ends_with("ppo/GLOBAL/LATEST.json")
    );
    assert!(!errors[0]["error"].as_str().unwrap().is_empty());
    // A synthetic job naming a market's symbol is refused before it queues.
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "ou-mean", "data": {"synthetic": {"bars": 2000}}, "symbol": "GLOBAL"}),
    );
    assert_eq!(st, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("_synthetic"), "{v}");
}

fn walk_for(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_for(&p, name));
        } else if p.file_name().is_some_and(|n| n == name) {
            out.push(p);
        }
    }
    out
}

/// A JSON job over candle files of two symbols, through the real
/// orchestrator: one model per symbol, listed in the outcome, each decided
/// by the same-slice rule; `promote` and `per_symbol` reach the job.
#[test]
fn a_job_over_two_symbols_publishes_one_model_per_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let walk = |seed: u64| -> Vec<f64> {
        let mut rng = agent_core::SplitMix64::new(seed);
        (0..2_500).map(|_| 0.008 * rng.next_normal()).collect()
    };
    test_support::candles::write_hourly(&data, "AAAUSDT-1h.csv", &walk(1));
    test_support::candles::write_hourly(&data, "BBBUSDT-1h.csv", &walk(2));
    let orch = Orchestrator::new(OrchestratorConfig::local(&dir.path().join("store")));
    let mut config = test_config(dir.path(), Some("t"), 4);
    config.data_roots = DataRoots::new(vec![data]);
    let srv = start_with(Arc::new(orch), config, dir);
    let files = json!({"csv_files": {"paths": ["AAAUSDT-1h.csv", "BBBUSDT-1h.csv"]}});
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "signal", "data": files, "promote": "same-slice"}),
    );
    assert_eq!(st, 202, "{v}");
    let job = wait_done(srv.addr, "t", v["job_id"].as_u64().unwrap());
    assert_eq!(job["state"], "succeeded", "{job}");
    let published = job["outcome"]["published"].as_array().unwrap();
    let symbols: Vec<&str> = published
        .iter()
        .map(|p| p["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["AAAUSDT", "BBBUSDT"], "{job}");
    assert!(published.iter().all(|p| p["promoted"] == true), "{job}");

    // A misspelt rule is refused before anything runs.
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "linucb", "data": files, "promote": "sometimes"}),
    );
    assert_eq!(st, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("same-slice"), "{v}");
    // Per-symbol selectors on request.
    let (st, v) = json_post(
        srv.addr,
        "t",
        json!({"agent": "linucb", "data": files, "per_symbol": true}),
    );
    assert_eq!(st, 202, "{v}");
    let job = wait_done(srv.addr, "t", v["job_id"].as_u64().unwrap());
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["outcome"]["published"].as_array().unwrap().len(), 2);
}

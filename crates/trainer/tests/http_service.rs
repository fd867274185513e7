//! The HTTP service over a real socket: auth, validation, job life cycle,
//! queue limits, the original suite's multipart upload and graceful drain.

use cointrainer_trainer::jobs::{JobOutcome, JobRunner, JobSpec};
use cointrainer_trainer::server::{ApiToken, ServerConfig, router};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// Trains nothing heavy: validates the candles it is given (the real reader)
/// and takes `params.sleep_ms`, so the HTTP layer's behaviour can be timed.
struct CandleCheckRunner;

impl JobRunner for CandleCheckRunner {
    fn agents(&self) -> Vec<String> {
        vec!["signal".into(), "linucb".into()]
    }
    fn run(&self, spec: &JobSpec, progress: &(dyn Fn(f64) + Sync)) -> Result<JobOutcome, String> {
        let bars = match &spec.data {
            cointrainer_trainer::jobs::DataSpec::Csv { path } => {
                market::read_candles(path).map_err(|e| e.to_string())?.len()
            }
            cointrainer_trainer::jobs::DataSpec::CsvFiles { paths } => paths.len(),
            cointrainer_trainer::jobs::DataSpec::Synthetic { bars, .. } => *bars,
        };
        let ms = spec
            .params
            .get("sleep_ms")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        progress(0.5);
        std::thread::sleep(Duration::from_millis(ms));
        if spec.params.get("fail").is_some() {
            return Err("asked to fail".into());
        }
        Ok(JobOutcome {
            metrics: json!({ "bars": bars }),
            artifact: None,
            promoted: false,
            message: "checked".into(),
        })
    }
}

struct Server {
    addr: SocketAddr,
    rt: tokio::runtime::Runtime,
    handle: cointrainer_trainer::server::ServiceHandle,
}

fn start(token: Option<&str>, max_queue: usize) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = ServerConfig {
        token: token.map(ApiToken::new),
        max_concurrent: 1,
        max_queue,
        body_limit: 256 * 1024,
        upload_dir: tempfile::tempdir().unwrap().keep(),
        grace: Duration::from_millis(300),
        ..Default::default()
    };
    let (app, handle) = router(Arc::new(CandleCheckRunner), config);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    Server { addr, rt, handle }
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
    for _ in 0..500 {
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
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"agent\"\r\n\r\nsignal\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let ct = format!("multipart/form-data; boundary={boundary}");
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

//! `cointrainer serve` as a process: it refuses to start open to the
//! network, and on SIGTERM a long PPO job is really stopped within the grace
//! period, publishes nothing, and the job table carries over to the next
//! start.

#![cfg(unix)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const GRACE_S: u64 = 2;

/// A config in `dir` (store, reports and uploads inside it).
fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("cointrainer.toml");
    let text = format!(
        "[store]\ndir = \"{m}\"\nreports_dir = \"{r}\"\n\n[server]\ngrace_s = {GRACE_S}\nupload_dir = \"{u}\"\n",
        m = dir.join("models").display(),
        r = dir.join("reports").display(),
        u = dir.join("uploads").display(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn command(dir: &Path, token: Option<&str>, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cointrainer"));
    c.arg("--config")
        .arg(write_config(dir))
        .arg("serve")
        .args(args)
        .current_dir(dir)
        .env_remove("COINTRAINER_TOKEN")
        .env_remove("COINTRAINER_API_TOKEN")
        .env_remove("COINTRAINER_READ_TOKEN")
        .env_remove("COINTRAINER_CONFIG")
        .env_remove("COINTRAINER_STORE_DIR")
        .env_remove("COINTRAINER_REPORTS_DIR")
        .env_remove("COINTRAINER_DATA_DIR")
        .env_remove("COINTRAINER_ADDR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        c.env("COINTRAINER_TOKEN", t);
    }
    c
}

/// A running service and the lines it writes to stderr.
struct Service {
    child: Child,
    addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &Path, token: Option<&str>, args: &[&str]) -> Service {
    let mut child = command(dir, token, args).spawn().unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Owned by the guard at once, so every way out kills and reaps it.
    let mut svc = Service {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        stderr: rx,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = svc.stderr.recv_timeout(Duration::from_millis(100)) {
            if let Some(a) = line.split("listening on http://").nth(1) {
                svc.addr = a.trim().parse().unwrap();
                return svc;
            }
            seen.push(line);
        }
        if let Ok(Some(st)) = svc.child.try_wait() {
            panic!("the service exited ({st}): {seen:?}");
        }
    }
    panic!("the service did not start: {seen:?}");
}

/// Run to completion (for commands that must refuse); kills after 20 s.
fn run_to_exit(mut c: Command) -> (ExitStatus, String) {
    let mut child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (st, err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the service started where it must refuse to");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn request(addr: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = raw.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[test]
fn without_a_token_the_service_starts_only_on_loopback_when_told_to() {
    let dir = tempfile::tempdir().unwrap();
    let (st, err) = run_to_exit(command(dir.path(), None, &["--addr", "127.0.0.1:0"]));
    assert!(!st.success());
    assert!(
        err.contains("COINTRAINER_TOKEN") && err.contains("--insecure-no-auth"),
        "{err}"
    );
    let (st, err) = run_to_exit(command(
        dir.path(),
        None,
        &["--addr", "0.0.0.0:0", "--insecure-no-auth"],
    ));
    assert!(!st.success());
    assert!(err.contains("loopback"), "{err}");
    // The name the HTTP docs once used is not read; the message says which is.
    let mut c = command(dir.path(), None, &["--addr", "127.0.0.1:0"]);
    c.env("COINTRAINER_API_TOKEN", "x");
    let (st, err) = run_to_exit(c);
    assert!(!st.success());
    assert!(
        err.contains("COINTRAINER_API_TOKEN is set but not read"),
        "{err}"
    );

    let open = spawn(
        dir.path(),
        None,
        &["--addr", "127.0.0.1:0", "--insecure-no-auth"],
    );
    assert_eq!(request(open.addr, "GET", "/jobs", "", "").0, 200);
    drop(open);

    let secured = spawn(dir.path(), Some("s3cret"), &["--addr", "127.0.0.1:0"]);
    assert_eq!(request(secured.addr, "GET", "/jobs", "", "").0, 401);
    assert_eq!(request(secured.addr, "GET", "/jobs", "s3cret", "").0, 200);
}

fn latest_pointers(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.file_name().is_some_and(|n| n == "LATEST.json") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(st) = child.try_wait().unwrap() {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn sigterm_stops_a_long_ppo_job_within_the_grace_period_and_nothing_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let mut srv = spawn(dir.path(), Some("t"), &["--addr", "127.0.0.1:0"]);
    // Far more updates than the grace period allows (minutes of training).
    let job = json!({
        "agent": "ppo",
        "data": {"synthetic": {"seed": 5, "bars": 3000}},
        "params": {"total_timesteps": 50_000_000, "n_envs": 2, "n_steps": 64, "batch_size": 64, "n_epochs": 2},
        "force": true,
    });
    let (st, v) = request(srv.addr, "POST", "/train_model", "t", &job.to_string());
    assert_eq!(st, 202, "{v}");
    let id = v["job_id"].as_u64().unwrap();
    // Wait until PPO itself trains (past loading and the backtest bootstrap).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, j) = request(srv.addr, "GET", &format!("/jobs/{id}"), "t", "");
        assert_eq!(
            j["state"].as_str().map(|s| s != "failed"),
            Some(true),
            "{j}"
        );
        if j["state"] == "running" && j["progress"].as_f64().unwrap_or(0.0) > 0.16 {
            break;
        }
        assert!(Instant::now() < deadline, "PPO never started training: {j}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let t0 = Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(srv.child.id() as i32, libc::SIGTERM) },
        0
    );
    let status = wait_exit(&mut srv.child, Duration::from_secs(GRACE_S + 6));
    let took = t0.elapsed();
    let lines: Vec<String> = srv.stderr.try_iter().collect();
    let status = status.unwrap_or_else(|| {
        panic!("still running {took:?} after SIGTERM with grace_s = {GRACE_S}: {lines:?}")
    });
    assert!(status.success(), "{status}: {lines:?}");
    assert!(
        took >= Duration::from_secs(GRACE_S),
        "the grace period was not given: {took:?}"
    );
    // The registry got no model, now or later (the process is gone).
    assert_eq!(
        latest_pointers(&dir.path().join("models")),
        Vec::<PathBuf>::new()
    );
    let table: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("reports/jobs.json")).unwrap())
            .unwrap();
    let saved = &table["jobs"][0];
    assert_eq!(saved["id"], id);
    assert_eq!(saved["state"], "interrupted", "{saved}");
    assert!(
        saved["error"]
            .as_str()
            .unwrap()
            .contains("nothing was published"),
        "{saved}"
    );
    drop(srv);

    // The next start shows the old job and keeps counting ids.
    let srv = spawn(dir.path(), Some("t"), &["--addr", "127.0.0.1:0"]);
    let (st, j) = request(srv.addr, "GET", &format!("/jobs/{id}"), "t", "");
    assert_eq!(st, 200, "{j}");
    assert_eq!(j["state"], "interrupted");
    let (st, v) = request(
        srv.addr,
        "POST",
        "/train_model",
        "t",
        &json!({"agent": "linucb", "data": {"synthetic": {"seed": 1, "bars": 600}}}).to_string(),
    );
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["job_id"], id + 1);
}

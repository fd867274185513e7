//! Sweeps on a real Ray cluster on loopback, their store the S3 store on a
//! loopback S3 server (SigV4 checked): a head started here, the shards (real
//! trainings at several grid points, and walk-forward folds) run by the
//! shipped driver through the `cointrainer` binary, and the merged result
//! equal to the same plan run in one process byte for byte. A shard with
//! bad input is reported with its error while the others complete; running
//! the sweep again is harmless; a Ray worker killed mid-shard, and a shard's
//! `cointrainer` process killed by a signal, are retried, and every shard's
//! result is in the bucket exactly once. One sweep is on the synthetic
//! market, one on the shared BTC and ETH candles. Every wait is bounded and
//! the cluster stopped. `ignored` with the reason without a Python that
//! imports `ray` (or without the shared candles, for the second).

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use test_support::s3::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};
use test_support::{needs_python, needs_python_and_shared, run_tests};

const BIN: &str = env!("CARGO_BIN_EXE_cointrainer");

/// `f` on a thread, failing the test when it takes more than 300 s (every
/// wait is bounded; the cluster is stopped by its guard either way).
fn promptly<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    test_support::hostile::within(Duration::from_secs(300), what, f)
}

/// The `ray` command beside the interpreter.
fn ray_cli(python: &Path) -> PathBuf {
    python.with_file_name("ray")
}

/// Stops the cluster however the test ends.
struct Cluster {
    ray: PathBuf,
    temp: PathBuf,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.ray).args(["stop", "--force"]).output();
        let _ = std::fs::remove_dir_all(&self.temp);
    }
}

/// Kills and reaps a child process however the test ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The S3 store's credentials, from the environment as a user gives them
/// (never in the config file), and nothing of the caller's own S3 setup.
fn with_s3_env(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("RAY_USAGE_STATS_ENABLED", "0");
    for v in [
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "CT_S3_BUCKET",
        "CT_S3_PREFIX",
        "COINTRAINER_STORE_DIR",
        "COINTRAINER_REPORTS_DIR",
    ] {
        cmd.env_remove(v);
    }
    cmd
}

fn cointrainer(config: &Path, args: &[&str]) -> std::process::Output {
    let config = config.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let what = format!("cointrainer {}", args.join(" "));
    promptly(&what, move || {
        with_s3_env(Command::new(BIN).arg("--config").arg(&config).args(&args))
            .output()
            .unwrap()
    })
}

/// A config whose store is the bucket on `server` (under `prefix`), its
/// cache and the reports in `dir`, followed by `rest` (the data and the
/// sweep).
fn s3_config(dir: &Path, server: &S3Server, prefix: Option<&str>, rest: &str) -> PathBuf {
    let mut text = format!(
        "[store]\nkind = \"s3\"\nbucket = \"{BUCKET}\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\ndir = \"{}\"\nreports_dir = \"{}\"\n",
        server.endpoint(),
        dir.join("cache").display(),
        dir.join("reports").display()
    );
    if let Some(p) = prefix {
        text.push_str(&format!("prefix = \"{p}\"\n"));
    }
    text.push_str(rest);
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The result keys (`.json`) under `sweeps/<plan>/` in the bucket, listed
/// through S3 (training shards put their models beside them).
fn result_keys(server: &S3Server, prefix: Option<&str>, plan: &str) -> BTreeSet<String> {
    let mut cfg = store::S3Config::new(BUCKET)
        .with_endpoint(server.endpoint())
        .with_credentials(ACCESS_KEY, SECRET_KEY);
    if let Some(p) = prefix {
        cfg = cfg.with_prefix(p);
    }
    let s3 = store::S3Store::new(cfg).unwrap();
    store::ArtifactStore::list(&s3, &format!("sweeps/{plan}/"))
        .unwrap()
        .into_iter()
        .filter(|k| k.ends_with(".json"))
        .collect()
}

/// Every shard's key in the store, from the plan file.
fn expected_keys(plan: &str) -> (String, BTreeSet<String>) {
    let shards: Vec<serde_json::Value> = plan
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let id = shards[0]["plan"].as_str().unwrap().to_string();
    let keys = shards
        .iter()
        .map(|s| format!("sweeps/{id}/{}.json", s["id"].as_str().unwrap()))
        .collect();
    (id, keys)
}

/// The command line of a process (empty once it is gone).
fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn sigkill(pid: u32) -> bool {
    // SAFETY: kill(2) on a pid read from /proc; no memory is involved.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) == 0 }
}

/// The `run-shard` processes of the plan file `plan`.
fn shard_processes(plan: &str) -> Vec<u32> {
    pids()
        .into_iter()
        .filter(|&p| {
            let c = cmdline(p);
            c.contains(" run-shard ") && c.contains(plan)
        })
        .collect()
}

/// One cluster at a time: two heads on one machine contend for its 2 CPUs
/// and Ray's per-machine session files.
static ONE_CLUSTER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A cluster of one head with 2 CPUs on 127.0.0.1: its guard (which holds
/// [`ONE_CLUSTER`]), its address and its temp dir (with a trailing `/`, to
/// tell its processes apart).
fn start_cluster(python: &Path) -> (Cluster, String, String) {
    let turn = ONE_CLUSTER.lock().unwrap_or_else(|p| p.into_inner());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Short: Ray's socket paths must fit in 107 bytes.
    let temp = PathBuf::from(format!("/tmp/ct-ray-{}-{port}", std::process::id()));
    let temp_s = format!("{}/", temp.display());
    let cluster = Cluster {
        ray: ray_cli(python),
        temp: temp.clone(),
        _turn: turn,
    };
    let ray = cluster.ray.clone();
    // The workers inherit the head's environment: the S3 credentials, as
    // each node of a real cluster has its own.
    let start = promptly("ray start", move || {
        with_s3_env(Command::new(&ray).args([
            "start",
            "--head",
            "--node-ip-address=127.0.0.1",
            &format!("--port={port}"),
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ]))
        .arg(format!("--temp-dir={}", temp.display()))
        .output()
        .unwrap()
    });
    assert!(
        start.status.success(),
        "ray start: {}",
        String::from_utf8_lossy(&start.stderr)
    );
    (cluster, format!("127.0.0.1:{port}"), temp_s)
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The same plan in one process, into a local store of its own: `sweep run`
/// and `sweep merge --no-publish` into `out`.
fn single_process(dir: &Path, sweep: &str, plan: &str, out: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\ndir = \"{}\"\nreports_dir = \"{}\"\n{sweep}",
            dir.join("models").display(),
            dir.join("reports").display()
        ),
    )
    .unwrap();
    ok(&cointrainer(&config, &["sweep", "run", "--plan", plan]));
    merge_unpublished(&config, plan, out);
}

/// `sweep merge --no-publish` of `plan` into `out`.
fn merge_unpublished(config: &Path, plan: &str, out: &Path) {
    let out = out.display().to_string();
    ok(&cointrainer(
        config,
        &[
            "sweep",
            "merge",
            "--plan",
            plan,
            "--no-publish",
            "--out",
            &out,
        ],
    ));
}

/// The merged files of a Ray sweep (`--no-publish`) equal the
/// single-process run's byte for byte.
fn same_files(merged: &Path, single: &Path, files: &[&str]) {
    for f in files {
        assert!(
            std::fs::read(merged.join(f)).unwrap() == std::fs::read(single.join(f)).unwrap(),
            "{f} differs between the Ray sweep and the single-process run"
        );
    }
}

const WALK_FORWARD_FILES: [&str; 4] = ["windows.csv", "folds.csv", "summary.csv", "paired.csv"];

/// Trainings of three agents (two grid points each for two of them) and a
/// walk-forward on the synthetic market.
const SYNTHETIC_SWEEP: &str = r#"
[data]
synthetic_seed = 7
synthetic_bars = 6000

[sweep]
agents = ["regime", "ou-mean", "linucb"]

[sweep.grid.regime]
num_leaves = [[7], [15]]

[sweep.grid.ou-mean]
window = [72, 168]

[sweep.walk_forward]
train_days = 60
test_days = 20
agents = ["linucb", "regime"]
"#;

fn sweep_on_ray(python: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let server = S3Server::start(&root.join("s3"), "127.0.0.1:0".parse().unwrap());
    let config = s3_config(&root.join("first"), &server, None, SYNTHETIC_SWEEP);
    let (cluster, address, temp_s) = start_cluster(python);
    let plan = root.join("plan.jsonl");
    let plan_s = plan.display().to_string();
    ok(&cointrainer(&config, &["sweep", "plan", "--out", &plan_s]));
    let good = std::fs::read_to_string(&plan).unwrap();
    let n = good.lines().count();
    assert!(n >= 12, "{good}");
    assert_eq!(good.matches("\"kind\":\"train\"").count(), 5, "{good}");
    let (plan_id, keys) = expected_keys(&good);
    assert_eq!(keys.len(), n, "shard ids are unique");

    // Shard 1 (a training) is given a data file that does not exist: it
    // fails with its error, the others complete.
    let broken: Vec<String> = good
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 1 {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["data"] = serde_json::json!({"csv": {"path": "/nonexistent/BTCUSDT-1h.csv"}});
                v.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&plan, broken.join("\n") + "\n").unwrap();
    let python_s = python.display().to_string();
    let ray_args = [
        "sweep",
        "ray",
        "--plan",
        &plan_s,
        "--address",
        &address,
        "--timeout",
        "240",
        "--python",
        &python_s,
    ];
    let out = cointrainer(&config, &ray_args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stderr.contains("1 of") && stderr.contains("shards failed on Ray: 1"),
        "{stderr}"
    );
    let failed_line = stdout
        .lines()
        .find(|l| l.contains("\"shard\": 1,"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        failed_line.contains("does not exist") || failed_line.contains("No such file"),
        "{failed_line}"
    );
    assert_eq!(stdout.matches("\"ok\": true").count(), n - 1, "{stdout}");
    let mut all_but_1 = keys.clone();
    all_but_1.remove(&format!(
        "sweeps/{plan_id}/{}.json",
        serde_json::from_str::<serde_json::Value>(good.lines().nth(1).unwrap()).unwrap()["id"]
            .as_str()
            .unwrap()
    ));
    assert_eq!(result_keys(&server, None, &plan_id), all_but_1);

    // With the plan repaired, running the sweep again is harmless: the
    // finished shards leave one complete result each, the failed one
    // completes.
    std::fs::write(&plan, &good).unwrap();
    ok(&cointrainer(&config, &ray_args));
    assert_eq!(result_keys(&server, None, &plan_id), keys);
    let merged = root.join("merged");
    merge_unpublished(&config, &plan_s, &merged);

    // The same plan in one process.
    let single = root.join("single");
    single_process(&root.join("local"), SYNTHETIC_SWEEP, &plan_s, &single);
    let mut files = WALK_FORWARD_FILES.to_vec();
    files.push("trainings.csv");
    same_files(&merged, &single, &files);

    // The same plan again, into a fresh place in the bucket: a Ray worker is
    // killed while it runs a shard, and a shard's `cointrainer` process is
    // killed by a signal (as the OOM killer would). Both shards are retried.
    let prefix = "after-kill";
    let config = s3_config(&root.join("second"), &server, Some(prefix), SYNTHETIC_SWEEP);
    let logs = root.join("second");
    // The driver names the plan by its canonical path.
    let driver_plan = std::fs::canonicalize(&plan).unwrap().display().to_string();
    let mut cmd = Command::new(BIN);
    cmd.arg("--config").arg(&config).args(ray_args);
    let sweep = with_s3_env(&mut cmd)
        .stdout(std::fs::File::create(logs.join("stdout")).unwrap())
        .stderr(std::fs::File::create(logs.join("stderr")).unwrap())
        .spawn()
        .unwrap();
    let mut sweep = Reaped(sweep);
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut killed_worker = None;
    let mut killed_child = None;
    let status = loop {
        if let Some(status) = sweep.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the sweep did not finish within 300 s"
        );
        for pid in pids() {
            let c = cmdline(pid);
            let up = parent(pid).map(cmdline).unwrap_or_default();
            // A worker of this cluster (its parent, the raylet, runs in the
            // cluster's temp dir) running the task `shard`.
            if killed_worker.is_none() && c.starts_with("ray::shard") && up.contains(&temp_s) {
                if sigkill(pid) {
                    killed_worker = Some(pid);
                }
            // A shard's `cointrainer` process under another, live worker.
            } else if killed_worker.is_some()
                && killed_child.is_none()
                && c.contains(" run-shard ")
                && c.contains(&driver_plan)
                && up.starts_with("ray::shard")
                && parent(pid) != killed_worker
                && sigkill(pid)
            {
                killed_child = Some(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = std::fs::read_to_string(logs.join("stdout")).unwrap();
    let stderr = std::fs::read_to_string(logs.join("stderr")).unwrap();
    assert!(
        killed_worker.is_some(),
        "no Ray worker was caught running a shard\n{stdout}{stderr}"
    );
    assert!(
        killed_child.is_some(),
        "no shard's process was caught running\n{stdout}{stderr}"
    );
    eprintln!(
        "killed Ray worker {killed_worker:?} and shard process {killed_child:?} of {n} shards"
    );
    assert!(status.success(), "{status}\n{stdout}{stderr}");
    assert_eq!(stdout.matches("\"ok\": true").count(), n, "{stdout}");
    // The killed worker's `cointrainer` child may still be running: it
    // leaves a complete result of the same shard. Wait for it before
    // listing.
    let quiet = Instant::now() + Duration::from_secs(60);
    while !shard_processes(&driver_plan).is_empty() && Instant::now() < quiet {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in shard_processes(&driver_plan) {
        sigkill(pid);
    }
    assert_eq!(result_keys(&server, Some(prefix), &plan_id), keys);
    let merged = root.join("merged-after-kill");
    let merged_s = merged.display().to_string();
    merge_unpublished(&config, &plan_s, &merged);
    same_files(&merged, &single, &files);
    // Then publishing: each agent's chosen grid point becomes the current
    // model in the bucket's registry.
    let table = ok(&cointrainer(
        &config,
        &["sweep", "merge", "--plan", &plan_s, "--out", &merged_s],
    ));
    for agent in ["regime", "ou-mean", "linucb"] {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(agent) && l.contains("promoted")),
            "{table}"
        );
    }
    drop(cluster);
    drop(server);
}

/// Trainings and folds on the last 3000 hourly bars of the shared BTC and
/// ETH candles, on Ray over S3, equal to one process, and published under
/// each symbol.
fn sweep_of_shared_candles_on_ray(python: &Path, shared: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files: Vec<String> = ["BTCUSDT-1h.csv", "ETHUSDT-1h.csv"]
        .iter()
        .map(|f| {
            test_support::candles::write_tail(
                &shared.join("data").join(f),
                &root.join("candles"),
                f,
                3000,
            )
            .display()
            .to_string()
        })
        .collect();
    let sweep = format!(
        r#"
[data]
files = ["{}", "{}"]

[sweep]
agents = ["regime", "ou-mean"]

[sweep.grid.regime]
num_leaves = [[7], [15]]

[sweep.grid.ou-mean]
window = [72, 168]

[sweep.walk_forward]
train_days = 60
test_days = 20
agents = ["regime", "linucb"]
"#,
        files[0], files[1]
    );
    let server = S3Server::start(&root.join("s3"), "127.0.0.1:0".parse().unwrap());
    let config = s3_config(&root.join("ray"), &server, None, &sweep);
    let (cluster, address, _) = start_cluster(python);
    let plan = root.join("plan.jsonl");
    let plan_s = plan.display().to_string();
    ok(&cointrainer(&config, &["sweep", "plan", "--out", &plan_s]));
    let text = std::fs::read_to_string(&plan).unwrap();
    assert_eq!(text.matches("\"kind\":\"train\"").count(), 8, "{text}");
    let (plan_id, keys) = expected_keys(&text);
    let python_s = python.display().to_string();
    ok(&cointrainer(
        &config,
        &[
            "sweep",
            "ray",
            "--plan",
            &plan_s,
            "--address",
            &address,
            "--timeout",
            "240",
            "--python",
            &python_s,
        ],
    ));
    assert_eq!(result_keys(&server, None, &plan_id), keys);
    let merged = root.join("merged");
    let merged_s = merged.display().to_string();
    merge_unpublished(&config, &plan_s, &merged);
    let single = root.join("single");
    single_process(&root.join("local"), &sweep, &plan_s, &single);
    let mut same = WALK_FORWARD_FILES.to_vec();
    same.push("trainings.csv");
    same_files(&merged, &single, &same);
    let table = ok(&cointrainer(
        &config,
        &["sweep", "merge", "--plan", &plan_s, "--out", &merged_s],
    ));
    for agent in ["regime", "ou-mean"] {
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            assert!(
                table
                    .lines()
                    .any(|l| l.starts_with(agent) && l.contains(symbol) && l.contains("promoted")),
                "{table}"
            );
        }
    }
    drop(cluster);
    drop(server);
}

fn main() {
    run_tests(vec![
        needs_python(
            "a_sweep_on_a_loopback_ray_cluster_over_s3_merges_into_the_single_process_result",
            &["ray"],
            sweep_on_ray,
        ),
        needs_python_and_shared(
            "a_sweep_of_the_shared_candles_on_ray_equals_one_process_and_publishes_per_symbol",
            &["ray"],
            &["data/BTCUSDT-1h.csv", "data/ETHUSDT-1h.csv"],
            sweep_of_shared_candles_on_ray,
        ),
    ]);
}

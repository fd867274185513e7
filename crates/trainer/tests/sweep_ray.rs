//! A sweep on a real Ray cluster on loopback: a head started here, the
//! shards run by the shipped driver through the `cointrainer` binary, the
//! merged report equal to a single-process walk-forward, a shard with bad
//! input reported with its error while the others complete, every wait
//! bounded, the cluster stopped. `ignored` with the reason without a Python
//! that imports `ray`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use test_support::{needs_python, run_tests};

const BIN: &str = env!("CARGO_BIN_EXE_cointrainer");

/// `f` on a thread, failing the test when it takes more than 300 s (every
/// wait is bounded; the cluster is stopped by its guard either way).
fn promptly<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(300))
        .unwrap_or_else(|_| panic!("{what} did not return within 300 s"))
}

/// The `ray` command beside the interpreter.
fn ray_cli(python: &Path) -> PathBuf {
    python.with_file_name("ray")
}

/// Stops the cluster however the test ends.
struct Cluster {
    ray: PathBuf,
    temp: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.ray).args(["stop", "--force"]).output();
        let _ = std::fs::remove_dir_all(&self.temp);
    }
}

fn cointrainer(config: &Path, args: &[&str]) -> std::process::Output {
    let config = config.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let what = format!("cointrainer {}", args.join(" "));
    promptly(&what, move || {
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(&args)
            .env("RAY_USAGE_STATS_ENABLED", "0")
            .output()
            .unwrap()
    })
}

fn sweep_on_ray(python: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let config = root.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\ndir = \"{}\"\nreports_dir = \"{}\"\n",
            root.join("store").display(),
            root.join("reports").display()
        ),
    )
    .unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Short: Ray's socket paths must fit in 107 bytes.
    let temp = PathBuf::from(format!("/tmp/ct-ray-{}", std::process::id()));
    let cluster = Cluster {
        ray: ray_cli(python),
        temp: temp.clone(),
    };
    let ray = cluster.ray.clone();
    let start = promptly("ray start", move || {
        Command::new(&ray)
            .args([
                "start",
                "--head",
                "--node-ip-address=127.0.0.1",
                &format!("--port={port}"),
                "--num-cpus=2",
                "--include-dashboard=false",
                "--disable-usage-stats",
            ])
            .arg(format!("--temp-dir={}", temp.display()))
            .env("RAY_USAGE_STATS_ENABLED", "0")
            .output()
            .unwrap()
    });
    assert!(
        start.status.success(),
        "ray start: {}",
        String::from_utf8_lossy(&start.stderr)
    );
    let address = format!("127.0.0.1:{port}");
    let folds = [
        "--bars",
        "3000",
        "--train-days",
        "60",
        "--test-days",
        "20",
        "--agents",
        "linucb,regime",
    ];
    let plan = root.join("plan.jsonl");
    let plan_s = plan.display().to_string();
    let mut args = vec!["sweep", "plan"];
    args.extend(folds);
    args.extend(["--plan", &plan_s]);
    assert!(cointrainer(&config, &args).status.success());
    let good = std::fs::read_to_string(&plan).unwrap();
    let n = good.lines().count();
    assert!(n >= 3, "{good}");

    // Shard 1 is given a data file that does not exist: it fails with its
    // error, the others complete.
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

    // With the plan repaired, running the sweep again is harmless: the
    // finished shards write the same bytes, the failed one completes.
    std::fs::write(&plan, &good).unwrap();
    let out = cointrainer(&config, &ray_args);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = root.join("merged");
    let merged_s = merged.display().to_string();
    let m = cointrainer(
        &config,
        &["sweep", "merge", "--plan", &plan_s, "--out", &merged_s],
    );
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));

    // The same run in one process.
    let single = root.join("single");
    let single_s = single.display().to_string();
    let mut args = vec!["walk-forward"];
    args.extend(folds);
    args.extend(["--out", &single_s]);
    assert!(cointrainer(&config, &args).status.success());
    for f in ["windows.csv", "folds.csv", "summary.csv", "paired.csv"] {
        assert!(
            std::fs::read(merged.join(f)).unwrap() == std::fs::read(single.join(f)).unwrap(),
            "{f} differs between the Ray sweep and the single-process run"
        );
    }
    drop(cluster);
}

fn main() {
    run_tests(vec![needs_python(
        "a_sweep_on_a_loopback_ray_cluster_merges_into_the_single_process_result",
        &["ray"],
        sweep_on_ray,
    )]);
}

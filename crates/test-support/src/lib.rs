//! The harness of the workspace's tests that need something outside the
//! repository: a Python 3 interpreter with some modules (interop checks) or
//! the benchmark data in `shared/` beside the checkout, which a user's clone
//! does not have.
//!
//! Such tests live in `harness = false` test targets whose `main` hands a
//! list of [`Trial`]s to [`run_tests`]. The output and the closing line are
//! libtest's (`test result: ok. N passed; 0 failed; M ignored; ...`), and a
//! test whose requirement is missing shows as
//! `test NAME ... ignored (REASON)` instead of passing silently. CI turns
//! the skips into failures:
//!
//! - `COINTRAINER_REQUIRE_PYTHON=1`: a missing Python or module fails the test;
//! - `COINTRAINER_REQUIRE_SHARED_DATA=1`: a missing shared file fails the test.
//!
//! Python is `$COINTRAINER_PYTHON` when that is set (and then only it), else
//! the first of `python3`, `python` on `PATH` that imports the modules. The
//! shared data is `$COINTRAINER_SHARED_DIR`, else `shared/` beside the
//! workspace root.
//!
//! ```no_run
//! use test_support::{needs_python, run_tests, test};
//!
//! fn main() {
//!     run_tests(vec![
//!         test("plain", || assert_eq!(1 + 1, 2)),
//!         needs_python("numpy_reads_it", &["numpy"], |python| {
//!             // run `python` on a file written here, assert on its output
//!             let _ = python;
//!         }),
//!     ]);
//! }
//! ```

pub mod candles;
pub mod hostile;
#[cfg(feature = "s3")]
pub mod s3;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

pub use libtest_mimic::Trial;
use libtest_mimic::{Arguments, Completion, Failed};

/// Names the Python interpreter to use (the only one tried when set).
pub const PYTHON_VAR: &str = "COINTRAINER_PYTHON";
/// Names the directory holding the shared benchmark data.
pub const SHARED_DIR_VAR: &str = "COINTRAINER_SHARED_DIR";
/// Set to `1`: a test whose Python or module is missing fails.
pub const REQUIRE_PYTHON_VAR: &str = "COINTRAINER_REQUIRE_PYTHON";
/// Set to `1`: a test whose shared data file is missing fails.
pub const REQUIRE_SHARED_DATA_VAR: &str = "COINTRAINER_REQUIRE_SHARED_DATA";

/// Parse libtest's command line (filters, `--ignored`, `--test-threads`,
/// `--list`, ...), run the trials and exit with libtest's status.
pub fn run_tests(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// A test that needs nothing: it fails when `f` panics.
pub fn test(name: &str, f: impl FnOnce() + Send + 'static) -> Trial {
    Trial::test(name, move || {
        f();
        Ok(())
    })
}

/// A test that needs a Python 3 interpreter able to import every module of
/// `modules` (none: plain Python). `f` gets the interpreter's path; without
/// one the test is ignored with the reason, or fails under
/// `COINTRAINER_REQUIRE_PYTHON=1`.
pub fn needs_python(
    name: &str,
    modules: &'static [&'static str],
    f: impl FnOnce(&Path) + Send + 'static,
) -> Trial {
    Trial::ignorable_test(name, move || match python_with(modules) {
        Ok(python) => {
            f(&python);
            Ok(Completion::Completed)
        }
        Err(why) => missing(why, REQUIRE_PYTHON_VAR),
    })
}

/// A test that needs the files `files` (relative paths) under the shared
/// data directory. `f` gets that directory; when a file is absent the test
/// is ignored with the reason, or fails under
/// `COINTRAINER_REQUIRE_SHARED_DATA=1`.
pub fn needs_shared(
    name: &str,
    files: &'static [&'static str],
    f: impl FnOnce(&Path) + Send + 'static,
) -> Trial {
    Trial::ignorable_test(name, move || match shared_files(files) {
        Ok(dir) => {
            f(&dir);
            Ok(Completion::Completed)
        }
        Err(why) => missing(why, REQUIRE_SHARED_DATA_VAR),
    })
}

/// A test that needs both a Python importing `modules` and the shared
/// files `files`: `f` gets the interpreter and the shared directory; either
/// missing is handled as in [`needs_python`] and [`needs_shared`].
pub fn needs_python_and_shared(
    name: &str,
    modules: &'static [&'static str],
    files: &'static [&'static str],
    f: impl FnOnce(&Path, &Path) + Send + 'static,
) -> Trial {
    Trial::ignorable_test(name, move || match python_with(modules) {
        Err(why) => missing(why, REQUIRE_PYTHON_VAR),
        Ok(python) => match shared_files(files) {
            Err(why) => missing(why, REQUIRE_SHARED_DATA_VAR),
            Ok(dir) => {
                f(&python, &dir);
                Ok(Completion::Completed)
            }
        },
    })
}

/// The rule for a missing requirement: ignored with `why`, or a failure
/// when the variable `require_var` is set to anything but `0` or empty.
fn missing(why: String, require_var: &str) -> Result<Completion, Failed> {
    if required(require_var) {
        Err(format!("{why} (required: {require_var} is set)").into())
    } else {
        Ok(Completion::ignored_with(why))
    }
}

fn required(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| !v.is_empty() && v != "0")
}

/// The workspace root (the directory of the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    // This crate is `crates/test-support` of the workspace.
    here.ancestors().nth(2).unwrap_or(here).to_path_buf()
}

/// The golden fixtures: `$COINTRAINER_FIXTURES`, else `fixtures/` of the
/// workspace. The variable serves test binaries built on one machine and run
/// on another (scripts/gpu-check.sh), where the build's path does not exist.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("COINTRAINER_FIXTURES") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => workspace_root().join("fixtures"),
    }
}

/// The shared data directory: `$COINTRAINER_SHARED_DIR`, else `shared/`
/// beside the workspace root. It may not exist.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os(SHARED_DIR_VAR) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => {
            let root = workspace_root();
            root.parent().unwrap_or(&root).join("shared")
        }
    }
}

/// The shared data directory when every file of `files` is in it, else why
/// not (the first absent file).
pub fn shared_files(files: &[&str]) -> Result<PathBuf, String> {
    let dir = shared_dir();
    match files.iter().map(|f| dir.join(f)).find(|p| !p.is_file()) {
        None => Ok(dir),
        Some(p) => Err(format!(
            "{} is absent (shared benchmark data, not in the repository); set {SHARED_DIR_VAR}",
            p.display()
        )),
    }
}

/// A Python 3 interpreter that imports every module of `modules`, or why
/// there is none. Looked up once per set of modules and process.
pub fn python_with(modules: &[&str]) -> Result<PathBuf, String> {
    static FOUND: OnceLock<Mutex<HashMap<String, Result<PathBuf, String>>>> = OnceLock::new();
    let key = modules.join(",");
    let cache = FOUND.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    let found = find_python(modules);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, found.clone());
    found
}

fn find_python(modules: &[&str]) -> Result<PathBuf, String> {
    let what = if modules.is_empty() {
        "Python 3".to_string()
    } else {
        format!("Python 3 with {}", modules.join(", "))
    };
    if let Some(p) = std::env::var_os(PYTHON_VAR).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return match probe(&p, modules) {
            Ok(()) => Ok(p),
            Err(e) => Err(format!("no {what}: {PYTHON_VAR}={}: {e}", p.display())),
        };
    }
    let mut tried = Vec::new();
    for name in ["python3", "python"] {
        let p = PathBuf::from(name);
        match probe(&p, modules) {
            Ok(()) => return Ok(p),
            Err(e) => tried.push(format!("{name}: {e}")),
        }
    }
    Err(format!(
        "no {what} on PATH ({}); set {PYTHON_VAR}",
        tried.join("; ")
    ))
}

/// Runs `python` on a script that checks the version and imports `modules`.
fn probe(python: &Path, modules: &[&str]) -> Result<(), String> {
    let mut script =
        String::from("import sys\nif sys.version_info[0] != 3: sys.exit('not Python 3')\n");
    for m in modules {
        script.push_str(&format!("import {m}\n"));
    }
    let out = Command::new(python)
        .arg("-c")
        .arg(&script)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "not found".to_string(),
            _ => e.to_string(),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("exited with an error")
        .trim()
        .to_string())
}

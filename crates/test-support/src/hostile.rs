//! Hostile files for the tests of the workspace's readers: a FIFO where a
//! data file is expected, a sparse file larger than a reader's limit, and a
//! guard that fails a test whose reader blocks instead of refusing.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// How long a reader may take to refuse a hostile file.
pub const PROMPT: Duration = Duration::from_secs(10);

/// A FIFO named `name` in `dir` (nothing ever writes to it: a reader that
/// opens it blocking, or reads it, hangs).
pub fn fifo(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let status = std::process::Command::new("mkfifo")
        .arg(&p)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(status.success(), "mkfifo {} failed", p.display());
    p
}

/// A sparse file named `name` in `dir` of `len` bytes (zeros, no disk
/// blocks): a reader must refuse it from its size, before reading.
pub fn sparse_file(dir: &Path, name: &str, len: u64) -> PathBuf {
    let p = dir.join(name);
    let f = std::fs::File::create(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    f.set_len(len)
        .unwrap_or_else(|e| panic!("{}: set_len: {e}", p.display()));
    p
}

/// Run `f` on its own thread and return its result; panics (failing the
/// test) when it takes longer than [`PROMPT`], as a reader blocked on a FIFO
/// or reading a huge file would.
pub fn promptly<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    within(PROMPT, what, f)
}

/// [`promptly`] with another limit (a child process that trains, a
/// cluster that starts).
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what} did not return within {limit:?}"))
}

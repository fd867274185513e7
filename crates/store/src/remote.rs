//! Plumbing shared by the remote backends: a private async runtime behind the
//! synchronous [`ArtifactStore`](crate::ArtifactStore) API, retries, and a
//! secret type that never prints.

use crate::cached::RetryPolicy;
use crate::error::StoreError;
use agent_core::SplitMix64;
use std::future::Future;
use std::sync::Mutex;

/// A credential. `Debug` and `Display` print `<redacted>`, so a secret can sit
/// in a config struct that is logged or formatted into an error.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself; only for building requests.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Replace every occurrence of each secret in `msg`: the last line of defence
/// in case a library echoes a header or URL into its error text.
pub(crate) fn scrub(msg: String, secrets: &[&Secret]) -> String {
    secrets
        .iter()
        .filter(|s| s.expose().len() >= 4)
        .fold(msg, |m, s| m.replace(s.expose(), "<redacted>"))
}

/// Default of the remote stores' `max_object_bytes`: the largest object a
/// `get` downloads, an artifact blob at its limit (as for a local store).
pub(crate) const DEFAULT_MAX_OBJECT_BYTES: u64 = crate::local::MAX_OBJECT_BYTES;

/// Append `chunk` to `buf` unless that would make it longer than `max`;
/// `false` means the body is over the limit (and nothing was appended), so
/// a server that streams more than it declared is cut off at the first
/// chunk past the limit.
pub(crate) fn append_bounded(buf: &mut Vec<u8>, chunk: &[u8], max: u64) -> bool {
    if buf.len() as u64 + chunk.len() as u64 > max {
        return false;
    }
    buf.extend_from_slice(chunk);
    true
}

/// The error for an object over a store's `max_object_bytes`: `size` is
/// what the server declared, or at least what it sent.
pub(crate) fn too_large(store: String, key: &str, size: u64, max: u64) -> StoreError {
    StoreError::Corrupt {
        store,
        key: key.to_string(),
        why: format!(
            "the object holds {size} bytes or more, more than the {max} allowed (max_object_bytes)"
        ),
    }
}

/// A one-worker tokio runtime owned by a store. Futures are spawned onto it
/// and the caller waits on a channel, never with `block_on`, so the sync API
/// works from plain threads and from inside another tokio runtime alike
/// (there it blocks that worker for the call, as any sync I/O would).
pub(crate) struct Bridge {
    rt: Option<tokio::runtime::Runtime>,
}

impl Bridge {
    pub(crate) fn new(name: &str) -> Result<Self, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(name)
            .enable_all()
            .build()
            .map_err(|e| StoreError::Config(format!("cannot start the {name} runtime: {e}")))?;
        Ok(Self { rt: Some(rt) })
    }

    /// Run `fut` to completion on the store's runtime. `None` only if the
    /// runtime is gone or the future panicked.
    pub(crate) fn run<F, T>(&self, fut: F) -> Option<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let rt = self.rt.as_ref()?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().ok()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside an async context;
        // shutting down in the background is allowed everywhere.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Run `op` up to `policy.attempts` times while it fails with a transient
/// error (see [`StoreError::is_transient`]), sleeping per the policy between.
pub(crate) fn with_retry<T>(
    policy: &RetryPolicy,
    rng: &Mutex<SplitMix64>,
    mut op: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let attempts = policy.attempts.max(1);
    let mut n = 0;
    loop {
        match op() {
            Err(e) if e.is_transient() && n + 1 < attempts => {
                let d = {
                    let mut rng = rng.lock().unwrap_or_else(|p| p.into_inner());
                    policy.delay(n, &mut rng)
                };
                std::thread::sleep(d);
                n += 1;
            }
            other => return other,
        }
    }
}

pub(crate) fn seeded_rng() -> Mutex<SplitMix64> {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(11);
    Mutex::new(SplitMix64::new(seed))
}

/// Where a listing must start and which names it keeps: the store's trait
/// takes any string prefix, remote listings go by folder.
pub(crate) fn folder_of(prefix: &str) -> &str {
    match prefix.rfind('/') {
        Some(i) => &prefix[..=i],
        None => "",
    }
}

/// `http(s)://user:pass@host/...` without the user info, for messages.
pub(crate) fn strip_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(
            scrub("auth hunter2-very-secret failed".into(), &[&s]),
            "auth <redacted> failed"
        );
    }

    #[test]
    fn user_info_is_stripped_from_urls() {
        assert_eq!(
            strip_userinfo("https://ak:sk@minio.local:9000/x"),
            "https://minio.local:9000/x"
        );
        assert_eq!(strip_userinfo("http://h:1/a@b"), "http://h:1/a@b");
    }

    #[test]
    fn listing_folders() {
        assert_eq!(folder_of("models/reg"), "models/");
        assert_eq!(folder_of("models/"), "models/");
        assert_eq!(folder_of("mod"), "");
    }

    #[test]
    fn the_bridge_works_inside_another_runtime() {
        let bridge = Bridge::new("t").unwrap();
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let v = outer.block_on(async { bridge.run(async { 41 + 1 }) });
        assert_eq!(v, Some(42));
        // Dropping the bridge inside an async context must not panic either.
        outer.block_on(async move { drop(bridge) });
    }
}

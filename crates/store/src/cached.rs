//! A remote store with a local cache in front: reads fall back to the cache
//! when the remote is down, writes land in the cache first and reach the
//! remote with retries, and a recovery loop uploads what is still pending
//! once the remote answers again. Nothing written is ever lost to an outage.

use crate::ArtifactStore;
use crate::error::StoreError;
use crate::local::LocalStore;
use agent_core::SplitMix64;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Exponential backoff with full jitter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per operation (>= 1).
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            base: Duration::from_millis(200),
            max: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `n` (0-based): uniform in `[d/2, d]` with
    /// `d = min(max, base * 2^n)`, so clients that failed together spread out.
    pub fn delay(&self, n: u32, rng: &mut SplitMix64) -> Duration {
        let d = self
            .base
            .saturating_mul(1u32.checked_shl(n.min(20)).unwrap_or(u32::MAX))
            .min(self.max);
        let half = d / 2;
        half + Duration::from_nanos((rng.next_f64() * half.as_nanos() as f64) as u64)
    }
}

/// What a cached store has been through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStatus {
    /// The last remote call failed.
    pub remote_down: bool,
    /// Reads answered from the cache because the remote failed.
    pub served_from_cache: u64,
    /// Writes not yet on the remote.
    pub pending_uploads: usize,
}

struct Inner {
    remote: Arc<dyn ArtifactStore>,
    cache: LocalStore,
    retry: RetryPolicy,
    remote_down: AtomicBool,
    served_from_cache: AtomicU64,
    pending: Mutex<Vec<String>>,
    rng: Mutex<SplitMix64>,
}

/// A remote store with a local cache and pending-upload queue.
#[derive(Clone)]
pub struct CachedStore {
    inner: Arc<Inner>,
}

const PENDING_KEY: &str = "pending-uploads.json";

impl CachedStore {
    /// Wrap `remote` with a cache directory. Uploads left pending by an earlier
    /// process (recorded in the cache) are picked up again.
    pub fn new(remote: Arc<dyn ArtifactStore>, cache: LocalStore, retry: RetryPolicy) -> Self {
        // The pending list lives beside the cached keys under a reserved name
        // that no registry key can take (keys never start with `.`).
        let pending = std::fs::read(cache.root().join(format!(".{PENDING_KEY}")))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        Self {
            inner: Arc::new(Inner {
                remote,
                cache,
                retry,
                remote_down: AtomicBool::new(false),
                served_from_cache: AtomicU64::new(0),
                pending: Mutex::new(pending),
                rng: Mutex::new(SplitMix64::new(seed)),
            }),
        }
    }

    /// The remote store itself, without the cache: for writes that must
    /// reach it or fail (a sweep shard's result, which another machine
    /// reads), never queued for later.
    pub fn remote(&self) -> Arc<dyn ArtifactStore> {
        self.inner.remote.clone()
    }

    pub fn status(&self) -> StoreStatus {
        StoreStatus {
            remote_down: self.inner.remote_down.load(Ordering::Relaxed),
            served_from_cache: self.inner.served_from_cache.load(Ordering::Relaxed),
            pending_uploads: self.pending_lock().len(),
        }
    }

    fn pending_lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        // A panic elsewhere must not stop uploads: take the data regardless.
        self.inner
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn save_pending(&self, pending: &[String]) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(pending).map_err(|e| StoreError::Corrupt {
            store: self.describe(),
            key: PENDING_KEY.into(),
            why: e.to_string(),
        })?;
        agent_core::write_atomic(
            &self.inner.cache.root().join(format!(".{PENDING_KEY}")),
            &bytes,
        )?;
        Ok(())
    }

    fn with_retry<T>(
        &self,
        mut op: impl FnMut() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut last = None;
        for n in 0..self.inner.retry.attempts.max(1) {
            match op() {
                Ok(v) => {
                    self.inner.remote_down.store(false, Ordering::Relaxed);
                    return Ok(v);
                }
                Err(e) if e.is_transient() => {
                    last = Some(e);
                    if n + 1 < self.inner.retry.attempts {
                        let d = {
                            let mut rng = self.inner.rng.lock().unwrap_or_else(|p| p.into_inner());
                            self.inner.retry.delay(n, &mut rng)
                        };
                        std::thread::sleep(d);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        self.inner.remote_down.store(true, Ordering::Relaxed);
        Err(last.unwrap_or_else(|| StoreError::Unreachable {
            store: self.inner.remote.describe(),
            why: "no attempt made".into(),
        }))
    }

    /// Upload every pending key that is still in the cache; returns how many
    /// remain pending.
    pub fn flush_pending(&self) -> usize {
        let keys: Vec<String> = self.pending_lock().clone();
        let mut done = Vec::new();
        for key in &keys {
            let bytes = match self.inner.cache.get(key) {
                Ok(Some(b)) => b,
                // Gone from the cache (deleted): nothing left to upload.
                Ok(None) => {
                    done.push(key.clone());
                    continue;
                }
                Err(_) => continue,
            };
            match self.inner.remote.put(key, &bytes) {
                Ok(()) => {
                    self.inner.remote_down.store(false, Ordering::Relaxed);
                    done.push(key.clone());
                }
                // Down: the rest would fail the same way; try again later.
                Err(e) if e.is_transient() => {
                    self.inner.remote_down.store(true, Ordering::Relaxed);
                    break;
                }
                // Refused (e.g. permissions, quota): keep the key pending and
                // go on, so one refused upload does not hold up the others.
                Err(_) => continue,
            }
        }
        let mut pending = self.pending_lock();
        pending.retain(|k| !done.contains(k));
        let _ = self.save_pending(&pending);
        pending.len()
    }
}

impl ArtifactStore for CachedStore {
    fn describe(&self) -> String {
        format!(
            "{} (cached in {})",
            self.inner.remote.describe(),
            self.inner.cache.root().display()
        )
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.inner.cache.put(key, bytes)?;
        // Keep write order: while older uploads are pending, queue behind them.
        let queued = !self.pending_lock().is_empty();
        if !queued
            && self
                .with_retry(|| self.inner.remote.put(key, bytes))
                .is_ok()
        {
            return Ok(());
        }
        let mut pending = self.pending_lock();
        if !pending.iter().any(|k| k == key) {
            pending.push(key.to_string());
        }
        self.save_pending(&pending)
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        // A pending key's newest bytes are in the cache, not on the remote.
        if self.pending_lock().iter().any(|k| k == key) {
            return self.inner.cache.get(key);
        }
        match self.with_retry(|| self.inner.remote.get(key)) {
            Ok(Some(b)) => {
                let _ = self.inner.cache.put(key, &b);
                Ok(Some(b))
            }
            Ok(None) => Ok(None),
            Err(e) if e.is_transient() => {
                self.inner.served_from_cache.fetch_add(1, Ordering::Relaxed);
                self.inner.cache.get(key)
            }
            Err(e) => Err(e),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = match self.with_retry(|| self.inner.remote.list(prefix)) {
            Ok(k) => k,
            Err(e) if e.is_transient() => Vec::new(),
            Err(e) => return Err(e),
        };
        keys.extend(self.inner.cache.list(prefix)?);
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.cache.delete(key)?;
        self.with_retry(|| self.inner.remote.delete(key))
    }
}

/// A background thread that flushes pending uploads with backoff until
/// stopped (on drop).
pub struct RecoveryLoop {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl RecoveryLoop {
    /// Start retrying `store`'s pending uploads, sleeping per `retry` between
    /// failed rounds (doubling up to `retry.max`) and `idle` when all is done.
    pub fn start(store: CachedStore, retry: RetryPolicy, idle: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut rng = SplitMix64::new(0x5EED);
            let mut failures = 0u32;
            while !flag.load(Ordering::Relaxed) {
                let left = store.flush_pending();
                let wait = if left == 0 {
                    failures = 0;
                    idle
                } else {
                    failures = failures.saturating_add(1);
                    retry.delay(failures - 1, &mut rng)
                };
                // Sleep in small steps so stopping is prompt.
                let mut slept = Duration::ZERO;
                while slept < wait && !flag.load(Ordering::Relaxed) {
                    let step = Duration::from_millis(10).min(wait - slept);
                    std::thread::sleep(step);
                    slept += step;
                }
            }
        });
        Self {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for RecoveryLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

//! The runtime classifier: loading never fails and never blocks on a
//! retry loop.
//!
//! [`RegimeClassifier::load`] tries the remote store, then the local cache,
//! then the model embedded in this crate. When the remote store did not
//! deliver, it says so (a `tracing` warning and [`ClassifierStatus`]) and a
//! background thread retries the remote with exponential backoff and jitter;
//! when a model arrives it is validated, written to the cache and swapped in
//! without locking readers out ([`arc_swap`]). Predictions always use one
//! consistent model.

use crate::error::{RegimeError, Result};
use crate::fallback;
use crate::model::{RegimeModel, RegimePrediction};
use agent_core::{Persist, SplitMix64};
use arc_swap::ArcSwap;
use market::{Candles, FEATURES};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// Error type of a [`ModelSource`]: anything printable that can cross threads.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Somewhere a published regime model can be fetched from (the remote store
/// implements it; so does [`LocalCache`]).
pub trait ModelSource: Send + Sync {
    /// A short name for logs and [`ClassifierStatus::source`].
    fn name(&self) -> String;
    /// The latest artifact as one blob (`Persist::to_bytes`), or `Ok(None)`
    /// when the source is reachable but holds no model.
    fn fetch(&self) -> std::result::Result<Option<Vec<u8>>, SourceError>;
}

/// A directory holding one saved regime artifact (`manifest.json` +
/// `model.txt`), refreshed whenever the remote store delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCache {
    dir: PathBuf,
}

impl LocalCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Save `model` into the cache directory (atomic per file, manifest last).
    pub fn store(&self, model: &RegimeModel) -> Result<()> {
        model.save(&self.dir)?;
        Ok(())
    }

    /// The cached model, `None` when the cache is empty.
    pub fn load(&self) -> Result<Option<RegimeModel>> {
        if !self.dir.join(agent_core::persist::MANIFEST_FILE).is_file() {
            return Ok(None);
        }
        Ok(Some(RegimeModel::load(&self.dir)?))
    }
}

impl ModelSource for LocalCache {
    fn name(&self) -> String {
        format!("local cache {}", self.dir.display())
    }

    fn fetch(&self) -> std::result::Result<Option<Vec<u8>>, SourceError> {
        if !self.dir.join(agent_core::persist::MANIFEST_FILE).is_file() {
            return Ok(None);
        }
        let (manifest, files) = agent_core::persist::read_dir(&self.dir)?;
        Ok(Some(agent_core::persist::to_blob(&manifest, &files)?))
    }
}

/// Where the model in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelOrigin {
    Remote,
    Cache,
    /// The small model compiled into this crate.
    EmbeddedFallback,
    /// Handed over with [`RegimeClassifier::swap`] or [`RegimeClassifier::from_model`].
    Manual,
}

/// What the classifier is running on and whether it is trying to do better.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassifierStatus {
    pub origin: ModelOrigin,
    /// Name of the source that supplied the model in use.
    pub source: String,
    /// True while the embedded fallback model is in use.
    pub using_fallback: bool,
    /// True while a recovery thread is retrying the remote store.
    pub recovering: bool,
    /// Remote attempts made by the recovery thread so far.
    pub recovery_attempts: u32,
    /// The most recent failure (loading or recovery), if any.
    pub last_error: Option<String>,
    /// Models swapped in after loading.
    pub swaps: u64,
}

/// Retry schedule of the recovery thread: delay `n` (from 0) is
/// `min(max_backoff, initial_backoff * multiplier^n)`, scaled by a uniform
/// factor in `[1 - jitter, 1 + jitter]` so a fleet does not retry in step.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryPolicy {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub multiplier: f64,
    /// In `[0, 1]`.
    pub jitter: f64,
    /// Give up after this many attempts (`None`: until success or drop).
    pub max_attempts: Option<u32>,
    /// Also retry the remote when the cache (not the fallback) was loaded:
    /// the cache may be stale.
    pub retry_when_cached: bool,
    /// Seed of the jitter (`None`: from the clock).
    pub seed: Option<u64>,
}

impl Default for RecoveryPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(600),
            multiplier: 2.0,
            jitter: 0.2,
            max_attempts: None,
            retry_when_cached: true,
            seed: None,
        }
    }
}

impl RecoveryPolicy {
    /// Delay before attempt `attempt` (0-based) for a uniform draw `u` in [0, 1).
    pub fn delay(&self, attempt: u32, u: f64) -> Duration {
        let base = self.initial_backoff.as_secs_f64()
            * self.multiplier.max(1.0).powi(attempt.min(1000) as i32);
        let capped = base.min(self.max_backoff.as_secs_f64());
        let j = self.jitter.clamp(0.0, 1.0);
        let scaled = capped * (1.0 - j + 2.0 * j * u.clamp(0.0, 1.0));
        Duration::from_secs_f64(scaled.max(0.0))
    }
}

/// Wakes the recovery thread early when the classifier is dropped.
struct StopSignal {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl StopSignal {
    fn stop(&self) {
        if let Ok(mut s) = self.stopped.lock() {
            *s = true;
        }
        self.cv.notify_all();
    }

    /// Sleep up to `d`; true when stopped meanwhile.
    fn sleep(&self, d: Duration) -> bool {
        let Ok(guard) = self.stopped.lock() else {
            return true;
        };
        match self.cv.wait_timeout_while(guard, d, |s| !*s) {
            Ok((s, _)) => *s,
            Err(_) => true,
        }
    }

    fn is_stopped(&self) -> bool {
        self.stopped.lock().map(|s| *s).unwrap_or(true)
    }
}

struct Shared {
    model: ArcSwap<RegimeModel>,
    fallback: AtomicBool,
    status: Mutex<ClassifierStatus>,
    changed: Condvar,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut ClassifierStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
        self.changed.notify_all();
    }
}

/// A regime classifier that always has a model. Cheap to query from many
/// threads; share it behind an `Arc`. Dropping it stops its recovery thread.
pub struct RegimeClassifier {
    shared: Arc<Shared>,
    stop: Arc<StopSignal>,
}

impl std::fmt::Debug for RegimeClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegimeClassifier")
            .field("status", &self.status())
            .finish()
    }
}

/// Parse and validate a fetched artifact for use by the classifier.
fn accept(bytes: &[u8], source: &str) -> Result<RegimeModel> {
    let model = RegimeModel::from_bytes(bytes).map_err(|e| RegimeError::Source {
        source_name: source.to_string(),
        why: e.to_string(),
    })?;
    validate(&model, source)?;
    Ok(model)
}

fn validate(model: &RegimeModel, source: &str) -> Result<()> {
    let expected: Vec<String> = FEATURES.iter().map(|s| s.to_string()).collect();
    if model.feature_names() != expected.as_slice() {
        return Err(RegimeError::Source {
            source_name: source.to_string(),
            why: format!(
                "model features {:?} are not the T0 features {:?}",
                model.feature_names(),
                expected
            ),
        });
    }
    Ok(())
}

fn try_source(src: &dyn ModelSource) -> Result<RegimeModel> {
    let name = src.name();
    match src.fetch() {
        Ok(Some(bytes)) => accept(&bytes, &name),
        Ok(None) => Err(RegimeError::Source {
            source_name: name,
            why: "holds no model".into(),
        }),
        Err(e) => Err(RegimeError::Source {
            source_name: name,
            why: e.to_string(),
        }),
    }
}

impl RegimeClassifier {
    /// Load with the default [`RecoveryPolicy`]: remote -> cache -> embedded
    /// fallback. Never fails.
    pub fn load(remote: Option<Arc<dyn ModelSource>>, cache: Option<LocalCache>) -> Self {
        Self::load_with(remote, cache, RecoveryPolicy::default())
    }

    /// [`RegimeClassifier::load`] with an explicit retry schedule.
    pub fn load_with(
        remote: Option<Arc<dyn ModelSource>>,
        cache: Option<LocalCache>,
        policy: RecoveryPolicy,
    ) -> Self {
        let mut errors: Vec<String> = Vec::new();
        let mut loaded: Option<(RegimeModel, ModelOrigin, String)> = None;
        if let Some(r) = &remote {
            match try_source(r.as_ref()) {
                Ok(m) => {
                    if let Some(c) = &cache
                        && let Err(e) = c.store(&m)
                    {
                        tracing::warn!(cache = %c.dir().display(), error = %e, "regime model: could not refresh the local cache");
                    }
                    tracing::info!(source = %r.name(), "regime model loaded from the remote store");
                    loaded = Some((m, ModelOrigin::Remote, r.name()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "regime model: remote store failed");
                    errors.push(e.to_string());
                }
            }
        }
        if loaded.is_none()
            && let Some(c) = &cache
        {
            match try_source(c) {
                Ok(m) => {
                    tracing::warn!(cache = %c.dir().display(), "regime model loaded from the local cache (remote unavailable)");
                    loaded = Some((m, ModelOrigin::Cache, c.name()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "regime model: local cache failed");
                    errors.push(e.to_string());
                }
            }
        }
        let (model, origin, source) = match loaded {
            Some(l) => l,
            None => {
                tracing::warn!(
                    errors = %errors.join("; "),
                    "regime model: USING THE EMBEDDED FALLBACK MODEL (trained on synthetic data)"
                );
                (
                    fallback::embedded_model(),
                    ModelOrigin::EmbeddedFallback,
                    "embedded fallback".to_string(),
                )
            }
        };
        let using_fallback = origin == ModelOrigin::EmbeddedFallback;
        let recover = remote.is_some()
            && match origin {
                ModelOrigin::Remote | ModelOrigin::Manual => false,
                ModelOrigin::Cache => policy.retry_when_cached,
                ModelOrigin::EmbeddedFallback => true,
            };
        let shared = Arc::new(Shared {
            model: ArcSwap::from_pointee(model),
            fallback: AtomicBool::new(using_fallback),
            status: Mutex::new(ClassifierStatus {
                origin,
                source,
                using_fallback,
                recovering: recover,
                recovery_attempts: 0,
                last_error: (!errors.is_empty()).then(|| errors.join("; ")),
                swaps: 0,
            }),
            changed: Condvar::new(),
        });
        let stop = Arc::new(StopSignal {
            stopped: Mutex::new(false),
            cv: Condvar::new(),
        });
        if let (true, Some(remote)) = (recover, remote) {
            let weak = Arc::downgrade(&shared);
            let stop2 = Arc::clone(&stop);
            let spawned = std::thread::Builder::new()
                .name("regime-recovery".into())
                .spawn(move || recovery_loop(weak, remote, cache, policy, stop2));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "regime model: cannot start the recovery thread");
                shared.update(|s| {
                    s.recovering = false;
                    s.last_error = Some(format!("recovery thread: {e}"));
                });
            }
        }
        Self { shared, stop }
    }

    /// A classifier around a model you already have (no sources, no recovery).
    pub fn from_model(model: RegimeModel) -> Self {
        let shared = Arc::new(Shared {
            model: ArcSwap::from_pointee(model),
            fallback: AtomicBool::new(false),
            status: Mutex::new(ClassifierStatus {
                origin: ModelOrigin::Manual,
                source: "manual".into(),
                using_fallback: false,
                recovering: false,
                recovery_attempts: 0,
                last_error: None,
                swaps: 0,
            }),
            changed: Condvar::new(),
        });
        Self {
            shared,
            stop: Arc::new(StopSignal {
                stopped: Mutex::new(false),
                cv: Condvar::new(),
            }),
        }
    }

    /// The model in use now (it stays valid while you hold it, even if a
    /// newer one is swapped in meanwhile).
    pub fn model(&self) -> Arc<RegimeModel> {
        self.shared.model.load_full()
    }

    /// True while the embedded fallback model is in use (lock-free).
    pub fn is_fallback(&self) -> bool {
        self.shared.fallback.load(Ordering::Acquire)
    }

    pub fn status(&self) -> ClassifierStatus {
        match self.shared.status.lock() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The regime of one T0 feature row.
    pub fn predict_row(&self, row: &[f64]) -> Result<RegimePrediction> {
        self.shared.model.load().predict_row(row)
    }

    /// The regime after the last bar of `candles` (see [`RegimeModel::classify_candles`]).
    pub fn classify_candles(&self, candles: &Candles) -> Result<RegimePrediction> {
        self.shared.model.load().classify_candles(candles)
    }

    /// Put `model` in use now (e.g. after a retrain); stops any recovery.
    pub fn swap(&self, model: RegimeModel) -> Result<()> {
        validate(&model, "manual swap")?;
        // Stop first, then store under the status lock: a recovery thread
        // checks the stop flag under the same lock, so it cannot overwrite
        // this model afterwards.
        self.stop.stop();
        let mut st = match self.shared.status.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        self.shared.model.store(Arc::new(model));
        self.shared.fallback.store(false, Ordering::Release);
        st.origin = ModelOrigin::Manual;
        st.source = "manual".into();
        st.using_fallback = false;
        st.recovering = false;
        st.swaps += 1;
        drop(st);
        self.shared.changed.notify_all();
        Ok(())
    }

    /// Block until no recovery is running any more (it succeeded, gave up or
    /// was stopped) or `timeout` passes; true when the model in use came
    /// from the remote store or a manual swap.
    pub fn wait_until_recovered(&self, timeout: Duration) -> bool {
        let Ok(guard) = self.shared.status.lock() else {
            return false;
        };
        match self
            .shared
            .changed
            .wait_timeout_while(guard, timeout, |s| s.recovering)
        {
            Ok((s, _)) => matches!(s.origin, ModelOrigin::Remote | ModelOrigin::Manual),
            Err(_) => false,
        }
    }

    /// Stop retrying the remote store (keeps the model in use).
    pub fn stop_recovery(&self) {
        self.stop.stop();
        self.shared.update(|s| s.recovering = false);
    }
}

impl Drop for RegimeClassifier {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

fn recovery_loop(
    shared: Weak<Shared>,
    remote: Arc<dyn ModelSource>,
    cache: Option<LocalCache>,
    policy: RecoveryPolicy,
    stop: Arc<StopSignal>,
) {
    let seed = policy.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    });
    let mut rng = SplitMix64::new(seed);
    let mut attempt: u32 = 0;
    loop {
        if policy.max_attempts.is_some_and(|m| attempt >= m) {
            tracing::error!(
                attempts = attempt,
                "regime model: giving up on the remote store"
            );
            if let Some(s) = shared.upgrade() {
                s.update(|st| st.recovering = false);
            }
            return;
        }
        let delay = policy.delay(attempt, rng.next_f64());
        if stop.sleep(delay) {
            return;
        }
        attempt += 1;
        let result = try_source(remote.as_ref());
        // The classifier may have been dropped or swapped while we fetched.
        let Some(s) = shared.upgrade() else { return };
        if stop.is_stopped() {
            return;
        }
        match result {
            Ok(model) => {
                if let Some(c) = &cache
                    && let Err(e) = c.store(&model)
                {
                    tracing::warn!(cache = %c.dir().display(), error = %e, "regime model: could not refresh the local cache");
                }
                {
                    let mut st = match s.status.lock() {
                        Ok(g) => g,
                        Err(p) => p.into_inner(),
                    };
                    // A manual swap stops us under this lock: it wins.
                    if stop.is_stopped() {
                        return;
                    }
                    s.model.store(Arc::new(model));
                    s.fallback.store(false, Ordering::Release);
                    st.origin = ModelOrigin::Remote;
                    st.source = remote.name();
                    st.using_fallback = false;
                    st.recovering = false;
                    st.recovery_attempts = attempt;
                    st.swaps += 1;
                }
                s.changed.notify_all();
                tracing::info!(attempts = attempt, source = %remote.name(), "regime model recovered from the remote store and swapped in");
                return;
            }
            Err(e) => {
                tracing::warn!(attempt, error = %e, "regime model: recovery attempt failed");
                s.update(|st| {
                    st.recovery_attempts = attempt;
                    st.last_error = Some(e.to_string());
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_bounds() {
        let p = RecoveryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            multiplier: 2.0,
            jitter: 0.2,
            ..Default::default()
        };
        assert_eq!(p.delay(0, 0.5), Duration::from_millis(100));
        assert_eq!(p.delay(2, 0.5), Duration::from_millis(400));
        assert_eq!(p.delay(10, 0.5), Duration::from_millis(1000));
        assert_eq!(p.delay(0, 0.0), Duration::from_millis(80));
        let hi = p.delay(1, 0.999_999);
        assert!(hi <= Duration::from_millis(240) && hi > Duration::from_millis(239));
    }
}

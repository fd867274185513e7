//! [`ModelSlot`]: the model a bot serves, swapped atomically when a newer one
//! is promoted. Readers take an `Arc` snapshot (lock-free, `arc-swap`), so a
//! prediction always uses one whole model; a refresh that fails validation
//! leaves the serving model in place and records why.

use crate::live::error::LiveError;
use crate::live::load::{LiveModel, Loader, latest_pointer};
use arc_swap::ArcSwapOption;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use store::{ArtifactStore, ModelRegistry};

/// Where the serving model came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A saved artifact directory.
    Dir(PathBuf),
    /// A registry version (`LATEST.json` pointed at it).
    Registry { key: String, hash: String },
    /// A fallback compiled into the program (the regime agent's): a coarse
    /// stand-in until a trained model arrives.
    Fallback,
    /// Handed over in code (e.g. trained in-process).
    Provided,
}

impl Origin {
    pub fn is_fallback(&self) -> bool {
        matches!(self, Origin::Fallback)
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Dir(d) => write!(f, "directory {}", d.display()),
            Origin::Registry { key, .. } => write!(f, "registry `{key}`"),
            Origin::Fallback => write!(f, "embedded fallback"),
            Origin::Provided => write!(f, "provided in code"),
        }
    }
}

/// A model and its origin, as served.
#[derive(Debug)]
pub struct Served<M> {
    pub model: M,
    pub origin: Origin,
}

/// What one registry poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// `LATEST.json` still points at the serving model.
    Unchanged,
    /// Nothing is promoted; the slot keeps what it serves (possibly nothing).
    NoModel,
    /// A new model passed validation and now serves.
    Swapped { key: String },
    /// The new model failed validation (or could not be read); the old one
    /// keeps serving.
    Refused { reason: String },
}

/// The serving model of one agent, hot-swappable.
pub struct ModelSlot<M> {
    current: ArcSwapOption<Served<M>>,
    last_error: Mutex<Option<String>>,
    /// Hash of the last refused version: it is not refetched (nor logged
    /// again) on every poll while `LATEST.json` keeps pointing at it.
    refused: Mutex<Option<String>>,
    swaps: AtomicU64,
    polls: AtomicU64,
    /// How refreshes load models (which training data is accepted).
    loader: Loader,
}

impl<M> std::fmt::Debug for ModelSlot<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSlot")
            .field(
                "origin",
                &self.current.load().as_ref().map(|s| s.origin.clone()),
            )
            .field("swaps", &self.swaps.load(Ordering::Relaxed))
            .finish()
    }
}

impl<M: LiveModel> Default for ModelSlot<M> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<M: LiveModel> ModelSlot<M> {
    /// A slot serving nothing yet, loading with the default [`Loader`]
    /// (no synthetic models).
    pub fn empty() -> Self {
        Self::with_loader(Loader::new())
    }

    /// A slot serving nothing yet whose refreshes load with `loader`, e.g.
    /// `Loader::new().allow_synthetic(true)`.
    pub fn with_loader(loader: Loader) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            last_error: Mutex::new(None),
            refused: Mutex::new(None),
            swaps: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            loader,
        }
    }

    /// A slot serving `model` after checking it for live use.
    pub fn new(model: M, origin: Origin) -> Result<Self, LiveError> {
        let slot = Self::empty();
        slot.install(model, origin)?;
        Ok(slot)
    }

    /// A slot serving the artifact in `dir`.
    pub fn from_dir(dir: &Path) -> Result<Self, LiveError> {
        Self::new(Loader::new().load_dir(dir)?, Origin::Dir(dir.to_path_buf()))
    }

    /// A slot serving the registry's current model for `symbol`, or empty
    /// (with the reason in [`ModelSlot::last_error`]) when there is none or
    /// it does not validate.
    pub fn from_registry<S: ArtifactStore>(registry: &ModelRegistry<S>, symbol: &str) -> Self {
        let slot = Self::empty();
        slot.refresh(registry, symbol);
        slot
    }

    /// The serving model (an `Arc` snapshot: a later swap does not affect it).
    pub fn get(&self) -> Option<Arc<Served<M>>> {
        self.current.load_full()
    }

    /// Whether a model serves.
    pub fn is_loaded(&self) -> bool {
        self.current.load().is_some()
    }

    /// Where the serving model came from (`None`: nothing serves).
    pub fn origin(&self) -> Option<Origin> {
        self.current.load().as_ref().map(|s| s.origin.clone())
    }

    /// Whether the serving model is an embedded fallback.
    pub fn is_fallback(&self) -> bool {
        self.current
            .load()
            .as_ref()
            .is_some_and(|s| s.origin.is_fallback())
    }

    /// Why the last load or refresh failed, if it did.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|g| g.clone())
    }

    /// How many times a model was installed.
    pub fn swaps(&self) -> u64 {
        self.swaps.load(Ordering::Relaxed)
    }

    /// How many registry polls ran.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    pub(crate) fn set_error(&self, e: Option<String>) {
        if let Ok(mut g) = self.last_error.lock() {
            *g = e;
        }
    }

    /// Check `model` for live use and make it the serving one. Its
    /// provenance is not checked here: a model handed over in code is the
    /// caller's to vouch for (loading from a directory or a registry checks).
    pub fn install(&self, model: M, origin: Origin) -> Result<(), LiveError> {
        model.check_live()?;
        self.current.store(Some(Arc::new(Served { model, origin })));
        self.swaps.fetch_add(1, Ordering::Relaxed);
        self.set_error(None);
        Ok(())
    }

    /// Poll `LATEST.json` once; load, validate and swap in a newly promoted
    /// model. Never fails: a bad model or an unreachable store is refused
    /// (logged, recorded in [`ModelSlot::last_error`]) and the serving model
    /// stays.
    pub fn refresh<S: ArtifactStore>(
        &self,
        registry: &ModelRegistry<S>,
        symbol: &str,
    ) -> RefreshOutcome {
        self.polls.fetch_add(1, Ordering::Relaxed);
        let pointer = match latest_pointer::<M, S>(registry, symbol) {
            Ok(Some(p)) => p,
            Ok(None) => return RefreshOutcome::NoModel,
            Err(e) => return self.refuse(symbol, e.to_string()),
        };
        if let Some(cur) = self.current.load().as_ref()
            && let Origin::Registry { hash, .. } = &cur.origin
            && *hash == pointer.hash
        {
            return RefreshOutcome::Unchanged;
        }
        let seen = self.refused.lock().ok().and_then(|g| g.clone());
        if seen.as_deref() == Some(pointer.hash.as_str()) {
            return RefreshOutcome::Refused {
                reason: self.last_error().unwrap_or_default(),
            };
        }
        let mut transient = false;
        let outcome = match self.loader.load_pointer::<M, S>(registry, &pointer) {
            Ok(model) => {
                let origin = Origin::Registry {
                    key: pointer.key.clone(),
                    hash: pointer.hash.clone(),
                };
                match self.install(model, origin) {
                    Ok(()) => {
                        tracing::info!(agent = M::AGENT, symbol, key = %pointer.key, "model swapped in");
                        RefreshOutcome::Swapped { key: pointer.key }
                    }
                    Err(e) => self.refuse(symbol, e.to_string()),
                }
            }
            Err(e) => {
                // A store that is down may deliver the same version later.
                transient = matches!(&e, LiveError::Store(se) if se.is_transient());
                self.refuse(symbol, format!("`{}`: {e}", pointer.key))
            }
        };
        if matches!(outcome, RefreshOutcome::Refused { .. })
            && !transient
            && let Ok(mut g) = self.refused.lock()
        {
            *g = Some(pointer.hash);
        }
        outcome
    }

    fn refuse(&self, symbol: &str, reason: String) -> RefreshOutcome {
        let keeps = self
            .origin()
            .map_or_else(|| "nothing".to_string(), |o| o.to_string());
        tracing::warn!(
            agent = M::AGENT,
            symbol,
            reason = %reason,
            "model refused; still serving {keeps}"
        );
        self.set_error(Some(reason.clone()));
        RefreshOutcome::Refused { reason }
    }

    /// Poll the registry every `every` on a background thread until the
    /// returned [`Refresher`] is stopped or dropped.
    pub fn spawn_refresher<S: ArtifactStore + 'static>(
        self: &Arc<Self>,
        registry: Arc<ModelRegistry<S>>,
        symbol: impl Into<String>,
        every: Duration,
    ) -> Result<Refresher, LiveError> {
        let slot = Arc::clone(self);
        let symbol = symbol.into();
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let stop2 = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name(format!("refresh-{}-{symbol}", M::AGENT))
            .spawn(move || {
                let (lock, cv) = &*stop2;
                loop {
                    slot.refresh(&registry, &symbol);
                    let Ok(guard) = lock.lock() else { return };
                    let Ok((guard, _)) = cv.wait_timeout_while(guard, every, |s| !*s) else {
                        return;
                    };
                    if *guard {
                        return;
                    }
                }
            })
            .map_err(|e| LiveError::InvalidInput(format!("cannot start the refresher: {e}")))?;
        Ok(Refresher {
            stop,
            handle: Some(handle),
        })
    }
}

/// A background registry poller; stops (and joins) when dropped.
#[derive(Debug)]
pub struct Refresher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: Option<JoinHandle<()>>,
}

impl Refresher {
    /// Stop polling and wait for the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let (lock, cv) = &*self.stop;
        if let Ok(mut s) = lock.lock() {
            *s = true;
        }
        cv.notify_all();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

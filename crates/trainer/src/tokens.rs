//! The token registry: which symbols (tokens) the bot knows, persisted in a
//! JSON file, and a watcher that notices new ones and triggers retraining.
//!
//! The watcher polls a source (a directory of candle CSVs, one symbol per
//! file, or a text file with one symbol per line). New symbols are recorded
//! at once (atomic write); retraining is debounced: it fires once, after no
//! further new symbol has appeared for the debounce period, with every
//! symbol that arrived meanwhile. [`TokenWatcher::poll`] takes the time as an
//! argument so the debounce is testable without sleeping.

use crate::error::TrainError;
use crate::orchestrator::symbol_of;
use agent_core::CoreError;
use agent_core::persist::{Symlinks, read_bounded};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Largest token registry file read.
pub const MAX_REGISTRY_BYTES: u64 = 16 << 20;
/// Largest symbols file read (one symbol a line).
pub const MAX_SYMBOLS_FILE_BYTES: u64 = 1 << 20;

/// The file at `path`, bounded, or `None` when there is none. A FIFO or
/// device is refused, not read.
fn read_optional(
    path: &Path,
    limit: u64,
    symlinks: Symlinks,
) -> Result<Option<Vec<u8>>, TrainError> {
    match read_bounded(path, limit, symlinks) {
        Ok(b) => Ok(Some(b)),
        Err(CoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// One known token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// RFC 3339, UTC.
    pub first_seen: String,
    /// The file or list it came from.
    pub source: String,
}

/// The persistent registry file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenRegistry {
    pub tokens: BTreeMap<String, TokenRecord>,
}

impl TokenRegistry {
    /// Read `path`; a missing file is an empty registry. At most
    /// [`MAX_REGISTRY_BYTES`] are read, never through a symbolic link (the
    /// file is only ever written by [`TokenRegistry::save`]).
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        match read_optional(path, MAX_REGISTRY_BYTES, Symlinks::Refuse)? {
            Some(b) => serde_json::from_slice(&b).map_err(|e| {
                TrainError::Data(format!(
                    "token registry {}: {}",
                    path.display(),
                    store::describe_json_error(&e)
                ))
            }),
            None => Ok(Self::default()),
        }
    }

    /// Write atomically (readers see the old or the new file, never half).
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        agent_core::write_atomic(path, &bytes)?;
        Ok(())
    }
}

/// Where symbols come from.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSource {
    /// `*.csv` files in a directory; the symbol is the file stem up to the
    /// first `-`/`_` (`SOLUSDT-1h.csv` -> `SOLUSDT`).
    CandleDir(PathBuf),
    /// One symbol per line; `#` comments and blank lines ignored; at most
    /// [`MAX_SYMBOLS_FILE_BYTES`] (the file may be a symbolic link a user
    /// made).
    SymbolsFile(PathBuf),
}

impl TokenSource {
    /// Symbols currently present, with where each came from.
    pub fn scan(&self) -> Result<BTreeMap<String, String>, TrainError> {
        let mut out = BTreeMap::new();
        match self {
            TokenSource::CandleDir(dir) => {
                let entries = match std::fs::read_dir(dir) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(TrainError::io(dir, e)),
                };
                for entry in entries.flatten() {
                    let p = entry.path();
                    let is_csv = p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv"));
                    let hidden = p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                    if is_csv && !hidden && p.is_file() {
                        out.insert(symbol_of(&p), p.display().to_string());
                    }
                }
            }
            TokenSource::SymbolsFile(path) => {
                let Some(bytes) = read_optional(path, MAX_SYMBOLS_FILE_BYTES, Symlinks::Follow)?
                else {
                    return Ok(out);
                };
                let text = std::str::from_utf8(&bytes).map_err(|e| {
                    let line = bytes[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1;
                    TrainError::Data(format!(
                        "symbols file {} line {line}: not valid UTF-8 text",
                        path.display()
                    ))
                })?;
                for line in text.lines() {
                    let s = line.split('#').next().unwrap_or("").trim();
                    if !s.is_empty() {
                        out.insert(s.to_ascii_uppercase(), path.display().to_string());
                    }
                }
            }
        }
        Ok(out)
    }

    /// Candle files of the source (for retraining on all known tokens).
    pub fn candle_files(&self) -> Vec<PathBuf> {
        match self {
            TokenSource::CandleDir(dir) => {
                let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
                    .map(|e| {
                        e.flatten()
                            .map(|e| e.path())
                            .filter(|p| {
                                p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv"))
                                    && !p
                                        .file_name()
                                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                v.sort();
                v
            }
            TokenSource::SymbolsFile(_) => Vec::new(),
        }
    }
}

/// Polls a source, records new tokens and says when to retrain.
pub struct TokenWatcher {
    source: TokenSource,
    registry_path: PathBuf,
    registry: TokenRegistry,
    debounce: Duration,
    pending: BTreeSet<String>,
    last_new: Option<Instant>,
}

impl TokenWatcher {
    /// Tokens already in the registry file are not new. Tokens present in
    /// the source at start but not in the registry are new (they were added
    /// while nothing watched).
    pub fn new(
        source: TokenSource,
        registry_path: PathBuf,
        debounce: Duration,
    ) -> Result<Self, TrainError> {
        let registry = TokenRegistry::load(&registry_path)?;
        Ok(Self {
            source,
            registry_path,
            registry,
            debounce,
            pending: BTreeSet::new(),
            last_new: None,
        })
    }

    pub fn registry(&self) -> &TokenRegistry {
        &self.registry
    }

    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// Scan once at `now`. New tokens are recorded (and saved) at once;
    /// returns `Some(tokens)` when the debounce period has passed since the
    /// last new token, which is the moment to retrain (once per burst).
    pub fn poll(&mut self, now: Instant) -> Result<Option<Vec<String>>, TrainError> {
        let found = self.source.scan()?;
        let stamp = agent_core::persist::now_rfc3339();
        let mut changed = false;
        for (sym, src) in found {
            if !self.registry.tokens.contains_key(&sym) {
                self.registry.tokens.insert(
                    sym.clone(),
                    TokenRecord {
                        first_seen: stamp.clone(),
                        source: src,
                    },
                );
                self.pending.insert(sym);
                changed = true;
            }
        }
        if changed {
            self.registry.save(&self.registry_path)?;
            self.last_new = Some(now);
        }
        match self.last_new {
            Some(t) if !self.pending.is_empty() && now.duration_since(t) >= self.debounce => {
                self.last_new = None;
                Ok(Some(
                    std::mem::take(&mut self.pending).into_iter().collect(),
                ))
            }
            _ => Ok(None),
        }
    }
}

/// Poll every `every` until `stop`; each debounced burst of new tokens calls
/// `on_new` on a separate thread (training never blocks the watcher).
/// Errors of a poll are reported and the watcher goes on.
pub fn watch(
    mut watcher: TokenWatcher,
    every: Duration,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    on_new: std::sync::Arc<dyn Fn(Vec<String>) + Send + Sync>,
) -> std::thread::JoinHandle<()> {
    use std::sync::atomic::Ordering;
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match watcher.poll(Instant::now()) {
                Ok(Some(tokens)) => {
                    let f = on_new.clone();
                    std::thread::spawn(move || f(tokens));
                }
                Ok(None) => {}
                Err(e) => eprintln!("tokens: {e}"),
            }
            std::thread::sleep(every);
        }
    })
}

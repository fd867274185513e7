//! The default store: a local directory. Keys are `/`-separated relative
//! paths; writes are atomic.

use crate::error::StoreError;
use crate::{ArtifactStore, validate_key};
use agent_core::CoreError;
use agent_core::persist::{MAX_BLOB_BYTES, Symlinks, read_bounded};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Largest object a local store reads: an artifact blob at its limit.
pub const MAX_OBJECT_BYTES: u64 = MAX_BLOB_BYTES;

/// Artifacts as files under a root directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        validate_key(key)?;
        Ok(key.split('/').fold(self.root.clone(), |p, seg| p.join(seg)))
    }

    fn io(&self, key: &str, source: std::io::Error) -> StoreError {
        StoreError::Io {
            store: self.describe(),
            key: key.to_string(),
            source,
        }
    }
}

impl ArtifactStore for LocalStore {
    fn describe(&self) -> String {
        format!("local store {}", self.root.display())
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let p = self.path(key)?;
        agent_core::write_atomic(&p, bytes).map_err(StoreError::from)
    }

    /// Objects are read through `agent_core::persist::read_bounded`: a
    /// symbolic link, FIFO or device planted in the store is refused (as
    /// corrupt, not as a transient I/O error), and nothing larger than an
    /// artifact blob may be ([`MAX_OBJECT_BYTES`]).
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let p = self.path(key)?;
        match read_bounded(&p, MAX_OBJECT_BYTES, Symlinks::Refuse) {
            Ok(b) => Ok(Some(b)),
            Err(CoreError::Io { source, .. }) => match source.kind() {
                ErrorKind::NotFound => Ok(None),
                ErrorKind::InvalidInput | ErrorKind::FileTooLarge => Err(StoreError::Corrupt {
                    store: self.describe(),
                    key: key.to_string(),
                    why: source.to_string(),
                }),
                _ => Err(self.io(key, source)),
            },
            Err(e) => Err(e.into()),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let mut stack = vec![(self.root.clone(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.io(&rel, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| self.io(&rel, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue; // temp files of in-flight atomic writes
                }
                let key = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let ft = entry.file_type().map_err(|e| self.io(&key, e))?;
                if ft.is_dir() {
                    stack.push((entry.path(), key));
                } else if key.starts_with(prefix) {
                    out.push(key);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let p = self.path(key)?;
        match std::fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(key, e)),
        }
    }
}

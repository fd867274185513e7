//! Artifacts: a model is a directory of files plus `manifest.json`, which
//! records who wrote it, with which hyperparameters, on which data, how well
//! it scored, and the sha256 of every file. Loading checks all of that before
//! a model is handed out. The same artifact travels as one byte blob for
//! stores and embedding.

use crate::atomic::write_atomic;
use crate::error::{CoreError, Result};
pub use crate::provenance::{CandleFile, Provenance};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File name of the manifest inside an artifact directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Version of the manifest layout itself (not of any agent's files).
pub const MANIFEST_SCHEMA: u32 = 1;
const BLOB_MAGIC: &[u8; 8] = b"CTART\x001\n";

/// Largest `manifest.json` accepted.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// Most files one artifact may list.
pub const MAX_FILES: usize = 4096;
/// Largest single artifact file accepted.
pub const MAX_FILE_BYTES: u64 = 512 << 20;
/// Largest sum of an artifact's file sizes.
pub const MAX_ARTIFACT_BYTES: u64 = 1 << 30;
/// Largest artifact blob ([`to_blob`]): manifest, files and their length prefixes.
pub const MAX_BLOB_BYTES: u64 =
    BLOB_MAGIC.len() as u64 + 8 + MAX_MANIFEST_BYTES + 8 * MAX_FILES as u64 + MAX_ARTIFACT_BYTES;

/// One file of an artifact as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub sha256: String,
    pub bytes: u64,
}

/// What the manifest says about an artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_schema: u32,
    pub agent: String,
    pub crate_version: String,
    pub format_version: u32,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub hyperparameters: serde_json::Value,
    /// `sha256:...` of the training data (see `Dataset::fingerprint`).
    pub data_fingerprint: Option<String>,
    /// Input features in the order the model expects them.
    #[serde(default)]
    pub feature_names: Vec<String>,
    /// Output labels in the order the model produces them, where it classifies.
    #[serde(default)]
    pub label_order: Vec<String>,
    /// Out-of-sample metrics, by name.
    #[serde(default)]
    pub metrics: BTreeMap<String, serde_json::Value>,
    pub files: BTreeMap<String, FileEntry>,
    /// Agent-specific facts that do not fit above.
    #[serde(default)]
    pub extra: serde_json::Value,
    /// Where the training data came from. `None` in manifests written
    /// before it was recorded: they still load, as of unknown provenance
    /// (see [`crate::provenance`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// The descriptive part of a manifest an agent supplies when saving.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelInfo {
    pub hyperparameters: serde_json::Value,
    pub data_fingerprint: Option<String>,
    pub feature_names: Vec<String>,
    pub label_order: Vec<String>,
    pub metrics: BTreeMap<String, serde_json::Value>,
    pub extra: serde_json::Value,
    /// Where the training data came from, when the trainer knows.
    pub provenance: Option<Provenance>,
}

/// The files of an artifact by name, checked against the manifest.
#[derive(Debug, Clone, Default)]
pub struct ArtifactFiles {
    origin: PathBuf,
    files: BTreeMap<String, Vec<u8>>,
}

impl ArtifactFiles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file; names are plain file names (no directories).
    pub fn insert(&mut self, name: impl Into<String>, bytes: Vec<u8>) -> Result<()> {
        let name = name.into();
        if !is_safe_file_name(&name) {
            return Err(CoreError::InvalidData(format!(
                "artifact file name `{name}` is not allowed"
            )));
        }
        self.files.insert(name, bytes);
        Ok(())
    }

    /// The bytes of file `name`, or a clear error naming the artifact.
    pub fn get(&self, name: &str) -> Result<&[u8]> {
        self.files
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| CoreError::MissingFile {
                path: self.origin.clone(),
                file: name.to_string(),
            })
    }

    /// Where the files came from (a directory, or `<bytes>`).
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Parse file `name` as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T> {
        serde_json::from_slice(self.get(name)?).map_err(|source| CoreError::Json {
            what: format!("{} in {}", name, self.origin.display()),
            source,
        })
    }
}

/// A plain file name inside the artifact directory: not the manifest, no
/// directory part, not hidden (temp files), printable ASCII, short.
fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != MANIFEST_FILE
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether [`read_bounded`] follows a symbolic link at the path itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlinks {
    /// Refuse a link (artifact files: a planted link to `/dev/zero` or to
    /// a secret must not be read).
    Refuse,
    /// Follow it (data files a user may link into place).
    Follow,
}

/// Read the regular file at `path`, at most `limit` bytes. FIFOs, devices
/// and directories are refused after opening (the open itself never blocks
/// on a FIFO), so a planted special file can neither hang nor exhaust
/// memory; the size is checked on the opened handle before reading, and the
/// read stops at `limit + 1` bytes in case the file grows meanwhile.
pub fn read_bounded(path: &Path, limit: u64, symlinks: Symlinks) -> Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let refuse = |kind: ErrorKind, why: String| CoreError::io(path, Error::new(kind, why));
    let not_regular = |what: &str| {
        refuse(
            ErrorKind::InvalidInput,
            format!("{what}; expected a regular file"),
        )
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = match symlinks {
            Symlinks::Refuse => libc::O_NOFOLLOW,
            Symlinks::Follow => 0,
        };
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        opts.custom_flags(nofollow | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    if symlinks == Symlinks::Refuse
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(not_regular("it is a symbolic link"));
    }
    let file = opts.open(path).map_err(|e| {
        #[cfg(unix)]
        if symlinks == Symlinks::Refuse && e.raw_os_error() == Some(libc::ELOOP) {
            return not_regular("it is a symbolic link");
        }
        CoreError::io(path, e)
    })?;
    let meta = file.metadata().map_err(|e| CoreError::io(path, e))?;
    if !meta.file_type().is_file() {
        return Err(not_regular(if meta.is_dir() {
            "it is a directory"
        } else {
            "it is a FIFO, socket or device"
        }));
    }
    let too_big = |n: u64| {
        refuse(
            ErrorKind::FileTooLarge,
            format!("the file holds {n} bytes or more, more than the {limit} allowed"),
        )
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    // The capacity comes from the checked size, so it is bounded by `limit`.
    let mut out = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| CoreError::io(path, e))?;
    if out.len() as u64 > limit {
        return Err(too_big(out.len() as u64));
    }
    Ok(out)
}

/// Check the manifest's file list against the limits before anything is
/// read: safe names, at most [`MAX_FILES`] files of at most
/// [`MAX_FILE_BYTES`] each and [`MAX_ARTIFACT_BYTES`] in all.
fn check_file_list(manifest: &Manifest, origin: &Path) -> Result<()> {
    let bad = |why: String| CoreError::Malformed {
        path: origin.to_path_buf(),
        why,
    };
    if manifest.files.len() > MAX_FILES {
        return Err(bad(format!(
            "manifest lists {} files, more than the {MAX_FILES} allowed",
            manifest.files.len()
        )));
    }
    let mut total = 0u64;
    for (name, entry) in &manifest.files {
        if !is_safe_file_name(name) {
            return Err(bad("manifest lists an unsafe file name".into()));
        }
        if entry.bytes > MAX_FILE_BYTES {
            return Err(bad(format!(
                "manifest records {} bytes for `{name}`, more than the {MAX_FILE_BYTES} allowed",
                entry.bytes
            )));
        }
        total = total.saturating_add(entry.bytes);
    }
    if total > MAX_ARTIFACT_BYTES {
        return Err(bad(format!(
            "manifest records {total} bytes of files, more than the {MAX_ARTIFACT_BYTES} allowed"
        )));
    }
    Ok(())
}

/// sha256 of bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Current time as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Build the manifest for `files`.
pub fn make_manifest(
    agent: &str,
    crate_version: &str,
    format_version: u32,
    info: ModelInfo,
    files: &ArtifactFiles,
) -> Manifest {
    Manifest {
        manifest_schema: MANIFEST_SCHEMA,
        agent: agent.to_string(),
        crate_version: crate_version.to_string(),
        format_version,
        created_at: now_rfc3339(),
        hyperparameters: info.hyperparameters,
        data_fingerprint: info.data_fingerprint,
        feature_names: info.feature_names,
        label_order: info.label_order,
        metrics: info.metrics,
        files: files
            .files
            .iter()
            .map(|(n, b)| {
                (
                    n.clone(),
                    FileEntry {
                        sha256: sha256_hex(b),
                        bytes: b.len() as u64,
                    },
                )
            })
            .collect(),
        extra: info.extra,
        provenance: info.provenance,
    }
}

/// Check agent, format version and every file's checksum.
pub fn verify(
    manifest: &Manifest,
    files: &ArtifactFiles,
    agent: &str,
    format_version: u32,
) -> Result<()> {
    if manifest.agent != agent {
        return Err(CoreError::WrongAgent {
            path: files.origin.clone(),
            found: manifest.agent.clone(),
            expected: agent.to_string(),
        });
    }
    if manifest.format_version != format_version {
        return Err(CoreError::FormatVersion {
            path: files.origin.clone(),
            agent: agent.to_string(),
            found: manifest.format_version,
            expected: format_version,
        });
    }
    verify_files(manifest, files)
}

/// Check that every file the manifest lists is present with its checksum.
pub fn verify_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<()> {
    for (name, entry) in &manifest.files {
        let bytes = files.get(name)?;
        if bytes.len() as u64 != entry.bytes {
            return Err(CoreError::Malformed {
                path: files.origin.join(name),
                why: format!(
                    "the file holds {} bytes, the manifest records {}",
                    bytes.len(),
                    entry.bytes
                ),
            });
        }
        let actual = sha256_hex(bytes);
        if actual != entry.sha256 {
            return Err(CoreError::Checksum {
                file: files.origin.join(name),
                expected: entry.sha256.clone(),
                actual,
            });
        }
    }
    Ok(())
}

/// Read an artifact directory: its manifest and the files it lists. Every
/// file is read through [`read_bounded`] (no symbolic links, regular files
/// only) with the size the manifest records as its bound, after the file
/// list passed the limits; then every checksum is verified.
pub fn read_dir(dir: &Path) -> Result<(Manifest, ArtifactFiles)> {
    let mpath = dir.join(MANIFEST_FILE);
    let raw = read_bounded(&mpath, MAX_MANIFEST_BYTES, Symlinks::Refuse)?;
    let manifest: Manifest = serde_json::from_slice(&raw).map_err(|source| CoreError::Json {
        what: mpath.display().to_string(),
        source,
    })?;
    check_file_list(&manifest, dir)?;
    let mut files = ArtifactFiles {
        origin: dir.to_path_buf(),
        files: BTreeMap::new(),
    };
    for (name, entry) in &manifest.files {
        let p = dir.join(name);
        let bytes = read_bounded(&p, entry.bytes, Symlinks::Refuse).map_err(|e| match e {
            CoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                CoreError::MissingFile {
                    path: dir.to_path_buf(),
                    file: name.clone(),
                }
            }
            other => other,
        })?;
        files.files.insert(name.clone(), bytes);
    }
    verify_files(&manifest, &files)?;
    Ok((manifest, files))
}

/// Write files then the manifest, each atomically. The manifest goes last:
/// an artifact without one, or whose checksums disagree, is never loaded.
pub fn write_dir(dir: &Path, manifest: &Manifest, files: &ArtifactFiles) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir, e))?;
    for (name, bytes) in &files.files {
        write_atomic(&dir.join(name), bytes)?;
    }
    let json = serde_json::to_vec_pretty(manifest).map_err(|source| CoreError::Json {
        what: "manifest".into(),
        source,
    })?;
    write_atomic(&dir.join(MANIFEST_FILE), &json)
}

/// Pack manifest and files into one blob: magic, then length-prefixed
/// manifest JSON, then each listed file length-prefixed in manifest order.
pub fn to_blob(manifest: &Manifest, files: &ArtifactFiles) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(manifest).map_err(|source| CoreError::Json {
        what: "manifest".into(),
        source,
    })?;
    let mut out = Vec::new();
    out.extend_from_slice(BLOB_MAGIC);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    for name in manifest.files.keys() {
        let b = files.get(name)?;
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    }
    Ok(out)
}

/// Unpack a blob written by [`to_blob`], verifying checksums.
pub fn from_blob(bytes: &[u8]) -> Result<(Manifest, ArtifactFiles)> {
    let origin = PathBuf::from("<bytes>");
    let bad = |why: &str| CoreError::Malformed {
        path: origin.clone(),
        why: why.to_string(),
    };
    let mut pos = 0usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| bad("truncated artifact blob"))?;
        let s = &bytes[pos..end];
        pos = end;
        Ok(s)
    };
    if bytes.len() as u64 > MAX_BLOB_BYTES {
        return Err(bad("artifact blob is larger than the limit"));
    }
    if take(BLOB_MAGIC.len())? != BLOB_MAGIC {
        return Err(bad("not a cointrainer artifact (bad magic)"));
    }
    let read_len = |b: &[u8]| -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        u64::from_le_bytes(a)
    };
    let mlen = read_len(take(8)?);
    if mlen > MAX_MANIFEST_BYTES {
        return Err(bad("artifact blob manifest is larger than the limit"));
    }
    let manifest: Manifest =
        serde_json::from_slice(take(mlen as usize)?).map_err(|source| CoreError::Json {
            what: "artifact blob manifest".into(),
            source,
        })?;
    check_file_list(&manifest, &origin)?;
    let mut files = ArtifactFiles {
        origin: origin.clone(),
        files: BTreeMap::new(),
    };
    for (name, entry) in &manifest.files {
        let n = read_len(take(8)?);
        if n != entry.bytes {
            return Err(CoreError::Malformed {
                path: origin.join(name),
                why: format!(
                    "the blob holds {n} bytes, the manifest records {}",
                    entry.bytes
                ),
            });
        }
        files.files.insert(name.clone(), take(n as usize)?.to_vec());
    }
    if pos != bytes.len() {
        return Err(bad("artifact blob has bytes after its last file"));
    }
    verify_files(&manifest, &files)?;
    Ok((manifest, files))
}

/// Save and load a model as a verified artifact.
///
/// Implementors supply the files and the descriptive info; directory and
/// blob handling, checksums and version checks come with the trait.
pub trait Persist: Sized {
    /// Agent name recorded in the manifest (e.g. `"linucb"`).
    const AGENT: &'static str;
    /// Bump when the file layout changes incompatibly.
    const FORMAT_VERSION: u32;
    /// Version of the crate that wrote the artifact (`env!("CARGO_PKG_VERSION")`).
    const CRATE_VERSION: &'static str;
    type Error: From<CoreError>;

    /// Hyperparameters, metrics, features and data fingerprint for the manifest.
    fn model_info(&self) -> ModelInfo;
    /// The model's files.
    fn to_files(&self) -> Result<ArtifactFiles, Self::Error>;
    /// Rebuild the model from verified files.
    fn from_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<Self, Self::Error>;

    /// The manifest this model would be saved with.
    fn manifest(&self, files: &ArtifactFiles) -> Manifest {
        make_manifest(
            Self::AGENT,
            Self::CRATE_VERSION,
            Self::FORMAT_VERSION,
            self.model_info(),
            files,
        )
    }

    /// Save into directory `dir` (created if needed); returns the manifest.
    fn save(&self, dir: &Path) -> Result<Manifest, Self::Error> {
        let files = self.to_files()?;
        let manifest = self.manifest(&files);
        write_dir(dir, &manifest, &files)?;
        Ok(manifest)
    }

    /// Load from directory `dir`, verifying agent, version and checksums.
    fn load(dir: &Path) -> Result<Self, Self::Error> {
        let (manifest, files) = read_dir(dir)?;
        verify(&manifest, &files, Self::AGENT, Self::FORMAT_VERSION)?;
        Self::from_files(&manifest, &files)
    }

    /// The artifact as one blob.
    fn to_bytes(&self) -> Result<Vec<u8>, Self::Error> {
        let files = self.to_files()?;
        let manifest = self.manifest(&files);
        Ok(to_blob(&manifest, &files)?)
    }

    /// Load from a blob, verifying agent, version and checksums.
    fn from_bytes(bytes: &[u8]) -> Result<Self, Self::Error> {
        let (manifest, files) = from_blob(bytes)?;
        verify(&manifest, &files, Self::AGENT, Self::FORMAT_VERSION)?;
        Self::from_files(&manifest, &files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Toy(Vec<f64>);

    impl Persist for Toy {
        const AGENT: &'static str = "toy";
        const FORMAT_VERSION: u32 = 3;
        const CRATE_VERSION: &'static str = "0.0.0";
        type Error = CoreError;

        fn model_info(&self) -> ModelInfo {
            ModelInfo {
                hyperparameters: serde_json::json!({"alpha": 1.0}),
                feature_names: vec!["x".into()],
                ..Default::default()
            }
        }
        fn to_files(&self) -> Result<ArtifactFiles> {
            let mut f = ArtifactFiles::new();
            f.insert("w.npy", crate::npy::encode(&[self.0.len()], &self.0)?)?;
            Ok(f)
        }
        fn from_files(_: &Manifest, files: &ArtifactFiles) -> Result<Self> {
            Ok(Toy(crate::npy::decode::<f64>(files.get("w.npy")?)?.1))
        }
    }

    #[test]
    fn save_load_round_trip_and_blob() {
        let dir = tempfile::tempdir().unwrap();
        let m = Toy(vec![1.0, 2.5]);
        let man = m.save(dir.path()).unwrap();
        assert_eq!(man.files.len(), 1);
        assert_eq!(Toy::load(dir.path()).unwrap(), m);
        assert_eq!(Toy::from_bytes(&m.to_bytes().unwrap()).unwrap(), m);
    }

    #[test]
    fn tampered_file_fails_checksum_with_file_name() {
        let dir = tempfile::tempdir().unwrap();
        Toy(vec![1.0]).save(dir.path()).unwrap();
        let p = dir.path().join("w.npy");
        let mut b = std::fs::read(&p).unwrap();
        let last = b.len() - 1;
        b[last] ^= 1;
        std::fs::write(&p, b).unwrap();
        let err = Toy::load(dir.path()).unwrap_err();
        assert!(matches!(err, CoreError::Checksum { .. }), "{err}");
        assert!(err.to_string().contains("w.npy"));
    }

    #[test]
    fn wrong_format_version_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        Toy(vec![1.0]).save(dir.path()).unwrap();
        let mp = dir.path().join(MANIFEST_FILE);
        let txt = std::fs::read_to_string(&mp)
            .unwrap()
            .replace("\"format_version\": 3", "\"format_version\": 9");
        std::fs::write(&mp, txt).unwrap();
        let err = Toy::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("format version 9"), "{err}");
    }

    #[test]
    fn provenance_round_trips_and_old_manifests_without_it_load() {
        let mut files = ArtifactFiles::new();
        files.insert("w.npy", vec![1, 2, 3]).unwrap();
        let p = Provenance::Synthetic {
            generator: "g 1".into(),
            seed: 9,
            params: serde_json::json!({"bars": 500}),
        };
        let info = ModelInfo {
            provenance: Some(p.clone()),
            ..Default::default()
        };
        let m = make_manifest("toy", "0.0.0", 3, info, &files);
        let (back, _) = from_blob(&to_blob(&m, &files).unwrap()).unwrap();
        assert_eq!(back.provenance, Some(p));

        // A manifest as written before provenance existed: no such key.
        let dir = tempfile::tempdir().unwrap();
        Toy(vec![1.0]).save(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
        assert!(!text.contains("provenance"), "{text}");
        let (old, _) = read_dir(dir.path()).unwrap();
        assert_eq!(old.provenance, None);
        assert_eq!(Toy::load(dir.path()).unwrap(), Toy(vec![1.0]));
    }

    #[test]
    fn truncated_blob_is_an_error_not_a_panic() {
        let b = Toy(vec![1.0, 2.0]).to_bytes().unwrap();
        for cut in [0, 5, 12, b.len() - 1] {
            assert!(Toy::from_bytes(&b[..cut]).is_err());
        }
    }
}

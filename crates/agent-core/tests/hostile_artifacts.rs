//! Artifacts and `.npy` files from a store an attacker can write to: the
//! manifest checksums may have been recomputed, so every loader must bound
//! its reads and allocations, refuse special files and never panic.

use agent_core::persist::{
    self, ArtifactFiles, MANIFEST_FILE, MAX_FILE_BYTES, Manifest, ModelInfo, Persist, Symlinks,
    read_bounded, sha256_hex,
};
use agent_core::{CoreError, npy};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, PartialEq)]
struct Weights(Vec<f64>);

impl Persist for Weights {
    const AGENT: &'static str = "weights";
    const FORMAT_VERSION: u32 = 1;
    const CRATE_VERSION: &'static str = "0.0.0";
    type Error = CoreError;

    fn model_info(&self) -> ModelInfo {
        ModelInfo::default()
    }
    fn to_files(&self) -> Result<ArtifactFiles, CoreError> {
        let mut f = ArtifactFiles::new();
        f.insert("w.npy", npy::encode(&[self.0.len()], &self.0)?)?;
        Ok(f)
    }
    fn from_files(_: &Manifest, files: &ArtifactFiles) -> Result<Self, CoreError> {
        Ok(Weights(npy::decode::<f64>(files.get("w.npy")?)?.1))
    }
}

fn saved() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    Weights(vec![1.0, 2.0, 3.0]).save(dir.path()).unwrap();
    dir
}

fn manifest(dir: &Path) -> Manifest {
    serde_json::from_slice(&std::fs::read(dir.join(MANIFEST_FILE)).unwrap()).unwrap()
}

fn write_manifest(dir: &Path, m: &Manifest) {
    std::fs::write(dir.join(MANIFEST_FILE), serde_json::to_vec(m).unwrap()).unwrap();
}

/// Run `f` on a thread and fail the test if it has not returned in time
/// (the old loader blocked forever on a FIFO).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("the load did not return: it blocks on its input")
}

#[test]
fn artifact_file_that_is_a_symlink_is_refused() {
    let dir = saved();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, b"TOKEN=hunter2").unwrap();
    // The attacker points w.npy at another file and records its checksum.
    std::fs::remove_file(dir.path().join("w.npy")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("w.npy")).unwrap();
    let mut m = manifest(dir.path());
    let entry = m.files.get_mut("w.npy").unwrap();
    entry.sha256 = sha256_hex(b"TOKEN=hunter2");
    entry.bytes = 13;
    write_manifest(dir.path(), &m);
    let err = Weights::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
    assert!(err.contains("w.npy"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn artifact_file_linked_to_dev_zero_is_refused_without_reading() {
    let dir = saved();
    std::fs::remove_file(dir.path().join("w.npy")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("w.npy")).unwrap();
    let path = dir.path().to_path_buf();
    let err = within(10, move || Weights::load(&path).unwrap_err().to_string());
    assert!(err.contains("symbolic link"), "{err}");
    // Followed or not, a device is never read.
    let err = read_bounded(Path::new("/dev/zero"), 1 << 20, Symlinks::Follow)
        .unwrap_err()
        .to_string();
    assert!(err.contains("FIFO, socket or device"), "{err}");
}

#[test]
fn artifact_file_that_is_a_fifo_fails_fast_instead_of_hanging() {
    let dir = saved();
    let p = dir.path().join("w.npy");
    std::fs::remove_file(&p).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&p)
        .status()
        .unwrap();
    assert!(status.success());
    let path = dir.path().to_path_buf();
    let err = within(10, move || Weights::load(&path).unwrap_err().to_string());
    assert!(err.contains("FIFO"), "{err}");
}

#[test]
fn manifest_that_is_a_symlink_is_refused() {
    let dir = saved();
    let other = tempfile::tempdir().unwrap();
    let real = other.path().join("m.json");
    std::fs::rename(dir.path().join(MANIFEST_FILE), &real).unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join(MANIFEST_FILE)).unwrap();
    let err = Weights::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
}

#[test]
fn file_larger_than_its_manifest_entry_is_refused() {
    let dir = saved();
    let p = dir.path().join("w.npy");
    let mut big = std::fs::read(&p).unwrap();
    big.extend(std::iter::repeat_n(0u8, 4096));
    std::fs::write(&p, &big).unwrap();
    let err = Weights::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("more than the"), "{err}");
}

#[test]
fn manifest_sizes_over_the_limits_are_refused_before_reading() {
    let dir = saved();
    let mut m = manifest(dir.path());
    m.files.get_mut("w.npy").unwrap().bytes = MAX_FILE_BYTES + 1;
    write_manifest(dir.path(), &m);
    let err = Weights::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("more than the"), "{err}");

    let mut m = manifest(dir.path());
    m.files.get_mut("w.npy").unwrap().bytes = 10;
    for i in 0..persist::MAX_FILES {
        m.files.insert(
            format!("f{i}.bin"),
            persist::FileEntry {
                sha256: String::new(),
                bytes: 0,
            },
        );
    }
    write_manifest(dir.path(), &m);
    let err = Weights::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("files, more than the"), "{err}");
}

/// A blob whose manifest (checksums recomputed) lists a file outside the
/// artifact directory: the old reader accepted it, and saving it again
/// would have written outside the directory.
#[test]
fn blob_with_unsafe_file_name_is_refused() {
    let data = b"x".to_vec();
    let m = serde_json::json!({
        "manifest_schema": 1, "agent": "weights", "crate_version": "0.0.0",
        "format_version": 1, "created_at": "2024-01-01T00:00:00Z",
        "hyperparameters": null, "data_fingerprint": null,
        "files": {"../escape.npy": {"sha256": sha256_hex(&data), "bytes": 1}},
    });
    let json = serde_json::to_vec(&m).unwrap();
    let mut blob = b"CTART\x001\n".to_vec();
    blob.extend_from_slice(&(json.len() as u64).to_le_bytes());
    blob.extend_from_slice(&json);
    blob.extend_from_slice(&1u64.to_le_bytes());
    blob.extend_from_slice(&data);
    let err = persist::from_blob(&blob).unwrap_err().to_string();
    assert!(err.contains("unsafe file name"), "{err}");
}

#[test]
fn blob_length_prefixes_must_match_the_manifest() {
    let good = Weights(vec![1.0, 2.0]).to_bytes().unwrap();
    assert_eq!(Weights::from_bytes(&good).unwrap(), Weights(vec![1.0, 2.0]));
    // Huge manifest length, huge file length, trailing garbage.
    let mut b = good.clone();
    b[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(Weights::from_bytes(&b).is_err());
    let mlen = u64::from_le_bytes(good[8..16].try_into().unwrap()) as usize;
    let mut b = good.clone();
    b[16 + mlen..24 + mlen].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
    let err = Weights::from_bytes(&b).unwrap_err().to_string();
    assert!(err.contains("manifest records"), "{err}");
    let mut b = good.clone();
    b.push(0);
    assert!(Weights::from_bytes(&b).is_err());
}

// ---- .npy ----

fn npy_with_header(dict: &str, body: &[u8]) -> Vec<u8> {
    let mut h = dict.to_string();
    let unpadded = 10 + h.len() + 1;
    h.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(body);
    out
}

fn decode_no_panic(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f64>), String> {
    let b = bytes.to_vec();
    std::panic::catch_unwind(move || npy::decode::<f64>(&b))
        .map_err(|_| "npy::decode panicked".to_string())?
        .map_err(|e| e.to_string())
}

#[test]
fn npy_malformed_shape_text_is_an_error_not_a_panic() {
    for shape in [
        ")",
        "(",
        "(3",
        "(-1,)",
        "(a,)",
        "(3,,)",
        "(1 2)",
        "",
        "3",
        "(99999999999999999999999,)",
    ] {
        let b = npy_with_header(
            &format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"),
            &[0u8; 8],
        );
        let r = decode_no_panic(&b);
        assert!(r.is_err(), "shape {shape:?} accepted: {r:?}");
        assert!(!r.unwrap_err().contains("panicked"), "shape {shape:?}");
    }
    // The shape text directly followed by `)`: the old reader sliced [1..0].
    let b = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': )}", &[]);
    let e = decode_no_panic(&b).unwrap_err();
    assert!(e.starts_with("invalid data: not a valid .npy file"), "{e}");
}

#[test]
fn npy_element_count_overflow_is_refused() {
    // 2^32 * 2^32 wraps to 0 in unchecked arithmetic, which matched the
    // empty body and produced an array whose shape lies.
    let b = npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
        &[],
    );
    let e = decode_no_panic(&b).unwrap_err();
    assert!(e.contains("more elements than memory"), "{e}");
    // 2^61 values of 8 bytes wrap to 0 bytes.
    let b = npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }",
        &[],
    );
    let e = decode_no_panic(&b).unwrap_err();
    assert!(e.contains("data bytes"), "{e}");
}

#[test]
fn npy_header_length_is_bounded() {
    let mut b = b"\x93NUMPY\x02\x00".to_vec();
    let hlen = (npy::MAX_HEADER_LEN + 1) as u32;
    b.extend_from_slice(&hlen.to_le_bytes());
    b.extend(std::iter::repeat_n(b' ', hlen as usize));
    let e = decode_no_panic(&b).unwrap_err();
    assert!(e.contains("longer than"), "{e}");
    let mut b = b"\x93NUMPY\x02\x00".to_vec();
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(decode_no_panic(&b).is_err());
}

#[test]
fn npy_headers_numpy_writes_are_read() {
    for (dict, shape) in [
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }",
            vec![2, 1],
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            vec![2],
        ),
        (
            "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f8\"}",
            vec![2],
        ),
    ] {
        let b = npy_with_header(dict, &[0u8; 16]);
        assert_eq!(
            decode_no_panic(&b).unwrap(),
            (shape, vec![0.0, 0.0]),
            "{dict}"
        );
    }
    let b = npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
        &[0u8; 8],
    );
    assert_eq!(decode_no_panic(&b).unwrap(), (vec![], vec![0.0]));
    let h = npy::parse_header(&npy::encode(&[3, 4], &[0i64; 12]).unwrap()).unwrap();
    assert_eq!((h.descr.as_str(), h.shape, h.len), ("<i8", vec![3, 4], 12));
}

#[test]
fn npy_bad_dictionaries_are_errors() {
    for dict in [
        "{'descr': '<f8', 'fortran_order': False}",
        "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} trailing",
        "{'descr: '<f8', 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '<f8', 'fortran_order': True, 'shape': (1,)}",
    ] {
        let b = npy_with_header(dict, &[0u8; 8]);
        assert!(decode_no_panic(&b).is_err(), "{dict}");
    }
}

proptest::proptest! {
    #[test]
    fn npy_decode_never_panics_on_arbitrary_bytes(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)
    ) {
        let _ = npy::decode::<f64>(&bytes);
        let mut with_magic = b"\x93NUMPY\x01\x00".to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = npy::decode::<i64>(&with_magic);
    }

    #[test]
    fn npy_decode_never_panics_on_mutated_files(
        edits in proptest::collection::vec((0usize..200, proptest::prelude::any::<u8>()), 1..6)
    ) {
        let mut b = npy::encode(&[2, 3], &[1.0f64; 6]).unwrap();
        for (i, v) in edits {
            let n = b.len();
            b[i % n] = v;
        }
        let _ = npy::decode::<f64>(&b);
    }
}

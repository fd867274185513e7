//! `S3Store` against a real S3 server on loopback: `s3s` + `s3s-fs` serving a
//! temporary directory, with SigV4 authentication switched on, so requests
//! are signed and checked exactly as a real S3-compatible server would.
#![cfg(feature = "s3")]

use agent_core::persist::{ArtifactFiles, ModelInfo, make_manifest, to_blob};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::{
    ArtifactStore, CachedStore, LocalStore, ModelRegistry, PromotePolicy, RecoveryLoop,
    RetryPolicy, S3Config, S3Store, StoreError,
};
use test_support::s3::{ACCESS_KEY as AK, BUCKET, S3Server, SECRET_KEY as SK};

fn quick_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
    }
}

fn config(server: &S3Server) -> S3Config {
    let mut cfg = S3Config::new(BUCKET)
        .with_endpoint(server.endpoint())
        .with_credentials(AK, SK)
        .with_retry(quick_retry(3));
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.timeout = Duration::from_secs(20);
    cfg
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn blob(agent: &str, payload: u8) -> Vec<u8> {
    let mut files = ArtifactFiles::new();
    files.insert("weights.bin", vec![payload; 256]).unwrap();
    let info = ModelInfo {
        feature_names: vec!["lr_1".into(), "vol_24".into()],
        ..Default::default()
    };
    let mut m = make_manifest(agent, "0.1.0", 1, info, &files);
    m.created_at = format!("2026-11-25T10:00:{:02}Z", payload);
    to_blob(&m, &files).unwrap()
}

#[test]
fn put_get_list_delete_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server)).unwrap();

    s3.put("models/regime/BTCUSDT/a.ctart", b"alpha").unwrap();
    s3.put("models/regime/BTCUSDT/LATEST.json", b"{}").unwrap();
    s3.put("models/regime/ETHUSDT/b.ctart", b"beta").unwrap();
    s3.put("models/signal/BTCUSDT/c.ctart", b"gamma").unwrap();
    s3.put("top.txt", b"root").unwrap();

    assert_eq!(
        s3.get("models/regime/BTCUSDT/a.ctart").unwrap().as_deref(),
        Some(&b"alpha"[..])
    );
    // Overwrite replaces.
    s3.put("models/regime/BTCUSDT/a.ctart", b"alpha-2").unwrap();
    assert_eq!(
        s3.get("models/regime/BTCUSDT/a.ctart").unwrap().as_deref(),
        Some(&b"alpha-2"[..])
    );

    assert_eq!(
        s3.list("models/regime/").unwrap(),
        [
            "models/regime/BTCUSDT/LATEST.json",
            "models/regime/BTCUSDT/a.ctart",
            "models/regime/ETHUSDT/b.ctart"
        ]
    );
    // A prefix that ends mid-segment is a plain string prefix.
    assert_eq!(
        s3.list("models/reg").unwrap(),
        s3.list("models/regime/").unwrap()
    );
    assert_eq!(
        s3.list("models/regime/BTCUSDT/a").unwrap(),
        ["models/regime/BTCUSDT/a.ctart"]
    );
    assert_eq!(s3.list("").unwrap().len(), 5);
    assert!(s3.list("nothing/here").unwrap().is_empty());

    s3.delete("models/regime/BTCUSDT/a.ctart").unwrap();
    assert_eq!(s3.get("models/regime/BTCUSDT/a.ctart").unwrap(), None);
    // Deleting again (a missing key) is fine.
    s3.delete("models/regime/BTCUSDT/a.ctart").unwrap();
    assert_eq!(s3.list("models/regime/BTCUSDT/").unwrap().len(), 1);
}

#[test]
fn a_missing_key_is_none_and_a_missing_bucket_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server)).unwrap();
    assert_eq!(s3.get("models/none/here.bin").unwrap(), None);

    let mut cfg = config(&server);
    cfg.bucket = "no-such-bucket".into();
    let wrong = S3Store::new(cfg).unwrap();
    // A listing of a missing bucket is a configuration error, not an empty
    // result. (s3s-fs answers a GET in a missing bucket with NoSuchKey and
    // a DELETE with success, so only the listing can show it here.)
    let err = wrong.list("models/").unwrap_err();
    assert!(
        matches!(err, StoreError::Rejected { status: 404, .. }),
        "{err}"
    );
    assert!(!err.is_transient());
    assert!(err.to_string().contains("NoSuchBucket"), "{err}");
}

#[test]
fn invalid_keys_are_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server)).unwrap();
    for k in ["../escape", "a//b", "/abs", "a b"] {
        assert!(matches!(
            s3.put(k, b"x"),
            Err(StoreError::InvalidKey { .. })
        ));
    }
}

#[test]
fn a_few_megabytes_round_trip_intact() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server)).unwrap();
    let mut rng = agent_core::SplitMix64::new(42);
    let big: Vec<u8> = (0..6 * 1024 * 1024 + 17)
        .map(|_| (rng.next_f64() * 256.0) as u8)
        .collect();
    s3.put("models/big/blob.bin", &big).unwrap();
    let back = s3.get("models/big/blob.bin").unwrap().unwrap();
    assert_eq!(back.len(), big.len());
    assert!(back == big);
    assert_eq!(
        std::fs::metadata(server.object_file("models/big/blob.bin"))
            .unwrap()
            .len(),
        big.len() as u64
    );
}

#[test]
fn tampering_on_the_server_is_caught_by_the_recorded_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server)).unwrap();
    let key = "models/regime/BTCUSDT/m.ctart";
    s3.put(key, b"the genuine model bytes").unwrap();
    assert!(s3.get(key).unwrap().is_some());

    // Same length, different bytes, written behind the server's back.
    let file = server.object_file(key);
    std::fs::write(&file, b"the genuine model bytez").unwrap();
    let err = s3.get(key).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("sha256"), "{err}");
    assert!(!err.is_transient());
}

#[test]
fn registry_publishes_and_loads_through_s3_under_a_key_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server).with_prefix("prod")).unwrap();
    let reg = ModelRegistry::new(s3);
    let a = reg
        .publish_blob(&blob("regime", 1), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    let b = reg
        .publish_blob(&blob("regime", 2), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    let (pointer, bytes) = reg.fetch_latest("regime", "BTCUSDT").unwrap();
    assert_eq!(pointer.key, b.key);
    assert_eq!(bytes, blob("regime", 2));
    assert_eq!(
        reg.versions("regime", "BTCUSDT").unwrap(),
        [a.key.clone(), b.key]
    );
    assert_eq!(reg.rollback("regime", "BTCUSDT").unwrap().key, a.key);
    // The bucket layout is `<prefix>/models/<agent>/<symbol>/...`.
    assert!(
        server
            .object_file("prod/models/regime/BTCUSDT/LATEST.json")
            .is_file()
    );
    assert!(server.object_file(&format!("prod/{}", a.key)).is_file());
}

#[test]
fn cached_store_keeps_writes_through_an_outage_and_flushes_them_after() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let addr = server.addr();
    let cfg = config(&server).with_retry(quick_retry(1));
    let remote: Arc<dyn ArtifactStore> = Arc::new(S3Store::new(cfg.clone()).unwrap());
    let cached = CachedStore::new(remote, LocalStore::new(cache.path()), quick_retry(2));

    cached.put("models/a/X/one.bin", b"one").unwrap();
    assert_eq!(cached.status().pending_uploads, 0);

    // The server goes away mid-run: connections drop, the port closes.
    server.stop();
    cached.put("models/a/X/two.bin", b"two").unwrap();
    cached.put("models/a/X/three.bin", &[3u8; 100_000]).unwrap();
    cached
        .put("models/a/X/one.bin", b"one, updated offline")
        .unwrap();
    let st = cached.status();
    assert!(st.remote_down);
    assert_eq!(st.pending_uploads, 3);
    // Reads are answered: pending keys from the cache, others from the cache
    // as a fallback.
    assert_eq!(
        cached.get("models/a/X/one.bin").unwrap().as_deref(),
        Some(&b"one, updated offline"[..])
    );
    assert_eq!(cached.flush_pending(), 3, "nothing can upload while down");

    // Back on the same port and directory.
    let server = S3Server::start(dir.path(), addr);
    assert_eq!(server.addr(), addr);
    let recovery = RecoveryLoop::start(cached.clone(), quick_retry(1), Duration::from_millis(20));
    let mut waited = 0;
    while cached.status().pending_uploads > 0 && waited < 500 {
        std::thread::sleep(Duration::from_millis(20));
        waited += 1;
    }
    drop(recovery);
    assert_eq!(cached.status().pending_uploads, 0);
    assert!(!cached.status().remote_down);

    // A fresh client sees every write, intact (sha256-verified on download).
    let direct = S3Store::new(cfg).unwrap();
    assert_eq!(
        direct.get("models/a/X/one.bin").unwrap().as_deref(),
        Some(&b"one, updated offline"[..])
    );
    assert_eq!(
        direct.get("models/a/X/two.bin").unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert_eq!(
        direct.get("models/a/X/three.bin").unwrap().unwrap(),
        vec![3u8; 100_000]
    );
    assert_eq!(direct.list("models/a/").unwrap().len(), 3);
}

#[test]
fn secrets_stay_out_of_errors_describe_and_debug() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let wrong_secret = "WrongSecret-abcdef-0123456789";
    let mut cfg = config(&server).with_credentials(AK, wrong_secret);
    cfg.session_token = Some("SessionToken-xyz-0987654321".into());
    let s3 = S3Store::new(cfg).unwrap();

    let err = s3.put("models/k.bin", b"x").unwrap_err();
    assert!(matches!(err, StoreError::Rejected { .. }), "{err}");
    let down = {
        let addr = server.stop();
        let mut cfg = S3Config::new(BUCKET)
            .with_endpoint(format!("http://{addr}"))
            .with_credentials(AK, SK)
            .with_retry(quick_retry(1));
        cfg.connect_timeout = Duration::from_secs(1);
        let s = S3Store::new(cfg).unwrap();
        let e = s.get("models/k.bin").unwrap_err();
        assert!(e.is_transient(), "{e}");
        format!("{e} {e:?} {s:?} {}", s.describe())
    };
    let texts = format!(
        "{err} {err:?} {s3:?} {:?} {} {down}",
        s3.config(),
        s3.describe()
    );
    for secret in [wrong_secret, SK, "SessionToken-xyz-0987654321"] {
        assert!(!texts.contains(secret), "secret leaked in: {texts}");
    }
    assert!(texts.contains("<redacted>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_api_works_inside_a_multi_thread_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server)).unwrap();
    s3.put("models/rt/k.bin", b"inside").unwrap();
    assert_eq!(
        s3.get("models/rt/k.bin").unwrap().as_deref(),
        Some(&b"inside"[..])
    );
    // Dropping the store (and its runtime) here must not panic either.
    drop(s3);
    drop(server);
}

#[tokio::test]
async fn the_sync_api_works_inside_a_current_thread_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server)).unwrap();
    s3.put("models/rt/k.bin", b"inside").unwrap();
    assert_eq!(s3.list("models/").unwrap(), ["models/rt/k.bin"]);
    drop(s3);
    drop(server);
}

#[test]
fn an_object_over_max_object_bytes_is_refused_from_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), loopback());
    let s3 = S3Store::new(config(&server)).unwrap();
    s3.put("models/big.ctart", &[7u8; 4096]).unwrap();
    s3.put("models/fits.ctart", &[7u8; 1000]).unwrap();
    let small = S3Store::new(config(&server).with_max_object_bytes(1000)).unwrap();
    assert_eq!(
        small.get("models/fits.ctart").unwrap().map(|b| b.len()),
        Some(1000)
    );
    let err = small.get("models/big.ctart").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{text}");
    assert!(
        text.contains("4096 bytes") && text.contains("more than the 1000 allowed"),
        "{text}"
    );
    assert!(!text.contains(SK) && !text.contains(AK), "{text}");
    // The default limit is an artifact blob at its limit.
    assert_eq!(
        S3Config::new(BUCKET).max_object_bytes,
        store::local::MAX_OBJECT_BYTES
    );
}

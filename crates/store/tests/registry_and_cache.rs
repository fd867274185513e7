//! Registry semantics (publish, promote policy, rollback, verification) and
//! the cache/recovery path through a remote that goes down and comes back.

use agent_core::Direction;
use agent_core::persist::{ArtifactFiles, ModelInfo, make_manifest, to_blob};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use store::{
    ArtifactStore, CachedStore, LocalStore, ModelRegistry, PromotePolicy, RecoveryLoop,
    RetryPolicy, StoreError,
};

fn blob(agent: &str, payload: u8, auc: f64) -> Vec<u8> {
    let mut files = ArtifactFiles::new();
    files.insert("weights.bin", vec![payload; 64]).unwrap();
    let info = ModelInfo {
        feature_names: vec!["lr_1".into(), "vol_24".into()],
        metrics: [("test_auc".to_string(), serde_json::json!(auc))].into(),
        ..Default::default()
    };
    let mut m = make_manifest(agent, "0.1.0", 1, info, &files);
    // Distinct creation stamps keep version keys apart within one second.
    m.created_at = format!("2026-11-25T10:00:{:02}Z", payload);
    to_blob(&m, &files).unwrap()
}

#[test]
fn publish_promote_and_rollback_move_the_latest_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let reg = ModelRegistry::new(LocalStore::new(dir.path()));
    let a = reg
        .publish_blob(&blob("signal", 1, 0.55), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    let b = reg
        .publish_blob(&blob("signal", 2, 0.56), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    assert_eq!(reg.latest("signal", "BTCUSDT").unwrap().unwrap().key, b.key);
    assert_eq!(reg.versions("signal", "BTCUSDT").unwrap().len(), 2);
    assert_eq!(
        reg.latest("signal", "BTCUSDT")
            .unwrap()
            .unwrap()
            .feature_list,
        ["lr_1", "vol_24"]
    );
    let back = reg.rollback("signal", "BTCUSDT").unwrap();
    assert_eq!(back.key, a.key);
    assert!(matches!(
        reg.rollback("signal", "BTCUSDT"),
        Err(StoreError::NoHistory { .. })
    ));
    reg.promote(&b.key, "BTCUSDT").unwrap();
    assert_eq!(reg.latest("signal", "BTCUSDT").unwrap().unwrap().key, b.key);
}

#[test]
fn a_worse_model_is_stored_but_not_promoted() {
    let dir = tempfile::tempdir().unwrap();
    let reg = ModelRegistry::new(LocalStore::new(dir.path()));
    let policy = PromotePolicy::IfNotWorse {
        metric: "test_auc".into(),
        direction: Direction::Maximize,
    };
    let good = reg
        .publish_blob(&blob("signal", 1, 0.56), "ETHUSDT", policy.clone())
        .unwrap();
    let worse = reg
        .publish_blob(&blob("signal", 2, 0.52), "ETHUSDT", policy)
        .unwrap();
    assert!(good.promoted);
    assert!(!worse.promoted);
    assert!(worse.reason.unwrap().contains("worse"));
    assert_eq!(
        reg.latest("signal", "ETHUSDT").unwrap().unwrap().key,
        good.key
    );
}

#[test]
fn a_corrupted_blob_is_refused_on_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path());
    let reg = ModelRegistry::new(store.clone());
    let p = reg
        .publish_blob(&blob("regime", 3, 0.7), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    let mut bytes = store.get(&p.key).unwrap().unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0xff;
    store.put(&p.key, &bytes).unwrap();
    let err = reg.fetch_latest("regime", "BTCUSDT").unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
}

/// A remote over a directory that can be switched off, as a network outage.
struct SwitchableRemote {
    inner: LocalStore,
    up: AtomicBool,
}

impl SwitchableRemote {
    fn check(&self) -> Result<(), StoreError> {
        self.check_key("")
    }

    /// Keys under `forbidden/` are refused for good (as a permissions error).
    fn check_key(&self, key: &str) -> Result<(), StoreError> {
        if key.starts_with("forbidden/") {
            return Err(StoreError::Rejected {
                store: "remote".into(),
                key: key.into(),
                status: 403,
                why: "AccessDenied".into(),
            });
        }
        if self.up.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(StoreError::Unreachable {
                store: "remote".into(),
                why: "connection refused".into(),
            })
        }
    }
}

impl ArtifactStore for SwitchableRemote {
    fn describe(&self) -> String {
        "remote".into()
    }
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.check_key(key)?;
        self.inner.put(key, bytes)
    }
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check()?;
        self.inner.get(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.check()?;
        self.inner.list(prefix)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check()?;
        self.inner.delete(key)
    }
}

#[test]
fn outage_serves_from_cache_queues_uploads_and_recovers_without_loss() {
    let remote_dir = tempfile::tempdir().unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let remote = Arc::new(SwitchableRemote {
        inner: LocalStore::new(remote_dir.path()),
        up: AtomicBool::new(true),
    });
    let fast = RetryPolicy {
        attempts: 2,
        base: Duration::from_millis(1),
        max: Duration::from_millis(5),
    };
    let cached = CachedStore::new(remote.clone(), LocalStore::new(cache_dir.path()), fast);
    let reg = ModelRegistry::new(cached.clone());

    let first = reg
        .publish_blob(&blob("regime", 1, 0.7), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    remote.up.store(false, Ordering::SeqCst);

    // Reads keep working from the cache, and say so.
    let (p, _) = reg.fetch_latest("regime", "BTCUSDT").unwrap();
    assert_eq!(p.key, first.key);
    assert!(cached.status().remote_down);
    assert!(cached.status().served_from_cache > 0);

    // Writes during the outage are kept and queued.
    let mut during = Vec::new();
    for i in 2..6u8 {
        during.push(
            reg.publish_blob(
                &blob("regime", i, 0.7 + i as f64 / 100.0),
                "BTCUSDT",
                PromotePolicy::Always,
            )
            .unwrap(),
        );
    }
    assert!(cached.status().pending_uploads >= 4);
    assert_eq!(
        reg.latest("regime", "BTCUSDT").unwrap().unwrap().key,
        during[3].key
    );

    // The remote comes back; the recovery loop drains the queue.
    remote.up.store(true, Ordering::SeqCst);
    let recovery = RecoveryLoop::start(cached.clone(), fast, Duration::from_millis(5));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while cached.status().pending_uploads > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(recovery);
    assert_eq!(cached.status().pending_uploads, 0);

    // Everything is on the remote, verified, and the pointer is the newest.
    let remote_reg = ModelRegistry::new(LocalStore::new(remote_dir.path()));
    for v in std::iter::once(&first).chain(during.iter()) {
        remote_reg.fetch(&v.key, Some(&v.pointer.hash)).unwrap();
    }
    assert_eq!(
        remote_reg.latest("regime", "BTCUSDT").unwrap().unwrap().key,
        during[3].key
    );
}

#[test]
fn a_refused_upload_does_not_hold_up_the_rest_of_the_queue() {
    let remote_dir = tempfile::tempdir().unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let remote = Arc::new(SwitchableRemote {
        inner: LocalStore::new(remote_dir.path()),
        up: AtomicBool::new(false),
    });
    let fast = RetryPolicy {
        attempts: 1,
        base: Duration::from_millis(1),
        max: Duration::from_millis(2),
    };
    let cached = CachedStore::new(remote.clone(), LocalStore::new(cache_dir.path()), fast);
    // Queued during an outage, the refused key first.
    for key in ["forbidden/a.bin", "models/b.bin", "models/c.bin"] {
        cached.put(key, key.as_bytes()).unwrap();
    }
    assert_eq!(cached.status().pending_uploads, 3);
    remote.up.store(true, Ordering::SeqCst);
    // The refused key stays pending; the others reach the remote.
    assert_eq!(cached.flush_pending(), 1);
    let on_remote = LocalStore::new(remote_dir.path());
    assert_eq!(
        on_remote.get("models/b.bin").unwrap().unwrap(),
        b"models/b.bin"
    );
    assert_eq!(
        on_remote.get("models/c.bin").unwrap().unwrap(),
        b"models/c.bin"
    );
    assert_eq!(on_remote.get("forbidden/a.bin").unwrap(), None);
}

#[test]
fn a_decided_promotion_records_its_comparison_and_is_void_once_the_current_model_changed() {
    use store::PromotionRecord;
    let dir = tempfile::tempdir().unwrap();
    let reg = ModelRegistry::new(LocalStore::new(dir.path()));
    let first = reg
        .publish_blob(
            &blob("ppo", 1, 0.5),
            "ETHUSDT",
            PromotePolicy::Decided {
                promote: true,
                against: None,
                reason: None,
                record: PromotionRecord::new("first", None, serde_json::Value::Null),
            },
        )
        .unwrap();
    assert!(first.promoted);
    let details = serde_json::json!({"metric": "test_mean_ret_greedy", "ci95": [0.001, 0.004]});
    let second = reg
        .publish_blob(
            &blob("ppo", 2, 0.4),
            "ETHUSDT",
            PromotePolicy::Decided {
                promote: true,
                against: Some(first.key.clone()),
                reason: None,
                record: PromotionRecord::new(
                    "same_slice",
                    Some(first.key.clone()),
                    details.clone(),
                ),
            },
        )
        .unwrap();
    assert!(second.promoted, "{:?}", second.reason);
    let latest = reg.latest("ppo", "ETHUSDT").unwrap().unwrap();
    let rec = latest.promotion.expect("the pointer records its promotion");
    assert_eq!(rec.rule, "same_slice");
    assert_eq!(rec.against.as_deref(), Some(first.key.as_str()));
    assert_eq!(rec.details, details);
    // The history keeps the replaced model with its own record.
    let history = reg.history("ppo", "ETHUSDT").unwrap();
    assert_eq!(history.last().unwrap().key, first.key);
    assert_eq!(
        history.last().unwrap().promotion.as_ref().unwrap().rule,
        "first"
    );

    // A decision made against `first` is void now that `second` is current.
    let stale = reg
        .publish_blob(
            &blob("ppo", 3, 0.9),
            "ETHUSDT",
            PromotePolicy::Decided {
                promote: true,
                against: Some(first.key.clone()),
                reason: None,
                record: PromotionRecord::new("same_slice", Some(first.key), details),
            },
        )
        .unwrap();
    assert!(!stale.promoted);
    assert!(stale.reason.unwrap().contains("changed"));
    assert_eq!(
        reg.latest("ppo", "ETHUSDT").unwrap().unwrap().key,
        second.key
    );

    // A refusal keeps the current model and says why.
    let refused = reg
        .publish_blob(
            &blob("ppo", 4, 0.9),
            "ETHUSDT",
            PromotePolicy::Decided {
                promote: false,
                against: Some(second.key.clone()),
                reason: Some("not significantly better".into()),
                record: PromotionRecord::new(
                    "same_slice",
                    Some(second.key.clone()),
                    serde_json::Value::Null,
                ),
            },
        )
        .unwrap();
    assert!(!refused.promoted);
    assert_eq!(refused.reason.as_deref(), Some("not significantly better"));
    assert_eq!(
        reg.latest("ppo", "ETHUSDT").unwrap().unwrap().key,
        second.key
    );
}

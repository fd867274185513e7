//! The runtime classifier: remote -> cache -> embedded fallback, the status
//! flag, recovery with backoff and a lock-free swap when the model arrives.

use agent_core::Persist;
use regime::{
    LocalCache, ModelOrigin, ModelSource, RecoveryPolicy, RegimeClassifier, RegimeModel,
    SourceError, fallback_model,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A remote store that fails `failures` times, then serves `blob`.
struct Flaky {
    failures: u32,
    calls: AtomicU32,
    blob: Option<Vec<u8>>,
}

impl ModelSource for Flaky {
    fn name(&self) -> String {
        "flaky remote".into()
    }
    fn fetch(&self) -> Result<Option<Vec<u8>>, SourceError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n < self.failures {
            return Err(format!("connection refused (call {n})").into());
        }
        Ok(self.blob.clone())
    }
}

/// A "real" model for the remote: the fallback artifact re-trained with
/// other settings is overkill here; the embedded model itself, as a blob,
/// stands in for a published model.
fn remote_blob() -> Vec<u8> {
    fallback_model().unwrap().to_bytes().unwrap()
}

fn fast_policy(max_attempts: Option<u32>) -> RecoveryPolicy {
    RecoveryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        multiplier: 2.0,
        jitter: 0.5,
        max_attempts,
        retry_when_cached: true,
        seed: Some(1),
    }
}

const ROW: [f64; 12] = [
    0.001, 0.002, -0.003, 0.004, 0.01, 0.006, 0.007, 0.0065, 55.0, 0.3, 0.1, 0.009,
];

#[test]
fn no_sources_yield_the_embedded_fallback_and_say_so() {
    let c = RegimeClassifier::load(None, None);
    assert!(c.is_fallback());
    let s = c.status();
    assert_eq!(s.origin, ModelOrigin::EmbeddedFallback);
    assert!(s.using_fallback);
    assert!(!s.recovering, "nothing to recover from without a remote");
    let p = c.predict_row(&ROW).unwrap();
    assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn failing_remote_falls_back_then_recovers_and_swaps_in_the_real_model() {
    let remote = Arc::new(Flaky {
        failures: 3,
        calls: AtomicU32::new(0),
        blob: Some(remote_blob()),
    });
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = LocalCache::new(cache_dir.path().join("regime"));
    let c = RegimeClassifier::load_with(
        Some(remote.clone() as Arc<dyn ModelSource>),
        Some(cache.clone()),
        fast_policy(None),
    );
    // The first fetch failed and the cache was empty: fallback, recovering.
    let s = c.status();
    assert_eq!(s.origin, ModelOrigin::EmbeddedFallback);
    assert!(s.recovering);
    let err = s.last_error.unwrap();
    assert!(
        err.contains("connection refused") && err.contains("holds no model"),
        "{err}"
    );
    let before = c.model();
    assert!(
        c.predict_row(&ROW).is_ok(),
        "predictions work while recovering"
    );

    assert!(
        c.wait_until_recovered(Duration::from_secs(10)),
        "{:?}",
        c.status()
    );
    let s = c.status();
    assert_eq!(s.origin, ModelOrigin::Remote);
    assert_eq!(s.source, "flaky remote");
    assert!(!s.using_fallback && !c.is_fallback() && !s.recovering);
    assert_eq!(
        s.recovery_attempts, 3,
        "load's attempt + 2 failed retries + 1 success"
    );
    assert_eq!(s.swaps, 1);
    assert_eq!(remote.calls.load(Ordering::SeqCst), 4);
    // The swap produced a new model object; the old handle stays usable.
    assert!(!Arc::ptr_eq(&before, &c.model()));
    assert!(before.predict_row(&ROW).is_ok());
    // The recovered model was written to the cache.
    assert!(cache.load().unwrap().is_some());
}

#[test]
fn cache_is_used_when_the_remote_fails_and_recovery_can_give_up() {
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = LocalCache::new(cache_dir.path());
    cache.store(&fallback_model().unwrap()).unwrap();
    let remote = Arc::new(Flaky {
        failures: u32::MAX,
        calls: AtomicU32::new(0),
        blob: None,
    });
    let c = RegimeClassifier::load_with(
        Some(remote.clone() as Arc<dyn ModelSource>),
        Some(cache),
        fast_policy(Some(3)),
    );
    let s = c.status();
    assert_eq!(s.origin, ModelOrigin::Cache);
    assert!(!c.is_fallback());
    // Gives up after 3 retries and keeps serving the cached model.
    assert!(!c.wait_until_recovered(Duration::from_secs(10)));
    let s = c.status();
    assert!(!s.recovering);
    assert_eq!(s.recovery_attempts, 3);
    assert_eq!(remote.calls.load(Ordering::SeqCst), 4);
    assert!(s.last_error.unwrap().contains("connection refused"));
    assert_eq!(c.status().origin, ModelOrigin::Cache);
}

/// A valid regime artifact trained on other features than the T0 set.
fn other_features_blob() -> Vec<u8> {
    use agent_core::{Fit, ParamGuard, SplitMix64};
    let mut u = SplitMix64::new(3);
    let n = 400;
    let x = ndarray::Array2::from_shape_fn((n, 2), |_| u.next_f64());
    let vol: Vec<f64> = (0..n).map(|i| x[[i, 0]]).collect();
    let data = regime::RegimeData::new(
        vec!["a".into(), "b".into()],
        x,
        vol,
        vec![0; n],
        vec!["P".into()],
        (0..n as i64).collect(),
        300,
        24,
    )
    .unwrap();
    let p = RegimeModel::params()
        .num_leaves(vec![4])
        .n_estimators(vec![5])
        .check()
        .unwrap();
    p.fit(&data).unwrap().to_bytes().unwrap()
}

#[test]
fn remote_artifacts_that_are_garbage_or_have_other_features_are_rejected() {
    for (blob, why) in [
        (b"not an artifact".to_vec(), "bad magic"),
        (other_features_blob(), "are not the T0 features"),
    ] {
        let bad = Arc::new(Flaky {
            failures: 0,
            calls: AtomicU32::new(0),
            blob: Some(blob),
        });
        let c = RegimeClassifier::load_with(
            Some(bad as Arc<dyn ModelSource>),
            None,
            fast_policy(Some(1)),
        );
        assert!(c.is_fallback());
        let err = c.status().last_error.unwrap();
        assert!(err.contains("flaky remote") && err.contains(why), "{err}");
        c.stop_recovery();
    }
}

#[test]
fn manual_swap_wins_over_recovery_and_dropping_stops_the_thread() {
    let remote = Arc::new(Flaky {
        failures: u32::MAX,
        calls: AtomicU32::new(0),
        blob: None,
    });
    let c = RegimeClassifier::load_with(
        Some(remote.clone() as Arc<dyn ModelSource>),
        None,
        RecoveryPolicy {
            initial_backoff: Duration::from_millis(50),
            ..fast_policy(None)
        },
    );
    assert!(c.is_fallback());
    c.swap(fallback_model().unwrap()).unwrap();
    let s = c.status();
    assert_eq!(s.origin, ModelOrigin::Manual);
    assert!(!s.recovering && !c.is_fallback());
    assert!(c.wait_until_recovered(Duration::from_millis(10)));
    drop(c);
    let calls = remote.calls.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(
        remote.calls.load(Ordering::SeqCst),
        calls,
        "no retries after drop/swap"
    );
}

#[test]
fn predictions_are_served_from_many_threads_during_a_swap() {
    let c = Arc::new(RegimeClassifier::load(None, None));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                for _ in 0..500 {
                    let p = c.predict_row(&ROW).unwrap();
                    assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                }
            })
        })
        .collect();
    for _ in 0..5 {
        c.swap(fallback_model().unwrap()).unwrap();
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(c.status().swaps, 5);
    let _: &RegimeModel = &c.model();
}

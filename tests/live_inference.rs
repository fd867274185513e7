//! End to end: models trained and saved through the agent crates' APIs are
//! loaded by the live side and answer bar by bar; bad models are refused.
#![cfg(all(
    feature = "signal",
    feature = "regime",
    feature = "linucb",
    feature = "ou-mean"
))]

use agent_core::{Dataset, Fit, ParamGuard, Persist};
use cointrainer::live::{
    Bar, CandleBuffer, DEFAULT_CAPACITY, LiveError, LiveLinUcb, LiveOu, LiveRegime, LiveSignal,
    LocalStore, MIN_CAPACITY, ModelRegistry, ModelSlot, Origin, PromotePolicy, RefreshOutcome,
    load_dir, load_latest,
};
use market::{Candles, SyntheticMarket, feature_matrix};
use ndarray::Array2;
use regime::{RegimeData, RegimeModel};
use signal::SignalModel;
use signal::labels::LabelSpec;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn candles(seed: u64, bars: usize) -> Candles {
    SyntheticMarket::new()
        .seed(seed)
        .bars(bars)
        .generate()
        .expect("synthetic market")
        .candles
}

fn signal_dataset(c: &Candles) -> Dataset {
    signal::candles::t0_labeled(c, &LabelSpec::default())
        .expect("labelled T0 data")
        .dataset
}

fn train_signal(ds: &Dataset) -> SignalModel {
    SignalModel::params()
        .cs(vec![1.0])
        .l1_ratios(vec![0.0])
        .n_splits(2)
        .check()
        .expect("params")
        .fit(ds)
        .expect("signal fit")
}

fn train_regime(c: &Candles) -> RegimeModel {
    let data = RegimeData::from_candles(&[("SYNTH", c)], 24, 0.8).expect("regime data");
    RegimeModel::params()
        .num_leaves(vec![7])
        .n_estimators(vec![15])
        .num_threads(1)
        .check()
        .expect("params")
        .fit(&data)
        .expect("regime fit")
}

fn registry(dir: &std::path::Path) -> ModelRegistry<LocalStore> {
    ModelRegistry::new(LocalStore::new(dir))
}

/// Publish and promote `model` for BTCUSDT (what `cointrainer train` does).
fn publish<M: Persist>(reg: &ModelRegistry<LocalStore>, model: &M) -> store::Published
where
    M::Error: std::fmt::Debug,
{
    reg.publish_blob(
        &model.to_bytes().expect("artifact blob"),
        "BTCUSDT",
        PromotePolicy::Always,
    )
    .expect("publish")
}

#[test]
fn live_feature_row_equals_the_training_feature_row() {
    let c = candles(3, 1_400);
    let full = feature_matrix(&c);
    // Any capacity, the minimum included: the rolling features need only
    // the last 73 bars and RSI/ATR carry their state from the first push.
    for capacity in [MIN_CAPACITY, DEFAULT_CAPACITY] {
        let mut buf = CandleBuffer::new(capacity).expect("capacity");
        let mut checked = 0;
        for t in 0..c.len() {
            buf.push(Bar::of(&c, t).expect("bar")).expect("push");
            if !buf.is_ready() {
                assert!(matches!(buf.features(), Err(LiveError::NotReady { .. })));
                continue;
            }
            let live = buf.features().expect("features");
            for (j, &v) in live.iter().enumerate() {
                let want = full[[t, j]];
                assert!(
                    (v - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "capacity {capacity}, bar {t} feature {j}: live {v} vs training {want}"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, c.len() - (MIN_CAPACITY - 1));
    }
}

#[test]
fn buffer_refuses_bad_candles_and_reports_warmup() {
    let mut buf = CandleBuffer::new(80).expect("capacity");
    assert!(CandleBuffer::new(10).is_err());
    let bar = Bar {
        ts: 1_700_000_000_000,
        open: 1.0,
        high: 1.1,
        low: 0.9,
        close: 1.0,
        volume: 5.0,
    };
    buf.push(bar).expect("first bar");
    assert!(matches!(buf.features(), Err(LiveError::NotReady { .. })));
    assert!(buf.push(bar).is_err(), "same timestamp twice");
    let nan = Bar {
        ts: bar.ts + 1,
        close: f64::NAN,
        ..bar
    };
    let e = buf.push(nan).expect_err("NaN close").to_string();
    assert!(
        e.contains(&format!("candle at {}", nan.ts)) && e.contains("close NaN"),
        "{e}"
    );
    let bad_open = Bar {
        ts: bar.ts + 1,
        open: -1.0,
        ..bar
    };
    let e = buf.push(bad_open).expect_err("negative open").to_string();
    assert!(e.contains("open -1"), "{e}");
    assert_eq!(buf.len(), 1);
}

#[test]
fn saved_signal_model_is_loaded_and_answers_each_bar_like_batch_inference() {
    let c = candles(5, 1_200);
    let ds = signal_dataset(&c.slice(0..900));
    let model = train_signal(&ds);
    let dir = tempfile::tempdir().expect("tempdir");
    model.save(dir.path()).expect("save");

    let slot = Arc::new(ModelSlot::<SignalModel>::from_dir(dir.path()).expect("live load"));
    assert_eq!(slot.origin(), Some(Origin::Dir(dir.path().to_path_buf())));
    let live = LiveSignal::new(slot);
    let full = feature_matrix(&c);
    let mut buf = CandleBuffer::with_default_capacity();
    let mut answered = 0;
    for t in 0..c.len() {
        buf.push(Bar::of(&c, t).expect("bar")).expect("push");
        if !buf.is_ready() {
            continue;
        }
        let row = *buf.features().expect("features");
        let call = live
            .predict(&row)
            .expect("predict")
            .expect("a model serves");
        let batch = model
            .predict_proba(full.slice(ndarray::s![t..=t, ..]))
            .expect("batch");
        assert!((call.p_up - batch[0]).abs() < 1e-9, "bar {t}");
        assert_eq!(call.action, model.signal(call.p_up));
        answered += 1;
    }
    assert!(answered > 1_000);
}

#[test]
fn manifest_with_a_different_feature_order_is_rejected_with_a_clear_error() {
    let c = candles(7, 900);
    let ds = signal_dataset(&c);
    // The same features, last two swapped: a different pipeline's order.
    let mut order: Vec<usize> = (0..ds.n_features()).collect();
    order.swap(10, 11);
    let x = Array2::from_shape_fn((ds.n_samples(), order.len()), |(i, j)| {
        ds.features()[[i, order[j]]]
    });
    let names: Vec<String> = order
        .iter()
        .map(|&j| ds.feature_names()[j].clone())
        .collect();
    let permuted = Dataset::new(x, ds.targets().to_owned(), names).expect("dataset");
    let model = train_signal(&permuted);
    let dir = tempfile::tempdir().expect("tempdir");
    model.save(dir.path()).expect("save");

    let err = load_dir::<SignalModel>(dir.path()).expect_err("must be refused");
    match &err {
        LiveError::FeatureOrder {
            position,
            model,
            live,
            ..
        } => {
            assert_eq!(*position, 10);
            assert_eq!(model, "atr_14_rel");
            assert_eq!(live, "vol_z_20");
        }
        other => panic!("expected a feature-order error, got {other}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("feature order") && msg.contains("atr_14_rel"),
        "{msg}"
    );

    // The registry path refuses it too, from the pointer, before fetching.
    let root = tempfile::tempdir().expect("tempdir");
    let reg = registry(root.path());
    publish(&reg, &model);
    let err = load_latest::<SignalModel, _>(&reg, "BTCUSDT").expect_err("refused");
    assert!(matches!(err, LiveError::FeatureOrder { .. }), "{err}");
}

#[test]
fn corrupted_artifact_during_hot_reload_leaves_the_old_model_serving() {
    let c = candles(9, 900);
    let ds = signal_dataset(&c);
    let good = train_signal(&ds);
    let root = tempfile::tempdir().expect("tempdir");
    let reg = registry(root.path());
    let first = publish(&reg, &good);
    let slot = ModelSlot::<SignalModel>::from_registry(&reg, "BTCUSDT");
    let serving = |s: &ModelSlot<SignalModel>| match s.origin() {
        Some(Origin::Registry { key, .. }) => key,
        other => panic!("unexpected origin {other:?}"),
    };
    assert_eq!(serving(&slot), first.key);
    assert_eq!(slot.refresh(&reg, "BTCUSDT"), RefreshOutcome::Unchanged);

    // A newer model is promoted, then its blob is damaged in the store.
    let mut newer = train_signal(&ds);
    newer.set_metric("note", 2.0);
    let second = publish(&reg, &newer);
    let path = root.path().join(&second.key);
    let mut bytes = std::fs::read(&path).expect("blob");
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&path, &bytes).expect("corrupt");

    match slot.refresh(&reg, "BTCUSDT") {
        RefreshOutcome::Refused { reason } => {
            assert!(reason.contains(&second.key), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(serving(&slot), first.key, "the old model keeps serving");
    assert!(slot.last_error().is_some());
    assert!(
        matches!(
            slot.refresh(&reg, "BTCUSDT"),
            RefreshOutcome::Refused { .. }
        ),
        "still refused while LATEST.json points at the damaged version"
    );
    assert_eq!(serving(&slot), first.key);

    // The next valid promotion is swapped in.
    newer.set_metric("note", 3.0);
    let third = publish(&reg, &newer);
    assert_eq!(
        slot.refresh(&reg, "BTCUSDT"),
        RefreshOutcome::Swapped {
            key: third.key.clone()
        }
    );
    assert_eq!(serving(&slot), third.key);
    assert_eq!(slot.last_error(), None);
    let mut buf = CandleBuffer::with_default_capacity();
    for t in 0..c.len() {
        buf.push(Bar::of(&c, t).expect("bar")).expect("push");
    }
    let row = *buf.features().expect("features");
    assert!(
        LiveSignal::new(Arc::new(slot))
            .predict(&row)
            .expect("predict")
            .is_some()
    );
}

#[test]
fn regime_slot_reports_fallback_when_the_registry_is_empty_then_swaps_in_a_promoted_model() {
    let root = tempfile::tempdir().expect("tempdir");
    let reg = registry(root.path());
    let slot = Arc::new(
        ModelSlot::<RegimeModel>::regime_with_fallback(Some(&reg), "BTCUSDT").expect("fallback"),
    );
    assert!(slot.is_fallback());
    assert_eq!(slot.origin(), Some(Origin::Fallback));
    assert!(slot.last_error().is_some(), "the reason is kept");

    let c = candles(11, 1_500);
    let mut buf = CandleBuffer::with_default_capacity();
    for t in 0..c.len() {
        buf.push(Bar::of(&c, t).expect("bar")).expect("push");
    }
    let row = *buf.features().expect("features");
    let live = LiveRegime::new(slot.clone());
    let call = live.predict(&row).expect("fallback predicts");
    assert!(call.fallback);
    assert!((call.prediction.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert_eq!(slot.refresh(&reg, "BTCUSDT"), RefreshOutcome::NoModel);
    assert!(slot.is_fallback());

    // A promoted model replaces the fallback through the background refresher.
    let model = train_regime(&c);
    let published = publish(&reg, &model);
    let reg = Arc::new(reg);
    let refresher = slot
        .spawn_refresher(reg.clone(), "BTCUSDT", Duration::from_millis(10))
        .expect("refresher");
    let deadline = Instant::now() + Duration::from_secs(20);
    while slot.is_fallback() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    refresher.stop();
    assert!(!slot.is_fallback(), "the promoted model was not swapped in");
    assert!(matches!(slot.origin(), Some(Origin::Registry { key, .. }) if key == published.key));
    let call = live.predict(&row).expect("trained model predicts");
    assert!(!call.fallback);
    let direct = model.predict_row(&row).expect("direct");
    assert_eq!(call.prediction, direct);
}

#[test]
fn linucb_chooses_per_bar_learns_realised_pnl_and_reloads_from_the_registry() {
    let params = linucb::LinUcbParams::new()
        .alpha(0.3)
        .check()
        .expect("params");
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut bandit = LiveLinUcb::untrained(
        &params,
        names(&["trend", "revert"]),
        names(&["low", "medium", "high"]),
        names(&["ctx_lr_24", "ctx_vol_24"]),
    )
    .expect("untrained bandit");
    assert!(
        !bandit.update(1.0).expect("no decision"),
        "nothing to credit yet"
    );
    let c = candles(13, 900);
    let mut buf = CandleBuffer::with_default_capacity();
    for t in 0..c.len() {
        buf.push(Bar::of(&c, t).expect("bar")).expect("push");
        if !buf.is_ready() {
            continue;
        }
        let row = *buf.features().expect("features");
        let choice = bandit.select(market::Regime::Medium, &row).expect("select");
        // "trend" pays with the 24-bar momentum, "revert" against it.
        let pnl = if choice.arm == 0 { row[4] } else { -row[4] } * 100.0;
        assert!(bandit.update(pnl).expect("update"));
    }
    assert_eq!(bandit.updates(), (c.len() - 72) as u64);

    let root = tempfile::tempdir().expect("tempdir");
    let reg = registry(root.path());
    publish(&reg, bandit.model());
    let (pointer, back) = load_latest::<linucb::LinUcb, _>(&reg, "BTCUSDT").expect("load");
    assert_eq!(&back, bandit.model());
    let served = LiveLinUcb::new(
        back,
        Origin::Registry {
            key: pointer.key,
            hash: pointer.hash,
        },
    )
    .expect("serve");
    assert_eq!(served.model().n_arms(), 2);

    // A bandit on a context the live builder does not make is refused.
    let err = LiveLinUcb::untrained(
        &params,
        names(&["a", "b"]),
        names(&["low", "medium", "high"]),
        names(&["ctx_vol_24", "ctx_lr_24"]),
    )
    .expect_err("order");
    assert!(matches!(err, LiveError::FeatureOrder { .. }), "{err}");
}

#[test]
fn ou_model_scores_each_close_and_tracks_its_position() {
    let c = candles(17, 1_200);
    let p = ou_mean::MeanReversionParams::new()
        .window(300)
        .refit_every(50)
        .check()
        .expect("params");
    let model = ou_mean::MeanReversionModel::fit_prices(&p, &c.close[..600]).expect("fit");
    let dir = tempfile::tempdir().expect("tempdir");
    model.save(dir.path()).expect("save");
    let loaded = load_dir::<ou_mean::MeanReversionModel>(dir.path()).expect("load");
    let mut ou = LiveOu::new(loaded, Origin::Dir(dir.path().into()), true).expect("serve");
    let mut buf = CandleBuffer::with_default_capacity();
    for t in 600..c.len() {
        buf.push(Bar::of(&c, t).expect("bar")).expect("push");
        let s = ou.score(&buf).expect("score");
        assert!((-1.0..=1.0).contains(&s.score));
        assert_eq!(ou.position(), s.suggestion);
    }
}

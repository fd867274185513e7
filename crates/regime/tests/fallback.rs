//! The embedded fallback model: it loads, predicts sane probabilities that
//! follow volatility, and is exactly what `examples/make_fallback.rs` makes.

use market::{Regime, SyntheticMarket, feature_matrix};
use regime::fallback::{FALLBACK_MANIFEST, FALLBACK_MODEL, fallback_artifact, train_fallback};
use regime::fallback_model;

#[test]
fn embedded_fallback_loads_with_t0_features_and_is_small() {
    let m = fallback_model().unwrap();
    assert_eq!(m.feature_names(), market::FEATURES);
    assert_eq!(m.label_order(), ["low", "medium", "high"]);
    assert!(
        FALLBACK_MODEL.len() < 200_000,
        "{} bytes",
        FALLBACK_MODEL.len()
    );
    let cp = m.cut_points();
    assert!(cp.q1 > 0.0 && cp.q1 < cp.q2);
}

#[test]
fn embedded_fallback_predicts_sane_probabilities_that_track_volatility() {
    let m = fallback_model().unwrap();
    // A different seed than the training market: out of sample.
    let run = SyntheticMarket::new()
        .seed(7)
        .bars(6_000)
        .generate()
        .unwrap();
    let fm = feature_matrix(&run.candles);
    let mut p_high = [0.0f64; 3];
    let mut n = [0usize; 3];
    for t in 100..run.candles.len() - 30 {
        let row: Vec<f64> = fm.row(t).to_vec();
        let p = m.predict_row(&row).unwrap();
        assert!(p.probabilities.iter().all(|&q| (0.0..=1.0).contains(&q)));
        assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // The regime the generator will be in for the next bars.
        let r = run.regimes[t + 12] as usize;
        p_high[r] += p.probabilities[2];
        n[r] += 1;
    }
    let mean = |r: usize| p_high[r] / n[r].max(1) as f64;
    assert!(n.iter().all(|&k| k > 100), "{n:?}");
    assert!(
        mean(Regime::High as usize) > mean(Regime::Medium as usize)
            && mean(Regime::Medium as usize) > mean(Regime::Low as usize),
        "mean P(high) by true regime: {:?}",
        [mean(0), mean(1), mean(2)]
    );
    let c = m.classify_candles(&run.candles).unwrap();
    assert!(c.confidence() >= 1.0 / 3.0);
}

#[test]
fn fallback_training_is_deterministic_and_matches_the_embedded_model() {
    let a = train_fallback().unwrap();
    let b = train_fallback().unwrap();
    let (ma, ta) = fallback_artifact(&a).unwrap();
    let (mb, tb) = fallback_artifact(&b).unwrap();
    assert!(ta == tb && ma == mb, "two regenerations differ");
    // The committed model is what the example makes. Compared by behaviour,
    // not bytes: ulp-level changes in the market crate's feature numerics
    // may move LightGBM's recorded feature ranges without changing the model.
    let embedded = fallback_model().unwrap();
    assert_eq!(embedded.n_iterations(), a.n_iterations(), "{}", STALE);
    let run = SyntheticMarket::new()
        .seed(9)
        .bars(2_000)
        .generate()
        .unwrap();
    let fm = feature_matrix(&run.candles);
    let x = fm.slice(ndarray::s![100.., ..]).to_owned();
    let pe = embedded.predict_proba(x.view()).unwrap();
    let pa = a.predict_proba(x.view()).unwrap();
    let worst = pe
        .iter()
        .zip(pa.iter())
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-6, "{STALE} (max probability difference {worst})");
    if ta != FALLBACK_MODEL || ma != FALLBACK_MANIFEST {
        eprintln!("note: the embedded fallback differs from a regeneration in bytes only");
    }
}

const STALE: &str = "the embedded fallback is stale: run `cargo run -p cointrainer-regime --release --example make_fallback`";

//! Several pairs: a common calendar split, and favouring high-volatility
//! pairs by sample weights or by leaving calm pairs out.

use agent_core::{Fit, ParamGuard};
use market::{Candles, SyntheticMarket};
use regime::{PairWeighting, RegimeData, RegimeModel, RegimeValidParams};

/// A calmer copy of `c`: log-price moves scaled by `k` (monotone, so OHLC
/// ordering holds).
fn calmer(c: &Candles, k: f64) -> Candles {
    let x0 = c.open[0].ln();
    let f = |p: &f64| (x0 + k * (p.ln() - x0)).exp();
    Candles {
        ts: c.ts.clone(),
        open: c.open.iter().map(f).collect(),
        high: c.high.iter().map(f).collect(),
        low: c.low.iter().map(f).collect(),
        close: c.close.iter().map(f).collect(),
        volume: c.volume.clone(),
    }
}

fn two_pairs() -> (Candles, Candles) {
    let hot = SyntheticMarket::new()
        .seed(1)
        .bars(2_500)
        .generate()
        .unwrap()
        .candles;
    let other = SyntheticMarket::new()
        .seed(2)
        .bars(2_500)
        .generate()
        .unwrap()
        .candles;
    (hot, calmer(&other, 0.3))
}

fn small(w: PairWeighting) -> RegimeValidParams {
    RegimeModel::params()
        .num_leaves(vec![7])
        .n_estimators(vec![30])
        .pair_weighting(w)
        .check()
        .unwrap()
}

#[test]
fn pairs_share_one_calendar_cut_between_train_and_test() {
    let (hot, calm) = two_pairs();
    let d = RegimeData::from_candles(&[("HOT", &hot), ("CALM", &calm)], 24, 0.8).unwrap();
    let ts = d.timestamp();
    let last_train = ts[d.n_train() - 1];
    assert!(ts[d.n_train()..].iter().all(|&t| t > last_train));
    assert!(d.pair()[..d.n_train()].contains(&0) && d.pair()[..d.n_train()].contains(&1));
    let med = d.pair_train_median_vol();
    assert!(med[0] > 2.0 * med[1], "{med:?}");
}

#[test]
fn relative_volatility_weighting_favours_volatile_pairs() {
    let (hot, calm) = two_pairs();
    let d = RegimeData::from_candles(&[("HOT", &hot), ("CALM", &calm)], 24, 0.8).unwrap();
    let m = small(PairWeighting::RelativeVolatility).fit(&d).unwrap();
    let p = &m.report().pairs;
    assert!(p[0].weight > 1.0 && p[1].weight < 1.0, "{p:?}");
    assert!(p.iter().all(|q| q.kept));
    let unweighted = small(PairWeighting::None).fit(&d).unwrap();
    assert!(unweighted.report().pairs.iter().all(|q| q.weight == 1.0));
}

#[test]
fn min_volatility_filter_leaves_calm_pairs_out() {
    let (hot, calm) = two_pairs();
    let d = RegimeData::from_candles(&[("HOT", &hot), ("CALM", &calm)], 24, 0.8).unwrap();
    let med = d.pair_train_median_vol();
    let threshold = (med[0] + med[1]) / 2.0;
    let m = small(PairWeighting::MinVolatility {
        min_median_vol: threshold,
    })
    .fit(&d)
    .unwrap();
    let r = m.report();
    assert!(r.pairs[0].kept && !r.pairs[1].kept);
    // 24 bars purged before validation and before test, of the kept pair only.
    assert_eq!(r.split.purged_rows, 48);
    let hot_rows = d.pair().iter().filter(|&&p| p == 0).count();
    assert_eq!(
        r.split.fit_rows + r.split.valid_rows + r.split.test_rows + r.split.purged_rows,
        hot_rows
    );
    // Cut points come from the kept pair's training rows.
    let solo = RegimeData::from_candles(&[("HOT", &hot)], 24, 0.8).unwrap();
    assert!(m.cut_points().q1 > 0.0 && solo.n_rows() == hot_rows);

    let err = small(PairWeighting::MinVolatility {
        min_median_vol: 1.0,
    })
    .fit(&d)
    .unwrap_err();
    assert!(err.to_string().contains("no pair passes"), "{err}");
}

#[test]
fn too_few_bars_is_a_clear_error() {
    let c = SyntheticMarket::new().bars(80).generate().unwrap().candles;
    let err = RegimeData::from_candles(&[("X", &c)], 24, 0.8).unwrap_err();
    assert!(err.to_string().contains("needs at least 97"), "{err}");
}

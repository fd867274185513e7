//! Single-row inference latency of the two LightGBM agents (the live path:
//! one decision per bar), with the batch path for comparison.
//!
//! - regime: the embedded fallback model and a SPEC T3-sized model (15
//!   leaves, early-stopped on 37k rows of synthetic T0 features); one T0
//!   feature row -> three probabilities; and classifying from 500 candles
//!   (features included).
//! - meta-selector: a SPEC T2-sized table (2,431 windows x 5 strategies of
//!   synthetic returns) with the fixed-500-rounds model (63 leaves, the
//!   largest T2 model); one 13-feature row -> predicted return, and a
//!   5-candidate selection.
//!
//! `cargo bench --bench lightgbm`

use agent_core::{Fit, ParamGuard, SplitMix64};
use criterion::{Criterion, criterion_group, criterion_main};
use market::{SyntheticMarket, feature_matrix, t0_features};
use meta_selector::{MetaSelector, MetaTable, StrategyReturns};
use ndarray::Array2;
use regime::{RegimeClassifier, RegimeData, RegimeModel};
use std::hint::black_box;

fn regime_models() -> (RegimeModel, RegimeModel, Array2<f64>) {
    let fallback = regime::fallback_model().expect("embedded fallback");
    // ~58k bars like BTC 1h, so the fit set has T3's 37k rows.
    let run = SyntheticMarket::new()
        .seed(3)
        .bars(58_419)
        .generate()
        .expect("synthetic market");
    let table = t0_features(&run.candles).expect("features");
    let data = RegimeData::from_feature_table(&table, "SYNTH").expect("data");
    let t3 = RegimeModel::params()
        .num_leaves(vec![15])
        .n_estimators(vec![100])
        .check()
        .and_then(|p| p.fit(&data))
        .expect("T3-sized model");
    let rows = table.features.slice(ndarray::s![..1000, ..]).to_owned();
    (fallback, t3, rows)
}

fn meta_model() -> (MetaSelector, Array2<f64>) {
    let (w, k) = (2_431, 5);
    let mut u = SplitMix64::new(11);
    let returns = Array2::from_shape_fn((w, k), |_| (u.next_f64() - 0.5) * 0.06);
    let ctx = Array2::from_shape_fn((w, 7), |_| u.next_f64());
    let sr = StrategyReturns::new(
        (0..k).map(|i| format!("s{i}")).collect(),
        returns,
        (0..7).map(|i| format!("ctx_{i}")).collect(),
        ctx,
        1_944,
    )
    .expect("strategy returns");
    let table = MetaTable::from_strategy_returns(&sr, 10).expect("meta table");
    let model = MetaSelector::params()
        .check()
        .and_then(|p| p.fit_fixed_rounds(&table, 0.05, 63, 500))
        .expect("fixed-500 model");
    let cands = table.features().slice(ndarray::s![..k, ..]).to_owned();
    (model, cands)
}

fn bench(c: &mut Criterion) {
    let (fallback, t3, rows) = regime_models();
    let row: Vec<f64> = rows.row(500).to_vec();
    c.bench_function("regime/fallback/predict_row", |b| {
        b.iter(|| fallback.predict_row(black_box(&row)).expect("predict"))
    });
    c.bench_function("regime/t3_sized/predict_row", |b| {
        b.iter(|| t3.predict_row(black_box(&row)).expect("predict"))
    });
    c.bench_function("regime/t3_sized/predict_proba_1000_rows", |b| {
        b.iter(|| t3.predict_proba(black_box(rows.view())).expect("predict"))
    });
    let classifier = RegimeClassifier::from_model(t3);
    let candles = SyntheticMarket::new()
        .seed(5)
        .bars(500)
        .generate()
        .expect("candles")
        .candles;
    c.bench_function("regime/classifier/predict_row", |b| {
        b.iter(|| classifier.predict_row(black_box(&row)).expect("predict"))
    });
    c.bench_function("regime/classifier/classify_500_candles", |b| {
        b.iter(|| {
            classifier
                .classify_candles(black_box(&candles))
                .expect("classify")
        })
    });
    // Feature computation alone, to separate it from the model call.
    c.bench_function("regime/features_500_candles", |b| {
        b.iter(|| feature_matrix(black_box(&candles)))
    });

    let (meta, cands) = meta_model();
    let mrow: Vec<f64> = cands.row(0).to_vec();
    c.bench_function("meta_selector/fixed500/predict_row", |b| {
        b.iter(|| meta.predict_row(black_box(&mrow)).expect("predict"))
    });
    c.bench_function("meta_selector/fixed500/select_5_candidates", |b| {
        b.iter(|| meta.select(black_box(cands.view())).expect("select"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

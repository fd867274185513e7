//! Criterion benches of the signal agent at SPEC T1 size (46,658 training
//! rows x 12 features): one pipeline fit (scaler + elastic-net logistic
//! regression at the T1 best point), one proximal Newton iteration, and the
//! full T1 search (12 points x 5 folds + refit, 2 threads).
//!
//! Uses `bench/datasets/features_btc_1h.csv` of the shared data (`../shared`
//! or `$COINTRAINER_SHARED_DIR`) when it is there; otherwise synthetic data
//! of the same shape.

use agent_core::{Dataset, Fit, ParamGuard, SplitMix64, StandardScaler};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ndarray::{Array1, Array2};
use signal::solver::{Design, ProxNewton};
use signal::{ClassWeight, FeatureCsvSpec, LogisticParams, SignalModel, SignalParams};
use std::hint::black_box;

fn t1_train() -> Dataset {
    let p = test_support::shared_dir().join("bench/datasets/features_btc_1h.csv");
    if p.is_file() {
        let table = signal::read_feature_csv(&p, &FeatureCsvSpec::t1()).expect("T1 table parses");
        return table.train_test().expect("T1 split").0;
    }
    eprintln!("features_btc_1h.csv not found: benchmarking synthetic data of the T1 shape");
    let (n, d) = (46_658, 12);
    let mut rng = SplitMix64::new(1);
    let x = Array2::from_shape_fn((n, d), |_| rng.next_normal());
    let y = Array1::from_shape_fn(n, |i| {
        let m = 0.05 * x[[i, 0]] - 0.03 * x[[i, 8]] + rng.next_normal();
        f64::from(u8::from(m > 0.0))
    });
    let names = signal::T0_FEATURES.iter().map(|s| s.to_string()).collect();
    Dataset::new(x, y, names).expect("synthetic dataset")
}

fn benches(c: &mut Criterion) {
    let train = t1_train();
    let best = LogisticParams::new()
        .c(0.01)
        .l1_ratio(1.0)
        .max_iter(1000)
        .check()
        .expect("valid params");
    let mut g = c.benchmark_group("signal_t1");
    g.sample_size(20);

    g.bench_function("fit_pipeline_C0.01_l1", |b| {
        b.iter(|| SignalModel::fit_fixed(black_box(&best), black_box(&train)).expect("fit"))
    });

    let scaler = StandardScaler::fit(train.features()).expect("scaler");
    let y = train.targets().to_vec();
    let design =
        Design::new(train.features(), &y, Some(&scaler), ClassWeight::None).expect("design");
    g.bench_function("newton_iteration", |b| {
        b.iter_batched(
            || ProxNewton::new(&design, &best),
            |mut s| {
                black_box(s.step());
                s
            },
            BatchSize::LargeInput,
        )
    });

    let search = SignalParams::new()
        .max_iter(1000)
        .n_threads(2)
        .check()
        .expect("valid params");
    g.sample_size(10);
    g.bench_function("search_12x5_refit_2_threads", |b| {
        b.iter(|| search.fit(black_box(&train)).expect("search"))
    });
    g.finish();
}

criterion_group!(signal_benches, benches);
criterion_main!(signal_benches);

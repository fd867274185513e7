//! Criterion benchmarks of the mean-reversion agent at the SPEC T7 size: one
//! 500-bar window of log prices. ADF (`c`, AIC over 19 lags), the bounded
//! least-squares OU fit, the OU maximum-likelihood fit, the Hurst exponent and
//! the whole per-window analysis, each on one core.
//!
//! Needs `criterion` (dev) and the `ou-mean` crate (plus `agent-core` for the
//! seeded generator); run with `cargo bench --bench ou_mean`.

use criterion::{Criterion, criterion_group, criterion_main};
use ou_mean::{
    AdfOptions, AdfRegression, HurstMethod, LagSelection, OuMethod, OuOptions, adfuller,
    analyze_window, fit_ou, hurst,
};
use std::hint::black_box;

/// A BTC-like 500-bar window: log price near ln 30,000 with 0.7% hourly
/// volatility and weak mean reversion (half-life ~ 140 bars).
fn window() -> Vec<f64> {
    let mut r = agent_core::SplitMix64::new(7);
    let mu = 30_000f64.ln();
    let mut x = mu + 0.05;
    (0..500)
        .map(|_| {
            x = mu + 0.995 * (x - mu) + 0.007 * r.next_normal();
            x
        })
        .collect()
}

fn adf(c: &mut Criterion) {
    let x = window();
    let mut g = c.benchmark_group("adf_500");
    for (name, opts) in [
        ("c_aic", AdfOptions::default()),
        (
            "ct_bic",
            AdfOptions {
                regression: AdfRegression::Ct,
                autolag: LagSelection::Bic,
                max_lag: None,
            },
        ),
        (
            "c_fixed_lag_18",
            AdfOptions {
                autolag: LagSelection::Fixed,
                ..Default::default()
            },
        ),
    ] {
        g.bench_function(name, |b| b.iter(|| adfuller(black_box(&x), &opts).unwrap()));
    }
    g.finish();
}

fn ou(c: &mut Criterion) {
    let x = window();
    let mut g = c.benchmark_group("ou_fit_500");
    let ls = OuOptions::default();
    g.bench_function("least_squares", |b| {
        b.iter(|| fit_ou(black_box(&x), &ls).unwrap())
    });
    let ml = OuOptions {
        method: OuMethod::MaximumLikelihood,
        ..Default::default()
    };
    g.bench_function("maximum_likelihood", |b| {
        b.iter(|| fit_ou(black_box(&x), &ml).unwrap())
    });
    g.finish();
}

fn rest(c: &mut Criterion) {
    let x = window();
    let lagged = HurstMethod::default();
    c.bench_function("hurst_500/lagged_differences", |b| {
        b.iter(|| hurst(black_box(&x), &lagged).unwrap())
    });
    let rs = HurstMethod::rescaled_range();
    c.bench_function("hurst_500/rescaled_range", |b| {
        b.iter(|| hurst(black_box(&x), &rs).unwrap())
    });
    let (o, a) = (OuOptions::default(), AdfOptions::default());
    c.bench_function("t7_window_500/ou_adf_hurst", |b| {
        b.iter(|| analyze_window(black_box(&x), &o, &a, &lagged).unwrap())
    });
}

criterion_group!(benches, adf, ou, rest);
criterion_main!(benches);

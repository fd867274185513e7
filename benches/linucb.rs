//! Criterion benchmarks of the LinUCB agent at the SPEC T5 size (d = 16,
//! K = 8): one decision = `select` + `update`, on one core. The target is
//! at least 2 million decisions per second (reported as elements/s).
//!
//! Needs `criterion` (dev) and the `linucb` crate; run with
//! `cargo bench --bench linucb`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use linucb::{DisjointLinUcb, HybridLinUcb, LinUcb, LinUcbParams, ParamGuard, RegimeMode};
use std::hint::black_box;

const D: usize = 16;
const K: usize = 8;
const POOL: usize = 4096;

/// A pool of N(0, 1) contexts and true coefficients (SPEC T5 scale).
fn pool() -> (Vec<f64>, Vec<f64>) {
    let mut r = agent_core::SplitMix64::new(1002);
    let xs = (0..POOL * D).map(|_| r.next_normal()).collect();
    let theta = (0..K * D).map(|_| r.next_normal() / 4.0).collect();
    (xs, theta)
}

fn reward(x: &[f64], theta: &[f64], a: usize) -> f64 {
    x.iter()
        .zip(&theta[a * D..(a + 1) * D])
        .map(|(p, q)| p * q)
        .sum()
}

fn disjoint(c: &mut Criterion) {
    let (xs, theta) = pool();
    let mut g = c.benchmark_group("linucb_disjoint_d16_k8");
    g.throughput(Throughput::Elements(1));
    // Warm model: 20,000 decisions already learnt.
    let mut m = DisjointLinUcb::new(D, K, 1.0, 1.0, 256).unwrap();
    for i in 0..20_000 {
        let x = &xs[(i % POOL) * D..(i % POOL + 1) * D];
        let (a, _) = m.select(x).unwrap();
        m.update(x, a, reward(x, &theta, a)).unwrap();
    }
    let mut i = 0;
    g.bench_function("select_update", |b| {
        b.iter(|| {
            let x = &xs[(i % POOL) * D..(i % POOL + 1) * D];
            i += 1;
            let (a, _) = m.select(black_box(x)).unwrap();
            m.update(x, a, reward(x, &theta, a)).unwrap();
            a
        })
    });
    g.bench_function("select", |b| {
        b.iter(|| {
            let x = &xs[(i % POOL) * D..(i % POOL + 1) * D];
            i += 1;
            m.select(black_box(x)).unwrap().0
        })
    });
    g.finish();
}

fn hybrid(c: &mut Criterion) {
    let (xs, theta) = pool();
    let mut g = c.benchmark_group("linucb_hybrid_d16_k8");
    g.throughput(Throughput::Elements(1));
    let mut m = HybridLinUcb::new(D, K, None, 1.0, 1.0, 256).unwrap();
    let mut i = 0;
    g.bench_function("select_update", |b| {
        b.iter(|| {
            let x = &xs[(i % POOL) * D..(i % POOL + 1) * D];
            i += 1;
            let (a, _) = m.select(black_box(x)).unwrap();
            m.update(x, a, reward(x, &theta, a)).unwrap();
            a
        })
    });
    g.finish();
}

fn strategy_selector(c: &mut Criterion) {
    // The bot-facing API: intercept + one-hot of 3 regimes + 12 features = d 16.
    let (xs, theta) = pool();
    let names = |p: &str, n: usize| (0..n).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
    let params = LinUcbParams::new()
        .regime_mode(RegimeMode::Context)
        .check()
        .unwrap();
    let mut m = LinUcb::new(&params, names("s", K), names("r", 3), names("f", 12)).unwrap();
    assert_eq!(m.context_dim(), D);
    let mut g = c.benchmark_group("linucb_selector_d16_k8");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("select_update", |b| {
        b.iter(|| {
            let full = &xs[(i % POOL) * D..(i % POOL + 1) * D];
            let (x, regime) = (&full[..12], i % 3);
            i += 1;
            let (a, _) = m.select(regime, black_box(x)).unwrap();
            m.update(regime, x, a, reward(full, &theta, a)).unwrap();
            a
        })
    });
    g.finish();
}

criterion_group!(benches, disjoint, hybrid, strategy_selector);
criterion_main!(benches);

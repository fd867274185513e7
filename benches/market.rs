//! Candle parsing, the T0 feature table and the feature matrix at SPEC T0's
//! size: BTCUSDT 1h (58,419 bars) when `../shared` is present, otherwise the
//! same number of synthetic bars written to CSV in memory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn csv_bytes() -> Vec<u8> {
    let p = test_support::shared_dir().join("data/BTCUSDT-1h.csv");
    if let Ok(b) = std::fs::read(&p) {
        return b;
    }
    eprintln!("{} absent: benchmarking 58,419 synthetic bars", p.display());
    let c = market::SyntheticMarket::new()
        .seed(1)
        .bars(58_419)
        .generate()
        .expect("synthetic market")
        .candles;
    let mut out = b"timestamp,open,high,low,close,volume\n".to_vec();
    for i in 0..c.len() {
        out.extend_from_slice(
            format!(
                "{},{},{},{},{},{}\n",
                c.ts[i], c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]
            )
            .as_bytes(),
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    let bytes = csv_bytes();
    let candles = market::parse_candles(&bytes, "BTCUSDT-1h.csv").expect("valid candles");
    let mut g = c.benchmark_group("market");
    g.throughput(Throughput::Elements(candles.len() as u64));
    g.bench_function("parse_candles_csv", |b| {
        b.iter(|| market::parse_candles(black_box(&bytes), "BTCUSDT-1h.csv").unwrap())
    });
    g.bench_function("t0_features", |b| {
        b.iter(|| market::t0_features(black_box(&candles)).unwrap())
    });
    // The same features for every bar, as agents and backtests take them.
    g.bench_function("feature_matrix", |b| {
        b.iter(|| market::feature_matrix(black_box(&candles)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

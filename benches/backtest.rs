//! Speed of the backtester at the SPEC size: BTCUSDT 1h (58,419 bars) with
//! the five SPEC T2 strategies, when `shared/` is present; otherwise a
//! synthetic market of the same length.

use backtest::{
    Backtest, BacktestParams, Instrument, spec_t2_strategies, spec_t2_strategy_returns,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;

fn candles() -> market::Candles {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/BTCUSDT-1h.csv");
    match market::read_candles(&p) {
        Ok(c) => c,
        Err(_) => {
            eprintln!("{} absent: benchmarking 58,419 synthetic bars", p.display());
            market::SyntheticMarket::new()
                .seed(1)
                .bars(58_419)
                .generate()
                .expect("synthetic market")
                .candles
        }
    }
}

fn bench(c: &mut Criterion) {
    let candles = candles();
    let strategies = spec_t2_strategies();
    let bt = Backtest::new(
        BacktestParams::new()
            .stop_loss(Some(0.03))
            .take_profit(Some(0.06)),
    )
    .expect("valid parameters");
    let mut g = c.benchmark_group("btc_1h");
    g.sample_size(20);
    g.bench_function("backtest_5_strategies", |b| {
        b.iter(|| {
            bt.run(
                &[Instrument::new("BTCUSDT", black_box(&candles))],
                &strategies,
            )
            .expect("backtest")
        })
    });
    g.bench_function("spec_t2_strategy_returns", |b| {
        b.iter(|| spec_t2_strategy_returns(black_box(&candles)).expect("strategy returns"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Speed of the backtester at the SPEC size: BTCUSDT 1h (58,419 bars) with
//! the five SPEC T2 strategies, when `shared/` is present; otherwise a
//! synthetic market of the same length. `btc_5m/all_rule_based` runs every
//! shipped rule-based strategy over BTCUSDT 5m (about 100k bars; synthetic
//! when absent) on one core: the backtester itself is single-threaded.

use backtest::{
    Backtest, BacktestParams, BuyHold, DonchianBreakout, Instrument, Momentum, RsiReversal,
    SmaCross, Strategy, ZScoreReversion, spec_t2_strategies, spec_t2_strategy_returns,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn candles_or_synthetic(file: &str, bars: usize, interval_ms: i64) -> market::Candles {
    let p = test_support::shared_dir().join("data").join(file);
    match market::read_candles(&p) {
        Ok(c) => c,
        Err(_) => {
            eprintln!("{} absent: benchmarking {bars} synthetic bars", p.display());
            market::SyntheticMarket::new()
                .seed(1)
                .bars(bars)
                .interval_ms(interval_ms)
                .generate()
                .expect("synthetic market")
                .candles
        }
    }
}

fn candles() -> market::Candles {
    candles_or_synthetic("BTCUSDT-1h.csv", 58_419, 3_600_000)
}

/// Every shipped rule-based strategy with its defaults.
fn all_rule_based() -> Vec<Box<dyn Strategy>> {
    vec![
        Box::new(BuyHold::new()),
        Box::new(SmaCross::default()),
        Box::new(SmaCross::ema(12, 26).expect("valid")),
        Box::new(ZScoreReversion::default()),
        Box::new(DonchianBreakout::default()),
        Box::new(RsiReversal::default()),
        Box::new(Momentum::new(24, 0.005).expect("valid")),
    ]
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

    let five_min = candles_or_synthetic("BTCUSDT-5m.csv", 104_816, 300_000);
    let all = all_rule_based();
    let mut g = c.benchmark_group("btc_5m");
    g.sample_size(10);
    g.bench_function(format!("all_rule_based_{}_bars", five_min.len()), |b| {
        b.iter(|| {
            bt.run(&[Instrument::new("BTCUSDT", black_box(&five_min))], &all)
                .expect("backtest")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

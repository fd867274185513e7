//! The synthetic market: determinism, valid OHLC, regimes that mean what
//! they say, and output that passes the CSV validator.

use market::{Regime, SyntheticMarket, read_candles, write_candles};

mod common;

#[test]
fn same_seed_gives_identical_candles_and_other_seeds_differ() {
    let a = SyntheticMarket::new()
        .seed(1)
        .bars(3000)
        .generate()
        .unwrap();
    let b = SyntheticMarket::new()
        .seed(1)
        .bars(3000)
        .generate()
        .unwrap();
    let c = SyntheticMarket::new()
        .seed(2)
        .bars(3000)
        .generate()
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a.candles.close, c.candles.close);
    // A shorter run is a prefix of a longer one with the same seed.
    let short = SyntheticMarket::new().seed(1).bars(500).generate().unwrap();
    assert_eq!(short.candles, a.candles.slice(0..500));
}

#[test]
fn defaults_are_20000_hourly_bars_from_2023() {
    let run = SyntheticMarket::default().generate().unwrap();
    let c = &run.candles;
    assert_eq!(c.len(), 20_000);
    assert_eq!(run.regimes.len(), 20_000);
    assert_eq!(c.ts[0], 1_672_531_200_000);
    assert_eq!(c.interval_ms(), Some(3_600_000));
    assert!(c.gaps().is_empty());
    let s = run.summary();
    eprintln!("{s}");
    assert_eq!(s.bars, 20_000);
    assert_eq!(s.regimes.iter().map(|r| r.bars).sum::<usize>(), 20_000);
    // Every regime is visited for a sizeable share of a default run.
    assert!(s.regimes.iter().all(|r| r.share > 0.1), "{s}");
}

#[test]
fn ohlc_is_consistent_on_every_bar() {
    for seed in [0, 42, 7_777] {
        let run = SyntheticMarket::new()
            .seed(seed)
            .bars(5000)
            .generate()
            .unwrap();
        let c = &run.candles;
        run.candles.validate("synthetic").unwrap();
        for t in 0..c.len() {
            assert!(c.high[t] >= c.open[t].max(c.close[t]));
            assert!(c.low[t] <= c.open[t].min(c.close[t]));
            assert!(c.low[t] > 0.0 && c.volume[t] >= 0.0);
            if t > 0 {
                assert_eq!(c.open[t], c.close[t - 1], "bars are continuous");
            }
        }
    }
}

#[test]
fn realised_volatility_orders_low_medium_high() {
    for seed in [42, 1, 2, 3] {
        let s = SyntheticMarket::new()
            .seed(seed)
            .generate()
            .unwrap()
            .summary();
        let std: Vec<f64> = s.regimes.iter().map(|r| r.ret_std.unwrap()).collect();
        assert!(std[0] < std[1] && std[1] < std[2], "seed {seed}: {s}");
        // Near the configured per-bar volatility (drift and fat tails add a bit).
        for (r, v) in Regime::ALL.iter().zip(&std) {
            let target = r.per_bar_vol();
            assert!(
                (v / target - 1.0).abs() < 0.3,
                "seed {seed} {r}: {v} vs {target}"
            );
        }
    }
}

#[test]
fn regimes_persist_for_hundreds_of_bars() {
    let run = SyntheticMarket::new().seed(42).generate().unwrap();
    let switches = run.regimes.windows(2).filter(|w| w[0] != w[1]).count();
    let mean_run = run.regimes.len() as f64 / (switches + 1) as f64;
    assert!(
        (100.0..800.0).contains(&mean_run),
        "mean regime run {mean_run}"
    );
}

#[test]
fn volume_rises_with_volatility() {
    let run = SyntheticMarket::new().seed(42).generate().unwrap();
    let mut sum = [0.0; 3];
    let mut n = [0usize; 3];
    for (v, r) in run.candles.volume.iter().zip(&run.regimes) {
        sum[usize::from(r.index())] += v;
        n[usize::from(r.index())] += 1;
    }
    let mean: Vec<f64> = (0..3).map(|i| sum[i] / n[i] as f64).collect();
    assert!(mean[0] < mean[1] && mean[1] < mean[2], "{mean:?}");
}

#[test]
fn synthetic_csv_round_trips_through_the_validator() {
    let run = SyntheticMarket::new()
        .seed(9)
        .bars(2000)
        .start_price(0.25)
        .generate()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("syn.csv");
    write_candles(&p, &run.candles).unwrap();
    assert_eq!(read_candles(&p).unwrap(), run.candles);
}

#[test]
fn committed_fixture_is_what_the_generator_writes() {
    // fixtures/market/synthetic_400.csv = seed 7, 400 bars (see the example
    // `synthetic_csv`). Compared with a tolerance, not bytes: `ln`/`exp`/`cos`
    // come from the platform's libm and may differ in the last bit elsewhere.
    let fixture = read_candles(&common::fixture("synthetic_400.csv")).unwrap();
    let run = SyntheticMarket::new().seed(7).bars(400).generate().unwrap();
    let c = &run.candles;
    assert_eq!(fixture.ts, c.ts);
    for (a, b) in [
        (&fixture.open, &c.open),
        (&fixture.high, &c.high),
        (&fixture.low, &c.low),
        (&fixture.close, &c.close),
        (&fixture.volume, &c.volume),
    ] {
        for (x, y) in a.iter().zip(b.iter()) {
            assert!((x - y).abs() <= 1e-6 * y.abs().max(1.0), "{x} vs {y}");
        }
    }
}

#[test]
fn summary_display_is_a_readable_table() {
    let s = SyntheticMarket::new()
        .seed(4)
        .bars(1000)
        .generate()
        .unwrap()
        .summary();
    let text = s.to_string();
    assert!(
        text.starts_with("synthetic market: 1000 bars of 1h, 2023-01-01T00:00:00Z .. "),
        "{text}"
    );
    for name in ["low", "medium", "high", "regime", "share"] {
        assert!(text.contains(name), "{text}");
    }
}

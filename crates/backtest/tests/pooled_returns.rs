//! Per-window strategy returns pooled over several symbols: the split is
//! by time across all of them, regime cut points come from the train
//! windows only, and both CSV layouts read back.

mod common;

use backtest::{StrategyReturns, WindowSpec, spec_t2_strategies};
use common::HOUR;
use market::{Candles, SyntheticMarket};

fn series(seed: u64, bars: usize, start_ts: i64) -> Candles {
    SyntheticMarket::new()
        .seed(seed)
        .bars(bars)
        .start_ts(start_ts)
        .generate()
        .unwrap()
        .candles
}

const T0: i64 = common::T0;

fn pooled(a: &Candles, b: &Candles) -> StrategyReturns {
    StrategyReturns::compute_pooled(
        &[("BTCUSDT", a), ("ETHUSDT", b)],
        &spec_t2_strategies(),
        &WindowSpec::spec_t2(),
    )
    .unwrap()
}

#[test]
fn two_symbols_are_split_by_time_and_each_symbol_is_contiguous() {
    // ETH starts 400 hours later: a row-count split per symbol would put
    // ETH windows later than BTC's first test windows into train.
    let btc = series(1, 2000, T0);
    let eth = series(2, 2000, T0 + 400 * HOUR);
    let r = pooled(&btc, &eth);
    assert!(r.n_train > 0 && r.n_train < r.len());
    for sym in ["BTCUSDT", "ETHUSDT"] {
        assert!(
            r.symbol[..r.n_train].iter().any(|s| s == sym),
            "{sym} train"
        );
        assert!(r.symbol[r.n_train..].iter().any(|s| s == sym), "{sym} test");
    }
    assert!(r.timeframe.iter().all(|t| t == "1h"));
    // No test window of one symbol starts before a train window of the
    // other ends.
    let last_train_end = r.end_ts[..r.n_train].iter().max().unwrap();
    let first_test_start = r.start_ts[r.n_train..].iter().min().unwrap();
    assert!(first_test_start > last_train_end);
    // The cut is at the train fraction of all windows by end time; the
    // windows straddling it are dropped (fewer rows than windows).
    let windows = |c: &Candles| (c.len() - 73) / 24;
    let total = windows(&btc) + windows(&eth);
    assert!(
        r.len() < total && r.len() >= total - 2,
        "{} of {total}",
        r.len()
    );
    // (split, symbol, start) order: one run per symbol and split.
    let ranges = r.series_ranges();
    assert_eq!(ranges.len(), 4, "{ranges:?}");
    for g in &ranges {
        let s = &r.symbol[g.start];
        assert!(r.symbol[g.clone()].iter().all(|x| x == s));
        assert!(r.start_ts[g.clone()].windows(2).all(|w| w[0] < w[1]));
    }
    assert_eq!(r.symbol[ranges[0].start], "BTCUSDT");
    assert_eq!(r.symbol[ranges[1].start], "ETHUSDT");
    assert_eq!(ranges[1].end, r.n_train);
}

#[test]
fn changing_test_data_changes_no_train_row_nor_the_regime_cuts() {
    let btc = series(3, 1800, T0);
    let eth = series(4, 1800, T0 + 300 * HOUR);
    let r = pooled(&btc, &eth);
    let cut = *r.end_ts[..r.n_train].iter().max().unwrap();
    // Scramble every bar after the cut, in both series.
    let scramble = |c: &Candles| {
        let mut d = c.clone();
        for i in 0..d.len() {
            if d.ts[i] > cut {
                let f = if i % 3 == 0 { 1.07 } else { 0.95 };
                d.open[i] *= f;
                d.high[i] *= f * 1.01;
                d.low[i] *= f;
                d.close[i] *= f;
                d.volume[i] *= 2.5;
            }
        }
        d
    };
    let r2 = pooled(&scramble(&btc), &scramble(&eth));
    assert_eq!(r2.n_train, r.n_train);
    assert_eq!((r2.q1, r2.q2), (r.q1, r.q2));
    let n = r.n_train;
    assert_eq!(r2.symbol[..n], r.symbol[..n]);
    assert_eq!(r2.start_ts[..n], r.start_ts[..n]);
    assert_eq!(r2.returns[..n], r.returns[..n]);
    assert_eq!(r2.ctx[..n], r.ctx[..n]);
    assert_eq!(r2.regime[..n], r.regime[..n]);
    // The scramble did reach the test rows.
    assert_ne!(r2.returns[n..], r.returns[n..]);
}

#[test]
fn one_series_pooled_is_the_single_series_table() {
    let c = series(5, 1500, T0);
    let one = StrategyReturns::compute(&c, &spec_t2_strategies(), &WindowSpec::spec_t2()).unwrap();
    let w = (c.len() - 73) / 24;
    assert_eq!(one.len(), w);
    assert_eq!(one.n_train, (0.8 * w as f64).floor() as usize);
    assert_eq!(one.first_bar[0], 73);
    assert!(one.symbol.iter().all(String::is_empty));
    let named = StrategyReturns::compute_pooled(
        &[("BTCUSDT", &c)],
        &spec_t2_strategies(),
        &WindowSpec::spec_t2(),
    )
    .unwrap();
    assert_eq!(named.returns, one.returns);
    assert_eq!(named.n_train, one.n_train);
    assert!(named.symbol.iter().all(|s| s == "BTCUSDT"));
}

#[test]
fn pooled_table_round_trips_through_both_csv_layouts() {
    let r = pooled(&series(6, 1300, T0), &series(7, 1300, T0 + 50 * HOUR));
    let csv = r.to_csv_string();
    assert!(csv.starts_with("symbol,timeframe,window,"));
    let back = StrategyReturns::parse_csv(csv.as_bytes(), "pooled.csv").unwrap();
    assert_eq!(back, r);

    // SPEC T2's layout: the same table without the two leading columns.
    let single = StrategyReturns::compute(
        &series(8, 1300, T0),
        &spec_t2_strategies(),
        &WindowSpec::spec_t2(),
    )
    .unwrap();
    let old: String = single
        .to_csv_string()
        .lines()
        .map(|l| {
            let mut it = l.splitn(3, ',');
            it.next();
            it.next();
            format!("{}\n", it.next().unwrap())
        })
        .collect();
    assert!(old.starts_with("window,first_bar,"));
    let back = StrategyReturns::parse_csv(old.as_bytes(), "spec.csv").unwrap();
    assert_eq!(back.returns, single.returns);
    assert_eq!(back.n_train, single.n_train);
    assert_eq!((back.q1, back.q2), (single.q1, single.q2));
    assert!(back.symbol.iter().all(String::is_empty));
    assert!(back.timeframe.iter().all(String::is_empty));
}

#[test]
fn a_series_split_into_two_runs_is_refused() {
    let r = pooled(&series(9, 1300, T0), &series(10, 1300, T0));
    let csv = r.to_csv_string();
    // Move the first train row to the end of the train block's ETH run
    // by swapping symbols: BTC, ETH..., then BTC again.
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let last_train = r.n_train; // line index of the last train row (header is 0)
    lines[last_train] = lines[last_train].replacen("ETHUSDT", "BTCUSDT", 1);
    let bad = lines.join("\n");
    let e = StrategyReturns::parse_csv(bad.as_bytes(), "bad.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("contiguous") || e.contains("start_ts"), "{e}");
}

#[test]
fn an_explicit_cut_and_the_training_part_never_reach_past_the_cut() {
    let a = series(3, 3000, T0);
    let b = series(4, 2500, T0 + 200 * HOUR);
    let cut = a.ts[2000];
    let spec = WindowSpec {
        cut_ts: Some(cut),
        ..WindowSpec::spec_t2()
    };
    let r =
        StrategyReturns::compute_pooled(&[("AAA", &a), ("BBB", &b)], &spec_t2_strategies(), &spec)
            .unwrap();
    assert!(r.end_ts[..r.n_train].iter().all(|&t| t <= cut));
    assert!(r.start_ts[r.n_train..].iter().all(|&t| t > cut));
    let part = r.train_part(0.8).unwrap();
    // Only training rows, split again by time; nothing after the cut.
    assert!(part.len() <= r.n_train);
    assert!(part.end_ts.iter().all(|&t| t <= cut));
    let inner = *part.end_ts[..part.n_train].iter().max().unwrap();
    assert!(part.start_ts[part.n_train..].iter().all(|&t| t > inner));
    // Its regime cut points come from its own training rows.
    let vols: Vec<f64> = part.ctx[..part.n_train].iter().map(|c| c[1]).collect();
    let cuts = backtest::VolTerciles::from_values(24, &vols).unwrap();
    assert_eq!((part.q1, part.q2), (cuts.q1, cuts.q2));
    assert!(r.train_part(1.0).is_err());
}

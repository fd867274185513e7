//! The simulator's accounting, stops, determinism and multi-symbol runs.

mod common;

use backtest::{
    Allocation, Backtest, BacktestParams, DonchianBreakout, Instrument, Side, SmaCross, Strategy,
    ZScoreReversion, io, spec_t2_strategies,
};
use common::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn hand_params() -> BacktestParams {
    BacktestParams::new()
        .initial_equity(10_000.0)
        .fee_bps(10.0)
        .slippage_bps(5.0)
        .position_fraction(0.5)
        .warmup(0)
}

#[test]
fn fees_and_slippage_match_a_hand_computed_long_then_short() {
    let c = bars(&[
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 102.0, 99.0, 101.0),
        (102.0, 103.0, 101.0, 102.0),
        (110.0, 111.0, 109.0, 110.0),
        (108.0, 109.0, 104.0, 105.0),
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 100.0, 100.0, 100.0),
    ]);
    // Long decided at bar 0, flipped short at bar 2, flat at bar 4.
    let s: Vec<Box<dyn Strategy>> = vec![Box::new(Script::new("hand", &[1, 1, -1, -1, 0, 0, 0]))];
    let bt = Backtest::new(hand_params()).unwrap();
    let r = bt
        .run_with_labeler(&[Instrument::new("X", &c)], &s, &ZeroRegime)
        .unwrap();
    assert_eq!(r.trades.len(), 2);
    let (a, b) = (&r.trades[0], &r.trades[1]);

    // Trade 1: buy at bar 1's open 100 + 5 bps = 100.05 with 5000/(1+0.001)
    // notional; sell at bar 3's open 110 - 5 bps = 109.945.
    let notional = 5000.0 / 1.001;
    let units = notional / 100.05;
    let fees = notional * 0.001 + units * 109.945 * 0.001;
    assert_eq!(a.side, Side::Long);
    assert!(close(a.entry_price, 100.05) && close(a.exit_price, 109.945));
    assert!(close(a.size, units) && close(a.size, 49.92508740634678));
    assert!(close(a.fees, fees) && close(a.fees, 10.484018729895794));
    assert!(close(a.pnl, units * (109.945 - 100.05) - fees));
    assert!(close(a.pnl, 483.52472115590615));
    assert!(close(a.pnl_pct, 4.835247211559062));
    assert_eq!(
        (a.entry_time, a.exit_time, a.bars_held),
        (T0 + HOUR, T0 + 3 * HOUR, 2)
    );

    // Trade 2: sized from the equity at bar 2's close (cash 5000 + units x
    // 102), sold at 109.945 in the same open as the exit, bought back at
    // bar 5's open 100 + 5 bps.
    let eq2 = 5000.0 + units * 102.0;
    let notional2 = 0.5 * eq2 / 1.001;
    let units2 = notional2 / 109.945;
    let fees2 = notional2 * 0.001 + units2 * 100.05 * 0.001;
    assert_eq!(b.side, Side::Short);
    assert!(close(b.entry_price, 109.945) && close(b.exit_price, 100.05));
    assert!(close(b.size, units2) && close(b.size, 45.851455904354744));
    assert!(close(b.fees, fees2) && close(b.fees, 9.628576482634974));
    assert!(close(b.pnl, 444.07157969095505));
    assert!(close(b.pnl_pct, 100.0 * b.pnl / eq2) && close(b.pnl_pct, 4.40007716145785));
    assert_eq!(
        (b.entry_time, b.exit_time, b.bars_held),
        (T0 + 3 * HOUR, T0 + 5 * HOUR, 2)
    );

    // Equity: every fee and fill is in the cash, so the end equals the start
    // plus both pnls; the curve marks the open long at bar 1's close.
    let eq = &r.equity[0];
    assert!(close(*eq.equity.last().unwrap(), 10_927.59630084686));
    assert!(close(eq.equity[1], 5000.0 + units * 101.0));
    assert_eq!(eq.positions[0], vec![0, 1, 1, -1, -1, 0, 0]);
    let sum = &r.strategies[0];
    assert!(close(sum.fees, fees + fees2));
    assert_eq!(sum.trades, 2);
    assert_eq!(sum.win_rate, 1.0);
}

#[test]
fn stop_loss_fills_at_the_level_and_blocks_reentry_until_the_signal_changes() {
    let c = bars(&[
        (100.0, 100.0, 100.0, 100.0),
        (100.0, 101.0, 99.0, 100.0), // long fills at 100
        (100.0, 100.5, 94.0, 96.0),  // low 94 < stop 95: out at 95
        (96.0, 97.0, 95.5, 96.0),    // still "long" but blocked
        (96.0, 97.0, 95.5, 96.0),    // strategy goes flat: unblocked
        (96.0, 97.0, 95.5, 96.0),    // long again: fills next bar
        (96.0, 97.0, 95.5, 96.5),
        (96.5, 97.0, 96.0, 96.5),
    ]);
    let s: Vec<Box<dyn Strategy>> = vec![Box::new(Script::new("s", &[1, 1, 1, 0, 1, 1, 1, 1]))];
    let p = BacktestParams::new()
        .fee_bps(0.0)
        .slippage_bps(0.0)
        .warmup(0)
        .stop_loss(Some(0.05));
    let r = Backtest::new(p)
        .unwrap()
        .run_with_labeler(&[Instrument::new("X", &c)], &s, &ZeroRegime)
        .unwrap();
    assert_eq!(r.trades.len(), 2, "{:#?}", r.trades);
    let t = &r.trades[0];
    assert_eq!((t.entry_price, t.exit_price), (100.0, 95.0));
    assert_eq!((t.entry_time, t.exit_time), (T0 + HOUR, T0 + 2 * HOUR));
    // Re-entered only after the flat target at bar 3: decided at bar 4, filled at bar 5.
    assert_eq!(r.trades[1].entry_time, T0 + 5 * HOUR);
    assert_eq!(r.strategies[0].stop_loss_exits, 1);
}

#[test]
fn stop_wins_when_stop_and_take_profit_are_both_inside_one_bar() {
    let c = bars(&[
        (100.0, 100.0, 100.0, 100.0),
        (100.0, 100.0, 100.0, 100.0), // long fills at 100: stop 98, take 103
        (100.0, 104.0, 97.0, 101.0),  // both touched
        (101.0, 101.0, 101.0, 101.0),
    ]);
    let s: Vec<Box<dyn Strategy>> = vec![Box::new(Script::new("s", &[1, 1, 1, 1]))];
    let p = BacktestParams::new()
        .fee_bps(0.0)
        .slippage_bps(0.0)
        .warmup(0)
        .stop_loss(Some(0.02))
        .take_profit(Some(0.03));
    let r = Backtest::new(p)
        .unwrap()
        .run_with_labeler(&[Instrument::new("X", &c)], &s, &ZeroRegime)
        .unwrap();
    assert_eq!(r.trades.len(), 1);
    assert_eq!(r.trades[0].exit_price, 98.0);
    assert_eq!(r.strategies[0].stop_loss_exits, 1);
    assert_eq!(r.strategies[0].take_profit_exits, 0);
}

#[test]
fn take_profit_and_gaps_fill_where_the_market_allowed() {
    let c = bars(&[
        (100.0, 100.0, 100.0, 100.0),
        (100.0, 100.0, 100.0, 100.0), // short fills at 100 (slippage 0): stop 102, take 96
        (100.0, 100.5, 95.0, 95.5),   // take profit at 96
        (95.5, 95.5, 95.5, 95.5),     // target changes: flat
        (95.5, 95.5, 95.5, 95.5),     // short again, fills at the next open
        (95.5, 95.5, 95.5, 95.5),     // short at 95.5: stop 97.41
        (99.0, 99.5, 98.0, 99.0),     // opens above the stop: out at the open 99
        (99.0, 99.0, 99.0, 99.0),
    ]);
    let s: Vec<Box<dyn Strategy>> =
        vec![Box::new(Script::new("s", &[-1, -1, -1, 0, -1, -1, -1, -1]))];
    let p = BacktestParams::new()
        .fee_bps(0.0)
        .slippage_bps(0.0)
        .warmup(0)
        .stop_loss(Some(0.02))
        .take_profit(Some(0.04));
    let r = Backtest::new(p)
        .unwrap()
        .run_with_labeler(&[Instrument::new("X", &c)], &s, &ZeroRegime)
        .unwrap();
    assert_eq!(r.trades.len(), 2, "{:#?}", r.trades);
    assert_eq!(r.trades[0].side, Side::Short);
    assert_eq!(r.trades[0].exit_price, 96.0);
    assert!(r.trades[0].pnl > 0.0);
    assert_eq!(r.trades[1].entry_price, 95.5);
    assert_eq!(r.trades[1].exit_price, 99.0);
    assert_eq!(r.trades[1].exit_time, T0 + 6 * HOUR);
    assert_eq!(r.strategies[0].take_profit_exits, 1);
    assert_eq!(r.strategies[0].stop_loss_exits, 1);
}

fn many_strategies() -> Vec<Box<dyn Strategy>> {
    let mut v = spec_t2_strategies();
    v.push(Box::new(
        SmaCross::ema(12, 26)
            .unwrap()
            .on_timeframe(4 * HOUR)
            .unwrap(),
    ));
    v.push(Box::new(
        DonchianBreakout::new(48)
            .unwrap()
            .exit_window(12)
            .unwrap()
            .long_only(),
    ));
    v
}

#[test]
fn identical_inputs_give_byte_identical_outputs() {
    let c = synthetic(11, 4_000);
    let p = BacktestParams::new()
        .stop_loss(Some(0.03))
        .take_profit(Some(0.06));
    let run = || {
        let r = Backtest::new(p.clone())
            .unwrap()
            .run(&[Instrument::new("SYN", &c)], &many_strategies())
            .unwrap();
        let mut text = io::trades_to_csv(&r.trades);
        text.push_str(&io::strategy_pnl_to_csv(&r.strategy_pnl()));
        for e in &r.equity {
            text.push_str(&io::equity_to_csv(e));
        }
        text
    };
    let a = run();
    assert!(a.lines().count() > 100);
    assert_eq!(a, run());
}

#[test]
fn per_symbol_allocation_equals_separate_runs_with_split_equity() {
    let a = synthetic(1, 3_000);
    // Starts 500 hours later and is shorter: the timelines only partly overlap.
    let b = market::SyntheticMarket::new()
        .seed(2)
        .bars(2_000)
        .start_ts(T0 + 500 * HOUR)
        .start_price(1_500.0)
        .generate()
        .unwrap()
        .candles;
    let strategies: Vec<Box<dyn Strategy>> = vec![Box::new(ZScoreReversion::default())];
    let p = BacktestParams::new().allocation(Allocation::PerSymbol);
    let both = Backtest::new(p.clone())
        .unwrap()
        .run(
            &[Instrument::new("AAA", &a), Instrument::new("BBB", &b)],
            &strategies,
        )
        .unwrap();
    let half = p.initial_equity(5_000.0);
    let only_a = Backtest::new(half.clone())
        .unwrap()
        .run(&[Instrument::new("AAA", &a)], &strategies)
        .unwrap();
    let only_b = Backtest::new(half)
        .unwrap()
        .run(&[Instrument::new("BBB", &b)], &strategies)
        .unwrap();

    let mut expected: Vec<_> = only_a
        .trades
        .iter()
        .chain(&only_b.trades)
        .cloned()
        .collect();
    expected.sort_by_key(|t| (t.exit_time, t.symbol.clone()));
    assert_eq!(both.trades, expected);
    let fin = |r: &backtest::BacktestReport| *r.equity[0].equity.last().unwrap();
    assert!(close(fin(&both), fin(&only_a) + fin(&only_b)));
    assert_eq!(both.equity[0].symbols, vec!["AAA", "BBB"]);
    assert_eq!(both.equity[0].positions.len(), 2);
}

#[test]
fn shared_allocation_trades_every_symbol_from_one_account() {
    let a = synthetic(3, 2_500);
    let b = market::SyntheticMarket::new()
        .seed(4)
        .bars(2_500)
        .start_price(2_000.0)
        .generate()
        .unwrap()
        .candles;
    let strategies: Vec<Box<dyn Strategy>> = vec![Box::new(SmaCross::default())];
    let p = BacktestParams::new()
        .position_fraction(0.5)
        .fee_bps(0.0)
        .slippage_bps(0.0);
    let r = Backtest::new(p)
        .unwrap()
        .run(
            &[Instrument::new("AAA", &a), Instrument::new("BBB", &b)],
            &strategies,
        )
        .unwrap();
    assert!(r.trades.iter().any(|t| t.symbol == "AAA"));
    assert!(r.trades.iter().any(|t| t.symbol == "BBB"));
    // One account: final equity = start + every trade's pnl (all closed at the end).
    let total: f64 = r.trades.iter().map(|t| t.pnl).sum();
    let eq = &r.equity[0];
    assert!(close(*eq.equity.last().unwrap(), 10_000.0 + total));
    assert_eq!(eq.positions.len(), 2);
    assert_eq!(eq.ts.len(), eq.equity.len());
}

#[test]
fn trades_are_labelled_with_train_span_tercile_regimes() {
    let c = synthetic(5, 3_000);
    let r = Backtest::default()
        .run(&[Instrument::new("SYN", &c)], &spec_t2_strategies())
        .unwrap();
    let mut seen = [0usize; 3];
    for t in &r.trades {
        seen[t.regime as usize] += 1;
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    let pnl = r.strategy_pnl();
    assert_eq!(pnl.iter().map(|p| p.trades).sum::<usize>(), r.trades.len());
    assert!(pnl.windows(2).all(|w| w[0].regime <= w[1].regime));
}

//! Trade log and strategy_pnl: agreement with an independent Python
//! implementation on a committed fixture, and exact CSV round trips.

mod common;

use backtest::{
    Backtest, BacktestParams, BuyHold, DonchianBreakout, Instrument, RsiReversal, Side, SmaCross,
    Strategy, StrategyPnl, Trade, ZScoreReversion, io, read_strategy_pnl, read_trades,
    spec_t2_strategies, strategy_pnl,
};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/backtest")
        .join(name)
}

fn rel_close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

fn fixture_run() -> backtest::BacktestReport {
    let c = market::read_candles(&fixture("candles_1h.csv")).unwrap();
    let strategies: Vec<Box<dyn Strategy>> = vec![
        Box::new(BuyHold::new()),
        Box::new(SmaCross::new(10, 30).unwrap()),
        Box::new(ZScoreReversion::default()),
        Box::new(DonchianBreakout::new(20).unwrap()),
        Box::new(RsiReversal::default()),
    ];
    let p = BacktestParams::new()
        .initial_equity(10_000.0)
        .fee_bps(10.0)
        .slippage_bps(5.0)
        .position_fraction(0.5)
        .stop_loss(Some(0.03))
        .take_profit(Some(0.06))
        .warmup(72)
        .regime_train_fraction(0.8);
    Backtest::new(p)
        .unwrap()
        .run(&[Instrument::new("FIX", &c)], &strategies)
        .unwrap()
}

#[test]
fn trade_log_matches_the_independent_python_simulator() {
    let ours = fixture_run();
    let want = read_trades(&fixture("expected_trades.csv")).unwrap();
    assert_eq!(ours.trades.len(), want.len(), "trade count");
    for (k, (a, b)) in ours.trades.iter().zip(&want).enumerate() {
        let same_text = (
            &a.symbol,
            &a.strategy,
            a.regime,
            a.side,
            a.entry_time,
            a.exit_time,
            a.bars_held,
        ) == (
            &b.symbol,
            &b.strategy,
            b.regime,
            b.side,
            b.entry_time,
            b.exit_time,
            b.bars_held,
        );
        assert!(same_text, "trade {k}:\nours {a:?}\nwant {b:?}");
        for (name, x, y) in [
            ("entry_price", a.entry_price, b.entry_price),
            ("exit_price", a.exit_price, b.exit_price),
            ("size", a.size, b.size),
            ("fees", a.fees, b.fees),
            ("pnl", a.pnl, b.pnl),
            ("pnl_pct", a.pnl_pct, b.pnl_pct),
        ] {
            assert!(rel_close(x, y), "trade {k} {name}: {x} vs {y}");
        }
    }
}

#[test]
fn strategy_pnl_matches_the_pandas_groupby() {
    let ours = fixture_run().strategy_pnl();
    let want = read_strategy_pnl(&fixture("expected_strategy_pnl.csv")).unwrap();
    assert_eq!(ours.len(), want.len());
    for (a, b) in ours.iter().zip(&want) {
        assert_eq!(
            (a.regime, &a.strategy, a.trades),
            (b.regime, &b.strategy, b.trades)
        );
        for (x, y) in [
            (a.mean_pnl, b.mean_pnl),
            (a.win_rate, b.win_rate),
            (a.sharpe, b.sharpe),
            (a.max_drawdown, b.max_drawdown),
        ] {
            assert!(rel_close(x, y), "{a:?}\n{b:?}");
        }
    }
}

#[test]
fn trade_log_and_strategy_pnl_round_trip_exactly() {
    let c = common::synthetic(8, 3_000);
    let r = Backtest::default()
        .run(&[Instrument::new("BTCUSDT", &c)], &spec_t2_strategies())
        .unwrap();
    assert!(r.trades.len() > 50);
    let dir = tempfile::tempdir().unwrap();
    let written = r.write_dir(dir.path()).unwrap();
    assert_eq!(written.len(), 3 + 5);
    assert_eq!(
        read_trades(&dir.path().join("trades.csv")).unwrap(),
        r.trades
    );
    assert_eq!(
        read_strategy_pnl(&dir.path().join("strategy_pnl.csv")).unwrap(),
        r.strategy_pnl()
    );
    let header = std::fs::read_to_string(dir.path().join("trades.csv")).unwrap();
    assert!(header.starts_with(
        "symbol,strategy,regime,side,entry_time,exit_time,entry_price,exit_price,size,fees,pnl,pnl_pct,bars_held\n"
    ));
    let eq = std::fs::read_to_string(dir.path().join("equity_sma_cross.csv")).unwrap();
    assert!(
        eq.starts_with("timestamp,equity,position_BTCUSDT\n"),
        "{}",
        &eq[..60]
    );
}

#[test]
fn strategy_pnl_groups_by_regime_then_strategy_with_trade_level_stats() {
    let t = |strategy: &str, regime: u8, pnl_pct: f64| Trade {
        symbol: "X".into(),
        strategy: strategy.into(),
        regime,
        side: Side::Long,
        entry_time: 0,
        exit_time: 0,
        entry_price: 1.0,
        exit_price: 1.0,
        size: 1.0,
        fees: 0.0,
        pnl: pnl_pct,
        pnl_pct,
        bars_held: 1,
    };
    let trades = vec![
        t("b", 1, 10.0),
        t("a", 1, -50.0),
        t("b", 1, -20.0),
        t("b", 0, 5.0),
        t("a", 1, 20.0),
    ];
    let rows = strategy_pnl(&trades);
    let keys: Vec<(u8, &str, usize)> = rows
        .iter()
        .map(|r| (r.regime, r.strategy.as_str(), r.trades))
        .collect();
    assert_eq!(keys, vec![(0, "b", 1), (1, "b", 2), (1, "a", 2)]);
    let b1: &StrategyPnl = &rows[1];
    assert_eq!(b1.mean_pnl, -5.0);
    assert_eq!(b1.win_rate, 0.5);
    // Equity 1 -> 1.1 -> 0.88: drawdown 20% from the 1.1 peak.
    assert!((b1.max_drawdown - 0.2).abs() < 1e-15);
    let s = (2.0f64 * 15.0 * 15.0).sqrt();
    assert!((b1.sharpe - (-5.0 / s)).abs() < 1e-15);
    assert_eq!(rows[0].sharpe, 0.0, "one trade has no std");
}

#[test]
fn malformed_trade_logs_fail_with_line_and_column() {
    let text = "symbol,strategy,regime,side,entry_time,exit_time,entry_price,exit_price,size,fees,pnl,pnl_pct,bars_held\n\
                X,s,0,long,2023-01-01T00:00:00Z,2023-01-01T01:00:00Z,1,2,1,0,1,100,1\n\
                X,s,0,sideways,2023-01-01T00:00:00Z,2023-01-01T01:00:00Z,1,2,1,0,1,100,1\n";
    let e = io::parse_trades(text.as_bytes(), "log.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("log.csv line 3") && e.contains("\"side\""),
        "{e}"
    );
    let e = io::parse_trades(b"symbol,strategy\nX,s\n", "short.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("short.csv line 1") && e.contains("regime"),
        "{e}"
    );
}

//! Bad parameters fail early with errors that name the field and value.

mod common;

use agent_core::ParamGuard;
use backtest::{
    Backtest, BacktestParams, DonchianBreakout, Instrument, LstmStrategy, Momentum,
    OuMeanReversion, RsiReversal, SmaCross, Strategy, StrategyReturns, VolTercileLabeler,
    WindowSpec, ZScoreReversion, walk_forward,
};
use common::*;

fn msg<T: std::fmt::Debug>(r: Result<T, backtest::BacktestError>) -> String {
    r.unwrap_err().to_string()
}

fn assert_names(e: String, field: &str, value: &str) {
    assert!(
        e.contains(&format!("`{field}`")) && e.contains(value),
        "error should name `{field}` and {value}: {e}"
    );
}

#[test]
fn simulator_parameters_name_the_bad_field() {
    let p = BacktestParams::new;
    assert_names(msg(p().fee_bps(-1.0).check()), "fee_bps", "-1");
    assert_names(
        msg(p().slippage_bps(f64::NAN).check()),
        "slippage_bps",
        "NaN",
    );
    assert_names(
        msg(p().position_fraction(1.5).check()),
        "position_fraction",
        "1.5",
    );
    assert_names(
        msg(p().position_fraction(0.0).check()),
        "position_fraction",
        "0",
    );
    assert_names(msg(p().stop_loss(Some(1.0)).check()), "stop_loss", "1");
    assert_names(
        msg(p().take_profit(Some(-0.1)).check()),
        "take_profit",
        "-0.1",
    );
    assert_names(msg(p().initial_equity(0.0).check()), "initial_equity", "0");
    assert_names(
        msg(p().regime_train_fraction(0.0).check()),
        "regime_train_fraction",
        "0",
    );
    assert!(Backtest::new(p().fee_bps(5.0)).is_ok());
}

#[test]
fn strategy_parameters_name_the_bad_field() {
    assert_names(msg(SmaCross::new(0, 10)), "fast", "0");
    assert_names(msg(SmaCross::new(50, 20)), "slow", "20");
    assert_names(msg(SmaCross::default().on_timeframe(-5)), "timeframe", "-5");
    assert_names(msg(DonchianBreakout::new(0)), "window", "0");
    assert_names(
        msg(DonchianBreakout::default().exit_window(0)),
        "exit_window",
        "0",
    );
    assert_names(msg(RsiReversal::new(0, 30.0, 70.0, 50.0)), "period", "0");
    assert_names(
        msg(RsiReversal::new(14, 30.0, 70.0, 80.0)),
        "exit_level",
        "80",
    );
    assert_names(
        msg(RsiReversal::new(14, 60.0, 40.0, 50.0)),
        "overbought",
        "40",
    );
    assert_names(msg(ZScoreReversion::new(1, 2.0, 0.0)), "window", "1");
    assert_names(msg(ZScoreReversion::new(20, 0.0, 0.0)), "entry", "0");
    assert_names(msg(ZScoreReversion::new(20, 2.0, 2.5)), "exit", "2.5");
    assert_names(msg(Momentum::new(0, 0.0)), "lookback", "0");
    assert_names(
        msg(OuMeanReversion::new(ZScorer(50), 1.0, 1.0)),
        "exit",
        "1",
    );
    assert_names(
        msg(LstmStrategy::new(MeanPredictor { seq: 4, calls: 0 }, -1.0)),
        "threshold",
        "-1",
    );
    assert_names(msg(SmaCross::default().named("a,b")), "name", "a,b");
    assert_names(msg(VolTercileLabeler::new(1)), "window", "1");
}

#[test]
fn run_inputs_are_checked_before_simulating() {
    let c = synthetic(1, 500);
    let s: Vec<Box<dyn Strategy>> =
        vec![Box::new(SmaCross::default()), Box::new(SmaCross::default())];
    let e = msg(Backtest::default().run(&[Instrument::new("X", &c)], &s));
    assert_names(e, "strategy name", "sma_cross");
    let one: Vec<Box<dyn Strategy>> = vec![Box::new(SmaCross::default())];
    let e =
        msg(Backtest::default().run(&[Instrument::new("X", &c), Instrument::new("X", &c)], &one));
    assert_names(e, "symbol", "X");
    // Invalid candles are reported with the symbol and the line.
    let mut bad = c.clone();
    bad.high[10] = bad.low[10] * 0.5;
    let e = msg(Backtest::default().run(&[Instrument::new("BAD", &bad)], &one));
    assert!(e.contains("BAD line 12"), "{e}");
    // A timeframe that is not a multiple of the data's interval.
    let odd: Vec<Box<dyn Strategy>> = vec![Box::new(
        SmaCross::default().on_timeframe(HOUR + 1).unwrap(),
    )];
    let e = msg(Backtest::default().run(&[Instrument::new("X", &c)], &odd));
    assert!(e.contains("target_interval_ms"), "{e}");
}

#[test]
fn window_layouts_name_the_bad_field() {
    let c = synthetic(1, 500);
    assert_names(msg(walk_forward(&c, 300, 100, 0)), "step", "0");
    assert_names(msg(walk_forward(&c, 1, 100, 10)), "train_bars", "1");
    assert_names(msg(walk_forward(&c, 300, 1, 10)), "test_bars", "1");
    assert!(msg(walk_forward(&c, 400, 200, 10)).contains("fewer than one train window"));
    let spec = WindowSpec {
        start: 10,
        ..WindowSpec::spec_t2()
    };
    assert_names(
        msg(StrategyReturns::compute(
            &c,
            &backtest::spec_t2_strategies(),
            &spec,
        )),
        "start",
        "10",
    );
    let spec = WindowSpec {
        window_bars: 0,
        ..WindowSpec::spec_t2()
    };
    assert_names(
        msg(StrategyReturns::compute(
            &c,
            &backtest::spec_t2_strategies(),
            &spec,
        )),
        "window_bars",
        "0",
    );
}

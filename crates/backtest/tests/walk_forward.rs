//! Walk-forward: window layout, train-only fitting, out-of-sample trades.

mod common;

use backtest::{
    Backtest, BacktestParams, BarView, FittedRegime, Instrument, RegimeLabeler, SmaCross, Strategy,
    StrategyGrid, VolTercileLabeler, ZScoreReversion, walk_forward,
};
use common::*;
use market::Candles;
use std::sync::Mutex;

#[test]
fn windows_roll_by_step_and_test_follows_train() {
    let c = synthetic(1, 1_000);
    let w = walk_forward(&c, 400, 100, 100).unwrap();
    assert_eq!(w.len(), 6);
    assert_eq!((w[0].train.clone(), w[0].test.clone()), (0..400, 400..500));
    assert_eq!(
        (w[5].train.clone(), w[5].test.clone()),
        (500..900, 900..1_000)
    );
    assert!(
        w.iter()
            .enumerate()
            .all(|(i, x)| x.index == i && x.train.end == x.test.start)
    );
}

/// Records the last timestamp of every training span it is fit on.
struct Recording(Mutex<Vec<(usize, i64)>>);
impl RegimeLabeler for Recording {
    fn name(&self) -> &str {
        "recording"
    }
    fn min_history(&self) -> usize {
        25
    }
    fn fit(&self, train: &Candles) -> backtest::Result<Box<dyn FittedRegime>> {
        self.0
            .lock()
            .unwrap()
            .push((train.len(), *train.ts.last().unwrap()));
        VolTercileLabeler::default().fit(train)
    }
}

#[test]
fn walk_forward_fits_on_train_and_trades_only_in_test_windows() {
    let c = synthetic(31, 4_000);
    let windows = walk_forward(&c, 1_500, 500, 500).unwrap();
    let grids = vec![
        StrategyGrid::new(
            "sma",
            vec![
                Box::new(SmaCross::new(10, 30).unwrap()) as Box<dyn Strategy>,
                Box::new(SmaCross::new(20, 60).unwrap()),
                Box::new(SmaCross::new(50, 200).unwrap()),
            ],
        )
        .unwrap(),
        StrategyGrid::single(Box::new(ZScoreReversion::default())),
    ];
    let labeler = Recording(Mutex::new(Vec::new()));
    let bt = Backtest::new(BacktestParams::new().stop_loss(Some(0.05))).unwrap();
    let rep = bt
        .walk_forward(Instrument::new("SYN", &c), &grids, &windows, &labeler)
        .unwrap();

    assert_eq!(rep.results.len(), windows.len() * 2);
    // The labeller only ever saw train bars: one fit per window, ending at the train end.
    let fits = labeler.0.lock().unwrap().clone();
    let want: Vec<(usize, i64)> = windows
        .iter()
        .map(|w| (1_500, c.ts[w.train.end - 1]))
        .collect();
    assert_eq!(fits, want);
    for r in &rep.results {
        let w = &windows[r.window];
        assert_eq!(r.test_start_ts, c.ts[w.test.start]);
        if r.strategy == "sma" {
            assert!(
                ["fast=10", "fast=20", "fast=50"]
                    .iter()
                    .any(|f| r.chosen.contains(f)),
                "{}",
                r.chosen
            );
        }
    }
    assert!(!rep.trades.is_empty());
    for t in &rep.trades {
        let w = windows
            .iter()
            .find(|w| t.entry_time >= c.ts[w.test.start] && t.entry_time <= c.ts[w.test.end - 1])
            .unwrap_or_else(|| panic!("trade entered outside every test window: {t:?}"));
        assert!(t.exit_time <= c.ts[w.test.end - 1], "{t:?}");
    }
    // Deterministic, and the CSV names the symbol.
    let again = bt
        .walk_forward(
            Instrument::new("SYN", &c),
            &grids,
            &windows,
            &VolTercileLabeler::default(),
        )
        .unwrap();
    assert_eq!(again.results, rep.results);
    assert_eq!(again.trades, rep.trades);
    let csv = rep.to_csv_string("SYN");
    assert_eq!(csv.lines().count(), 1 + rep.results.len());
}

#[derive(Clone)]
struct FitProbe {
    fitted_on: Option<i64>,
}
impl Strategy for FitProbe {
    fn name(&self) -> &str {
        "fit_probe"
    }
    fn fit(&mut self, train: &Candles) -> backtest::Result<()> {
        self.fitted_on = train.ts.last().copied();
        Ok(())
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> backtest::Position {
        // Every decision must come after the train span it was fit on.
        let fitted = self.fitted_on.expect("fit must run before trading");
        assert!(view.ts()[0] <= fitted);
        backtest::Position::Long
    }
}

#[test]
fn strategies_are_fit_on_each_train_window_before_trading() {
    let c = synthetic(32, 2_000);
    let windows = walk_forward(&c, 600, 200, 200).unwrap();
    let grids = vec![StrategyGrid::single(Box::new(FitProbe { fitted_on: None }))];
    let rep = Backtest::default()
        .walk_forward(
            Instrument::new("SYN", &c),
            &grids,
            &windows,
            &VolTercileLabeler::default(),
        )
        .unwrap();
    // Long through each test window: exactly one trade per window, closed at its end.
    assert_eq!(rep.trades.len(), windows.len());
    for (t, w) in rep.trades.iter().zip(&windows) {
        assert_eq!(t.entry_time, c.ts[w.test.start]);
        assert_eq!(t.exit_time, c.ts[w.test.end - 1]);
    }
}

//! Walk-forward evaluation: rolling train/test windows, so that parameter
//! choices and regime cut points are fit on the past and judged on the
//! following, unseen bars.
//!
//! For every window and every [`StrategyGrid`]:
//! 1. the regime labeller is fit on the train bars only;
//! 2. each candidate is cloned, [`Strategy::fit`] on the train bars, and
//!    simulated on them; the candidate with the highest per-bar Sharpe
//!    wins (first on ties);
//! 3. a fresh clone of the winner, fit on the train bars, is simulated on
//!    train + test bars with its first trading decision at the last train
//!    close (filled at the first test open), so its indicators are warm but
//!    every trade, return and metric covers test bars only: from the close
//!    of the last train bar to the close of the last test bar. Positions
//!    still open at the end of the test window are closed at its last close.

use crate::engine::{
    Backtest, Instrument, SimOutput, SymbolInput, all_timeframes, build_frames, check_inputs,
    simulate,
};
use crate::error::{BacktestError, Result};
use crate::io::{fmt_f, push_text};
use crate::regime::RegimeLabeler;
use crate::report::{Trade, max_drawdown, sharpe};
use crate::strategy::{Strategy, check_name};
use market::{Candles, format_ts_utc};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

/// One train/test split of a walk-forward run (bar index ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkWindow {
    pub index: usize,
    pub train: Range<usize>,
    pub test: Range<usize>,
}

/// Rolling windows over `candles`: train `[s, s + train_bars)`, test
/// `[s + train_bars, s + train_bars + test_bars)` for `s = 0, step, ...`
/// while the test window fits. `step == test_bars` gives back-to-back,
/// non-overlapping test windows.
pub fn walk_forward(
    candles: &Candles,
    train_bars: usize,
    test_bars: usize,
    step: usize,
) -> Result<Vec<WalkWindow>> {
    if train_bars < 2 {
        return Err(BacktestError::invalid_param(
            "train_bars",
            train_bars,
            "must be at least 2 bars",
        ));
    }
    if test_bars < 2 {
        return Err(BacktestError::invalid_param(
            "test_bars",
            test_bars,
            "must be at least 2 bars (one decision and one fill)",
        ));
    }
    if step == 0 {
        return Err(BacktestError::invalid_param(
            "step",
            step,
            "must be at least 1 bar",
        ));
    }
    let n = candles.len();
    let mut out = Vec::new();
    let mut s = 0usize;
    while s + train_bars + test_bars <= n {
        out.push(WalkWindow {
            index: out.len(),
            train: s..s + train_bars,
            test: s + train_bars..s + train_bars + test_bars,
        });
        s += step;
    }
    if out.is_empty() {
        return Err(BacktestError::InvalidData(format!(
            "{n} bars are fewer than one train window ({train_bars}) plus one test window ({test_bars})"
        )));
    }
    Ok(out)
}

/// Candidate parameter sets of one strategy; walk-forward picks one per
/// window on the train bars.
#[derive(Debug, Clone)]
pub struct StrategyGrid {
    name: String,
    candidates: Vec<Box<dyn Strategy>>,
}

impl StrategyGrid {
    /// A grid named `name` (the strategy column of the report).
    pub fn new(name: impl Into<String>, candidates: Vec<Box<dyn Strategy>>) -> Result<Self> {
        let name = name.into();
        check_name("grid name", &name)?;
        if candidates.is_empty() {
            return Err(BacktestError::invalid_param(
                "candidates",
                0,
                "a grid needs at least one strategy",
            ));
        }
        Ok(Self { name, candidates })
    }

    /// A single fixed strategy (no selection), named after it.
    pub fn single(strategy: Box<dyn Strategy>) -> Self {
        Self {
            name: strategy.name().to_owned(),
            candidates: vec![strategy],
        }
    }

    /// The grid's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The candidates.
    pub fn candidates(&self) -> &[Box<dyn Strategy>] {
        &self.candidates
    }
}

/// Out-of-sample numbers of one strategy grid on one test window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowResult {
    pub window: usize,
    pub strategy: String,
    /// [`Strategy::describe`] of the chosen candidate.
    pub chosen: String,
    /// Train-span per-bar Sharpe of the chosen candidate.
    pub train_sharpe: f64,
    pub train_start_ts: i64,
    pub train_end_ts: i64,
    pub test_start_ts: i64,
    pub test_end_ts: i64,
    /// Equity growth over the test window (`end / start - 1`).
    pub test_return: f64,
    /// Per-bar Sharpe over the test window, not annualised.
    pub test_sharpe: f64,
    pub test_max_drawdown: f64,
    pub test_trades: usize,
    pub test_win_rate: f64,
}

/// The result of a walk-forward run.
#[derive(Debug, Clone)]
pub struct WalkForwardReport {
    pub windows: Vec<WalkWindow>,
    /// By window, then grid order.
    pub results: Vec<WindowResult>,
    /// Every out-of-sample trade (test windows only), by window then grid,
    /// named after the grid.
    pub trades: Vec<Trade>,
}

/// Header of `walk_forward.csv`.
pub const WALK_FORWARD_COLUMNS: [&str; 14] = [
    "window",
    "strategy",
    "chosen",
    "train_start",
    "train_end",
    "test_start",
    "test_end",
    "train_sharpe",
    "test_return",
    "test_sharpe",
    "test_max_drawdown",
    "test_trades",
    "test_win_rate",
    "symbol",
];

impl WalkForwardReport {
    /// Per-window results as CSV ([`WALK_FORWARD_COLUMNS`], times RFC 3339).
    pub fn to_csv_string(&self, symbol: &str) -> String {
        let mut s = WALK_FORWARD_COLUMNS.join(",");
        s.push('\n');
        for r in &self.results {
            let _ = write!(s, "{},", r.window);
            push_text(&mut s, &r.strategy);
            s.push(',');
            push_text(&mut s, &r.chosen);
            for t in [
                r.train_start_ts,
                r.train_end_ts,
                r.test_start_ts,
                r.test_end_ts,
            ] {
                s.push(',');
                s.push_str(&format_ts_utc(t));
            }
            for v in [
                r.train_sharpe,
                r.test_return,
                r.test_sharpe,
                r.test_max_drawdown,
            ] {
                s.push(',');
                fmt_f(&mut s, v);
            }
            let _ = write!(s, ",{},", r.test_trades);
            fmt_f(&mut s, r.test_win_rate);
            s.push(',');
            push_text(&mut s, symbol);
            s.push('\n');
        }
        s
    }

    /// Write `walk_forward.csv` atomically.
    pub fn write_csv(&self, path: &Path, symbol: &str) -> Result<()> {
        agent_core::write_atomic(path, self.to_csv_string(symbol).as_bytes())?;
        Ok(())
    }
}

impl Backtest {
    /// Walk-forward over one instrument (see the module docs). The
    /// simulator's `warmup` applies inside each slice, so `train_bars` must
    /// exceed it.
    pub fn walk_forward(
        &self,
        instrument: Instrument<'_>,
        grids: &[StrategyGrid],
        windows: &[WalkWindow],
        labeler: &dyn RegimeLabeler,
    ) -> Result<WalkForwardReport> {
        if grids.is_empty() {
            return Err(BacktestError::InvalidData("no strategy grids given".into()));
        }
        let all: Vec<Box<dyn Strategy>> = grids
            .iter()
            .flat_map(|g| g.candidates.iter().cloned())
            .collect();
        // Candidate names may repeat across a grid; check symbols and data.
        check_inputs(&[instrument], &all[..1])?;
        for (k, g) in grids.iter().enumerate() {
            if grids[..k].iter().any(|o| o.name == g.name) {
                return Err(BacktestError::invalid_param(
                    "grid name",
                    &g.name,
                    "appears twice",
                ));
            }
            for c in &g.candidates {
                check_name("strategy name", c.name())?;
            }
        }
        let p = self.params();
        let c = instrument.candles;
        let timeframes = all_timeframes(&all);
        let mut report = WalkForwardReport {
            windows: windows.to_vec(),
            results: Vec::new(),
            trades: Vec::new(),
        };
        for w in windows {
            if w.train.is_empty() || w.train.end != w.test.start || w.test.end > c.len() {
                return Err(BacktestError::InvalidData(format!(
                    "window {} (train {:?}, test {:?}) does not fit {} bars with the test right after the train span",
                    w.index,
                    w.train,
                    w.test,
                    c.len()
                )));
            }
            let train = c.slice(w.train.clone());
            let full = c.slice(w.train.start..w.test.end);
            let regime = labeler.fit(&train)?;
            let train_frames = build_frames(&train, &timeframes)?;
            let full_frames = build_frames(&full, &timeframes)?;
            for g in grids {
                let mut best: Option<(usize, f64)> = None;
                for (k, cand) in g.candidates.iter().enumerate() {
                    let mut s = cand.clone();
                    s.fit(&train)?;
                    let start = p.warmup.max(s.warmup()).max(labeler.min_history());
                    if start + 2 > train.len() {
                        return Err(BacktestError::invalid_param(
                            "train_bars",
                            train.len(),
                            "must exceed the warm-up (simulator warmup, strategy warmup and regime history) by at least 2 bars",
                        ));
                    }
                    let input = SymbolInput {
                        symbol: instrument.symbol,
                        candles: &train,
                        frames: &train_frames,
                        regime: regime.as_ref(),
                        call_from: start,
                        trade_from: start,
                    };
                    let out = simulate(p, &[input], s.as_ref(), p.initial_equity);
                    let sh = sharpe(&out.curve.returns());
                    let sh = if sh.is_nan() { f64::NEG_INFINITY } else { sh };
                    if best.is_none_or(|(_, b)| sh > b) {
                        best = Some((k, sh));
                    }
                }
                let (k, train_sharpe) = best.unwrap_or((0, f64::NAN));
                let mut s = g.candidates[k].clone();
                s.fit(&train)?;
                let start = p.warmup.max(s.warmup()).max(labeler.min_history());
                let input = SymbolInput {
                    symbol: instrument.symbol,
                    candles: &full,
                    frames: &full_frames,
                    regime: regime.as_ref(),
                    call_from: start,
                    // Decided at the last train close, filled at the first test open.
                    trade_from: (train.len() - 1).max(start),
                };
                let out: SimOutput = simulate(p, &[input], s.as_ref(), p.initial_equity);
                let eq = &out.curve.equity;
                let test_return = match (eq.first(), eq.last()) {
                    (Some(a), Some(b)) => b / a - 1.0,
                    _ => 0.0,
                };
                let wins = out.trades.iter().filter(|t| t.pnl > 0.0).count();
                report.results.push(WindowResult {
                    window: w.index,
                    strategy: g.name.clone(),
                    chosen: s.describe(),
                    train_sharpe,
                    train_start_ts: c.ts[w.train.start],
                    train_end_ts: c.ts[w.train.end - 1],
                    test_start_ts: c.ts[w.test.start],
                    test_end_ts: c.ts[w.test.end - 1],
                    test_return,
                    test_sharpe: sharpe(&out.curve.returns()),
                    test_max_drawdown: max_drawdown(eq),
                    test_trades: out.trades.len(),
                    test_win_rate: if out.trades.is_empty() {
                        0.0
                    } else {
                        wins as f64 / out.trades.len() as f64
                    },
                });
                report.trades.extend(out.trades.into_iter().map(|mut t| {
                    t.strategy = g.name.clone();
                    t
                }));
            }
        }
        Ok(report)
    }
}

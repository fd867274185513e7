//! Per-window strategy returns: the PPO and meta-selector input, in the
//! layout of SPEC T2's `strategy_returns_btc_1h.csv`.
//!
//! The bar-return model is the SPEC's: a position decided at the close of
//! bar `t` (from bars `0..=t`) earns bar `t+1`'s close-to-close return, and a
//! fee of `fee_per_unit` per unit of position change is charged on the first
//! bar the new position is held:
//! `r[t] = p[t-1] (c[t]/c[t-1] - 1) - fee |p[t-1] - p[t-2]|`.
//! Windows of `window_bars` bars start right after the warm-up; each row
//! carries the T0 context at the window's last bar, the window's
//! volatility-tercile regime (cut points from the train windows only) and
//! the train flag.
//!
//! Several series (symbols, timeframes) pool into one table
//! ([`StrategyReturns::compute_pooled`]): each series is windowed as above
//! and the train/test split is by time across all of them, at one cut
//! timestamp, so no series' future is in another's training rows.

use crate::error::{BacktestError, Result};
use crate::io::{Table, fmt_f, push_text};
use crate::regime::VolTerciles;
use crate::strategies::spec_t2_strategies;
use crate::strategy::{Strategy, check_name, target_positions_mtf};
use market::Candles;
use std::fmt::Write as _;
use std::path::Path;

/// The context columns, T0 features at each window's last bar, in order.
pub const CTX: [&str; 7] = [
    "ctx_lr_24",
    "ctx_vol_24",
    "ctx_vol_72",
    "ctx_rsi_14",
    "ctx_zscore_20",
    "ctx_vol_z_20",
    "ctx_atr_14_rel",
];

/// Column of each [`CTX`] entry in `market::FEATURES`.
const CTX_FEATURE_INDEX: [usize; 7] = [4, 6, 7, 8, 9, 10, 11];

/// Layout of the windows and the bar-return model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowSpec {
    /// First decision bar (positions are flat before); the first window
    /// starts at `start + 1`. At least 72 so every context feature exists.
    pub start: usize,
    /// Bars per window (>= 1).
    pub window_bars: usize,
    /// Fee per unit of position change (0.001 = 0.1%).
    pub fee_per_unit: f64,
    /// Fraction of windows that are train: the cut timestamp is the end time
    /// of window `max(1, floor(f * W))` in the order of end times (`W` windows
    /// over every series; for one series the leading `floor(f * W)`).
    pub train_fraction: f64,
    /// An explicit cut timestamp (epoch ms) instead of `train_fraction`:
    /// train windows end at or before it, test windows start after it (a
    /// walk-forward fold's last training bar).
    pub cut_ts: Option<i64>,
}

impl WindowSpec {
    /// SPEC T2: start 72, 24-bar windows, fee 0.001, 80% train windows.
    pub fn spec_t2() -> Self {
        Self {
            start: 72,
            window_bars: 24,
            fee_per_unit: 0.001,
            train_fraction: 0.8,
            cut_ts: None,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.start < market::features::WARMUP_BARS {
            return Err(BacktestError::invalid_param(
                "start",
                self.start,
                "must be at least 72 (the context feature vol_72 needs 72 returns)",
            ));
        }
        if self.window_bars == 0 {
            return Err(BacktestError::invalid_param(
                "window_bars",
                self.window_bars,
                "must be at least 1 bar",
            ));
        }
        if !(self.fee_per_unit >= 0.0 && self.fee_per_unit < 1.0) {
            return Err(BacktestError::invalid_param(
                "fee_per_unit",
                self.fee_per_unit,
                "must be in [0, 1)",
            ));
        }
        if !(self.train_fraction > 0.0 && self.train_fraction <= 1.0) {
            return Err(BacktestError::invalid_param(
                "train_fraction",
                self.train_fraction,
                "must be in (0, 1]",
            ));
        }
        Ok(())
    }
}

impl Default for WindowSpec {
    fn default() -> Self {
        Self::spec_t2()
    }
}

/// Per-window returns of several strategies with context, regime and split.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyReturns {
    /// Strategy names (the `ret_<name>` columns), in order.
    pub strategies: Vec<String>,
    /// Symbol of each window's series (empty when not known, as in SPEC
    /// T2's file).
    pub symbol: Vec<String>,
    /// Bar interval of each window's series (`1h`, from
    /// `market::format_interval`; empty when not known).
    pub timeframe: Vec<String>,
    pub first_bar: Vec<usize>,
    pub last_bar: Vec<usize>,
    pub start_ts: Vec<i64>,
    pub end_ts: Vec<i64>,
    /// `returns[w][k]` = `prod_{t in w}(1 + r_k[t]) - 1`.
    pub returns: Vec<Vec<f64>>,
    /// `ctx[w]` in [`CTX`] order.
    pub ctx: Vec<[f64; 7]>,
    /// Tercile of `ctx_vol_24` with the train windows' cut points.
    pub regime: Vec<u8>,
    /// Number of train windows (the first `n_train` rows). Train windows end
    /// at or before the cut timestamp, test windows start after it.
    pub n_train: usize,
    /// The regime cut points (fit on train windows).
    pub q1: f64,
    pub q2: f64,
}

/// Simple bar returns of a position path under the SPEC model (see the
/// module docs); `r[t] = 0` for `t <= start`. `positions[t]` is -1, 0 or 1.
pub fn bar_returns(close: &[f64], positions: &[i8], start: usize, fee_per_unit: f64) -> Vec<f64> {
    let n = close.len().min(positions.len());
    let mut r = vec![0.0; n];
    let p = |t: usize| f64::from(positions[t]);
    for t in (start + 1).max(2)..n {
        r[t] =
            p(t - 1) * (close[t] / close[t - 1] - 1.0) - fee_per_unit * (p(t - 1) - p(t - 2)).abs();
    }
    r
}

impl StrategyReturns {
    /// Run `strategies` (positions from [`crate::target_positions`], asked
    /// from `spec.start`) over `candles` and lay the returns out in windows.
    /// The symbol column is empty; see [`StrategyReturns::compute_pooled`].
    pub fn compute(
        candles: &Candles,
        strategies: &[Box<dyn Strategy>],
        spec: &WindowSpec,
    ) -> Result<StrategyReturns> {
        Self::compute_pooled(&[("", candles)], strategies, spec)
    }

    /// [`StrategyReturns::compute`] over several series `(symbol, candles)`,
    /// pooled into one table.
    ///
    /// Each series is windowed on its own. The split is by time: the cut
    /// timestamp is the end time of window `max(1, floor(train_fraction *
    /// W))` of all `W` windows sorted by end time; train windows end at or
    /// before the cut, test windows start after it, and a window that
    /// straddles the cut is dropped. For one series this is the leading
    /// `floor(train_fraction * W)` windows. Rows are ordered by (split,
    /// symbol, timeframe, start time), so each series' windows are
    /// contiguous and in time order within each split; the regime cut
    /// points are fit on the pooled train windows only. A (symbol,
    /// timeframe) pair may appear once.
    pub fn compute_pooled(
        series: &[(&str, &Candles)],
        strategies: &[Box<dyn Strategy>],
        spec: &WindowSpec,
    ) -> Result<StrategyReturns> {
        spec.validate()?;
        if strategies.is_empty() {
            return Err(BacktestError::InvalidData("no strategies given".into()));
        }
        if series.is_empty() {
            return Err(BacktestError::InvalidData("no candle series given".into()));
        }
        for (k, s) in strategies.iter().enumerate() {
            check_name("strategy name", s.name())?;
            if strategies[..k].iter().any(|o| o.name() == s.name()) {
                return Err(BacktestError::invalid_param(
                    "strategy name",
                    s.name(),
                    "appears twice; rename one with `.named(...)`",
                ));
            }
        }
        let (keys, windows) = pooled_windows(series, spec)?;
        let ts = |&(i, first, last): &(usize, usize, usize)| {
            (series[i].1.ts[first], series[i].1.ts[last])
        };
        let cut_ts = cut_of(&windows, series, spec);
        // (split: 0 train / 1 test, series key, start time) order.
        let mut rows: Vec<(u8, usize, usize, usize)> = windows
            .iter()
            .filter_map(|w| {
                let (start, end) = ts(w);
                if end <= cut_ts {
                    Some((0, w.0, w.1, w.2))
                } else if start > cut_ts {
                    Some((1, w.0, w.1, w.2))
                } else {
                    None
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.0, &keys[a.1], series[a.1].1.ts[a.2]).cmp(&(b.0, &keys[b.1], series[b.1].1.ts[b.2]))
        });
        let n_train = rows.iter().take_while(|r| r.0 == 0).count();
        let w_count = rows.len();

        let mut out = StrategyReturns {
            strategies: strategies.iter().map(|s| s.name().to_owned()).collect(),
            symbol: Vec::with_capacity(w_count),
            timeframe: Vec::with_capacity(w_count),
            first_bar: Vec::with_capacity(w_count),
            last_bar: Vec::with_capacity(w_count),
            start_ts: Vec::with_capacity(w_count),
            end_ts: Vec::with_capacity(w_count),
            returns: vec![Vec::with_capacity(strategies.len()); w_count],
            ctx: vec![[0.0; 7]; w_count],
            regime: Vec::with_capacity(w_count),
            n_train,
            q1: f64::NAN,
            q2: f64::NAN,
        };
        for (i, (_, candles)) in series.iter().enumerate() {
            let mine: Vec<usize> = (0..w_count).filter(|&r| rows[r].1 == i).collect();
            if mine.is_empty() {
                continue;
            }
            let feats = market::feature_matrix(candles);
            let mut bar_rets = Vec::with_capacity(strategies.len());
            for s in strategies {
                let pos: Vec<i8> = target_positions_mtf(s.as_ref(), candles, spec.start)?
                    .iter()
                    .map(|p| p.sign())
                    .collect();
                bar_rets.push(bar_returns(
                    &candles.close,
                    &pos,
                    spec.start,
                    spec.fee_per_unit,
                ));
            }
            for r in mine {
                let (_, _, first, last) = rows[r];
                out.ctx[r] = CTX_FEATURE_INDEX.map(|k| feats[[last, k]]);
                out.returns[r] = bar_rets
                    .iter()
                    .map(|br| br[first..=last].iter().fold(1.0, |g, rt| g * (1.0 + rt)) - 1.0)
                    .collect();
            }
        }
        for &(_, i, first, last) in &rows {
            let candles = series[i].1;
            out.symbol.push(keys[i].0.clone());
            out.timeframe.push(keys[i].1.clone());
            out.first_bar.push(first);
            out.last_bar.push(last);
            out.start_ts.push(candles.ts[first]);
            out.end_ts.push(candles.ts[last]);
        }
        let train_vol: Vec<f64> = out.ctx[..n_train].iter().map(|c| c[1]).collect();
        let cuts = VolTerciles::from_values(24, &train_vol)?;
        out.q1 = cuts.q1;
        out.q2 = cuts.q2;
        out.regime = out.ctx.iter().map(|c| cuts.label_value(c[1])).collect();
        Ok(out)
    }

    /// The training rows alone, split again in time at `train_fraction`
    /// (the same rule as [`WindowSpec::train_fraction`]: the cut is the end
    /// time of window `max(1, floor(f * W))` in end-time order; windows
    /// straddling it are dropped), with regime cut points refit on the new
    /// training rows. For a model that must never see this table's test
    /// rows: a walk-forward fold trains its selectors on this and trades
    /// the test rows itself.
    pub fn train_part(&self, train_fraction: f64) -> Result<StrategyReturns> {
        if !(train_fraction > 0.0 && train_fraction < 1.0) {
            return Err(BacktestError::invalid_param(
                "train_fraction",
                train_fraction,
                "must be in (0, 1)",
            ));
        }
        let n = self.n_train;
        let mut ends: Vec<i64> = self.end_ts[..n].to_vec();
        ends.sort_unstable();
        if ends.len() < 2 {
            return Err(BacktestError::InvalidData(format!(
                "{n} training windows cannot be split again"
            )));
        }
        let k = ((train_fraction * ends.len() as f64).floor() as usize).clamp(1, ends.len() - 1);
        let cut = ends[k - 1];
        let mut rows: Vec<(u8, usize)> = (0..n)
            .filter_map(|w| {
                if self.end_ts[w] <= cut {
                    Some((0, w))
                } else if self.start_ts[w] > cut {
                    Some((1, w))
                } else {
                    None
                }
            })
            .collect();
        // (split, series, start time), as `compute_pooled` orders rows.
        rows.sort_by(|a, b| {
            (
                a.0,
                &self.symbol[a.1],
                &self.timeframe[a.1],
                self.start_ts[a.1],
            )
                .cmp(&(
                    b.0,
                    &self.symbol[b.1],
                    &self.timeframe[b.1],
                    self.start_ts[b.1],
                ))
        });
        let idx: Vec<usize> = rows.iter().map(|&(_, w)| w).collect();
        let n_train = rows.iter().take_while(|r| r.0 == 0).count();
        if n_train == 0 || n_train == idx.len() {
            return Err(BacktestError::InvalidData(
                "the training windows do not split into two non-empty periods".into(),
            ));
        }
        let mut part = self.rows(&idx, n_train);
        let train_vol: Vec<f64> = part.ctx[..n_train].iter().map(|c| c[1]).collect();
        let cuts = VolTerciles::from_values(24, &train_vol)?;
        part.regime = part.ctx.iter().map(|c| cuts.label_value(c[1])).collect();
        part.q1 = cuts.q1;
        part.q2 = cuts.q2;
        Ok(part)
    }

    /// The rows `idx` (in that order), the first `n_train` of them train;
    /// regime labels and cut points as they are.
    pub fn rows(&self, idx: &[usize], n_train: usize) -> StrategyReturns {
        StrategyReturns {
            strategies: self.strategies.clone(),
            symbol: idx.iter().map(|&w| self.symbol[w].clone()).collect(),
            timeframe: idx.iter().map(|&w| self.timeframe[w].clone()).collect(),
            first_bar: idx.iter().map(|&w| self.first_bar[w]).collect(),
            last_bar: idx.iter().map(|&w| self.last_bar[w]).collect(),
            start_ts: idx.iter().map(|&w| self.start_ts[w]).collect(),
            end_ts: idx.iter().map(|&w| self.end_ts[w]).collect(),
            returns: idx.iter().map(|&w| self.returns[w].clone()).collect(),
            ctx: idx.iter().map(|&w| self.ctx[w]).collect(),
            regime: idx.iter().map(|&w| self.regime[w]).collect(),
            n_train: n_train.min(idx.len()),
            q1: self.q1,
            q2: self.q2,
        }
    }

    /// The row ranges of each (symbol, timeframe) series within the train
    /// rows and within the test rows, in row order: consumers that look
    /// back over previous windows restart at each range.
    pub fn series_ranges(&self) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut from = 0;
        for w in 1..=self.len() {
            if w == self.len()
                || w == self.n_train
                || self.symbol[w] != self.symbol[w - 1]
                || self.timeframe[w] != self.timeframe[w - 1]
            {
                if from < w {
                    out.push(from..w);
                }
                from = w;
            }
        }
        out
    }

    /// The window after `w` in `w`'s series (same symbol and timeframe),
    /// if any: `w + 1` within a run, and from a series' last train window
    /// its first test window.
    pub fn next_window(&self, w: usize) -> Option<usize> {
        let n = self.len();
        let same =
            |v: usize| self.symbol[v] == self.symbol[w] && self.timeframe[v] == self.timeframe[w];
        if w + 1 < n && w + 1 != self.n_train && same(w + 1) {
            Some(w + 1)
        } else if w < self.n_train {
            (self.n_train..n).find(|&v| same(v))
        } else {
            None
        }
    }

    /// True when every window belongs to one (symbol, timeframe) series.
    pub fn is_one_series(&self) -> bool {
        (1..self.len())
            .all(|w| self.symbol[w] == self.symbol[0] && self.timeframe[w] == self.timeframe[0])
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.first_bar.len()
    }

    /// True without windows.
    pub fn is_empty(&self) -> bool {
        self.first_bar.is_empty()
    }

    /// The CSV header: `symbol, timeframe, window, first_bar, last_bar,
    /// start_ts, end_ts, ret_<strategy>..., ctx_* (7), regime, is_train`
    /// (SPEC T2's layout after the two leading columns).
    pub fn columns(&self) -> Vec<String> {
        let mut c: Vec<String> = [
            "symbol",
            "timeframe",
            "window",
            "first_bar",
            "last_bar",
            "start_ts",
            "end_ts",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        c.extend(self.strategies.iter().map(|s| format!("ret_{s}")));
        c.extend(CTX.iter().map(|s| s.to_string()));
        c.push("regime".into());
        c.push("is_train".into());
        c
    }

    /// The table as CSV text (timestamps as epoch ms, floats as Python repr).
    pub fn to_csv_string(&self) -> String {
        let mut s = String::with_capacity(self.len() * 400 + 256);
        let cols = self.columns();
        for (k, c) in cols.iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            push_text(&mut s, c);
        }
        s.push('\n');
        for w in 0..self.len() {
            push_text(&mut s, &self.symbol[w]);
            s.push(',');
            push_text(&mut s, &self.timeframe[w]);
            let _ = write!(
                s,
                ",{w},{},{},{},{}",
                self.first_bar[w], self.last_bar[w], self.start_ts[w], self.end_ts[w]
            );
            for &v in self.returns[w].iter().chain(&self.ctx[w]) {
                s.push(',');
                fmt_f(&mut s, v);
            }
            let _ = writeln!(s, ",{},{}", self.regime[w], u8::from(w < self.n_train));
        }
        s
    }

    /// Write the table atomically.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        agent_core::write_atomic(path, self.to_csv_string().as_bytes())?;
        Ok(())
    }

    /// Read a table (ours or the SPEC's file, which has no `symbol` and
    /// `timeframe` columns: those read as empty). Strategies come from the
    /// `ret_*` columns; train rows must come first; with a `symbol` column,
    /// each series' rows must be contiguous and in time order within the
    /// train rows and within the test rows; the cut points are recomputed
    /// from the train rows' `ctx_vol_24`.
    pub fn read_csv(path: &Path) -> Result<StrategyReturns> {
        let bytes = crate::io::read_data_file(path)?;
        Self::parse_csv(&bytes, &path.display().to_string())
    }

    /// [`StrategyReturns::read_csv`] on bytes.
    pub fn parse_csv(bytes: &[u8], source: &str) -> Result<StrategyReturns> {
        let mut required = vec!["window", "first_bar", "last_bar", "start_ts", "end_ts"];
        required.extend(CTX);
        required.extend(["regime", "is_train"]);
        let table = Table::parse(bytes, source, &required)?;
        let strategies: Vec<String> = table
            .header()
            .iter()
            .filter_map(|h| h.strip_prefix("ret_").map(str::to_owned))
            .collect();
        if strategies.is_empty() {
            return Err(BacktestError::Csv {
                file: source.to_owned(),
                line: 1,
                column: "ret_*".into(),
                why: "no strategy return columns (ret_<strategy>) in the header".into(),
            });
        }
        let n = table.len();
        let has_symbol = table.header().iter().any(|h| h == "symbol");
        let has_timeframe = table.header().iter().any(|h| h == "timeframe");
        let mut out = StrategyReturns {
            strategies: strategies.clone(),
            symbol: Vec::with_capacity(n),
            timeframe: Vec::with_capacity(n),
            first_bar: Vec::with_capacity(n),
            last_bar: Vec::with_capacity(n),
            start_ts: Vec::with_capacity(n),
            end_ts: Vec::with_capacity(n),
            returns: Vec::with_capacity(n),
            ctx: Vec::with_capacity(n),
            regime: Vec::with_capacity(n),
            n_train: 0,
            q1: f64::NAN,
            q2: f64::NAN,
        };
        let ret_cols: Vec<String> = strategies.iter().map(|s| format!("ret_{s}")).collect();
        let mut seen_test = false;
        // (symbol, timeframe, train) of each run of rows seen so far.
        let mut done: Vec<(String, String, bool)> = Vec::new();
        for row in table.rows() {
            let symbol = if has_symbol {
                row.text("symbol")?.to_owned()
            } else {
                String::new()
            };
            let timeframe = if has_timeframe {
                row.text("timeframe")?.to_owned()
            } else {
                String::new()
            };
            out.first_bar.push(row.parse("first_bar")?);
            out.last_bar.push(row.parse("last_bar")?);
            out.start_ts.push(row.parse("start_ts")?);
            out.end_ts.push(row.parse("end_ts")?);
            let mut r = Vec::with_capacity(ret_cols.len());
            for c in &ret_cols {
                r.push(row.float(c)?);
            }
            out.returns.push(r);
            let mut ctx = [0.0; 7];
            for (k, c) in CTX.iter().enumerate() {
                ctx[k] = row.float(c)?;
            }
            out.ctx.push(ctx);
            out.regime.push(row.parse("regime")?);
            let train = match row.parse::<u8>("is_train")? {
                1 if seen_test => {
                    return Err(row.err(
                        "is_train",
                        "a train row after a test row; train windows must come first".into(),
                    ));
                }
                1 => {
                    out.n_train += 1;
                    true
                }
                0 => {
                    seen_test = true;
                    false
                }
                _ => return Err(row.err("is_train", "is not 0 or 1".into())),
            };
            if has_symbol || has_timeframe {
                let key = (symbol.clone(), timeframe.clone(), train);
                let w = out.symbol.len();
                if done.last() == Some(&key) {
                    if out.start_ts[w] <= out.start_ts[w - 1] {
                        return Err(row.err(
                            "start_ts",
                            "is not after the previous window of the same series".into(),
                        ));
                    }
                } else if done.contains(&key) {
                    return Err(row.err(
                        "symbol",
                        "the windows of a series must be contiguous within the train rows \
                         and within the test rows"
                            .into(),
                    ));
                } else {
                    done.push(key);
                }
            }
            out.symbol.push(symbol);
            out.timeframe.push(timeframe);
        }
        if out.n_train > 0 {
            let train_vol: Vec<f64> = out.ctx[..out.n_train].iter().map(|c| c[1]).collect();
            if let Ok(cuts) = VolTerciles::from_values(24, &train_vol) {
                out.q1 = cuts.q1;
                out.q2 = cuts.q2;
            }
        }
        Ok(out)
    }
}

/// SPEC T2's `strategy_returns_btc_1h.csv` from the raw candles: the five
/// T2 strategies under [`WindowSpec::spec_t2`].
pub fn spec_t2_strategy_returns(candles: &Candles) -> Result<StrategyReturns> {
    StrategyReturns::compute(candles, &spec_t2_strategies(), &WindowSpec::spec_t2())
}

/// Each series' (symbol, timeframe) and every window as (series, first
/// bar, last bar); checks the candles and that a pair appears once.
type PooledWindows = (Vec<(String, String)>, Vec<(usize, usize, usize)>);

fn pooled_windows(series: &[(&str, &Candles)], spec: &WindowSpec) -> Result<PooledWindows> {
    spec.validate()?;
    if series.is_empty() {
        return Err(BacktestError::InvalidData("no candle series given".into()));
    }
    let mut keys: Vec<(String, String)> = Vec::with_capacity(series.len());
    let mut windows: Vec<(usize, usize, usize)> = Vec::new();
    for (i, (symbol, candles)) in series.iter().enumerate() {
        let what = if symbol.is_empty() {
            "candles".to_owned()
        } else {
            format!("candles of {symbol}")
        };
        candles.validate(&what)?;
        let timeframe = candles
            .interval_ms()
            .map(market::format_interval)
            .unwrap_or_default();
        let key = ((*symbol).to_owned(), timeframe);
        if keys.contains(&key) {
            return Err(BacktestError::InvalidData(format!(
                "two series of symbol `{}` at timeframe `{}`; give each pair once",
                key.0, key.1
            )));
        }
        keys.push(key);
        let n = candles.len();
        let w_count = n.saturating_sub(1 + spec.start) / spec.window_bars;
        if w_count == 0 {
            return Err(BacktestError::InvalidData(format!(
                "{what}: {n} bars hold no complete {}-bar window after bar {}",
                spec.window_bars, spec.start
            )));
        }
        for w in 0..w_count {
            let first = spec.start + 1 + w * spec.window_bars;
            windows.push((i, first, first + spec.window_bars - 1));
        }
    }
    Ok((keys, windows))
}

/// The split's cut timestamp: the end time of window `max(1, floor(f * W))`
/// of all `W` windows sorted by end time.
fn cut_of(
    windows: &[(usize, usize, usize)],
    series: &[(&str, &Candles)],
    spec: &WindowSpec,
) -> i64 {
    if let Some(cut) = spec.cut_ts {
        return cut;
    }
    let mut ends: Vec<i64> = windows
        .iter()
        .map(|&(i, _, last)| series[i].1.ts[last])
        .collect();
    ends.sort_unstable();
    let k_cut = ((spec.train_fraction * ends.len() as f64).floor() as usize).clamp(1, ends.len());
    ends[k_cut - 1]
}

/// The cut timestamp [`StrategyReturns::compute_pooled`] splits `series`
/// at: train windows end at or before it, test windows start after it.
/// Models that drive strategies in the table must learn from bars at or
/// before it only.
pub fn pooled_cut_ts(series: &[(&str, &Candles)], spec: &WindowSpec) -> Result<i64> {
    let (_, windows) = pooled_windows(series, spec)?;
    Ok(cut_of(&windows, series, spec))
}

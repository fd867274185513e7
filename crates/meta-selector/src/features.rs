//! Feature building: trailing statistics of each strategy's recent returns
//! plus market context, and the target the meta-selector learns (the
//! strategy's next return). Two sources:
//!
//! - per-window strategy returns ([`StrategyReturns`], SPEC T2's
//!   `strategy_returns_btc_1h.csv`): trailing stats of the last `lookback`
//!   windows and the context of the window before the decision;
//! - trade logs ([`Trade`], the backtester's `trades.csv`): trailing stats of
//!   the last `k` closed trades of a strategy, target = the summed return of
//!   its next `k` trades. Only the trailing trades feed features: the prices
//!   and side of the target trades determine their pnl, and the original
//!   suite's use of them as features was a leak.
//!
//! Nothing here looks ahead: row `t` uses data known when window `t` (or the
//! next trade) starts.

use crate::error::{MetaSelectorError, Result};
use agent_core::persist::{Symlinks, read_bounded};
use agent_core::{CoreError, Dataset};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Largest CSV file read (strategy returns, meta table, trade log; a
/// decade of hourly windows is a few MiB).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Most data rows one CSV file may hold.
pub const MAX_ROWS: usize = 2_000_000;
/// Most columns a CSV header may name.
pub const MAX_COLUMNS: usize = 4096;

/// The whole of a user's data file (which may be a symbolic link they made),
/// bounded by [`MAX_FILE_BYTES`]: a FIFO or device is refused, not read.
fn read_data_file(path: &Path) -> Result<Vec<u8>> {
    Ok(read_bounded(path, MAX_FILE_BYTES, Symlinks::Follow)?)
}

/// Names of the trailing statistics, in feature order.
pub const TRAILING_STATS: [&str; 5] = ["tr_win_rate", "tr_mean", "tr_std", "tr_sharpe", "tr_mdd"];

/// SPEC T2's context columns (T0 features at a window's last bar).
pub const CTX: [&str; 7] = [
    "ctx_lr_24",
    "ctx_vol_24",
    "ctx_vol_72",
    "ctx_rsi_14",
    "ctx_zscore_20",
    "ctx_vol_z_20",
    "ctx_atr_14_rel",
];

/// SPEC T2's 13 features, in order.
pub const META_FEATURES: [&str; 13] = [
    "strategy_id",
    "tr_win_rate",
    "tr_mean",
    "tr_std",
    "tr_sharpe",
    "tr_mdd",
    "ctx_lr_24",
    "ctx_vol_24",
    "ctx_vol_72",
    "ctx_rsi_14",
    "ctx_zscore_20",
    "ctx_vol_z_20",
    "ctx_atr_14_rel",
];

/// Features of the trade-log builder, in order.
pub const TRADE_FEATURES: [&str; 9] = [
    "strategy_id",
    "tr_win_rate",
    "tr_mean",
    "tr_std",
    "tr_sharpe",
    "tr_mdd",
    "tr_trades_per_day",
    "tr_mean_bars_held",
    "ctx_regime",
];

/// Summary of a run of simple returns (window returns or per-trade returns).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrailingStats {
    /// Fraction of returns > 0.
    pub win_rate: f64,
    pub mean: f64,
    /// Sample standard deviation (n-1); 0 below two values.
    pub std: f64,
    /// `mean / std`, 0 when `std` is 0 (not annualised).
    pub sharpe: f64,
    /// Max drawdown of the compounded equity `E_j = prod_{i<=j}(1 + r_i)`
    /// from its running peak, the start (equity 1) counting as a peak.
    pub max_drawdown: f64,
    pub count: usize,
}

impl TrailingStats {
    /// Statistics of `returns` (at least one value, all finite).
    pub fn from_returns(returns: &[f64]) -> Result<Self> {
        if returns.is_empty() {
            return Err(MetaSelectorError::NotEnoughData(
                "trailing statistics need at least one return".into(),
            ));
        }
        if let Some(i) = returns.iter().position(|r| !r.is_finite()) {
            return Err(CoreError::InvalidData(format!(
                "return {i} is not finite ({})",
                returns[i]
            ))
            .into());
        }
        let n = returns.len() as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let std = if returns.len() < 2 {
            0.0
        } else {
            (returns.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (n - 1.0)).sqrt()
        };
        Ok(Self {
            win_rate: returns.iter().filter(|&&r| r > 0.0).count() as f64 / n,
            mean,
            std,
            sharpe: if std == 0.0 { 0.0 } else { mean / std },
            max_drawdown: max_drawdown(returns),
            count: returns.len(),
        })
    }

    /// `[win_rate, mean, std, sharpe, max_drawdown]` ([`TRAILING_STATS`] order).
    pub fn to_array(&self) -> [f64; 5] {
        [
            self.win_rate,
            self.mean,
            self.std,
            self.sharpe,
            self.max_drawdown,
        ]
    }
}

/// Max drawdown of the compounded equity of simple returns, as a fraction
/// of the running peak (the starting equity 1 counts as a peak). The
/// original suite took `max(cummax(pnl) - pnl)` on per-trade pnl, which is
/// not a drawdown of anything; this is the drawdown of the account.
pub fn max_drawdown(returns: &[f64]) -> f64 {
    let mut equity = 1.0f64;
    let mut peak = 1.0f64;
    let mut mdd = 0.0f64;
    for r in returns {
        equity *= 1.0 + r;
        peak = peak.max(equity);
        mdd = mdd.max(1.0 - equity / peak);
    }
    mdd
}

// ---------------------------------------------------------------------------
// Per-window strategy returns

/// Per-window returns of K strategies plus the market context of each
/// window (SPEC T2's `strategy_returns_btc_1h.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyReturns {
    strategy_names: Vec<String>,
    /// W x K simple returns.
    returns: Array2<f64>,
    context_names: Vec<String>,
    /// W x C context known at each window's last bar.
    context: Array2<f64>,
    /// Windows `0..n_train` are the training period.
    n_train: usize,
    /// Series (symbol, timeframe) of each window when several are pooled,
    /// with each window's end time; `None` for one series.
    series: Option<Series>,
}

/// The series of each window of a pooled table and the windows' end times.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    id: Vec<usize>,
    end_ts: Vec<i64>,
}

impl StrategyReturns {
    /// Check shapes and values. `n_train` windows form the training period.
    pub fn new(
        strategy_names: Vec<String>,
        returns: Array2<f64>,
        context_names: Vec<String>,
        context: Array2<f64>,
        n_train: usize,
    ) -> Result<Self> {
        if strategy_names.len() != returns.ncols() {
            return Err(CoreError::Shape {
                what: "strategy_names",
                expected: returns.ncols().to_string(),
                got: strategy_names.len().to_string(),
            }
            .into());
        }
        if strategy_names.is_empty() {
            return Err(CoreError::InvalidData("no strategies".into()).into());
        }
        if context_names.len() != context.ncols() {
            return Err(CoreError::Shape {
                what: "context_names",
                expected: context.ncols().to_string(),
                got: context_names.len().to_string(),
            }
            .into());
        }
        if context.nrows() != returns.nrows() {
            return Err(CoreError::Shape {
                what: "context rows",
                expected: returns.nrows().to_string(),
                got: context.nrows().to_string(),
            }
            .into());
        }
        if n_train > returns.nrows() {
            return Err(CoreError::invalid_param(
                "n_train",
                n_train,
                "exceeds the number of windows",
            )
            .into());
        }
        if let Some(((w, k), v)) = returns.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(CoreError::InvalidData(format!(
                "return of strategy `{}` in window {w} is not finite ({v})",
                strategy_names[k]
            ))
            .into());
        }
        Ok(Self {
            strategy_names,
            returns,
            context_names,
            context,
            n_train,
            series: None,
        })
    }

    /// Mark the windows as pooled from several series: `series[w]` names
    /// window `w`'s series (symbol and timeframe), `end_ts[w]` its end time.
    /// Lags then never cross series (see
    /// [`MetaTable::from_strategy_returns`]). One distinct series is the
    /// plain table.
    pub fn with_series(mut self, series: Vec<usize>, end_ts: Vec<i64>) -> Result<Self> {
        let w = self.n_windows();
        for (what, len) in [("series", series.len()), ("end_ts", end_ts.len())] {
            if len != w {
                return Err(CoreError::Shape {
                    what,
                    expected: w.to_string(),
                    got: len.to_string(),
                }
                .into());
            }
        }
        self.series = if series.iter().any(|&s| s != series[0]) {
            Some(Series { id: series, end_ts })
        } else {
            None
        };
        Ok(self)
    }

    /// Read SPEC T2's layout: every `ret_<name>` column is a strategy, every
    /// `ctx_*` column context, `is_train` (0/1) marks the training windows.
    /// Optional `symbol` and `timeframe` columns (the backtest's pooled
    /// table) name each window's series; with more than one series the
    /// `end_ts` column is required (see [`StrategyReturns::with_series`]).
    pub fn read_csv(path: &Path) -> Result<Self> {
        let bytes = read_data_file(path)?;
        Self::parse_csv(&bytes, path)
    }

    /// [`StrategyReturns::read_csv`] from bytes; `source` names them in errors.
    pub fn parse_csv(bytes: &[u8], source: &Path) -> Result<Self> {
        let table = CsvTable::parse(bytes, source)?;
        let ret_cols: Vec<usize> = table.columns_with_prefix("ret_");
        let ctx_cols: Vec<usize> = table.columns_with_prefix("ctx_");
        if ret_cols.is_empty() {
            return Err(MetaSelectorError::csv(
                source,
                1,
                "no `ret_<strategy>` columns",
            ));
        }
        let is_train = table.column("is_train")?;
        let w = table.n_rows();
        let mut returns = Array2::zeros((w, ret_cols.len()));
        let mut context = Array2::zeros((w, ctx_cols.len()));
        for r in 0..w {
            for (j, &c) in ret_cols.iter().enumerate() {
                returns[[r, j]] = table.value(r, c)?;
            }
            for (j, &c) in ctx_cols.iter().enumerate() {
                context[[r, j]] = table.value(r, c)?;
            }
        }
        let n_train = train_prefix(&table, is_train)?;
        let plain = Self::new(
            ret_cols
                .iter()
                .map(|&c| table.header[c]["ret_".len()..].to_string())
                .collect(),
            returns,
            ctx_cols.iter().map(|&c| table.header[c].clone()).collect(),
            context,
            n_train,
        )?;
        let pos = |name: &str| table.header.iter().position(|h| h == name);
        let (sym, tf) = (pos("symbol"), pos("timeframe"));
        if sym.is_none() && tf.is_none() {
            return Ok(plain);
        }
        let mut keys: Vec<(&str, &str)> = Vec::new();
        let mut ids = Vec::with_capacity(w);
        for r in 0..w {
            let key = (
                sym.map_or("", |c| table.text(r, c)),
                tf.map_or("", |c| table.text(r, c)),
            );
            let id = match keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    keys.push(key);
                    keys.len() - 1
                }
            };
            ids.push(id);
        }
        if keys.len() < 2 {
            return Ok(plain);
        }
        let end = table.column("end_ts")?;
        let end_ts = (0..w)
            .map(|r| table.integer(r, end))
            .collect::<Result<Vec<_>>>()?;
        plain.with_series(ids, end_ts)
    }

    pub fn strategy_names(&self) -> &[String] {
        &self.strategy_names
    }

    pub fn context_names(&self) -> &[String] {
        &self.context_names
    }

    /// W x K window returns.
    pub fn returns(&self) -> &Array2<f64> {
        &self.returns
    }

    /// W x C context.
    pub fn context(&self) -> &Array2<f64> {
        &self.context
    }

    pub fn n_windows(&self) -> usize {
        self.returns.nrows()
    }

    pub fn n_strategies(&self) -> usize {
        self.returns.ncols()
    }

    pub fn n_train(&self) -> usize {
        self.n_train
    }
}

// ---------------------------------------------------------------------------
// The meta table

/// One row per (decision, strategy): features, the strategy's realised next
/// return (target), the decision group (rows of one group compete in a
/// selection) and the timing used to split without leakage.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaTable {
    feature_names: Vec<String>,
    features: Array2<f64>,
    target: Vec<f64>,
    strategy: Vec<usize>,
    strategy_names: Vec<String>,
    group: Vec<i64>,
    decision_time: Vec<i64>,
    target_end: Vec<i64>,
    is_train: Vec<bool>,
    /// Trailing windows per row's statistics, when built from per-window
    /// returns (kept with the model so live ranking uses the same history).
    lookback: Option<usize>,
}

/// The columns of a [`MetaTable`] row besides its features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowMeta {
    /// Strategy index into [`MetaTable::strategy_names`].
    pub strategy: usize,
    /// Decision group: the rows of one group are the candidates of one
    /// selection (a window, or a time bucket for trade logs).
    pub group: i64,
    /// When the decision is made (window index or epoch ms).
    pub decision_time: i64,
    /// When the target is fully known (same unit). An earlier-period row whose
    /// `target_end` is after a later period's first decision is purged.
    pub target_end: i64,
    pub is_train: bool,
}

impl MetaTable {
    /// Build and check a table. Rows must be in decision order, training
    /// rows first.
    pub fn new(
        feature_names: Vec<String>,
        features: Array2<f64>,
        target: Vec<f64>,
        rows: Vec<RowMeta>,
        strategy_names: Vec<String>,
    ) -> Result<Self> {
        let n = features.nrows();
        if feature_names.len() != features.ncols() {
            return Err(CoreError::Shape {
                what: "feature_names",
                expected: features.ncols().to_string(),
                got: feature_names.len().to_string(),
            }
            .into());
        }
        for (what, len) in [("target", target.len()), ("rows", rows.len())] {
            if len != n {
                return Err(CoreError::Shape {
                    what,
                    expected: n.to_string(),
                    got: len.to_string(),
                }
                .into());
            }
        }
        if let Some(i) = target.iter().position(|v| !v.is_finite()) {
            return Err(CoreError::InvalidData(format!("target of row {i} is not finite")).into());
        }
        if let Some(r) = rows.iter().find(|r| r.strategy >= strategy_names.len()) {
            return Err(CoreError::InvalidData(format!(
                "strategy index {} but only {} strategy names",
                r.strategy,
                strategy_names.len()
            ))
            .into());
        }
        if let Some(i) = rows
            .windows(2)
            .position(|w| w[1].decision_time < w[0].decision_time)
        {
            return Err(CoreError::InvalidData(format!(
                "rows must be in decision order; row {} decides at {} before row {i} at {}",
                i + 1,
                rows[i + 1].decision_time,
                rows[i].decision_time
            ))
            .into());
        }
        if let Some(i) = rows
            .windows(2)
            .position(|w| !w[0].is_train && w[1].is_train)
        {
            return Err(CoreError::InvalidData(format!(
                "training rows must come before test rows (row {} is train after a test row)",
                i + 1
            ))
            .into());
        }
        Ok(Self {
            feature_names,
            features,
            target,
            strategy: rows.iter().map(|r| r.strategy).collect(),
            strategy_names,
            group: rows.iter().map(|r| r.group).collect(),
            decision_time: rows.iter().map(|r| r.decision_time).collect(),
            target_end: rows.iter().map(|r| r.target_end).collect(),
            is_train: rows.iter().map(|r| r.is_train).collect(),
            lookback: None,
        })
    }

    /// SPEC T2's meta dataset from per-window returns: for windows
    /// `t = lookback .. W-1` and every strategy k, the trailing stats of
    /// `R_k[t-lookback .. t-1]`, the context of window `t-1` and the target
    /// `R_k[t]`; ordered by t then k. `strategy_id = k` is a plain feature.
    ///
    /// Pooled from several series ([`StrategyReturns::with_series`]), the
    /// lags run over each series' own windows in table order (never into
    /// another series), and the rows are ordered by the target window's end
    /// time: the decision time of a row is the rank of that end time among
    /// the distinct end times of all windows (one unit = one window of the
    /// table's clock, so `embargo` keeps its meaning), and its decision
    /// group is the target window.
    pub fn from_strategy_returns(sr: &StrategyReturns, lookback: usize) -> Result<Self> {
        if lookback == 0 {
            return Err(CoreError::invalid_param("lookback", 0, "must be at least 1").into());
        }
        let w = sr.n_windows();
        // Each series' windows in table order (one series: all of them).
        let runs: Vec<Vec<usize>> = match &sr.series {
            None => vec![(0..w).collect()],
            Some(se) => {
                let n_series = se.id.iter().max().map_or(0, |m| m + 1);
                let mut runs = vec![Vec::new(); n_series];
                for (t, &id) in se.id.iter().enumerate() {
                    runs[id].push(t);
                }
                runs
            }
        };
        if runs.iter().all(|r| r.len() <= lookback) {
            return Err(MetaSelectorError::NotEnoughData(format!(
                "{w} windows with a lookback of {lookback}: no window has a full history"
            )));
        }
        // (decision time, target window) of every row group, in order.
        let mut decisions: Vec<(i64, usize, usize)> = Vec::new();
        for run in &runs {
            for (p, &t) in run.iter().enumerate().skip(lookback) {
                decisions.push((0, t, p));
            }
        }
        let mut run_of = vec![0usize; w];
        for (i, run) in runs.iter().enumerate() {
            for &t in run {
                run_of[t] = i;
            }
        }
        match &sr.series {
            None => {
                for d in &mut decisions {
                    d.0 = d.1 as i64;
                }
            }
            Some(se) => {
                let mut clock = se.end_ts.clone();
                clock.sort_unstable();
                clock.dedup();
                for d in &mut decisions {
                    d.0 = clock.partition_point(|&e| e < se.end_ts[d.1]) as i64;
                }
                decisions.sort_by_key(|&(time, t, _)| (t >= sr.n_train, time, run_of[t], t));
            }
        }
        let k = sr.n_strategies();
        let c = sr.context.ncols();
        let n = decisions.len() * k;
        let mut feature_names = vec!["strategy_id".to_string()];
        feature_names.extend(TRAILING_STATS.iter().map(|s| s.to_string()));
        feature_names.extend(sr.context_names.iter().cloned());
        let mut x = Array2::zeros((n, feature_names.len()));
        let mut target = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n);
        let mut hist = vec![0.0; lookback];
        let mut i = 0;
        for &(time, t, p) in &decisions {
            let run = &runs[run_of[t]];
            let prev = run[p - 1];
            for s in 0..k {
                for (j, h) in hist.iter_mut().enumerate() {
                    *h = sr.returns[[run[p - lookback + j], s]];
                }
                let st = TrailingStats::from_returns(&hist)?.to_array();
                x[[i, 0]] = s as f64;
                for (j, v) in st.iter().enumerate() {
                    x[[i, 1 + j]] = *v;
                }
                for j in 0..c {
                    x[[i, 6 + j]] = sr.context[[prev, j]];
                }
                target.push(sr.returns[[t, s]]);
                rows.push(RowMeta {
                    strategy: s,
                    group: t as i64,
                    decision_time: time,
                    target_end: time + 1,
                    is_train: t < sr.n_train,
                });
                i += 1;
            }
        }
        let mut table = Self::new(feature_names, x, target, rows, sr.strategy_names.clone())?;
        table.lookback = Some(lookback);
        Ok(table)
    }

    /// Read SPEC T2's `meta_btc_1h.csv` layout: `window`, `strategy_id`, the
    /// feature columns, `target`, `is_train`. Every column other than
    /// `window`, `target` and `is_train` is a feature, in file order.
    /// Strategy names are `strategy_<id>` unless given.
    pub fn read_csv(path: &Path, strategy_names: Option<Vec<String>>) -> Result<Self> {
        let bytes = read_data_file(path)?;
        Self::parse_csv(&bytes, path, strategy_names)
    }

    /// [`MetaTable::read_csv`] from bytes; `source` names them in errors.
    pub fn parse_csv(
        bytes: &[u8],
        source: &Path,
        strategy_names: Option<Vec<String>>,
    ) -> Result<Self> {
        let table = CsvTable::parse(bytes, source)?;
        let wcol = table.column("window")?;
        let scol = table.column("strategy_id")?;
        let ycol = table.column("target")?;
        let tcol = table.column("is_train")?;
        let fcols: Vec<usize> = (0..table.header.len())
            .filter(|&c| c != wcol && c != ycol && c != tcol)
            .collect();
        let n = table.n_rows();
        let mut x = Array2::zeros((n, fcols.len()));
        let mut target = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n);
        let mut max_sid = 0usize;
        for r in 0..n {
            for (j, &c) in fcols.iter().enumerate() {
                x[[r, j]] = table.value(r, c)?;
            }
            let window = table.integer(r, wcol)?;
            let sid = table.integer(r, scol)?;
            let sid = usize::try_from(sid)
                .map_err(|_| table.err(r, "column `strategy_id` is negative".into()))?;
            max_sid = max_sid.max(sid);
            target.push(table.value(r, ycol)?);
            rows.push(RowMeta {
                strategy: sid,
                group: window,
                decision_time: window,
                target_end: window + 1,
                is_train: table.flag(r, tcol)?,
            });
        }
        let names = match strategy_names {
            Some(v) => v,
            None => (0..=max_sid).map(|i| format!("strategy_{i}")).collect(),
        };
        Self::new(
            fcols.iter().map(|&c| table.header[c].clone()).collect(),
            x,
            target,
            rows,
            names,
        )
    }

    /// Meta rows from a trade log; see [`TradeWindows`]. The first
    /// `cfg.train_fraction` of the rows (by decision time) train.
    pub fn from_trades(trades: &[Trade], cfg: &TradeWindows) -> Result<Self> {
        from_trades(trades, cfg, TradeSplit::Fraction(cfg.train_fraction))
    }

    /// [`from_trades`](Self::from_trades) split in time at `cut_ts` (epoch
    /// ms; a backtest's training cut) instead of by `cfg.train_fraction`:
    /// rows whose target trades have all closed at or before the cut train,
    /// rows decided after it are the test rows, and rows decided at or
    /// before it whose target closes after it are dropped (their label
    /// reaches past the cut, and they decide before it).
    pub fn from_trades_at_cut(trades: &[Trade], cfg: &TradeWindows, cut_ts: i64) -> Result<Self> {
        from_trades(trades, cfg, TradeSplit::Cut(cut_ts))
    }

    /// The trailing window count of a table built by
    /// [`from_strategy_returns`](Self::from_strategy_returns); `None` otherwise.
    pub fn lookback(&self) -> Option<usize> {
        self.lookback
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// n x f feature matrix.
    pub fn features(&self) -> &Array2<f64> {
        &self.features
    }

    pub fn target(&self) -> &[f64] {
        &self.target
    }

    /// Strategy index of every row.
    pub fn strategy(&self) -> &[usize] {
        &self.strategy
    }

    pub fn strategy_names(&self) -> &[String] {
        &self.strategy_names
    }

    /// Decision group of every row.
    pub fn group(&self) -> &[i64] {
        &self.group
    }

    pub fn decision_time(&self) -> &[i64] {
        &self.decision_time
    }

    pub fn target_end(&self) -> &[i64] {
        &self.target_end
    }

    pub fn is_train(&self) -> &[bool] {
        &self.is_train
    }

    pub fn n_rows(&self) -> usize {
        self.target.len()
    }

    /// Number of leading training rows.
    pub fn n_train(&self) -> usize {
        self.is_train.iter().take_while(|&&t| t).count()
    }

    /// The table as a [`Dataset`] (features, target, feature names).
    pub fn dataset(&self) -> Result<Dataset> {
        Ok(Dataset::new(
            self.features.clone(),
            Array1::from(self.target.clone()),
            self.feature_names.clone(),
        )?)
    }

    /// Hand out the feature matrix and target (no copy).
    pub fn into_parts(self) -> (Array2<f64>, Vec<f64>) {
        (self.features, self.target)
    }
}

// ---------------------------------------------------------------------------
// Trade logs

/// One closed trade, as the backtester's `trades.csv` writes it:
/// `symbol,strategy,regime,side,entry_time,exit_time,entry_price,exit_price,size,fees,pnl,pnl_pct,bars_held`
/// (times epoch ms, `pnl_pct` in percent of equity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    pub symbol: String,
    pub strategy: String,
    /// Regime at entry (`0/1/2`, `low/medium/high` or any label); may be empty.
    pub regime: String,
    pub side: String,
    pub entry_time: i64,
    pub exit_time: i64,
    pub entry_price: f64,
    pub exit_price: f64,
    pub size: f64,
    pub fees: f64,
    pub pnl: f64,
    /// Percent of equity (1.5 = +1.5%).
    pub pnl_pct: f64,
    pub bars_held: u64,
}

/// Column names of a trade log, in order.
pub const TRADE_LOG_COLUMNS: [&str; 13] = [
    "symbol",
    "strategy",
    "regime",
    "side",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "size",
    "fees",
    "pnl",
    "pnl_pct",
    "bars_held",
];

/// Read a trade log CSV (header required, columns by name, any order).
pub fn read_trade_log(path: &Path) -> Result<Vec<Trade>> {
    let bytes = read_data_file(path)?;
    parse_trade_log(&bytes, path)
}

/// [`read_trade_log`] from bytes; `source` names them in errors.
pub fn parse_trade_log(bytes: &[u8], source: &Path) -> Result<Vec<Trade>> {
    let table = CsvTable::parse(bytes, source)?;
    let col: Vec<usize> = TRADE_LOG_COLUMNS
        .iter()
        .map(|c| table.column(c))
        .collect::<Result<_>>()?;
    let mut out = Vec::with_capacity(table.n_rows());
    for r in 0..table.n_rows() {
        let t = Trade {
            symbol: table.text(r, col[0]).to_string(),
            strategy: table.text(r, col[1]).to_string(),
            regime: table.text(r, col[2]).to_string(),
            side: table.text(r, col[3]).to_string(),
            entry_time: table.integer(r, col[4])?,
            exit_time: table.integer(r, col[5])?,
            entry_price: table.value(r, col[6])?,
            exit_price: table.value(r, col[7])?,
            size: table.value(r, col[8])?,
            fees: table.value(r, col[9])?,
            pnl: table.value(r, col[10])?,
            pnl_pct: table.value(r, col[11])?,
            bars_held: u64::try_from(table.integer(r, col[12])?)
                .map_err(|_| table.err(r, "bars_held is negative".into()))?,
        };
        if t.strategy.is_empty() {
            return Err(table.err(r, "empty strategy".into()));
        }
        if t.exit_time < t.entry_time {
            return Err(table.err(r, "exit_time is before entry_time".into()));
        }
        out.push(t);
    }
    Ok(out)
}

/// How trade logs become meta rows.
///
/// Per symbol and strategy (a strategy's trades on different symbols never
/// share a window), trades are ordered by entry time. Each row takes `k`
/// consecutive trades (the trailing window, starting every `stride` trades);
/// the decision is made when the last of them has closed (time `T`); the
/// target is the summed return of the next `k` trades entered at or after
/// `T` (trades still open at `T` belong to neither). Features: the
/// trailing stats of the `k` returns, their frequency (trades per day over
/// the window's span), mean bars held and the regime of the last trailing
/// trade. Rows are ordered by decision time; the first `train_fraction` of
/// them are training rows. Decisions in the same `bucket_ms` slot form a
/// selection group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeWindows {
    /// Trades per trailing window and per target window (original suite: 20).
    pub k: usize,
    /// Trades between consecutive rows of a strategy (k = non-overlapping targets).
    pub stride: usize,
    /// Fraction of rows (by decision time) used for training.
    pub train_fraction: f64,
    /// Width of a selection group in ms (default one day).
    pub bucket_ms: i64,
}

impl Default for TradeWindows {
    fn default() -> Self {
        Self {
            k: 20,
            stride: 20,
            train_fraction: 0.8,
            bucket_ms: 86_400_000,
        }
    }
}

fn regime_codes(trades: &[Trade]) -> BTreeMap<String, f64> {
    let labels: BTreeSet<&str> = trades
        .iter()
        .map(|t| t.regime.as_str())
        .filter(|r| !r.is_empty())
        .collect();
    let mut out = BTreeMap::new();
    let mut next = 3.0;
    for l in labels {
        let code = match l.to_ascii_lowercase().as_str() {
            "low" => 0.0,
            "medium" | "med" => 1.0,
            "high" => 2.0,
            s => match s.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => {
                    next += 1.0;
                    next
                }
            },
        };
        out.insert(l.to_string(), code);
    }
    out
}

/// Which trade-log rows train.
#[derive(Debug, Clone, Copy)]
enum TradeSplit {
    /// The first share of the rows by decision time.
    Fraction(f64),
    /// Rows whose target ends at or before the time (see
    /// [`MetaTable::from_trades_at_cut`]).
    Cut(i64),
}

fn from_trades(trades: &[Trade], cfg: &TradeWindows, split: TradeSplit) -> Result<MetaTable> {
    if cfg.k == 0 {
        return Err(CoreError::invalid_param("k", 0, "must be at least 1").into());
    }
    if cfg.stride == 0 {
        return Err(CoreError::invalid_param("stride", 0, "must be at least 1").into());
    }
    if let TradeSplit::Fraction(f) = split
        && !(f > 0.0 && f < 1.0)
    {
        return Err(CoreError::invalid_param("train_fraction", f, "must be in (0, 1)").into());
    }
    if cfg.bucket_ms <= 0 {
        return Err(
            CoreError::invalid_param("bucket_ms", cfg.bucket_ms, "must be positive").into(),
        );
    }
    if let Some(t) = trades.iter().find(|t| !t.pnl_pct.is_finite()) {
        return Err(CoreError::InvalidData(format!(
            "trade of `{}` entered at {} has a non-finite pnl_pct",
            t.strategy, t.entry_time
        ))
        .into());
    }
    let codes = regime_codes(trades);
    let strategy_names: Vec<String> = trades
        .iter()
        .map(|t| t.strategy.as_str())
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut by_series: BTreeMap<(&str, usize), Vec<&Trade>> = BTreeMap::new();
    for t in trades {
        let sid = strategy_names
            .binary_search_by(|n| n.as_str().cmp(t.strategy.as_str()))
            .unwrap_or_default();
        by_series
            .entry((t.symbol.as_str(), sid))
            .or_default()
            .push(t);
    }
    // (decision time, strategy, features, target, target end)
    let mut raw: Vec<(i64, usize, [f64; 9], f64, i64)> = Vec::new();
    for (&(_, sid), list) in by_series.iter_mut() {
        list.sort_by_key(|t| (t.entry_time, t.exit_time));
        let mut i = 0;
        while i + cfg.k <= list.len() {
            let trailing = &list[i..i + cfg.k];
            let decision = trailing.iter().map(|t| t.exit_time).max().unwrap_or(0);
            let first_target = list[i + cfg.k..]
                .iter()
                .position(|t| t.entry_time >= decision)
                .map(|p| i + cfg.k + p);
            let Some(ft) = first_target else { break };
            if ft + cfg.k > list.len() {
                break;
            }
            let target_trades = &list[ft..ft + cfg.k];
            let rets: Vec<f64> = trailing.iter().map(|t| t.pnl_pct / 100.0).collect();
            let st = TrailingStats::from_returns(&rets)?.to_array();
            let span_ms = (decision - trailing[0].entry_time).max(1) as f64;
            let per_day = cfg.k as f64 / (span_ms / 86_400_000.0);
            let bars = trailing.iter().map(|t| t.bars_held as f64).sum::<f64>() / cfg.k as f64;
            let last_regime = trailing
                .iter()
                .max_by_key(|t| (t.exit_time, t.entry_time))
                .and_then(|t| codes.get(&t.regime).copied())
                .unwrap_or(f64::NAN);
            let f = [
                sid as f64,
                st[0],
                st[1],
                st[2],
                st[3],
                st[4],
                per_day,
                bars,
                last_regime,
            ];
            let target = target_trades.iter().map(|t| t.pnl_pct / 100.0).sum::<f64>();
            let end = target_trades
                .iter()
                .map(|t| t.exit_time)
                .max()
                .unwrap_or(decision);
            raw.push((decision, sid, f, target, end));
            i += cfg.stride;
        }
    }
    if raw.len() < 2 {
        return Err(MetaSelectorError::NotEnoughData(format!(
            "{} trades give {} meta rows with k = {}; need at least 2",
            trades.len(),
            raw.len(),
            cfg.k
        )));
    }
    // The candidates are the strategies with rows: one whose trades fill
    // no window (a single buy-and-hold trade) is never scored, and counting
    // it would leave every decision group incomplete.
    let present: BTreeSet<usize> = raw.iter().map(|r| r.1).collect();
    let renumber: BTreeMap<usize, usize> = present
        .iter()
        .enumerate()
        .map(|(new, &old)| (old, new))
        .collect();
    let strategy_names: Vec<String> = present
        .iter()
        .filter_map(|&i| strategy_names.get(i).cloned())
        .collect();
    for r in &mut raw {
        r.1 = renumber.get(&r.1).copied().unwrap_or(r.1);
        r.2[0] = r.1 as f64;
    }
    raw.sort_by_key(|r| (r.0, r.1));
    let n_train = match split {
        TradeSplit::Fraction(f) => {
            ((f * raw.len() as f64).floor() as usize).clamp(1, raw.len() - 1)
        }
        TradeSplit::Cut(cut) => {
            raw.retain(|r| r.0 > cut || r.4 <= cut);
            let n_train = raw.partition_point(|r| r.0 <= cut);
            if n_train == 0 || n_train == raw.len() {
                return Err(MetaSelectorError::NotEnoughData(format!(
                    "{} trades give {n_train} meta rows whose target closes by the cut at {cut} \
                     and {} decided after it (k = {}); both are needed",
                    trades.len(),
                    raw.len() - n_train,
                    cfg.k
                )));
            }
            n_train
        }
    };
    let n = raw.len();
    let mut x = Array2::zeros((n, TRADE_FEATURES.len()));
    let mut target = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    for (i, (decision, sid, f, y, end)) in raw.into_iter().enumerate() {
        for (j, v) in f.iter().enumerate() {
            x[[i, j]] = *v;
        }
        target.push(y);
        rows.push(RowMeta {
            strategy: sid,
            group: decision.div_euclid(cfg.bucket_ms),
            decision_time: decision,
            target_end: end,
            is_train: i < n_train,
        });
    }
    MetaTable::new(
        TRADE_FEATURES.iter().map(|s| s.to_string()).collect(),
        x,
        target,
        rows,
        strategy_names,
    )
}

// ---------------------------------------------------------------------------
// A small CSV reader with line-precise errors. Errors name a column by its
// position, and by its name only when that is one this crate looks for: a
// header's or a cell's text is never quoted.

struct CsvTable<'a> {
    source: &'a Path,
    header: Vec<String>,
    records: Vec<csv::StringRecord>,
    lines: Vec<usize>,
}

impl<'a> CsvTable<'a> {
    fn parse(bytes: &[u8], source: &'a Path) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| MetaSelectorError::csv(source, 1, e.to_string()))?
            .iter()
            .map(|s| s.to_string())
            .collect();
        if header.len() > MAX_COLUMNS {
            return Err(MetaSelectorError::csv(
                source,
                1,
                format!("more columns than the {MAX_COLUMNS} allowed"),
            ));
        }
        let mut records = Vec::new();
        let mut lines = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                MetaSelectorError::csv(source, line, e.to_string())
            })?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            if records.len() == MAX_ROWS {
                return Err(MetaSelectorError::csv(
                    source,
                    line,
                    format!("more data rows than the {MAX_ROWS} allowed"),
                ));
            }
            lines.push(line);
            records.push(rec);
        }
        if records.is_empty() {
            return Err(MetaSelectorError::csv(source, 1, "no data rows"));
        }
        Ok(Self {
            source,
            header,
            records,
            lines,
        })
    }

    fn n_rows(&self) -> usize {
        self.records.len()
    }

    fn err(&self, r: usize, why: String) -> MetaSelectorError {
        MetaSelectorError::csv(self.source, self.lines[r], why)
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            MetaSelectorError::csv(self.source, 1, format!("missing column `{name}`"))
        })
    }

    /// Column `c` for an error: `column 3`, with the name when it is one
    /// this crate looks for (`column 3 (`is_train`)`).
    fn label(&self, c: usize) -> String {
        let name = &self.header[c];
        if TRADE_LOG_COLUMNS.contains(&name.as_str())
            || ["window", "strategy_id", "target", "is_train"].contains(&name.as_str())
        {
            format!("column {} (`{name}`)", c + 1)
        } else {
            format!("column {}", c + 1)
        }
    }

    fn columns_with_prefix(&self, prefix: &str) -> Vec<usize> {
        (0..self.header.len())
            .filter(|&c| self.header[c].starts_with(prefix))
            .collect()
    }

    fn text(&self, r: usize, c: usize) -> &str {
        self.records[r].get(c).unwrap_or("")
    }

    fn value(&self, r: usize, c: usize) -> Result<f64> {
        let s = self.text(r, c);
        s.parse::<f64>()
            .map_err(|_| self.err(r, format!("{}: is not a number", self.label(c))))
    }

    fn integer(&self, r: usize, c: usize) -> Result<i64> {
        let s = self.text(r, c);
        s.parse::<i64>()
            .map_err(|_| self.err(r, format!("{}: is not an integer", self.label(c))))
    }

    fn flag(&self, r: usize, c: usize) -> Result<bool> {
        match self.text(r, c) {
            "1" | "true" | "True" => Ok(true),
            "0" | "false" | "False" => Ok(false),
            _ => Err(self.err(r, format!("{}: is not 0/1", self.label(c)))),
        }
    }
}

/// Rows flagged train must form a prefix; returns its length.
fn train_prefix(table: &CsvTable<'_>, col: usize) -> Result<usize> {
    let mut n_train = 0;
    let mut seen_test = false;
    for r in 0..table.n_rows() {
        let t = table.flag(r, col)?;
        if t && seen_test {
            return Err(table.err(r, "a training row follows a test row".into()));
        }
        if t {
            n_train += 1;
        } else {
            seen_test = true;
        }
    }
    Ok(n_train)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_drawdown_counts_the_starting_equity_as_a_peak() {
        // Equity 0.9 then 0.99: the drop from the start is the drawdown.
        let mdd = max_drawdown(&[-0.1, 0.1]);
        assert!((mdd - 0.1).abs() < 1e-15, "{mdd}");
        assert_eq!(max_drawdown(&[0.1, 0.2]), 0.0);
    }

    #[test]
    fn max_drawdown_is_on_compounded_equity_not_on_per_trade_pnl() {
        // +50% then -20% then -20%: equity 1.5, 1.2, 0.96 -> 36% below the peak.
        let mdd = max_drawdown(&[0.5, -0.2, -0.2]);
        assert!((mdd - 0.36).abs() < 1e-12, "{mdd}");
        // The original's max(cummax(pnl) - pnl) would say 0.7.
    }

    #[test]
    fn trailing_stats_handle_zero_std() {
        let s = TrailingStats::from_returns(&[0.0, 0.0, 0.0]).unwrap();
        assert_eq!(s.sharpe, 0.0);
        assert_eq!(s.win_rate, 0.0);
        assert!(TrailingStats::from_returns(&[]).is_err());
        assert!(TrailingStats::from_returns(&[f64::NAN]).is_err());
    }

    /// Two series in the backtest's pooled layout: A's returns are all
    /// +1% (context 1), B's all -2% (context 2). Train rows: A then B;
    /// test rows: A then B. Every meta row's lags and context must come
    /// from its own series.
    fn pooled_csv(with_series: bool) -> String {
        let mut s = String::from(if with_series {
            "symbol,timeframe,window,end_ts,ret_x,ret_y,ctx_a,is_train\n"
        } else {
            "window,end_ts,ret_x,ret_y,ctx_a,is_train\n"
        });
        let mut row = 0;
        for (train, range) in [(1, 0..6), (0, 6..9)] {
            for (sym, r, ctx) in [("AAA", 0.01, 1.0), ("BBB", -0.02, 2.0)] {
                for w in range.clone() {
                    let end = 1_000 + w * 24 + if sym == "BBB" { 7 } else { 0 };
                    if with_series {
                        s.push_str(&format!("{sym},1h,"));
                    }
                    s.push_str(&format!("{row},{end},{r},{r},{ctx},{train}\n"));
                    row += 1;
                }
            }
        }
        s
    }

    #[test]
    fn pooled_series_lags_never_cross_symbols() {
        let csv = pooled_csv(true);
        let sr = StrategyReturns::parse_csv(csv.as_bytes(), Path::new("pooled.csv")).unwrap();
        let t = MetaTable::from_strategy_returns(&sr, 3).unwrap();
        // 9 windows per series, 6 with a full 3-window history, 2 strategies.
        assert_eq!(t.n_rows(), 2 * 6 * 2);
        let mean = t
            .feature_names()
            .iter()
            .position(|f| f == "tr_mean")
            .unwrap();
        let ctx = t.feature_names().iter().position(|f| f == "ctx_a").unwrap();
        for i in 0..t.n_rows() {
            let (m, c, y) = (
                t.features()[[i, mean]],
                t.features()[[i, ctx]],
                t.target()[i],
            );
            let own = if y > 0.0 { (0.01, 1.0) } else { (-0.02, 2.0) };
            assert!(
                (m - own.0).abs() < 1e-15,
                "row {i}: tr_mean {m}, target {y}"
            );
            assert_eq!(c, own.1, "row {i}: context of another series");
        }
        // Train rows first, decisions in time order, both series in each part.
        assert_eq!(t.n_train(), 2 * 3 * 2);
        assert!(t.decision_time().windows(2).all(|w| w[0] <= w[1]));
        // Without the series columns the same windows lag across symbols.
        let plain = pooled_csv(false);
        let sr = StrategyReturns::parse_csv(plain.as_bytes(), Path::new("plain.csv")).unwrap();
        let t = MetaTable::from_strategy_returns(&sr, 3).unwrap();
        let crossed = (0..t.n_rows()).any(|i| {
            let m = t.features()[[i, mean]];
            (m - 0.01).abs() > 1e-12 && (m + 0.02).abs() > 1e-12
        });
        assert!(crossed, "the unpooled reading mixes series in its lags");
    }

    fn trade(symbol: &str, entry: i64, exit: i64, pnl_pct: f64) -> Trade {
        Trade {
            symbol: symbol.into(),
            strategy: "s".into(),
            regime: "1".into(),
            side: "long".into(),
            entry_time: entry,
            exit_time: exit,
            entry_price: 100.0,
            exit_price: 100.0,
            size: 1.0,
            fees: 0.0,
            pnl: pnl_pct,
            pnl_pct,
            bars_held: 1,
        }
    }

    #[test]
    fn trade_windows_stay_inside_one_symbol_and_split_at_the_cut() {
        // Two symbols trading the same strategy at interleaved times: a
        // window of k = 2 trades never takes one trade of each.
        let mut trades = Vec::new();
        for i in 0..12i64 {
            trades.push(trade("A", 10 * i, 10 * i + 5, 1.0));
            trades.push(trade("B", 10 * i + 2, 10 * i + 7, -1.0));
        }
        let cfg = TradeWindows {
            k: 2,
            stride: 2,
            train_fraction: 0.5,
            bucket_ms: 1,
        };
        let t = MetaTable::from_trades(&trades, &cfg).unwrap();
        // tr_mean is +1% for every window of A and -1% for every one of B.
        let mean = t
            .feature_names()
            .iter()
            .position(|n| n == "tr_mean")
            .unwrap();
        for i in 0..t.n_rows() {
            let m = t.features()[[i, mean]];
            assert!((m.abs() - 0.01).abs() < 1e-12, "row {i}: {m}");
            assert!((t.target()[i] - 2.0 * m).abs() < 1e-12, "row {i}");
        }
        // At a cut: rows whose target closes by the cut train, rows decided
        // after it test, and a row deciding before it whose target closes
        // after it is in neither.
        let cut = 60;
        let t = MetaTable::from_trades_at_cut(&trades, &cfg, cut).unwrap();
        let straddling = (0..t.n_rows())
            .filter(|&i| t.decision_time()[i] <= cut && t.target_end()[i] > cut)
            .count();
        assert_eq!(straddling, 0);
        for i in 0..t.n_rows() {
            assert_eq!(t.is_train()[i], t.decision_time()[i] <= cut, "row {i}");
            if t.is_train()[i] {
                assert!(t.target_end()[i] <= cut, "row {i}");
            }
        }
        assert!(t.n_train() > 0 && t.n_train() < t.n_rows());
        let full = MetaTable::from_trades(&trades, &cfg).unwrap();
        assert!(
            t.n_rows() < full.n_rows(),
            "the row straddling the cut is dropped"
        );
        assert!(MetaTable::from_trades_at_cut(&trades, &cfg, 0).is_err());
        // A strategy whose trades fill no window is no candidate.
        let mut with_single = trades.clone();
        with_single.push(Trade {
            strategy: "buy_hold".into(),
            ..trade("A", 0, 119, 5.0)
        });
        let t = MetaTable::from_trades(&with_single, &cfg).unwrap();
        assert_eq!(t.strategy_names(), ["s"]);
    }
}

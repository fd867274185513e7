//! The strategy-selection environment of SPEC T4, built from a CSV of
//! per-window strategy returns and context (`strategy_returns_btc_1h.csv`).
//!
//! At decision window `w` the agent sees the standardized context `Z[w]`
//! (optionally the volatility regime and the strategies' recent returns)
//! and the one-hot of its previous choice, picks a strategy `a`, and earns
//! `reward_scale * (R[w+1, a] - fee)` where the fee is charged when the
//! choice differs from the previous one. Episodes start at a uniform window
//! of the training part, so every reward comes from a training window; the
//! test windows are only ever used by [`StrategyData::evaluate`].
//!
//! Windows pooled from several series (symbols, timeframes; the backtest's
//! `symbol` and `timeframe` columns) are steps of one series only: the
//! window after `w` is the next window of `w`'s series, an episode never
//! crosses into another series, and the trailing returns look back within
//! the series.

use super::{Action, Env, Info, Space, Step, check_obs_len};
use crate::error::{PpoError, Result};
use agent_core::SplitMix64;
use agent_core::persist::{Symlinks, read_bounded};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Per-window strategy returns and context, in chronological order.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyData {
    /// Strategy names (the `ret_` columns without the prefix).
    pub strategies: Vec<String>,
    /// Context column names (the `ctx_*` columns, in file order).
    pub context_names: Vec<String>,
    /// `R[w, k]`, window-major (`n_windows * n_strategies`).
    pub returns: Vec<f64>,
    /// Raw context, window-major (`n_windows * n_context`).
    pub context: Vec<f64>,
    /// Volatility regime per window (`0..n_regimes`), when the file has one.
    pub regime: Option<Vec<u8>>,
    /// Number of leading training windows (`W_train`); the rest are test.
    pub n_train: usize,
    /// Series of each window when several are pooled (see
    /// [`StrategyData::with_series`]); `None` for one series.
    pub series: Option<Vec<u32>>,
}

impl StrategyData {
    /// Largest strategy-returns CSV read (a decade of hourly windows is a
    /// few MiB).
    pub const MAX_CSV_BYTES: u64 = 256 << 20;
    /// Most data rows (windows) a strategy-returns CSV may hold.
    pub const MAX_CSV_ROWS: usize = 2_000_000;
    /// Most columns its header may name.
    pub const MAX_CSV_COLUMNS: usize = 4096;

    /// Build from arrays; checks shapes, finiteness and `n_train`.
    pub fn new(
        strategies: Vec<String>,
        context_names: Vec<String>,
        returns: Vec<f64>,
        context: Vec<f64>,
        regime: Option<Vec<u8>>,
        n_train: usize,
    ) -> Result<Self> {
        let k = strategies.len();
        let c = context_names.len();
        if k == 0 || c == 0 {
            return Err(PpoError::InvalidData(format!(
                "strategy data needs at least one strategy and one context column, got {k} and {c}"
            )));
        }
        if !returns.len().is_multiple_of(k) {
            return Err(PpoError::InvalidData(format!(
                "returns hold {} values, not a multiple of {k} strategies",
                returns.len()
            )));
        }
        let w = returns.len() / k;
        if context.len() != w * c {
            return Err(PpoError::InvalidData(format!(
                "context holds {} values, expected {w} windows x {c} columns",
                context.len()
            )));
        }
        if let Some(r) = &regime
            && r.len() != w
        {
            return Err(PpoError::InvalidData(format!(
                "regime has {} values, expected {w}",
                r.len()
            )));
        }
        if n_train == 0 || n_train > w {
            return Err(PpoError::InvalidData(format!(
                "n_train = {n_train} must be in 1..={w} (the number of windows)"
            )));
        }
        if let Some(i) = returns.iter().position(|x| !x.is_finite()) {
            return Err(PpoError::InvalidData(format!(
                "return of window {} strategy `{}` is {}",
                i / k,
                strategies[i % k],
                returns[i]
            )));
        }
        if let Some(i) = context.iter().position(|x| !x.is_finite()) {
            return Err(PpoError::InvalidData(format!(
                "context `{}` of window {} is {}",
                context_names[i % c],
                i / c,
                context[i]
            )));
        }
        Ok(Self {
            strategies,
            context_names,
            returns,
            context,
            regime,
            n_train,
            series: None,
        })
    }

    /// Mark the windows as pooled from several series: `series[w]` is
    /// window `w`'s series. Each series' windows must be one contiguous run
    /// within the training windows and one within the test windows (the
    /// backtest's pooled order), in time order. One distinct series is the
    /// plain data.
    pub fn with_series(mut self, series: Vec<u32>) -> Result<Self> {
        let w = self.n_windows();
        if series.len() != w {
            return Err(PpoError::InvalidData(format!(
                "{} series labels for {w} windows",
                series.len()
            )));
        }
        let mut runs: Vec<(u32, bool)> = Vec::new();
        for (i, &id) in series.iter().enumerate() {
            let key = (id, i < self.n_train);
            if runs.last() != Some(&key) {
                if runs.contains(&key) {
                    return Err(PpoError::InvalidData(format!(
                        "window {i}: the windows of a series must be contiguous within the \
                         training and within the test windows"
                    )));
                }
                runs.push(key);
            }
        }
        self.series = if series.iter().any(|&s| s != series[0]) {
            Some(series)
        } else {
            None
        };
        Ok(self)
    }

    /// The window after `w` in `w`'s series (`w + 1` for one series), if any.
    pub fn next_window(&self, w: usize) -> Option<usize> {
        let n = self.n_windows();
        match &self.series {
            None => (w + 1 < n).then_some(w + 1),
            Some(s) => {
                if w + 1 < n && s[w + 1] == s[w] {
                    Some(w + 1)
                } else if w < self.n_train {
                    // The last training window: the series' first test window.
                    (self.n_train..n).find(|&v| s[v] == s[w])
                } else {
                    None
                }
            }
        }
    }

    /// The window before `w` in `w`'s series (`w - 1` for one series), if any.
    pub fn prev_window(&self, w: usize) -> Option<usize> {
        match &self.series {
            None => w.checked_sub(1),
            Some(s) => {
                if w > 0 && s[w - 1] == s[w] {
                    Some(w - 1)
                } else if w >= self.n_train {
                    (0..self.n_train).rev().find(|&v| s[v] == s[w])
                } else {
                    None
                }
            }
        }
    }

    /// The test decisions per series: `(first decision, number of
    /// decisions)`, each walked with [`StrategyData::evaluate`]. A series'
    /// first decision is its last training window (its first test window
    /// when it has none); one series gives [`StrategyData::test_decisions`].
    pub fn test_runs(&self) -> Vec<(usize, usize)> {
        let n = self.n_windows();
        let mut out = Vec::new();
        let mut v = self.n_train;
        while v < n {
            let mut end = v + 1;
            while end < n && self.next_window(end - 1) == Some(end) {
                end += 1;
            }
            match self.prev_window(v) {
                Some(p) => out.push((p, end - v)),
                None if end - v > 1 => out.push((v, end - v - 1)),
                None => {}
            }
            v = end;
        }
        out
    }

    /// Read `strategy_returns_*.csv`: columns `ret_<name>` (strategy
    /// returns), `ctx_<name>` (context), optional `regime`, and `is_train`
    /// (1 for a leading block of windows, then 0). Other columns are ignored.
    /// At most [`Self::MAX_CSV_BYTES`] are read (the file may be a symbolic link a
    /// user made; a FIFO or device is refused, not read).
    pub fn read_csv(path: &Path) -> Result<Self> {
        let bytes = read_bounded(path, Self::MAX_CSV_BYTES, Symlinks::Follow)?;
        let source_name = path.display().to_string();
        let text = std::str::from_utf8(&bytes).map_err(|e| PpoError::Parse {
            source_name: source_name.clone(),
            line: bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64
                + 1,
            why: "is not valid UTF-8 text".into(),
        })?;
        Self::parse_csv(&source_name, text)
    }

    /// Parse the CSV text of [`read_csv`](Self::read_csv); `source_name`
    /// names it in errors. At most [`Self::MAX_CSV_ROWS`] data rows and
    /// [`Self::MAX_CSV_COLUMNS`] columns are accepted. Errors name the line and a
    /// column by its position (and name, for `regime` and `is_train`), never
    /// quoting the file's text.
    pub fn parse_csv(source_name: &str, text: &str) -> Result<Self> {
        let err = |line: u64, why: String| PpoError::Parse {
            source_name: source_name.to_string(),
            line,
            why,
        };
        if text.len() as u64 > Self::MAX_CSV_BYTES {
            return Err(err(
                1,
                format!("more bytes than the {} allowed", Self::MAX_CSV_BYTES),
            ));
        }
        let mut lines = text.lines().enumerate();
        let header = loop {
            match lines.next() {
                Some((_, l)) if l.trim().is_empty() => continue,
                Some((_, l)) => break l,
                None => return Err(err(1, "empty file: no header".into())),
            }
        };
        let cols: Vec<&str> = header
            .trim_end_matches('\r')
            .split(',')
            .map(str::trim)
            .collect();
        if cols.len() > Self::MAX_CSV_COLUMNS {
            return Err(err(
                1,
                format!("more columns than the {} allowed", Self::MAX_CSV_COLUMNS),
            ));
        }
        let ret_idx: Vec<usize> = (0..cols.len())
            .filter(|&i| cols[i].starts_with("ret_"))
            .collect();
        let ctx_idx: Vec<usize> = (0..cols.len())
            .filter(|&i| cols[i].starts_with("ctx_"))
            .collect();
        let train_idx = cols.iter().position(|c| *c == "is_train");
        let regime_idx = cols.iter().position(|c| *c == "regime");
        let series_idx: Vec<usize> = ["symbol", "timeframe"]
            .iter()
            .filter_map(|n| cols.iter().position(|c| c == n))
            .collect();
        let mut series_keys: Vec<Vec<&str>> = Vec::new();
        let mut series = Vec::new();
        if ret_idx.is_empty() || ctx_idx.is_empty() {
            return Err(err(
                1,
                format!(
                    "header needs `ret_*` and `ctx_*` columns, found {} `ret_*` and {} `ctx_*` columns",
                    ret_idx.len(),
                    ctx_idx.len()
                ),
            ));
        }
        let train_idx =
            train_idx.ok_or_else(|| err(1, "header has no `is_train` column".into()))?;
        // A column's name in errors only when it is one looked for by name.
        let known = |i: usize| match cols[i] {
            "regime" => " (`regime`)",
            "is_train" => " (`is_train`)",
            _ => "",
        };
        let strategies = ret_idx
            .iter()
            .map(|&i| cols[i]["ret_".len()..].to_string())
            .collect();
        let context_names = ctx_idx.iter().map(|&i| cols[i].to_string()).collect();
        let mut returns = Vec::new();
        let mut context = Vec::new();
        let mut regime = regime_idx.map(|_| Vec::new());
        let mut n_train = 0usize;
        let mut seen_test = false;
        let mut n_rows = 0usize;
        for (ln, raw) in lines {
            let line_no = ln as u64 + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if n_rows == Self::MAX_CSV_ROWS {
                return Err(err(
                    line_no,
                    format!("more data rows than the {} allowed", Self::MAX_CSV_ROWS),
                ));
            }
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != cols.len() {
                return Err(err(
                    line_no,
                    format!("{} fields, the header has {}", fields.len(), cols.len()),
                ));
            }
            let num = |i: usize| -> Result<f64> {
                fields[i].trim().parse::<f64>().map_err(|_| {
                    err(
                        line_no,
                        format!("column {}{}: is not a number", i + 1, known(i)),
                    )
                })
            };
            if !series_idx.is_empty() {
                let key: Vec<&str> = series_idx.iter().map(|&i| fields[i].trim()).collect();
                let id = match series_keys.iter().position(|k| *k == key) {
                    Some(id) => id,
                    None => {
                        series_keys.push(key);
                        series_keys.len() - 1
                    }
                };
                series.push(id as u32);
            }
            for &i in &ret_idx {
                returns.push(num(i)?);
            }
            for &i in &ctx_idx {
                context.push(num(i)?);
            }
            if let (Some(ri), Some(reg)) = (regime_idx, regime.as_mut()) {
                let v = num(ri)?;
                if !(0.0..=255.0).contains(&v) || v.fract() != 0.0 {
                    return Err(err(
                        line_no,
                        format!(
                            "column {} (`regime`): is not a small non-negative integer",
                            ri + 1
                        ),
                    ));
                }
                reg.push(v as u8);
            }
            match fields[train_idx].trim() {
                "1" | "1.0" | "true" | "True" => {
                    if seen_test {
                        return Err(err(
                            line_no,
                            "is_train = 1 after a test window: the split must be chronological (train first)".into(),
                        ));
                    }
                    n_train += 1;
                }
                "0" | "0.0" | "false" | "False" => seen_test = true,
                _ => {
                    return Err(err(
                        line_no,
                        format!("column {} (`is_train`): is not 0 or 1", train_idx + 1),
                    ));
                }
            }
            n_rows += 1;
        }
        if n_rows == 0 {
            return Err(err(2, "no data rows".into()));
        }
        let data = Self::new(strategies, context_names, returns, context, regime, n_train)?;
        if series_keys.len() > 1 {
            data.with_series(series)
                .map_err(|e| err(1, format!("`symbol`/`timeframe`: {e}")))
        } else {
            Ok(data)
        }
    }

    pub fn n_windows(&self) -> usize {
        self.returns.len() / self.strategies.len()
    }

    pub fn n_strategies(&self) -> usize {
        self.strategies.len()
    }

    pub fn n_context(&self) -> usize {
        self.context_names.len()
    }

    /// `R[w, k]`.
    pub fn ret(&self, w: usize, k: usize) -> f64 {
        self.returns[w * self.strategies.len() + k]
    }

    /// Number of regimes (max label + 1), 0 without a regime column.
    pub fn n_regimes(&self) -> usize {
        self.regime
            .as_ref()
            .map(|r| r.iter().map(|&x| x as usize + 1).max().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Mean and population std (std0) of each context column over the
    /// training windows; a constant column gets std 1.
    pub fn context_scaler(&self) -> (Vec<f64>, Vec<f64>) {
        let c = self.n_context();
        let n = self.n_train as f64;
        let mut mean = vec![0.0; c];
        for row in self.context[..self.n_train * c].chunks_exact(c) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += x;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; c];
        for w in 0..self.n_train {
            for j in 0..c {
                let d = self.context[w * c + j] - mean[j];
                var[j] += d * d;
            }
        }
        let std = var
            .iter()
            .map(|v| {
                let s = (v / n).sqrt();
                if s > 0.0 { s } else { 1.0 }
            })
            .collect();
        (mean, std)
    }

    /// `Z[w]`: the context standardized with the training windows' mean and
    /// std0, as `f32` (SPEC T4), window-major.
    pub fn standardized_context(&self) -> Vec<f32> {
        let (mean, std) = self.context_scaler();
        let c = self.n_context();
        self.context
            .iter()
            .enumerate()
            .map(|(i, &x)| ((x - mean[i % c]) / std[i % c]) as f32)
            .collect()
    }

    /// `sha256:<hex>` of the names, split and values (for the manifest).
    pub fn fingerprint(&self) -> String {
        let mut bytes = Vec::new();
        for s in self.strategies.iter().chain(&self.context_names) {
            bytes.extend_from_slice(s.as_bytes());
            bytes.push(0);
        }
        bytes.extend_from_slice(&(self.n_train as u64).to_le_bytes());
        for x in self.returns.iter().chain(&self.context) {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        if let Some(r) = &self.regime {
            bytes.extend_from_slice(r);
        }
        if let Some(se) = &self.series {
            for id in se {
                bytes.extend_from_slice(&id.to_le_bytes());
            }
        }
        format!("sha256:{}", agent_core::persist::sha256_hex(&bytes))
    }

    /// Mean return of each strategy over windows `first..=last`.
    pub fn mean_returns(&self, first: usize, last: usize) -> Vec<f64> {
        let k = self.n_strategies();
        let n = (last + 1 - first) as f64;
        (0..k)
            .map(|s| (first..=last).map(|w| self.ret(w, s)).sum::<f64>() / n)
            .collect()
    }

    /// The window `steps` windows after `w` in `w`'s series, if the series
    /// has it.
    pub fn walk(&self, w: usize, steps: usize) -> Option<usize> {
        (0..steps).try_fold(w, |v, _| self.next_window(v))
    }

    /// The decisions of the test part: `w = n_train - 1 ..= n_windows - 2`,
    /// whose rewards are the test windows `n_train ..= n_windows - 1`.
    /// Returns `(first decision, number of decisions)`.
    pub fn test_decisions(&self) -> (usize, usize) {
        (self.n_train - 1, self.n_windows() - self.n_train)
    }

    /// Run `policy` once through the decisions `first ..` (`n` of them),
    /// carrying the previous-action one-hot from zeros, as SPEC T4's
    /// evaluation does. Returns per-window returns (not scaled).
    pub fn evaluate(
        self: &Arc<Self>,
        config: &StrategyEnvConfig,
        first: usize,
        n: usize,
        mut policy: impl FnMut(&[f32]) -> Result<usize>,
    ) -> Result<StrategyEvaluation> {
        if n == 0 || self.walk(first, n).is_none() {
            return Err(PpoError::InvalidData(format!(
                "evaluation of {n} decisions from window {first} needs {n} following windows of its series, the data has {}",
                self.n_windows()
            )));
        }
        let cfg = StrategyEnvConfig {
            episode_len: n,
            start: EpisodeStart::At(first),
            ..config.clone()
        };
        let mut env = StrategyEnv::new(self.clone(), cfg)?;
        let mut obs = vec![0.0; env.observation_space().dim()];
        env.reset(None, &mut obs)?;
        let mut actions = Vec::with_capacity(n);
        let mut returns = Vec::with_capacity(n);
        for _ in 0..n {
            let a = policy(&obs)?;
            let s = env.step(Action::Discrete(a), &mut obs)?;
            actions.push(a);
            returns.push(s.reward / config.reward_scale);
        }
        let mean_return = returns.iter().sum::<f64>() / n as f64;
        Ok(StrategyEvaluation {
            first_decision: first,
            actions,
            returns,
            mean_return,
        })
    }
}

/// The outcome of [`StrategyData::evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyEvaluation {
    pub first_decision: usize,
    /// Chosen strategy per decision.
    pub actions: Vec<usize>,
    /// `R[w+1, a] - fee` per decision (not scaled).
    pub returns: Vec<f64>,
    /// Mean of `returns`.
    pub mean_return: f64,
}

/// How a strategy selector's environment was built, kept with the model so
/// a live caller can rebuild the same observation without the training data:
/// the configuration and the training windows' context scaler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyEnvRecord {
    pub config: StrategyEnvConfig,
    /// Context columns in observation order.
    pub context_names: Vec<String>,
    /// Mean of each context column over the training windows.
    pub context_mean: Vec<f64>,
    /// Population std of each context column over the training windows (1
    /// for a constant column).
    pub context_std: Vec<f64>,
    /// Strategies, in action order.
    pub strategies: Vec<String>,
}

impl StrategyEnvRecord {
    /// The record of an environment built from `data` with `config`.
    pub fn new(data: &StrategyData, config: &StrategyEnvConfig) -> Self {
        let (context_mean, context_std) = data.context_scaler();
        Self {
            config: config.clone(),
            context_names: data.context_names.clone(),
            context_mean,
            context_std,
            strategies: data.strategies.clone(),
        }
    }

    /// Checks a record read from a file: one mean and one positive, finite
    /// std per context column.
    pub fn validate(&self) -> Result<()> {
        let c = self.context_names.len();
        if self.context_mean.len() != c || self.context_std.len() != c {
            return Err(PpoError::InvalidData(format!(
                "the environment record has {} context names, {} means and {} stds",
                c,
                self.context_mean.len(),
                self.context_std.len()
            )));
        }
        if let Some(j) = self.context_mean.iter().position(|m| !m.is_finite()) {
            return Err(PpoError::InvalidData(format!(
                "context mean of `{}` is {}",
                self.context_names[j], self.context_mean[j]
            )));
        }
        if let Some(j) = self
            .context_std
            .iter()
            .position(|s| !(s.is_finite() && *s > 0.0))
        {
            return Err(PpoError::InvalidData(format!(
                "context std of `{}` must be positive, got {}",
                self.context_names[j], self.context_std[j]
            )));
        }
        Ok(())
    }
}

/// Where episodes start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeStart {
    /// Uniform over the training windows such that every reward is a
    /// training window: `w0` in `0..=n_train - 1 - episode_len`.
    RandomTrain,
    /// Always at this decision window (sequential evaluation).
    At(usize),
}

/// Configuration of [`StrategyEnv`]; the default is SPEC T4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyEnvConfig {
    /// Decisions per episode (64).
    pub episode_len: usize,
    /// Rewards are `reward_scale * return` (100: percent).
    pub reward_scale: f64,
    /// Fee (as a return, e.g. 0.001) charged when the choice differs from the
    /// previous one; never on an episode's first step (0).
    pub switch_fee: f64,
    /// Append the one-hot volatility regime of window `w` (off).
    pub include_regime: bool,
    /// Append each strategy's mean return over the last `m` windows up to
    /// `w`, times `reward_scale` (0 = off).
    pub recent_perf_window: usize,
    /// Where episodes start (uniform over training windows).
    pub start: EpisodeStart,
}

impl Default for StrategyEnvConfig {
    fn default() -> Self {
        Self {
            episode_len: 64,
            reward_scale: 100.0,
            switch_fee: 0.0,
            include_regime: false,
            recent_perf_window: 0,
            start: EpisodeStart::RandomTrain,
        }
    }
}

/// The strategy-selection environment (Gym API; `Discrete(n_strategies)`).
#[derive(Debug, Clone)]
pub struct StrategyEnv {
    data: Arc<StrategyData>,
    config: StrategyEnvConfig,
    /// Observation part that depends on the window only, window-major.
    table: Arc<Vec<f32>>,
    /// Legal random episode starts (training windows).
    starts: Arc<Vec<usize>>,
    base_dim: usize,
    obs_space: Space,
    act_space: Space,
    rng: SplitMix64,
    w: usize,
    t: usize,
    prev: Option<usize>,
    active: bool,
}

impl StrategyEnv {
    /// Check the configuration against the data and precompute the
    /// window features.
    pub fn new(data: Arc<StrategyData>, config: StrategyEnvConfig) -> Result<Self> {
        if config.episode_len == 0 {
            return Err(PpoError::invalid_param("episode_len", 0, "must be >= 1"));
        }
        if !(config.reward_scale.is_finite() && config.reward_scale > 0.0) {
            return Err(PpoError::invalid_param(
                "reward_scale",
                config.reward_scale,
                "must be finite and > 0",
            ));
        }
        if !(config.switch_fee.is_finite() && config.switch_fee >= 0.0) {
            return Err(PpoError::invalid_param(
                "switch_fee",
                config.switch_fee,
                "must be finite and >= 0",
            ));
        }
        if config.include_regime && data.regime.is_none() {
            return Err(PpoError::invalid_param(
                "include_regime",
                true,
                "the data has no `regime` column",
            ));
        }
        // Random starts: training windows whose series holds `episode_len`
        // more training windows (one series: `0..=n_train - 1 - episode_len`).
        let starts: Vec<usize> = match config.start {
            EpisodeStart::RandomTrain => (0..data.n_train)
                .filter(|&w| {
                    data.walk(w, config.episode_len)
                        .is_some_and(|v| v < data.n_train)
                })
                .collect(),
            EpisodeStart::At(_) => Vec::new(),
        };
        match config.start {
            EpisodeStart::RandomTrain if starts.is_empty() => {
                return Err(PpoError::InvalidData(format!(
                    "{} training windows cannot hold a {}-step episode (needs episode_len + 1 windows of one series)",
                    data.n_train, config.episode_len
                )));
            }
            EpisodeStart::At(w0)
                if w0 >= data.n_windows() || data.walk(w0, config.episode_len).is_none() =>
            {
                return Err(PpoError::InvalidData(format!(
                    "an episode of {} steps from window {w0} needs {} windows of its series, the data has {}",
                    config.episode_len,
                    config.episode_len + 1,
                    data.n_windows()
                )));
            }
            _ => {}
        }
        let k = data.n_strategies();
        let c = data.n_context();
        let n_reg = if config.include_regime {
            data.n_regimes()
        } else {
            0
        };
        let n_perf = if config.recent_perf_window > 0 { k } else { 0 };
        let base_dim = c + n_reg + n_perf;
        let z = data.standardized_context();
        let nw = data.n_windows();
        let mut table = Vec::with_capacity(nw * base_dim);
        for w in 0..nw {
            table.extend_from_slice(&z[w * c..(w + 1) * c]);
            if let (true, Some(reg)) = (config.include_regime, data.regime.as_ref()) {
                for r in 0..n_reg {
                    table.push(if reg[w] as usize == r { 1.0 } else { 0.0 });
                }
            }
            if n_perf > 0 {
                // Windows up to w (of w's series) are finished when the
                // decision at w is made; oldest first.
                let mut recent = vec![w];
                while recent.len() < config.recent_perf_window {
                    match data.prev_window(recent[recent.len() - 1]) {
                        Some(v) => recent.push(v),
                        None => break,
                    }
                }
                recent.reverse();
                let m = recent.len() as f64;
                for s in 0..k {
                    let mean = recent.iter().map(|&v| data.ret(v, s)).sum::<f64>() / m;
                    table.push((config.reward_scale * mean) as f32);
                }
            }
        }
        Ok(Self {
            starts: Arc::new(starts),
            obs_space: Space::unbounded(base_dim + k),
            act_space: Space::discrete(k),
            table: Arc::new(table),
            base_dim,
            rng: SplitMix64::new(0),
            w: 0,
            t: 0,
            prev: None,
            active: false,
            data,
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &StrategyEnvConfig {
        &self.config
    }

    /// The current decision window.
    pub fn window(&self) -> usize {
        self.w
    }

    /// Names of the observation values, in order: the context columns,
    /// `regime_<r>`, `recent_<strategy>`, `prev_<strategy>`.
    pub fn feature_names(&self) -> Vec<String> {
        let mut v = self.data.context_names.clone();
        if self.config.include_regime {
            v.extend((0..self.data.n_regimes()).map(|r| format!("regime_{r}")));
        }
        if self.config.recent_perf_window > 0 {
            v.extend(self.data.strategies.iter().map(|s| format!("recent_{s}")));
        }
        v.extend(self.data.strategies.iter().map(|s| format!("prev_{s}")));
        v
    }

    fn write_obs(&self, obs: &mut [f32]) {
        let b = self.base_dim;
        obs[..b].copy_from_slice(&self.table[self.w * b..(self.w + 1) * b]);
        obs[b..].iter_mut().for_each(|x| *x = 0.0);
        if let Some(p) = self.prev {
            obs[b + p] = 1.0;
        }
    }
}

impl Env for StrategyEnv {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }

    fn action_space(&self) -> &Space {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        check_obs_len(obs, self.obs_space.dim())?;
        if let Some(s) = seed {
            self.rng = SplitMix64::new(s);
        }
        self.w = match self.config.start {
            EpisodeStart::RandomTrain => {
                self.starts[self.rng.next_below(self.starts.len() as u64) as usize]
            }
            EpisodeStart::At(w0) => w0,
        };
        self.t = 0;
        self.prev = None;
        self.active = true;
        self.write_obs(obs);
        Ok(Info::default())
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step> {
        if !self.active {
            return Err(PpoError::Env(
                "StrategyEnv::step after the episode ended (call reset)".into(),
            ));
        }
        check_obs_len(obs, self.obs_space.dim())?;
        let a = match action {
            Action::Discrete(a) if a < self.data.n_strategies() => a,
            other => {
                return Err(PpoError::Space {
                    what: "action",
                    expected: self.act_space.to_string(),
                    got: format!("{other:?}"),
                });
            }
        };
        let fee = match self.prev {
            Some(p) if p != a => self.config.switch_fee,
            _ => 0.0,
        };
        // `new` checked that every episode's windows exist in its series.
        let next = self.data.next_window(self.w).ok_or_else(|| {
            PpoError::Env(format!(
                "StrategyEnv::step: window {} is the last of its series",
                self.w
            ))
        })?;
        let reward = self.config.reward_scale * (self.data.ret(next, a) - fee);
        self.prev = Some(a);
        self.w = next;
        self.t += 1;
        let terminated = self.t == self.config.episode_len;
        if terminated {
            self.active = false;
        }
        self.write_obs(obs);
        Ok(Step {
            reward,
            terminated,
            truncated: false,
            info: Info::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Arc<StrategyData> {
        // 6 windows, 2 strategies, 1 context column, 4 training windows.
        let csv = "window,ret_a,ret_b,ctx_x,regime,is_train\n\
                   0,0.01,-0.01,1,0,1\n1,0.02,-0.02,2,1,1\n2,0.03,-0.03,3,2,1\n\
                   3,0.04,-0.04,4,0,1\n4,0.05,-0.05,5,1,0\n5,0.06,-0.06,6,2,0\n";
        Arc::new(StrategyData::parse_csv("toy.csv", csv).unwrap())
    }

    #[test]
    fn strategy_csv_parses_columns_split_and_scaler() {
        let d = toy();
        assert_eq!(d.strategies, ["a", "b"]);
        assert_eq!(d.context_names, ["ctx_x"]);
        assert_eq!((d.n_windows(), d.n_train, d.n_regimes()), (6, 4, 3));
        let (m, s) = d.context_scaler();
        assert_eq!(m, [2.5]);
        assert!((s[0] - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!(d.test_decisions(), (3, 2));
    }

    #[test]
    fn strategy_csv_errors_name_line_and_column() {
        let bad = "ret_a,ctx_x,is_train\n0.1,abc,1\n";
        let e = StrategyData::parse_csv("f.csv", bad)
            .unwrap_err()
            .to_string();
        // Line and column, never the file's own text (header included).
        assert!(e.contains("f.csv:2") && e.contains("column 2"), "{e}");
        assert!(!e.contains("abc") && !e.contains("ctx_x"), "{e}");
        let unsplit = "ret_a,ctx_x,is_train\n0.1,1,0\n0.1,1,1\n";
        let e = StrategyData::parse_csv("f.csv", unsplit)
            .unwrap_err()
            .to_string();
        assert!(e.contains("chronological"), "{e}");
        let ragged = "ret_a,ctx_x,is_train\n0.1,1\n";
        assert!(StrategyData::parse_csv("f.csv", ragged).is_err());
        assert!(StrategyData::parse_csv("f.csv", "").is_err());
        assert!(StrategyData::parse_csv("f.csv", "a,b\n1,2\n").is_err());
    }

    #[test]
    fn strategy_env_rewards_next_window_and_carries_previous_action() {
        let d = toy();
        let cfg = StrategyEnvConfig {
            episode_len: 2,
            switch_fee: 0.001,
            start: EpisodeStart::At(0),
            ..Default::default()
        };
        let mut env = StrategyEnv::new(d, cfg).unwrap();
        let mut obs = vec![0.0; 3];
        env.reset(Some(1), &mut obs).unwrap();
        let z0 = ((1.0 - 2.5) / 1.25f64.sqrt()) as f32;
        assert_eq!(obs, [z0, 0.0, 0.0]);
        let s = env.step(Action::Discrete(1), &mut obs).unwrap();
        assert!(
            (s.reward - 100.0 * -0.02).abs() < 1e-12,
            "no fee on the first step"
        );
        assert_eq!(obs[1..], [0.0, 1.0]);
        let s = env.step(Action::Discrete(0), &mut obs).unwrap();
        assert!((s.reward - 100.0 * (0.03 - 0.001)).abs() < 1e-12);
        assert!(s.terminated && !s.truncated);
        assert!(env.step(Action::Discrete(0), &mut obs).is_err());
    }

    #[test]
    fn strategy_env_random_starts_stay_inside_training_windows() {
        let d = toy();
        // 4 training windows, 2-step episodes: w0 in {0, 1}
        let cfg = StrategyEnvConfig {
            episode_len: 2,
            ..Default::default()
        };
        let mut env = StrategyEnv::new(d.clone(), cfg).unwrap();
        let mut obs = vec![0.0; 3];
        let mut seen = [false; 2];
        for s in 0..50 {
            env.reset(Some(s), &mut obs).unwrap();
            let w0 = env.window();
            seen[w0] = true;
            for _ in 0..2 {
                assert!(env.window() + 1 < d.n_train);
                env.step(Action::Discrete(0), &mut obs).unwrap();
            }
        }
        assert_eq!(seen, [true, true], "both legal starts 0 and 1 occur");
        let too_long = StrategyEnvConfig {
            episode_len: 4,
            ..Default::default()
        };
        assert!(StrategyEnv::new(d, too_long).is_err());
    }

    #[test]
    fn evaluation_walks_the_test_windows_once() {
        let d = toy();
        let (first, n) = d.test_decisions();
        let ev = d
            .evaluate(&StrategyEnvConfig::default(), first, n, |_| Ok(0))
            .unwrap();
        assert_eq!(ev.returns.len(), 2);
        assert!((ev.mean_return - 0.055).abs() < 1e-12);
        assert_eq!(d.mean_returns(4, 5), vec![0.055, -0.055]);
    }

    #[test]
    fn regime_and_recent_performance_extend_the_observation() {
        let d = toy();
        let cfg = StrategyEnvConfig {
            include_regime: true,
            recent_perf_window: 2,
            start: EpisodeStart::At(1),
            episode_len: 1,
            ..Default::default()
        };
        let mut env = StrategyEnv::new(d, cfg).unwrap();
        let (obs, _) = env.reset_vec(None).unwrap();
        // z, regime one-hot (3), recent perf (2), previous action (2)
        assert_eq!(obs.len(), 1 + 3 + 2 + 2);
        assert_eq!(obs[1..4], [0.0, 1.0, 0.0]);
        assert!((obs[4] - 1.5).abs() < 1e-6 && (obs[5] + 1.5).abs() < 1e-6);
    }

    /// Two series pooled as the backtest writes them: train AAA (rows 0-3),
    /// BBB (4-7), test AAA (8-9), BBB (10-11). AAA's returns are +1%, BBB's
    /// -2%, so a step into the other series shows in the reward.
    fn pooled() -> Arc<StrategyData> {
        let mut csv = String::from("symbol,timeframe,ret_a,ret_b,ctx_x,is_train\n");
        for (train, n) in [(1, 4), (0, 2)] {
            for (sym, r) in [("AAA", 0.01), ("BBB", -0.02)] {
                for i in 0..n {
                    csv.push_str(&format!("{sym},1h,{r},{r},{i},{train}\n"));
                }
            }
        }
        Arc::new(StrategyData::parse_csv("pooled.csv", &csv).unwrap())
    }

    #[test]
    fn pooled_series_episodes_and_evaluation_never_cross_symbols() {
        let d = pooled();
        assert!(d.series.is_some());
        let own = |w: usize| {
            if d.series.as_ref().unwrap()[w] == 0 {
                1.0
            } else {
                -2.0
            }
        };
        let cfg = StrategyEnvConfig {
            episode_len: 3,
            recent_perf_window: 4,
            ..Default::default()
        };
        let mut env = StrategyEnv::new(d.clone(), cfg).unwrap();
        let mut obs = vec![0.0; env.observation_space().dim()];
        let mut starts = std::collections::BTreeSet::new();
        for seed in 0..60 {
            env.reset(Some(seed), &mut obs).unwrap();
            let w0 = env.window();
            starts.insert(w0);
            // Trailing returns of the start window's own series only.
            assert!((obs[1] as f64 - own(w0)).abs() < 1e-6, "{obs:?}");
            for _ in 0..3 {
                let s = env.step(Action::Discrete(0), &mut obs).unwrap();
                assert!(
                    (s.reward - own(w0)).abs() < 1e-9,
                    "start {w0}: {}",
                    s.reward
                );
                assert!(env.window() < d.n_train);
            }
        }
        // Each series' only legal 3-step start within its 4 training windows.
        assert_eq!(starts.into_iter().collect::<Vec<_>>(), [0, 4]);
        // Test walks: each series from its last training window.
        assert_eq!(d.test_runs(), [(3, 2), (7, 2)]);
        for (first, n) in d.test_runs() {
            let ev = d
                .evaluate(&StrategyEnvConfig::default(), first, n, |_| Ok(1))
                .unwrap();
            assert!(
                ev.returns
                    .iter()
                    .all(|&r| (100.0 * r - own(first)).abs() < 1e-9)
            );
        }
        // An episode that would run off its series is refused.
        let off = StrategyEnvConfig {
            episode_len: 3,
            start: EpisodeStart::At(8),
            ..Default::default()
        };
        assert!(StrategyEnv::new(d, off).is_err());
    }
}

//! Walk-forward evaluation: if this bot had run with these agents, retrained
//! on schedule, what would it have made, against holding and against the
//! best fixed strategy?
//!
//! Time is cut into folds ([`plan`]): each fold trains on a trailing window
//! of `train_days` and trades the following `test_days`, then the window
//! moves on by `step_days`. In a fold, over every candle series at once:
//!
//! 1. the whole-bot bootstrap ([`crate::bootstrap`]) runs on the fold's bars
//!    with its time cut at the last training bar, so the agent-driven
//!    strategies (signal, LSTM, OU bots) are trained on the training window
//!    only and every strategy's per-window returns are known for training and
//!    test windows alike;
//! 2. the selection agents (linucb, meta-selector, ppo) and the regime agent
//!    are trained on the training window by the same code as `train`
//!    ([`crate::agents`]), with its purge and validation;
//! 3. the test windows are traded in time order by the bot's own per-bar
//!    code, `cointrainer::live`: a candle buffer fed bar by bar gives the
//!    feature row at each decision bar (the last bar before a window), the
//!    live wrappers choose a strategy for the window, and the selector earns
//!    that strategy's return for the window (LinUCB learns it online, the
//!    meta-selector records it, as in a bot).
//!
//! Baselines, per fold and symbol: every strategy alone (including
//! `buy_hold`), the best fixed strategy chosen on the fold's training windows
//! (`best_on_train`), the regime-gated best fixed strategy per regime chosen
//! on training windows (`regime_gated`, regime from the regime agent when it
//! runs, else the volatility tercile), a seeded uniform random choice
//! (`random`) and the best fixed strategy in hindsight (`hindsight`, a
//! ceiling that no bot could know). Each selector is compared with
//! `best_on_train` by a paired bootstrap over the test windows
//! ([`agent_core::paired`]).
//!
//! A fold is a pure function of the data, the options and the seed: folds run
//! in parallel, and the same inputs give the same numbers bit for bit.

mod fold;
pub mod report;

use crate::agents::MarketData;
use crate::error::TrainError;
pub use fold::{FoldResult, SeriesResult, run_fold};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// One day in epoch milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The agents a walk-forward can run, in the order they train.
pub const AGENTS: [&str; 7] = [
    "regime",
    "signal",
    "ou-mean",
    "lstm",
    "linucb",
    "meta-selector",
    "ppo",
];

/// What a walk-forward run does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardOptions {
    /// Trailing training window of each fold.
    pub train_days: u32,
    /// Traded period of each fold.
    pub test_days: u32,
    /// How far the next fold starts after this one (default: `test_days`,
    /// back-to-back test periods).
    pub step_days: Option<u32>,
    /// First test period starts here (epoch ms); default: one training
    /// window after the first bar.
    pub from: Option<i64>,
    /// Test periods end before this (epoch ms); default: after the last bar.
    pub to: Option<i64>,
    /// Agents to run (names of [`AGENTS`]). `signal`, `lstm` and `ou-mean`
    /// enter as their bots (strategies); `regime` gates; `linucb`,
    /// `meta-selector` and `ppo` select.
    pub agents: Vec<String>,
    /// Fee per unit of position change in the per-window returns (0.001 =
    /// 0.1%, SPEC T2's).
    pub fee_per_unit: f64,
    /// Slippage per unit of position change, charged like the fee (0).
    pub slippage_per_unit: f64,
    /// The strategies the bot has (names of the bootstrap's rule strategies
    /// and of the bots `ou_mean_rev`, `lstm`, `signal`); empty: all of them.
    /// The selectors choose among these, and the baselines are chosen from
    /// them.
    pub strategies: Vec<String>,
    /// Seed of the random baseline (the agents use their own seeds).
    pub seed: u64,
    /// Agent parameters (as `[agents.<name>]` of the config).
    pub agent_params: BTreeMap<String, Map<String, Value>>,
    /// Each symbol on its own: every fold trains and trades each symbol's
    /// series alone (its own bootstrap, selectors and regime model) instead
    /// of all series pooled; the folds are the same for every symbol.
    #[serde(default)]
    pub per_symbol: bool,
}

/// A walk-forward run as people write it: the `walk-forward` command's
/// flags, or `[sweep.walk_forward]` of the config file (days as
/// `YYYY-MM-DD`, UTC). [`WalkForwardConfig::options`] resolves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WalkForwardConfig {
    pub train_days: u32,
    pub test_days: u32,
    pub step_days: Option<u32>,
    /// First day traded; default: one training window after the first bar.
    pub from: Option<String>,
    /// Trade until this day (exclusive); default: the last bar.
    pub to: Option<String>,
    /// Agents (default: all of [`AGENTS`]).
    pub agents: Vec<String>,
    pub fee: f64,
    pub slippage: f64,
    /// Strategies the bot has (default: all).
    pub strategies: Vec<String>,
    pub random_seed: u64,
    /// Each symbol on its own (see [`WalkForwardOptions::per_symbol`]).
    pub per_symbol: bool,
}

impl Default for WalkForwardConfig {
    fn default() -> Self {
        let d = WalkForwardOptions::default();
        Self {
            train_days: d.train_days,
            test_days: d.test_days,
            step_days: d.step_days,
            from: None,
            to: None,
            agents: Vec::new(),
            fee: d.fee_per_unit,
            slippage: d.slippage_per_unit,
            strategies: Vec::new(),
            random_seed: d.seed,
            per_symbol: d.per_symbol,
        }
    }
}

impl WalkForwardConfig {
    /// The options of this run, with the config's agent parameters.
    pub fn options(
        &self,
        agent_params: &BTreeMap<String, Map<String, Value>>,
    ) -> Result<WalkForwardOptions, TrainError> {
        let trimmed = |v: &[String]| v.iter().map(|s| s.trim().to_string()).collect::<Vec<_>>();
        Ok(WalkForwardOptions {
            train_days: self.train_days,
            test_days: self.test_days,
            step_days: self.step_days,
            from: self
                .from
                .as_deref()
                .map(|s| parse_day("from", s))
                .transpose()?,
            to: self.to.as_deref().map(|s| parse_day("to", s)).transpose()?,
            agents: if self.agents.is_empty() {
                AGENTS.iter().map(|s| s.to_string()).collect()
            } else {
                trimmed(&self.agents)
            },
            fee_per_unit: self.fee,
            slippage_per_unit: self.slippage,
            strategies: trimmed(&self.strategies),
            seed: self.random_seed,
            agent_params: agent_params.clone(),
            per_symbol: self.per_symbol,
        })
    }
}

/// A day (`YYYY-MM-DD`, UTC midnight) or an RFC 3339 time, in epoch ms;
/// `what` names the setting in the error.
pub fn parse_day(what: &str, s: &str) -> Result<i64, TrainError> {
    let text = if s.trim().len() == 10 {
        format!("{}T00:00:00Z", s.trim())
    } else {
        s.to_string()
    };
    backtest::io::parse_time(&text).map_err(|_| TrainError::Params {
        agent: "walk-forward".into(),
        why: format!(
            "{what} {:?} is not a day like 2022-01-01",
            s.chars().take(40).collect::<String>()
        ),
    })
}

impl Default for WalkForwardOptions {
    fn default() -> Self {
        Self {
            train_days: 90,
            test_days: 30,
            step_days: None,
            from: None,
            to: None,
            agents: AGENTS.iter().map(|s| s.to_string()).collect(),
            fee_per_unit: 0.001,
            slippage_per_unit: 0.0,
            strategies: Vec::new(),
            seed: 42,
            agent_params: BTreeMap::new(),
            per_symbol: false,
        }
    }
}

impl WalkForwardOptions {
    fn check(&self) -> Result<(), TrainError> {
        let bad = |why: String| TrainError::Params {
            agent: "walk-forward".into(),
            why,
        };
        if self.train_days == 0 || self.test_days == 0 || self.step_days == Some(0) {
            return Err(bad(
                "--train-days, --test-days and --step-days must be at least 1".into(),
            ));
        }
        let cost = self.fee_per_unit + self.slippage_per_unit;
        if !(self.fee_per_unit >= 0.0 && self.slippage_per_unit >= 0.0 && cost < 1.0) {
            return Err(bad(format!(
                "--fee {} and --slippage {} must be >= 0 and add up to less than 1",
                self.fee_per_unit, self.slippage_per_unit
            )));
        }
        if let (Some(a), Some(b)) = (self.from, self.to)
            && a >= b
        {
            return Err(bad("--from must be before --to".into()));
        }
        if self.agents.is_empty() {
            return Err(bad("no agents given".into()));
        }
        let known = known_strategies()?;
        for st in &self.strategies {
            if !known.contains(st) {
                return Err(bad(format!(
                    "unknown strategy `{}`; known: {}",
                    st.chars().take(64).collect::<String>(),
                    known.join(", ")
                )));
            }
        }
        if !self.strategies.is_empty() && self.strategies.len() < 2 {
            return Err(bad(
                "a selector needs at least two strategies to choose from".into(),
            ));
        }
        for a in &self.agents {
            if !AGENTS.contains(&a.as_str()) {
                return Err(bad(format!(
                    "unknown agent `{}`; known: {}",
                    a.chars().take(64).collect::<String>(),
                    AGENTS.join(", ")
                )));
            }
        }
        Ok(())
    }

    pub(crate) fn runs(&self, agent: &str) -> bool {
        self.agents.iter().any(|a| a == agent)
    }

    /// Whether the bot has the strategy `name`.
    pub(crate) fn has_strategy(&self, name: &str) -> bool {
        self.strategies.is_empty() || self.strategies.iter().any(|s| s == name)
    }
}

/// Every strategy a walk-forward can trade: the bootstrap's rule strategies
/// and the agent bots.
pub fn known_strategies() -> Result<Vec<String>, TrainError> {
    let mut names: Vec<String> = crate::bootstrap::rule_strategies()?
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    names.extend(["ou_mean_rev", "lstm", "signal"].map(String::from));
    Ok(names)
}

/// One fold in time: train on `[train_from, test_from)`, trade
/// `[test_from, test_to)` (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    pub index: usize,
    pub train_from: i64,
    pub test_from: i64,
    pub test_to: i64,
}

/// The folds over `data`: the first test period starts at `from` (default:
/// one training window after the earliest bar), each lasts `test_days` (the
/// last one is cut at `to` or after the latest bar), and each next one starts
/// `step_days` later.
pub fn plan(data: &MarketData, opts: &WalkForwardOptions) -> Result<Vec<Fold>, TrainError> {
    opts.check()?;
    let spans: Vec<(i64, i64)> = data.series.iter().filter_map(|(_, c)| c.span()).collect();
    let (first, last) = spans
        .iter()
        .copied()
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
        .ok_or_else(|| TrainError::Data("no candles were given".into()))?;
    let train = i64::from(opts.train_days) * DAY_MS;
    let test = i64::from(opts.test_days) * DAY_MS;
    let step = i64::from(opts.step_days.unwrap_or(opts.test_days)) * DAY_MS;
    let start = opts.from.unwrap_or(first + train).max(first + train);
    let end = opts.to.unwrap_or(last + 1).min(last + 1);
    let mut folds = Vec::new();
    let mut test_from = start;
    while test_from < end {
        folds.push(Fold {
            index: folds.len(),
            train_from: test_from - train,
            test_from,
            test_to: (test_from + test).min(end),
        });
        test_from += step;
    }
    if folds.is_empty() {
        return Err(TrainError::Data(format!(
            "no fold fits: the data spans {} to {}, and a fold needs {} training days before \
             its test period{}",
            market::format_ts_utc(first),
            market::format_ts_utc(last),
            opts.train_days,
            match (opts.from, opts.to) {
                (None, None) => String::new(),
                _ => " inside --from/--to".to_string(),
            }
        )));
    }
    Ok(folds)
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct WalkForward {
    pub options: WalkForwardOptions,
    pub folds: Vec<FoldResult>,
}

/// The symbols a fold runs apart: each symbol of `data` with
/// [`WalkForwardOptions::per_symbol`], else one unit of every series
/// (`None`).
pub fn units(data: &MarketData, opts: &WalkForwardOptions) -> Vec<Option<String>> {
    if !opts.per_symbol {
        return vec![None];
    }
    let mut symbols: Vec<Option<String>> = Vec::new();
    for (s, _) in &data.series {
        if !symbols.iter().any(|x| x.as_deref() == Some(s)) {
            symbols.push(Some(s.clone()));
        }
    }
    symbols
}

/// The results of one fold's units as one fold: their series in unit
/// order. `None` when no unit could trade.
pub fn join_units(parts: Vec<FoldResult>) -> Option<FoldResult> {
    let mut parts = parts.into_iter();
    let mut joined = parts.next()?;
    for p in parts {
        joined.series.extend(p.series);
        for a in p.trained {
            if !joined.trained.contains(&a) {
                joined.trained.push(a);
            }
        }
    }
    Some(joined)
}

/// Run every fold of [`plan`] (and every symbol apart, with
/// [`WalkForwardOptions::per_symbol`]) in parallel, calling `progress` with
/// the number of units done after each.
pub fn run(
    data: &MarketData,
    opts: &WalkForwardOptions,
    work_dir: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<WalkForward, TrainError> {
    let folds = plan(data, opts)?;
    let units = units(data, opts);
    let jobs: Vec<(&Fold, &Option<String>)> = folds
        .iter()
        .flat_map(|f| units.iter().map(move |u| (f, u)))
        .collect();
    let total = jobs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Option<FoldResult>, TrainError>> =
        jobs.par_iter()
            .map(|&(f, unit)| {
                let (unit_data, dir) = match unit {
                    None => (None, work_dir.join(format!("fold-{:03}", f.index))),
                    Some(s) => (
                        Some(crate::orchestrator::data_of_symbol(data, s)),
                        work_dir.join(format!("fold-{:03}-{s}", f.index)),
                    ),
                };
                let r = fold::run_fold(unit_data.as_ref().unwrap_or(data), f, opts, &dir).map_err(
                    |e| TrainError::Agent {
                        agent: "walk-forward".into(),
                        why: format!(
                            "fold {}{} (trading from {}): {e}",
                            f.index,
                            unit.as_deref()
                                .map(|s| format!(", {s}"))
                                .unwrap_or_default(),
                            market::format_ts_utc(f.test_from)
                        ),
                    },
                );
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                progress(n, total);
                r
            })
            .collect();
    let mut out = Vec::with_capacity(folds.len());
    let mut results = results.into_iter();
    for _ in &folds {
        let mut parts = Vec::new();
        for _ in &units {
            if let Some(r) = results.next().transpose()? {
                parts.extend(r);
            }
        }
        out.extend(join_units(parts));
    }
    if out.is_empty() {
        return Err(TrainError::Data(
            "no fold had enough bars to train and trade (each needs the bootstrap's 72-bar \
             warm-up and at least two 24-bar windows before its test period)"
                .into(),
        ));
    }
    Ok(WalkForward {
        options: opts.clone(),
        folds: out,
    })
}

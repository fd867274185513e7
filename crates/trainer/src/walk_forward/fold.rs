//! One fold: bootstrap on the fold's bars, train on its training window,
//! trade its test windows with the live wrappers.

use super::{Fold, WalkForwardOptions};
use crate::agents::{self, MarketData, TrainCtx};
use crate::bootstrap::{self, AgentStrategy, BootstrapOptions};
use crate::error::TrainError;
use agent_core::SplitMix64;
use backtest::{StrategyReturns, VolTerciles, WindowSpec};
use cointrainer::live::{
    CandleBuffer, LiveLinUcb, LiveMetaSelector, LivePpo, LiveRegime, Loader, ModelSlot, Origin,
};
use market::{Candles, Regime};
use serde_json::Map;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The T0 column of `ctx_vol_24`, whose tercile is the bootstrap's regime.
const VOL_24: usize = 6;
/// Share of a fold's training windows the selectors fit on; the rest is
/// their own held-out period (early stopping, test metrics).
const TRAIN_FRACTION: f64 = 0.8;
/// LinUCB learns rewards in percent (the agent's `reward_scale` default).
const LINUCB_REWARD_SCALE: f64 = 100.0;

/// One series' test windows of a fold and what every variant earned.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeriesResult {
    pub symbol: String,
    pub timeframe: String,
    /// The bootstrap's strategies (column order of `returns`).
    pub strategies: Vec<String>,
    /// Test windows: open time of the first bar and of the last bar.
    pub start_ts: Vec<i64>,
    pub end_ts: Vec<i64>,
    /// `returns[w][k]`: strategy `k`'s net return in test window `w`.
    pub returns: Vec<Vec<f64>>,
    /// Per-window returns of the selectors and baselines (`linucb`,
    /// `meta-selector`, `ppo`, `best_on_train`, `regime_gated`, `random`,
    /// `hindsight`).
    pub variants: BTreeMap<String, Vec<f64>>,
    /// The strategy each choosing variant took per test window.
    pub choices: BTreeMap<String, Vec<usize>>,
    /// Position changes (sum of |change|, in units of the position) per
    /// test window of every variant and strategy, switches included.
    pub turnover: BTreeMap<String, Vec<f64>>,
    /// Fee plus slippage charged per unit of position change.
    pub cost_per_unit: f64,
    /// Regime label of each test window (0 low, 1 medium, 2 high volatility)
    /// and where it came from (`regime agent` or `volatility tercile`).
    pub regime: Vec<u8>,
    pub regime_source: String,
    /// Windows per year of this series (for annualised figures).
    pub windows_per_year: f64,
}

/// A fold's results over every series that could trade in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FoldResult {
    pub fold: Fold,
    pub series: Vec<SeriesResult>,
    /// Agents trained in this fold.
    pub trained: Vec<String>,
}

fn agent_err(agent: &str, e: impl std::fmt::Display) -> TrainError {
    TrainError::Agent {
        agent: agent.to_string(),
        why: e.to_string(),
    }
}

/// The fold's bars of every series: `[train_from, test_to)`, kept only when
/// the series has the bootstrap's warm-up and two windows before the test
/// period, and one window in it.
fn fold_data(data: &MarketData, fold: &Fold, window: &WindowSpec) -> MarketData {
    let need_train = window.start + 2 * window.window_bars;
    let series = data
        .series
        .iter()
        .filter_map(|(s, c)| {
            let a = c.ts.partition_point(|&t| t < fold.train_from);
            let m = c.ts.partition_point(|&t| t < fold.test_from);
            let b = c.ts.partition_point(|&t| t < fold.test_to);
            (m - a >= need_train && b - m >= window.window_bars).then(|| (s.clone(), c.slice(a..b)))
        })
        .collect();
    MarketData {
        series,
        source: format!("{} (fold {})", data.source, fold.index),
        provenance: data.provenance.clone(),
    }
}

fn train_agent(
    name: &str,
    data: &MarketData,
    returns: Option<&StrategyReturns>,
    opts: &WalkForwardOptions,
    dir: &Path,
) -> Result<PathBuf, TrainError> {
    let agent = agents::get(name)?;
    let mut params = opts
        .agent_params
        .get(name)
        .cloned()
        .unwrap_or_else(Map::new);
    // Folds already run in parallel, one per core: LightGBM's own threads
    // would only contend with them (unless the user asked for threads).
    if matches!(name, "regime" | "meta-selector") && !params.contains_key("num_threads") {
        params.insert("num_threads".into(), 1.into());
    }
    let trained = agent.train(&TrainCtx {
        data,
        returns,
        params: &params,
        out_dir: &dir.join(name),
        progress: &|_| {},
        device: Default::default(),
    })?;
    Ok(trained.model_dir)
}

/// Run one fold; `None` when no series can trade in it. A pure function of
/// the data, the fold and the options: the same inputs give the same
/// result bit for bit (the models it trains go to `dir`).
pub fn run_fold(
    data: &MarketData,
    fold: &Fold,
    opts: &WalkForwardOptions,
    dir: &Path,
) -> Result<Option<FoldResult>, TrainError> {
    let window = WindowSpec {
        fee_per_unit: opts.fee_per_unit + opts.slippage_per_unit,
        cut_ts: Some(fold.test_from - 1),
        ..WindowSpec::spec_t2()
    };
    let fdata = fold_data(data, fold, &window);
    if fdata.series.is_empty() {
        return Ok(None);
    }
    let bots: Vec<AgentStrategy> = [
        ("ou-mean", "ou_mean_rev", AgentStrategy::OuMeanRev),
        ("lstm", "lstm", AgentStrategy::Lstm),
        ("signal", "signal", AgentStrategy::Signal),
    ]
    .into_iter()
    .filter(|(agent, strategy, _)| opts.runs(agent) && opts.has_strategy(strategy))
    .map(|(_, _, a)| a)
    .collect();
    let bopts = BootstrapOptions {
        agents: bots,
        window,
        ..BootstrapOptions::default()
    };
    let (returns, strategies) = bootstrap::strategy_returns(&fdata, &bopts)?;
    let (returns, strategies) = only_strategies(returns, strategies, opts);
    if returns.n_train == 0 || returns.n_train == returns.len() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
    let mut trained = Vec::new();
    let mut models: BTreeMap<&str, PathBuf> = BTreeMap::new();
    // The selectors learn from the training windows only, split again in
    // time for their own held-out scoring: the test windows are traded below
    // and never reach a model before the bot has lived through them.
    let selectors = ["linucb", "meta-selector", "ppo"];
    if selectors.iter().any(|s| opts.runs(s)) {
        let train_windows = returns.train_part(TRAIN_FRACTION)?;
        let train_data = fdata.before(fold.test_from);
        for name in selectors {
            if opts.runs(name) {
                models.insert(
                    name,
                    train_agent(name, &train_data, Some(&train_windows), opts, dir)?,
                );
                trained.push(name.to_string());
            }
        }
    }
    if opts.runs("regime") {
        let train_only = fdata.before(fold.test_from);
        models.insert(
            "regime",
            train_agent("regime", &train_only, None, opts, dir)?,
        );
        trained.push("regime".to_string());
    }
    for bot in ["signal", "lstm", "ou-mean"] {
        if opts.runs(bot) {
            trained.push(format!("{bot} (bot)"));
        }
    }
    let loader = Loader::new().allow_synthetic(true);
    let mut series = Vec::new();
    for (symbol, candles) in &fdata.series {
        let timeframe = candles
            .interval_ms()
            .map(market::format_interval)
            .unwrap_or_default();
        // Every strategy's position after each bar, as the returns table
        // was computed from them: the variants follow these paths.
        let positions: Vec<Vec<i8>> = strategies
            .iter()
            .map(|st| {
                backtest::target_positions_mtf(st.as_ref(), candles, window.start)
                    .map(|ps| ps.iter().map(|p| p.sign()).collect())
            })
            .collect::<Result<_, _>>()?;
        let paths = Paths {
            close: &candles.close,
            positions: &positions,
            cost: window.fee_per_unit,
        };
        if let Some(r) = trade_series(
            symbol, &timeframe, candles, &returns, &paths, &models, &loader, fold, opts,
        )? {
            series.push(r);
        }
    }
    Ok((!series.is_empty()).then_some(FoldResult {
        fold: *fold,
        series,
        trained,
    }))
}

/// The position paths of one series' strategies, to follow a sequence of
/// choices bar by bar under the returns table's bar model: a position
/// decided at the close of bar `t` earns bar `t + 1`'s return, and every
/// change costs `cost` per unit, a switch between strategies included.
struct Paths<'a> {
    close: &'a [f64],
    /// `positions[k][t]`: strategy `k`'s position after bar `t`.
    positions: &'a [Vec<i8>],
    cost: f64,
}

impl Paths<'_> {
    /// Per test window: the compounded net return and the turnover of
    /// holding strategy `picks[i]`'s positions through window `rows[i]`.
    /// Across adjacent windows the previous choice's position is carried
    /// in, so a switch pays for its position change; after a gap the
    /// window starts from its own strategy's position.
    fn follow(&self, r: &StrategyReturns, rows: &[usize], picks: &[usize]) -> (Vec<f64>, Vec<f64>) {
        let mut rets = Vec::with_capacity(rows.len());
        let mut turns = Vec::with_capacity(rows.len());
        let mut held: Option<(usize, usize)> = None;
        for (&w, &k) in rows.iter().zip(picks) {
            let (first, last) = (r.first_bar[w], r.last_bar[w]);
            let before = match held {
                Some((end, kp)) if end + 1 == first => kp,
                _ => k,
            };
            // The window's bars with the two positions before them: the
            // one held into the window (the previous choice's) and the
            // chosen strategy's from there on, under the table's own bar
            // model (`backtest::bar_returns`).
            let lo = first.saturating_sub(2);
            let mut path = self.positions[k][lo..=last].to_vec();
            path[0] = self.positions[before][lo];
            let bar = backtest::bar_returns(&self.close[lo..=last], &path, 1, self.cost);
            let growth = bar.iter().skip(2).fold(1.0, |g, rt| g * (1.0 + rt));
            let turn: f64 = path
                .windows(2)
                .take(path.len().saturating_sub(2))
                .map(|p| f64::from(p[1] - p[0]).abs())
                .sum();
            rets.push(growth - 1.0);
            turns.push(turn);
            held = Some((last, k));
        }
        (rets, turns)
    }
}

/// The returns table and strategies cut to the bot's strategies
/// (`--strategies`), in the table's order.
fn only_strategies(
    mut r: StrategyReturns,
    strategies: Vec<Box<dyn backtest::Strategy>>,
    opts: &WalkForwardOptions,
) -> (StrategyReturns, Vec<Box<dyn backtest::Strategy>>) {
    if opts.strategies.is_empty() {
        return (r, strategies);
    }
    let keep: Vec<usize> = (0..r.strategies.len())
        .filter(|&k| opts.has_strategy(&r.strategies[k]))
        .collect();
    r.strategies = keep.iter().map(|&k| r.strategies[k].clone()).collect();
    for row in &mut r.returns {
        *row = keep.iter().map(|&k| row[k]).collect();
    }
    let strategies = strategies
        .into_iter()
        .filter(|s| opts.has_strategy(s.name()))
        .collect();
    (r, strategies)
}

/// Index of each name of `names` in `strategies`.
fn map_names(
    agent: &str,
    names: &[String],
    strategies: &[String],
) -> Result<Vec<usize>, TrainError> {
    names
        .iter()
        .map(|n| {
            strategies.iter().position(|s| s == n).ok_or_else(|| {
                agent_err(
                    agent,
                    format!("the model's strategy `{n}` is not in the bootstrap"),
                )
            })
        })
        .collect()
}

/// The strategy with the largest compounded return over `rows`.
fn best_fixed(returns: &StrategyReturns, rows: &[usize]) -> usize {
    let k = returns.strategies.len();
    let growth = |s: usize| -> f64 {
        rows.iter()
            .map(|&w| (1.0 + returns.returns[w][s]).max(1e-12).ln())
            .sum()
    };
    (0..k)
        .map(|s| (s, growth(s)))
        .fold((0, f64::NEG_INFINITY), |best, (s, g)| {
            if g > best.1 { (s, g) } else { best }
        })
        .0
}

#[allow(clippy::too_many_arguments)]
fn trade_series(
    symbol: &str,
    timeframe: &str,
    candles: &Candles,
    r: &StrategyReturns,
    paths: &Paths<'_>,
    models: &BTreeMap<&str, PathBuf>,
    loader: &Loader,
    fold: &Fold,
    opts: &WalkForwardOptions,
) -> Result<Option<SeriesResult>, TrainError> {
    let mine = |w: &usize| r.symbol[*w] == symbol && r.timeframe[*w] == timeframe;
    let train_rows: Vec<usize> = (0..r.n_train).filter(mine).collect();
    let test_rows: Vec<usize> = (r.n_train..r.len()).filter(mine).collect();
    if test_rows.is_empty() {
        return Ok(None);
    }
    // Feature rows at every decision bar (the bar before each window), from
    // the bot's own candle buffer fed bar by bar.
    let rows_in_order: Vec<usize> = train_rows.iter().chain(&test_rows).copied().collect();
    let decision_bars: Vec<usize> = rows_in_order
        .iter()
        .map(|&w| r.first_bar[w].saturating_sub(1))
        .collect();
    let mut buffer = CandleBuffer::with_default_capacity();
    let mut features: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let last_needed = decision_bars.iter().copied().max().unwrap_or(0);
    for i in 0..=last_needed.min(candles.len().saturating_sub(1)) {
        let bar = cointrainer::live::Bar::of(candles, i)
            .ok_or_else(|| TrainError::Data(format!("bar {i} of {symbol} is missing")))?;
        buffer.push(bar).map_err(|e| agent_err("walk-forward", e))?;
        if decision_bars.binary_search(&i).is_ok() && buffer.is_ready() {
            let row = buffer
                .features()
                .map_err(|e| agent_err("walk-forward", e))?;
            features.insert(i, row.to_vec());
        }
    }
    let feature_at = |w: usize| -> Result<&Vec<f64>, TrainError> {
        features
            .get(&r.first_bar[w].saturating_sub(1))
            .ok_or_else(|| {
                TrainError::Data(format!(
                    "{symbol}: too little history before a window for the live features"
                ))
            })
    };

    // Regime labels of every window: the regime agent's call at the decision
    // bar when it runs, else the bootstrap's volatility tercile.
    let terciles = VolTerciles {
        window: 24,
        q1: r.q1,
        q2: r.q2,
    };
    let tercile = |f: &[f64]| terciles.label_value(f[VOL_24]);
    let live_regime = match models.get("regime") {
        Some(dir) => {
            let model = loader.load_dir(dir).map_err(|e| agent_err("regime", e))?;
            let slot = ModelSlot::new(model, Origin::Dir(dir.clone()))
                .map_err(|e| agent_err("regime", e))?;
            Some(LiveRegime::new(Arc::new(slot)))
        }
        None => None,
    };
    let label = |w: usize| -> Result<u8, TrainError> {
        let f = feature_at(w)?;
        match &live_regime {
            Some(lr) => Ok(lr
                .predict(f)
                .map_err(|e| agent_err("regime", e))?
                .prediction
                .regime
                .index()),
            None => Ok(tercile(f)),
        }
    };
    let train_labels: Vec<u8> = train_rows
        .iter()
        .map(|&w| label(w))
        .collect::<Result<_, _>>()?;
    let test_labels: Vec<u8> = test_rows
        .iter()
        .map(|&w| label(w))
        .collect::<Result<_, _>>()?;

    let k = r.strategies.len();
    let ret = |w: usize, s: usize| r.returns[w][s];
    let mut variants: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut choices: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut turnover: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut record = |name: &str, picks: Vec<usize>| {
        let (rets, turns) = paths.follow(r, &test_rows, &picks);
        variants.insert(name.to_string(), rets);
        turnover.insert(name.to_string(), turns);
        choices.insert(name.to_string(), picks);
    };

    // Baselines. A series without training windows of its own is judged by
    // the pooled training windows.
    let basis: Vec<usize> = if train_rows.is_empty() {
        (0..r.n_train).collect()
    } else {
        train_rows.clone()
    };
    let best = best_fixed(r, &basis);
    record("best_on_train", vec![best; test_rows.len()]);
    record(
        "hindsight",
        vec![best_fixed(r, &test_rows); test_rows.len()],
    );
    let per_regime: Vec<usize> = (0..3u8)
        .map(|g| {
            let rows: Vec<usize> = train_rows
                .iter()
                .zip(&train_labels)
                .filter(|(_, l)| **l == g)
                .map(|(w, _)| *w)
                .collect();
            if rows.is_empty() {
                best
            } else {
                best_fixed(r, &rows)
            }
        })
        .collect();
    record(
        "regime_gated",
        test_labels
            .iter()
            .map(|&g| per_regime[usize::from(g.min(2))])
            .collect(),
    );
    let mut rng =
        SplitMix64::new(opts.seed ^ (fold.index as u64).wrapping_mul(0x9E37_79B9) ^ fnv(symbol));
    record(
        "random",
        (0..test_rows.len())
            .map(|_| rng.next_below(k as u64) as usize)
            .collect(),
    );

    // The selectors, as a bot runs them.
    if let Some(dir) = models.get("linucb") {
        let model: linucb::LinUcb = loader.load_dir(dir).map_err(|e| agent_err("linucb", e))?;
        let arms = map_names("linucb", model.arm_names(), &r.strategies)?;
        let mut bot =
            LiveLinUcb::new(model, Origin::Dir(dir.clone())).map_err(|e| agent_err("linucb", e))?;
        let mut picks = Vec::with_capacity(test_rows.len());
        for &w in &test_rows {
            let f = feature_at(w)?;
            let regime = Regime::ALL[usize::from(tercile(f).min(2))];
            let choice = bot.select(regime, f).map_err(|e| agent_err("linucb", e))?;
            let s = arms[choice.arm];
            bot.update(LINUCB_REWARD_SCALE * ret(w, s))
                .map_err(|e| agent_err("linucb", e))?;
            picks.push(s);
        }
        record("linucb", picks);
    }
    if let Some(dir) = models.get("meta-selector") {
        let model: meta_selector::MetaSelector = loader
            .load_dir(dir)
            .map_err(|e| agent_err("meta-selector", e))?;
        let order = map_names("meta-selector", model.strategy_names(), &r.strategies)?;
        let mut bot = LiveMetaSelector::from_model(model, Origin::Dir(dir.clone()))
            .map_err(|e| agent_err("meta-selector", e))?;
        let window_returns = |w: usize| -> Vec<f64> { order.iter().map(|&s| ret(w, s)).collect() };
        for &w in &train_rows {
            bot.record_window(&window_returns(w))
                .map_err(|e| agent_err("meta-selector", e))?;
        }
        let mut picks = Vec::with_capacity(test_rows.len());
        for &w in &test_rows {
            let s = if bot.windows() == 0 {
                best
            } else {
                let ranked = bot
                    .rank(feature_at(w)?)
                    .map_err(|e| agent_err("meta-selector", e))?;
                ranked.first().map_or(best, |top| order[top.index])
            };
            bot.record_window(&window_returns(w))
                .map_err(|e| agent_err("meta-selector", e))?;
            picks.push(s);
        }
        record("meta-selector", picks);
    }
    if let Some(dir) = models.get("ppo") {
        let model: ppo::PpoModel = loader.load_dir(dir).map_err(|e| agent_err("ppo", e))?;
        let mut bot = LivePpo::from_model(model, Origin::Dir(dir.clone()))
            .map_err(|e| agent_err("ppo", e))?;
        if bot.layout().n_recent > 0 {
            return Err(agent_err(
                "ppo",
                "walk-forward does not yet feed the recent-performance observation; train \
                 with recent_perf_window = 0",
            ));
        }
        let mut picks = Vec::with_capacity(test_rows.len());
        for &w in &test_rows {
            let f = feature_at(w)?;
            let regime = Regime::ALL[usize::from(tercile(f).min(2))];
            let choice = bot.act(f, regime, &[]).map_err(|e| agent_err("ppo", e))?;
            let s = match &choice.name {
                Some(n) => map_names("ppo", std::slice::from_ref(n), &r.strategies)?[0],
                None if choice.action < k => choice.action,
                None => return Err(agent_err("ppo", "the action is not a strategy")),
            };
            picks.push(s);
        }
        record("ppo", picks);
    }

    for (kk, name) in r.strategies.iter().enumerate() {
        turnover.insert(
            name.clone(),
            paths.follow(r, &test_rows, &vec![kk; test_rows.len()]).1,
        );
    }
    let interval = candles.interval_ms().unwrap_or(3_600_000).max(1) as f64;
    Ok(Some(SeriesResult {
        symbol: symbol.to_string(),
        timeframe: timeframe.to_string(),
        strategies: r.strategies.clone(),
        start_ts: test_rows.iter().map(|&w| r.start_ts[w]).collect(),
        end_ts: test_rows.iter().map(|&w| r.end_ts[w]).collect(),
        returns: test_rows.iter().map(|&w| r.returns[w].clone()).collect(),
        variants,
        choices,
        turnover,
        cost_per_unit: paths.cost,
        regime: test_labels,
        regime_source: if live_regime.is_some() {
            "regime agent"
        } else {
            "volatility tercile"
        }
        .to_string(),
        windows_per_year: {
            let w0 = test_rows[0];
            let bars = (r.last_bar[w0] + 1).saturating_sub(r.first_bar[w0]).max(1) as f64;
            365.25 * super::DAY_MS as f64 / (interval * bars)
        },
    }))
}

/// FNV-1a of a symbol, to give each series its own random stream.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

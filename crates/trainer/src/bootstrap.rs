//! The backtest bootstrap: the whole bot's strategies run over every candle
//! series of a job, pooled into one table of per-window strategy returns
//! (the input of the linucb, meta-selector and ppo selection agents), plus
//! the backtest report of the same strategies.
//!
//! The strategies are the rule strategies of `backtest::strategies`
//! ([`rule_strategies`]) and, by default, the three agent-driven bots
//! ([`AgentStrategy`]): each agent model is trained here on the training
//! span only, the bars at or before the pooled table's cut timestamp
//! (`backtest::pooled_cut_ts`), so no strategy return of a train window and
//! no model behind a test window has seen a bar after the cut.
//!
//! Outputs in the bootstrap directory: `strategy_returns.csv` (pooled, with
//! `symbol` and `timeframe` columns) and the backtest report of the same
//! strategies over every series (`trades.csv` with a `symbol` column,
//! `strategy_pnl.csv` over all series in its usual layout,
//! `strategy_pnl_by_series.csv` keyed by symbol and timeframe, equity
//! curves; see the backtest crate's FORMATS.md). The regime on each trade
//! is the volatility tercile with cut points fit on the symbol's bars at or
//! before the cut, since the agents that learn from the trade log ([`run`])
//! take it as a feature.

use crate::agents::MarketData;
use crate::error::TrainError;
use agent_core::{Dataset, ParamGuard};
use backtest::agents::{LstmPredictor, OuScorer, SignalStrategy};
use backtest::{
    Backtest, BacktestParams, BuyHold, DonchianBreakout, Instrument, Momentum, RsiReversal,
    SmaCross, Strategy, StrategyReturns, WindowSpec, ZScoreReversion,
};
use market::Candles;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// An agent-driven strategy of the bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStrategy {
    /// `ou_mean_rev`: the `ou-mean` agent's OU/ADF/Hurst scorer with the
    /// trainer's defaults (refit every 24 bars on the trailing window).
    OuMeanRev,
    /// `lstm`: the LSTM bot with a small LSTM trained on the training span.
    Lstm,
    /// `signal`: the signal bot with a logistic model trained on the
    /// training span.
    Signal,
}

/// What the bootstrap runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapOptions {
    /// Include [`rule_strategies`].
    pub rules: bool,
    /// Agent-driven strategies to train and include (default: all three).
    pub agents: Vec<AgentStrategy>,
    /// Windows, fee and train fraction of the returns table (SPEC T2's).
    pub window: WindowSpec,
    /// Fee of the backtest report, in basis points per side (10).
    pub fee_bps: f64,
    /// LSTM hidden units (8) and training epochs (3): small, so a bootstrap
    /// stays in seconds; the `lstm` agent trains the full-size model.
    pub lstm_hidden: usize,
    pub lstm_epochs: usize,
    /// LSTM bot: trade when the forecast next-bar log return (percent)
    /// exceeds this (0.05).
    pub lstm_threshold: f64,
    /// Signal bot: long when `P(up)` reaches this (0.55).
    pub signal_entry: f64,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        Self {
            rules: true,
            agents: vec![
                AgentStrategy::OuMeanRev,
                AgentStrategy::Lstm,
                AgentStrategy::Signal,
            ],
            window: WindowSpec::spec_t2(),
            fee_bps: 10.0,
            lstm_hidden: 8,
            lstm_epochs: 3,
            lstm_threshold: 0.05,
            signal_entry: 0.55,
        }
    }
}

/// The rule strategies of `backtest::strategies` with their default
/// parameters: the five SPEC T2 strategies (`buy_hold`, `sma_cross`,
/// `zscore_mr`, `breakout_24`, `rsi_rev`) and `momentum_24` (24-bar log
/// return beyond 1%).
pub fn rule_strategies() -> Result<Vec<Box<dyn Strategy>>, TrainError> {
    Ok(vec![
        Box::new(BuyHold::new()),
        Box::new(SmaCross::default()),
        Box::new(ZScoreReversion::default()),
        Box::new(DonchianBreakout::default()),
        Box::new(RsiReversal::default()),
        Box::new(Momentum::new(24, 0.01)?),
    ])
}

fn agent_err(agent: &str, e: &dyn std::fmt::Display) -> TrainError {
    crate::agents::agent_err(agent, e)
}

/// Each series cut to its training span: the bars at or before `cut_ts`.
fn training_spans(data: &MarketData, cut_ts: i64) -> Vec<(String, Candles)> {
    data.before(cut_ts.saturating_add(1)).series
}

/// The agent strategies of `opts`, their models trained on `spans`.
fn agent_strategies(
    spans: &[(&str, Candles)],
    opts: &BootstrapOptions,
) -> Result<Vec<Box<dyn Strategy>>, TrainError> {
    let mut out: Vec<Box<dyn Strategy>> = Vec::new();
    for a in &opts.agents {
        match a {
            AgentStrategy::OuMeanRev => out.push(Box::new(ou_strategy()?)),
            AgentStrategy::Lstm => out.push(Box::new(lstm_strategy(spans, opts)?)),
            AgentStrategy::Signal => out.push(Box::new(signal_strategy(spans, opts)?)),
        }
    }
    Ok(out)
}

/// The longest training span (the LSTM reads one series' consecutive
/// bars, which must not run from one symbol into another).
fn longest<'a>(spans: &'a [(&str, Candles)]) -> Result<&'a Candles, TrainError> {
    spans
        .iter()
        .map(|(_, c)| c)
        .max_by_key(|c| c.len())
        .ok_or_else(|| TrainError::Data("no candles were given".into()))
}

/// The OU mean-reversion bot: the `ou-mean` agent's scorer with the
/// trainer's defaults (refit every 24 bars) and the crate's default gate and
/// entry/exit thresholds. It fits only trailing windows of past closes as
/// it trades and tunes nothing on the data, so nothing after the cut
/// reaches a train window's decision.
fn ou_strategy() -> Result<backtest::OuMeanReversion<OuScorer>, TrainError> {
    let params = ou_mean::MeanReversionParams::new()
        .refit_every(24)
        .check()
        .map_err(|e| agent_err("ou-mean", &e))?;
    Ok(OuScorer::new(params)?.into_strategy()?)
}

/// The LSTM bot with a model trained on the longest training span (one
/// series: the LSTM reads consecutive bars, and windows must not run from
/// one symbol into another).
fn lstm_strategy(
    spans: &[(&str, Candles)],
    opts: &BootstrapOptions,
) -> Result<backtest::LstmStrategy<LstmPredictor>, TrainError> {
    let (data, _) = crate::agents::lstm_agent::dataset(longest(spans)?, 1)?;
    let params = lstm::LstmModel::params()
        .hidden_size(opts.lstm_hidden)
        .window(16)
        .max_epochs(opts.lstm_epochs)
        .seed(0)
        .check()
        .map_err(|e| agent_err("lstm", &e))?;
    let model = params
        .fit_with_progress(&data, None)
        .map_err(|e| agent_err("lstm", &e))?;
    Ok(LstmPredictor::new(model)?.into_strategy(opts.lstm_threshold)?)
}

/// The signal bot with a logistic model of the next bar's direction
/// trained on every series' training span. Each span ends at the cut and
/// its last bar has no label, so no label reads a bar after the cut: the
/// purge the signal agent applies before its test period.
fn signal_strategy(
    spans: &[(&str, Candles)],
    opts: &BootstrapOptions,
) -> Result<SignalStrategy, TrainError> {
    let spec = signal::LabelSpec::default();
    let mut rows: Vec<f64> = Vec::new();
    let mut y: Vec<f64> = Vec::new();
    let mut names = Vec::new();
    for (_, span) in spans {
        // A span too short for one labelled row adds nothing.
        let Ok(ld) = signal::candles::t0_labeled(span, &spec) else {
            continue;
        };
        names = ld.dataset.feature_names().to_vec();
        rows.extend(ld.dataset.features().iter());
        y.extend(ld.dataset.targets().iter());
    }
    if y.is_empty() {
        return Err(TrainError::Data(
            "signal: the training span holds no labelled bar".into(),
        ));
    }
    let x = ndarray::Array2::from_shape_vec((y.len(), names.len()), rows)
        .map_err(|e| agent_err("signal", &e))?;
    let data =
        Dataset::new(x, ndarray::Array1::from(y), names).map_err(|e| agent_err("signal", &e))?;
    let params = signal::LogisticParams::new()
        .c(1.0)
        .check()
        .map_err(|e| agent_err("signal", &e))?;
    let model =
        signal::SignalModel::fit_fixed(&params, &data).map_err(|e| agent_err("signal", &e))?;
    Ok(SignalStrategy::new(model, opts.signal_entry)?)
}

/// The bootstrap's strategies (agent models trained on the training span
/// of `data`) and their pooled returns table, without writing anything:
/// what a selection model trained on [`bootstrap`]'s table is scored on.
pub fn strategy_returns(
    data: &MarketData,
    opts: &BootstrapOptions,
) -> Result<(StrategyReturns, Vec<Box<dyn Strategy>>), TrainError> {
    let series: Vec<(&str, &Candles)> = data.series.iter().map(|(s, c)| (s.as_str(), c)).collect();
    if series.is_empty() {
        return Err(TrainError::Data("no candles were given".into()));
    }
    let mut strategies = if opts.rules {
        rule_strategies()?
    } else {
        Vec::new()
    };
    if !opts.agents.is_empty() {
        let cut_ts = backtest::pooled_cut_ts(&series, &opts.window)?;
        let spans = training_spans(data, cut_ts);
        let spans: Vec<(&str, Candles)> =
            spans.iter().map(|(s, c)| (s.as_str(), c.clone())).collect();
        strategies.extend(agent_strategies(&spans, opts)?);
    }
    let returns = StrategyReturns::compute_pooled(&series, &strategies, &opts.window)?;
    Ok((returns, strategies))
}

/// What one bootstrap run produced (nothing written yet).
pub struct BootstrapRun {
    /// The pooled per-window returns table.
    pub returns: StrategyReturns,
    /// The backtest report of the same strategies over every series: its
    /// trade log is what the trade-learning agents train on.
    pub report: backtest::BacktestReport,
    /// The end of the training span (`backtest::pooled_cut_ts`): the agent
    /// strategies learnt from bars at or before it, so only trades whose
    /// exit is at or before it may train a model; trades entered after it
    /// are the test trades.
    pub cut_ts: i64,
    /// Each series' instrument name in the report (its symbol, or
    /// `<symbol>_<timeframe>` when the symbol has several timeframes) and
    /// timeframe, in the order of the data.
    pub instrument_series: Vec<(String, String)>,
}

/// The SPEC volatility-tercile regime written on the bootstrap's trades,
/// its cut points fit on each symbol's bars at or before the training cut
/// (the backtest's default fits them on the first 80% of each symbol's
/// bars, which can reach past the pooled cut): a trade's regime is a
/// feature of the models that learn from trades.
struct TrainSpanRegime {
    inner: backtest::VolTercileLabeler,
    cut_ts: i64,
}

impl backtest::RegimeLabeler for TrainSpanRegime {
    fn name(&self) -> &str {
        "vol_tercile"
    }
    fn min_history(&self) -> usize {
        backtest::RegimeLabeler::min_history(&self.inner)
    }
    fn fit(&self, train: &Candles) -> backtest::Result<Box<dyn backtest::FittedRegime>> {
        let n = train.ts.partition_point(|&t| t <= self.cut_ts);
        // A symbol with too few bars before the cut makes no trade that
        // closes by it (its first decision comes after the cut), so none of
        // its trades trains a model: its cut points come from its first 80%.
        let n = if n > self.inner.window() {
            n
        } else {
            (train.len() * 4 / 5).max(1)
        };
        backtest::RegimeLabeler::fit(&self.inner, &train.slice(0..n.min(train.len())))
    }
}

/// Run the bootstrap over every series of `data` without writing anything.
pub fn run(data: &MarketData, opts: &BootstrapOptions) -> Result<BootstrapRun, TrainError> {
    let (returns, strategies) = strategy_returns(data, opts)?;
    let series: Vec<(&str, &Candles)> = data.series.iter().map(|(s, c)| (s.as_str(), c)).collect();
    let cut_ts = backtest::pooled_cut_ts(&series, &opts.window)?;
    // One instrument per series: the symbol, or `<symbol>_<timeframe>` when
    // the symbol has several timeframes.
    let instrument_series: Vec<(String, String)> = data
        .series
        .iter()
        .map(|(s, c)| {
            let tf = c
                .interval_ms()
                .map(market::format_interval)
                .unwrap_or_default();
            if data.series.iter().filter(|(o, _)| o == s).count() > 1 {
                (format!("{s}_{tf}"), tf)
            } else {
                (s.clone(), tf)
            }
        })
        .collect();
    let instruments: Vec<Instrument<'_>> = data
        .series
        .iter()
        .zip(&instrument_series)
        .map(|((_, c), (name, _))| Instrument::new(name, c))
        .collect();
    let regime = TrainSpanRegime {
        inner: backtest::VolTercileLabeler::default(),
        cut_ts,
    };
    // Every bar goes to the labeller, which keeps those up to the cut.
    let report = Backtest::new(
        BacktestParams::new()
            .fee_bps(opts.fee_bps)
            .regime_train_fraction(1.0),
    )?
    .run_with_labeler(&instruments, &strategies, &regime)?;
    Ok(BootstrapRun {
        returns,
        report,
        cut_ts,
        instrument_series,
    })
}

impl BootstrapRun {
    /// Write the outputs (see the module docs) into `dir`.
    pub fn write_dir(&self, dir: &Path) -> Result<(), TrainError> {
        self.returns.write_csv(&dir.join("strategy_returns.csv"))?;
        self.report.write_dir(dir)?;
        let series: Vec<(&str, &str)> = self
            .instrument_series
            .iter()
            .map(|(n, tf)| (n.as_str(), tf.as_str()))
            .collect();
        backtest::write_strategy_pnl_by_series(
            &dir.join("strategy_pnl_by_series.csv"),
            &self.report.trades,
            &series,
        )?;
        Ok(())
    }
}

/// Run the bootstrap over every series of `data` and write its outputs to
/// `dir` (see the module docs). Returns the pooled returns table.
pub fn bootstrap(
    data: &MarketData,
    opts: &BootstrapOptions,
    dir: &Path,
) -> Result<StrategyReturns, TrainError> {
    let run = run(data, opts)?;
    run.write_dir(dir)?;
    Ok(run.returns)
}

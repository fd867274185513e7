//! `meta-selector`: LightGBM regressor of each strategy's next-window
//! return from its trailing statistics and market context (per-window
//! strategy returns from the backtest bootstrap), or, with
//! `inputs = "trades"`, of the summed return of a strategy's next trades
//! from the statistics of its last trades (the bootstrap's trade log,
//! `MetaTable::from_trades_at_cut`).

use super::*;
use agent_core::{ParamGuard, Persist, metrics};
use meta_selector::{GridParallelism, MetaSelector, MetaTable, TradeWindows, TreeParams};

/// The promotion metric (also among a sliced evaluation's metrics).
const PROMOTE: &str = "test_selection_mean_return";
const AGENT: &str = "meta-selector";
const LOCAL: [&str; 5] = [
    "inputs",
    "lookback",
    "trades_k",
    "trades_stride",
    "trades_bucket_ms",
];
/// Keys of each input.
const RETURNS_ONLY: [&str; 1] = ["lookback"];
const TRADES_ONLY: [&str; 3] = ["trades_k", "trades_stride", "trades_bucket_ms"];
/// Manifest `extra` keys the trainer adds to a model of trade statistics
/// (its input and windows), so re-scoring builds the same table.
const EXTRA_INPUTS: &str = "inputs";
const EXTRA_TRADE_WINDOWS: &str = "trade_windows";

/// What the meta-selector learns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Inputs {
    /// The bootstrap's per-window strategy returns (what live ranking
    /// serves).
    Returns,
    /// Per-strategy trade statistics of the bootstrap's trade log.
    Trades,
}

fn inputs(local: &Map<String, Value>) -> Result<Inputs, TrainError> {
    local_or(AGENT, local, "inputs", Inputs::Returns)
}

/// The trade windows of the params (defaults: `TradeWindows::default()`;
/// the split is the bootstrap's cut, not its `train_fraction`).
fn trade_windows(local: &Map<String, Value>) -> Result<TradeWindows, TrainError> {
    let d = TradeWindows::default();
    Ok(TradeWindows {
        k: local_or(AGENT, local, "trades_k", d.k)?,
        stride: local_or(AGENT, local, "trades_stride", d.stride)?,
        bucket_ms: local_or(AGENT, local, "trades_bucket_ms", d.bucket_ms)?,
        ..d
    })
}

/// The bootstrap's trades in the meta-selector's trade-log form (the
/// columns of `trades.csv`, without the file).
fn meta_trades(trades: &[backtest::Trade]) -> Vec<meta_selector::Trade> {
    trades
        .iter()
        .map(|t| meta_selector::Trade {
            symbol: t.symbol.clone(),
            strategy: t.strategy.clone(),
            regime: t.regime.to_string(),
            side: t.side.as_str().to_string(),
            entry_time: t.entry_time,
            exit_time: t.exit_time,
            entry_price: t.entry_price,
            exit_price: t.exit_price,
            size: t.size,
            fees: t.fees,
            pnl: t.pnl,
            pnl_pct: t.pnl_pct,
            bars_held: t.bars_held as u64,
        })
        .collect()
}

/// The trade-statistics table of the bootstrap of `data`, split at its
/// training cut; written into `out_dir/bootstrap` when given.
fn trades_table(
    data: &MarketData,
    cfg: &TradeWindows,
    out_dir: Option<&Path>,
) -> Result<MetaTable, TrainError> {
    let run = bootstrap_trades(data, out_dir)?;
    MetaTable::from_trades_at_cut(&meta_trades(&run.report.trades), cfg, run.cut_ts)
        .map_err(|e| agent_err(AGENT, &e))
}

pub struct MetaSelectorAgent;

fn table(r: &backtest::StrategyReturns, lookback: usize) -> Result<MetaTable, TrainError> {
    let csv = returns_csv(r);
    let sr = meta_selector::StrategyReturns::parse_csv(
        csv.as_bytes(),
        Path::new("strategy_returns.csv"),
    )
    .map_err(|e| agent_err(AGENT, &e))?;
    MetaTable::from_strategy_returns(&sr, lookback).map_err(|e| agent_err(AGENT, &e))
}

impl AgentTrainer for MetaSelectorAgent {
    fn name(&self) -> &'static str {
        AGENT
    }
    fn describe(&self) -> &'static str {
        "LightGBM regressor of each strategy's next return; picks the best"
    }
    fn bootstrap(&self) -> Bootstrap {
        Bootstrap::StrategyReturns
    }
    fn bootstrap_for(&self, params: &Map<String, Value>) -> Result<Bootstrap, TrainError> {
        let (local, _) = take_local(params, &LOCAL);
        Ok(match inputs(&local)? {
            Inputs::Returns => Bootstrap::StrategyReturns,
            Inputs::Trades => Bootstrap::Trades,
        })
    }
    fn promote_metric(&self) -> (&'static str, Direction) {
        (PROMOTE, Direction::Maximize)
    }
    fn param_keys(&self) -> Vec<&'static str> {
        let mut k = vec![
            "learning_rates",
            "num_leaves",
            "max_rounds",
            "early_stopping_rounds",
            "fit_fraction",
            "embargo",
            "num_threads",
            "grid_parallelism",
        ];
        // The LightGBM tree parameters every LightGBM agent shares.
        k.extend(TreeParams::KEYS);
        k.extend(LOCAL);
        k
    }

    fn check_device(&self, device: Device, params: &Map<String, Value>) -> Result<(), TrainError> {
        lightgbm_device(AGENT, device, params).map(|_| ())
    }

    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError> {
        let (local, rest) = take_local(ctx.params, &LOCAL);
        let inputs = inputs(&local)?;
        let misplaced = match inputs {
            Inputs::Returns => TRADES_ONLY.iter().find(|k| local.contains_key(**k)),
            Inputs::Trades => RETURNS_ONLY.iter().find(|k| local.contains_key(**k)),
        };
        if let Some(k) = misplaced {
            return Err(TrainError::Params {
                agent: AGENT.into(),
                why: format!(
                    "`{k}` does not apply to `inputs = \"{}\"`",
                    match inputs {
                        Inputs::Returns => "returns",
                        Inputs::Trades => "trades",
                    }
                ),
            });
        }
        let lookback: usize = local_or(AGENT, &local, "lookback", 10)?;
        let (mut tree, rest) = take_tree_params(AGENT, &rest)?;
        if let Some(learner) = lightgbm_device(AGENT, ctx.device, ctx.params)? {
            tree.device = learner;
        }
        let params = crate::apply_params!(AGENT, rest, MetaSelector::params().tree(tree), [
            learning_rates: Vec<f64>,
            num_leaves: Vec<usize>,
            max_rounds: usize,
            early_stopping_rounds: usize,
            fit_fraction: f64,
            embargo: i64,
            num_threads: usize,
            grid_parallelism: GridParallelism,
        ]);
        let params = params.check().map_err(|e| agent_err(AGENT, &e))?;
        let cfg = trade_windows(&local)?;
        let table = match inputs {
            Inputs::Returns => table(ctx.returns()?, lookback)?,
            Inputs::Trades => trades_table(ctx.data, &cfg, Some(ctx.out_dir))?,
        };
        let progress = ctx.core_progress();
        let mut model = params
            .fit_with_progress(&table, Some(&progress))
            .map_err(|e| agent_err(AGENT, &e))?;
        let dir = ctx.model_dir();
        model.set_provenance(Some(ctx.data.provenance.clone()));
        model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
        let test = (0..table.n_rows()).filter(|&i| !table.is_train()[i]);
        let span = match inputs {
            // The test rows' decision groups are their windows (rows of the
            // returns table).
            Inputs::Returns => window_span(
                ctx.returns()?,
                test.filter_map(|i| usize::try_from(table.group()[i]).ok()),
            ),
            // The first test decision to the last test target's close.
            Inputs::Trades => {
                record_trade_windows(&dir, &cfg)?;
                test.map(|i| (table.decision_time()[i], table.target_end()[i]))
                    .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
            }
        };
        if let Some((a, b)) = span {
            record_test_span(&dir, a, b)?;
        }
        let r = model.report();
        let summary = match &r.selection {
            Some(s) => format!(
                "held-out selection {:+.4}/window vs best fixed `{}` {:+.4}, uniform {:+.4} ({} decisions)",
                s.mean_selected,
                s.best_fixed_strategy,
                s.mean_best_fixed,
                s.mean_uniform,
                s.n_decisions
            ),
            None => format!("test MSE {:?}", r.test_mse),
        };
        // Gain importance goes into the report (metrics.json), beside the
        // out-of-sample metrics.
        let mut metrics = saved_metrics(&dir)?;
        metrics.insert(
            "feature_importance_gain".into(),
            importance_json(
                model
                    .feature_importance()
                    .map_err(|e| agent_err(AGENT, &e))?,
            ),
        );
        Ok(Trained {
            metrics,
            model_dir: dir,
            plots: Vec::new(),
            summary,
        })
    }

    fn evaluate(
        &self,
        blob: &[u8],
        data: &MarketData,
        returns: Option<&backtest::StrategyReturns>,
        slice: Option<&EvalSlice>,
    ) -> Result<Evaluation, TrainError> {
        let model = MetaSelector::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        if let Some(cfg) = recorded_trade_windows(blob)? {
            return evaluate_on_trades(&model, &cfg, data, slice);
        }
        let r = returns
            .ok_or_else(|| TrainError::Data("meta-selector needs strategy returns".into()))?;
        // The lookback the model's features were built with (models that
        // did not record it: the trainer's default).
        let lookback = model.lookback().unwrap_or(10);
        let t = table(r, lookback)?;
        // Rows (candidates) scored: all, or those whose decision group (a
        // window of the returns table) lies in the slice.
        let rows: Vec<usize> = match slice {
            None => (0..t.n_rows()).collect(),
            Some(s) => {
                let inside = s.windows(&r.start_ts, &r.end_ts);
                (0..t.n_rows())
                    .filter(|&i| {
                        usize::try_from(t.group()[i])
                            .is_ok_and(|g| inside.binary_search(&g).is_ok())
                    })
                    .collect()
            }
        };
        let mut metrics = vec![("lookback".to_string(), lookback as f64)];
        let group_ts = |g: i64| {
            usize::try_from(g)
                .ok()
                .and_then(|w| r.start_ts.get(w))
                .copied()
        };
        score_rows(&model, &t, &rows, slice, &group_ts, &mut metrics)
    }
}

/// Record the trade windows of a model of trade statistics in its
/// manifest (`extra`), rewritten atomically like the test span.
fn record_trade_windows(dir: &Path, cfg: &TradeWindows) -> Result<(), TrainError> {
    let err = |e: agent_core::CoreError| agent_err("artifact", &e);
    let (mut m, files) = agent_core::persist::read_dir(dir).map_err(err)?;
    if let Some(extra) = m.extra.as_object_mut() {
        extra.insert(EXTRA_INPUTS.into(), serde_json::json!(Inputs::Trades));
        extra.insert(EXTRA_TRADE_WINDOWS.into(), serde_json::json!(cfg));
    }
    agent_core::persist::write_dir(dir, &m, &files).map_err(err)
}

/// The trade windows a model of trade statistics recorded; `None` for a
/// model of per-window returns.
fn recorded_trade_windows(blob: &[u8]) -> Result<Option<TradeWindows>, TrainError> {
    let (m, _) = agent_core::persist::from_blob(blob).map_err(|e| agent_err(AGENT, &e))?;
    let bad = |why: String| TrainError::Agent {
        agent: AGENT.into(),
        why: format!("manifest extra: {why}"),
    };
    match m.extra.get(EXTRA_INPUTS) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            match serde_json::from_value::<Inputs>(v.clone()).map_err(|e| bad(e.to_string()))? {
                Inputs::Returns => Ok(None),
                Inputs::Trades => {
                    let cfg = m
                        .extra
                        .get(EXTRA_TRADE_WINDOWS)
                        .cloned()
                        .ok_or_else(|| bad("a trades model without `trade_windows`".into()))?;
                    serde_json::from_value(cfg)
                        .map(Some)
                        .map_err(|e| bad(format!("`trade_windows`: {e}")))
                }
            }
        }
    }
}

/// Score a model of trade statistics on the bootstrap of `data`: the rows
/// decided after its training cut, or those whose decision and target lie
/// in `slice`.
fn evaluate_on_trades(
    model: &MetaSelector,
    cfg: &TradeWindows,
    data: &MarketData,
    slice: Option<&EvalSlice>,
) -> Result<Evaluation, TrainError> {
    let t = trades_table(data, cfg, None)?;
    let rows: Vec<usize> = (0..t.n_rows())
        .filter(|&i| match slice {
            None => !t.is_train()[i],
            Some(s) => s.contains(t.decision_time()[i]) && s.contains(t.target_end()[i]),
        })
        .collect();
    let mut metrics = vec![("trades_k".to_string(), cfg.k as f64)];
    // A group's time: its first decision (rows are in decision order).
    let group_ts = |g: i64| {
        (0..t.n_rows())
            .find(|&i| t.group()[i] == g)
            .map(|i| t.decision_time()[i])
    };
    score_rows(model, &t, &rows, slice, &group_ts, &mut metrics)
}

/// The metrics (and, with a slice, the per-decision selected returns) of
/// `model` on rows `rows` of table `t`.
fn score_rows(
    model: &MetaSelector,
    t: &MetaTable,
    rows: &[usize],
    slice: Option<&EvalSlice>,
    group_ts: &dyn Fn(i64) -> Option<i64>,
    out: &mut Vec<(String, f64)>,
) -> Result<Evaluation, TrainError> {
    if rows.is_empty() {
        return Err(match slice {
            Some(s) => empty_slice(AGENT, s),
            None => TrainError::Data("meta-selector: no rows to score".into()),
        });
    }
    let pred = model.predict_table(t).map_err(|e| agent_err(AGENT, &e))?;
    let target: Vec<f64> = rows.iter().map(|&i| t.target()[i]).collect();
    let pred: Vec<f64> = rows.iter().map(|&i| pred[i]).collect();
    out.push(("n".to_string(), pred.len() as f64));
    if let Ok(v) = metrics::mse(&target, &pred) {
        out.push(("mse".into(), v));
    }
    if let Ok(v) = metrics::r2(&target, &pred) {
        out.push(("r2".into(), v));
    }
    if let Some(s) = meta_selector::selection_report(t, rows, &pred) {
        out.push(("selection_mean_return".into(), s.mean_selected));
        out.push(("best_fixed_mean_return".into(), s.mean_best_fixed));
        out.push(("uniform_mean_return".into(), s.mean_uniform));
        out.push(("selection_hit_rate".into(), s.hit_rate));
    }
    let metrics = num_metrics(out.clone());
    if slice.is_none() {
        return Ok(Evaluation {
            metrics,
            paired: None,
        });
    }
    // Per window: the realised return of the strategy the model selects
    // (the selection report of that one decision; windows missing a
    // strategy's row are not decisions there either).
    let mut ts = Vec::new();
    let mut values = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let g = t.group()[rows[i]];
        let j = i + rows[i..].iter().take_while(|&&r| t.group()[r] == g).count();
        if let (Some(sel), Some(start)) = (
            meta_selector::selection_report(t, &rows[i..j], &pred[i..j]),
            group_ts(g),
        ) {
            ts.push(start);
            values.push(sel.mean_selected);
        }
        i = j;
    }
    Ok(Evaluation {
        metrics: with_promote_metric(metrics, PROMOTE),
        paired: Some(PairedScores {
            name: "selected_return".into(),
            ts,
            values,
        }),
    })
}

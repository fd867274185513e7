//! `signal`: elastic-net logistic `P(up)` on the 12 T0 features of the
//! candles, labelled by the sign of the forward log return; or, with
//! `source = "trades"`, `P(win)` of a simulated trade of the whole-bot
//! bootstrap from its features known at entry (`signal::tradelog`).

use super::*;
use agent_core::{Fit, ParamGuard, Persist};
use signal::{LabelSpec, SignalModel, SignalParams, SignalSource, TradeFeatures};

/// The promotion metric (also among a sliced evaluation's metrics).
const PROMOTE: &str = "test_auc";
const AGENT: &str = "signal";
/// Trainer-level keys: what the rows are, label horizon and dead zone, test
/// share (the last three for candles only).
const LOCAL: [&str; 4] = ["source", "label_horizon", "dead_zone", "test_fraction"];
/// Keys that mean nothing for trades: a trade's label ends at its exit,
/// and the split is the bootstrap's training cut.
const CANDLES_ONLY: [&str; 3] = ["label_horizon", "dead_zone", "test_fraction"];

fn source(local: &Map<String, Value>) -> Result<SignalSource, TrainError> {
    local_or(AGENT, local, "source", SignalSource::Candles)
}

pub struct SignalAgent;

fn label_spec(local: &Map<String, Value>) -> Result<(LabelSpec, f64), TrainError> {
    let horizon: usize = local_or(AGENT, local, "label_horizon", 1)?;
    let dead_zone: f64 = local_or(AGENT, local, "dead_zone", 0.0)?;
    let test_fraction: f64 = local_or(AGENT, local, "test_fraction", 0.2)?;
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(TrainError::Params {
            agent: AGENT.into(),
            why: format!("`test_fraction` = {test_fraction} must be in (0, 1)"),
        });
    }
    let spec = LabelSpec::new(horizon, dead_zone).map_err(|e| agent_err(AGENT, &e))?;
    Ok((spec, test_fraction))
}

impl AgentTrainer for SignalAgent {
    fn name(&self) -> &'static str {
        AGENT
    }
    fn describe(&self) -> &'static str {
        "elastic-net logistic P(up) on candle features -> buy/sell/hold"
    }
    fn bootstrap(&self) -> Bootstrap {
        Bootstrap::Candles
    }
    fn bootstrap_for(&self, params: &Map<String, Value>) -> Result<Bootstrap, TrainError> {
        let (local, _) = take_local(params, &LOCAL);
        Ok(match source(&local)? {
            SignalSource::Candles => Bootstrap::Candles,
            SignalSource::Trades => Bootstrap::Trades,
        })
    }
    fn promote_metric(&self) -> (&'static str, Direction) {
        (PROMOTE, Direction::Maximize)
    }
    fn param_keys(&self) -> Vec<&'static str> {
        let mut k = vec![
            "cs",
            "l1_ratios",
            "fit_intercept",
            "class_weight",
            "max_iter",
            "tol",
            "n_splits",
            "gap",
            "n_threads",
            "tune_threshold",
            "thresholds",
        ];
        k.extend(LOCAL);
        k
    }

    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError> {
        let (local, rest) = take_local(ctx.params, &LOCAL);
        if source(&local)? == SignalSource::Trades {
            if let Some(k) = CANDLES_ONLY.iter().find(|k| local.contains_key(**k)) {
                return Err(TrainError::Params {
                    agent: AGENT.into(),
                    why: format!(
                        "`{k}` applies to `source = \"candles\"` only: a trade's label is \
                         its outcome at exit and the split is the bootstrap's training cut"
                    ),
                });
            }
            return train_on_trades(ctx, &rest);
        }
        let (spec, test_fraction) = label_spec(&local)?;
        let params: SignalParams = merge_serde(AGENT, &SignalParams::default(), &rest, &LOCAL)?;
        let params = params
            .label_horizon(spec.horizon)
            .check()
            .map_err(|e| agent_err(AGENT, &e))?;
        let (_, candles) = ctx.data.primary()?;
        let labeled =
            signal::candles::t0_labeled(candles, &spec).map_err(|e| agent_err(AGENT, &e))?;
        let (train, test, split) =
            signal::purged_train_test(&labeled.dataset, test_fraction, params.purge())
                .map_err(|e| agent_err(AGENT, &e))?;
        (ctx.progress)(0.1);
        let mut model = params.fit(&train).map_err(|e| agent_err(AGENT, &e))?;
        (ctx.progress)(0.9);
        let ev = model.evaluate(&test).map_err(|e| agent_err(AGENT, &e))?;
        model.set_metric("test_purged_rows", split.purged_rows as f64);
        let dir = ctx.model_dir();
        model.set_provenance(Some(ctx.data.provenance.clone()));
        model.set_labels(Some(spec));
        model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
        // The bar times of the first and last test rows.
        let test_rows = &labeled.rows[split.periods[1].clone()];
        if let (Some(&a), Some(&b)) = (test_rows.first(), test_rows.last()) {
            record_test_span(&dir, candles.ts[a], candles.ts[b])?;
        }
        Ok(Trained {
            metrics: saved_metrics(&dir)?,
            model_dir: dir,
            plots: Vec::new(),
            summary: format!(
                "test AUC {:.3}, F1 {:.3} on {} held-out bars (trained on {})",
                ev.auc,
                ev.f1_at_half,
                ev.n,
                train.n_samples()
            ),
        })
    }

    fn evaluate(
        &self,
        blob: &[u8],
        data: &MarketData,
        _: Option<&backtest::StrategyReturns>,
        slice: Option<&EvalSlice>,
    ) -> Result<Evaluation, TrainError> {
        let model = SignalModel::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        if model.source() == SignalSource::Trades {
            return evaluate_on_trades(&model, data, slice);
        }
        let (_, candles) = data.primary()?;
        // Label as the model was trained (artifacts that did not record it:
        // the default, next bar up or not).
        let spec = model.labels().copied().unwrap_or_default();
        let labeled =
            signal::candles::t0_labeled(candles, &spec).map_err(|e| agent_err(AGENT, &e))?;
        let ts: Vec<i64> = labeled.rows.iter().map(|&r| candles.ts[r]).collect();
        let rows = match slice {
            Some(s) => s.rows(&ts),
            None => 0..ts.len(),
        };
        if rows.is_empty()
            && let Some(s) = slice
        {
            return Err(empty_slice(AGENT, s));
        }
        let ds = labeled
            .dataset
            .slice(rows.clone())
            .map_err(|e| agent_err(AGENT, &e))?;
        score(
            &model,
            &ds,
            &[
                ("label_horizon", spec.horizon as f64),
                ("dead_zone", spec.dead_zone),
            ],
            slice.map(|_| ts[rows].to_vec()),
        )
    }
}

/// The bootstrap's trades as `signal::tradelog` rows (the columns of
/// `trades.csv`, read without the file), ordered by entry time (stable:
/// simultaneous entries keep the log's order, as `trade_dataset` does).
pub fn trade_rows(trades: &[backtest::Trade]) -> Vec<signal::Trade> {
    let mut out: Vec<signal::Trade> = trades
        .iter()
        .map(|t| signal::Trade {
            symbol: Some(t.symbol.clone()),
            strategy: t.strategy.clone(),
            regime: t.regime.to_string(),
            side: match t.side {
                backtest::Side::Long => signal::Side::Long,
                backtest::Side::Short => signal::Side::Short,
            },
            entry_time: t.entry_time,
            exit_time: Some(t.exit_time),
            entry_price: t.entry_price,
            exit_price: Some(t.exit_price),
            size: t.size,
            fees: Some(t.fees),
            pnl: t.pnl,
            pnl_pct: Some(t.pnl_pct),
            bars_held: Some(t.bars_held as u64),
        })
        .collect();
    out.sort_by_key(|t| t.entry_time);
    out
}

/// When a trade's label (its pnl) is known: its exit (a log without exit
/// times: its entry, the earliest it could be).
fn label_end(t: &signal::Trade) -> i64 {
    t.exit_time.unwrap_or(t.entry_time)
}

/// The time split of trades (ordered by entry) at the bootstrap's cut:
/// test = entered after the cut; train = entered at or before it, less
/// the trades whose exit lies after it (agent-core's `purge_by_label_end`,
/// the rule the signal crate applies to forward-return labels). Returns
/// (train rows, test rows, purged count).
fn split_trades(trades: &[signal::Trade], cut_ts: i64) -> (Vec<usize>, Vec<usize>, usize) {
    let n_before = trades.partition_point(|t| t.entry_time <= cut_ts);
    let mut train: Vec<usize> = (0..n_before).collect();
    let ends: Vec<i64> = trades.iter().map(label_end).collect();
    let purged = agent_core::purge_by_label_end(&mut train, &ends, cut_ts, 0);
    (train, (n_before..trades.len()).collect(), purged)
}

/// The purge of cross-validation inside the training trades, in rows: the
/// most later-entered training trades that enter before one trade's label
/// is known (rows ordered by entry), so no fold trains on a label that
/// ends inside its test block.
fn trade_label_horizon(train: &[&signal::Trade]) -> usize {
    let entries: Vec<i64> = train.iter().map(|t| t.entry_time).collect();
    train
        .iter()
        .enumerate()
        .map(|(i, t)| {
            entries
                .partition_point(|&e| e <= label_end(t))
                .saturating_sub(i + 1)
        })
        .max()
        .unwrap_or(0)
}

/// Rows of `trades` as a dataset with the encoding `enc` (label `pnl > 0`).
fn encode(
    enc: &TradeFeatures,
    trades: &[&signal::Trade],
) -> Result<agent_core::Dataset, TrainError> {
    let owned: Vec<signal::Trade> = trades.iter().map(|t| (*t).clone()).collect();
    let x = enc.transform(&owned);
    let y: ndarray::Array1<f64> = owned
        .iter()
        .map(|t| f64::from(u8::from(t.pnl > 0.0)))
        .collect();
    agent_core::Dataset::new(x, y, enc.feature_names()).map_err(|e| agent_err(AGENT, &e))
}

fn train_on_trades(ctx: &TrainCtx<'_>, rest: &Map<String, Value>) -> Result<Trained, TrainError> {
    let params: SignalParams = merge_serde(AGENT, &SignalParams::default(), rest, &LOCAL)?;
    let run = bootstrap_trades(ctx.data, Some(ctx.out_dir))?;
    (ctx.progress)(0.3);
    let trades = trade_rows(&run.report.trades);
    let (train_rows, test_rows, purged) = split_trades(&trades, run.cut_ts);
    if train_rows.is_empty() || test_rows.is_empty() {
        return Err(TrainError::Data(format!(
            "signal: the bootstrap simulated {} trades, {} closed in its training span and {} \
             entered after it; both are needed (use more bars)",
            trades.len(),
            train_rows.len(),
            test_rows.len()
        )));
    }
    let train: Vec<&signal::Trade> = train_rows.iter().map(|&i| &trades[i]).collect();
    let test: Vec<&signal::Trade> = test_rows.iter().map(|&i| &trades[i]).collect();
    // The vocabulary (strategies, regimes) of the training trades only.
    let owned: Vec<signal::Trade> = train.iter().map(|t| (*t).clone()).collect();
    let (train_ds, enc) = signal::trade_dataset(&owned).map_err(|e| agent_err(AGENT, &e))?;
    let test_ds = encode(&enc, &test)?;
    let horizon = trade_label_horizon(&train);
    let params = params
        .label_horizon(horizon)
        .check()
        .map_err(|e| agent_err(AGENT, &e))?;
    let mut model = params.fit(&train_ds).map_err(|e| agent_err(AGENT, &e))?;
    (ctx.progress)(0.9);
    let ev = model.evaluate(&test_ds).map_err(|e| agent_err(AGENT, &e))?;
    model.set_metric("test_purged_rows", purged as f64);
    model.set_metric("train_cut_ts", run.cut_ts as f64);
    model
        .set_source(SignalSource::Trades)
        .map_err(|e| agent_err(AGENT, &e))?;
    model.set_provenance(Some(ctx.data.provenance.clone()));
    let dir = ctx.model_dir();
    model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
    // The test span: the first test entry to the last test exit (a trade
    // is scored when its whole span lies in a slice).
    let from = test.iter().map(|t| t.entry_time).min();
    let to = test.iter().map(|t| label_end(t)).max();
    if let (Some(a), Some(b)) = (from, to) {
        record_test_span(&dir, a, b)?;
    }
    Ok(Trained {
        metrics: saved_metrics(&dir)?,
        model_dir: dir,
        plots: Vec::new(),
        summary: format!(
            "test AUC {:.3}, F1 {:.3} on {} trades entered after the bootstrap's cut (trained on \
             {}, {} straddling the cut purged)",
            ev.auc,
            ev.f1_at_half,
            ev.n,
            train_ds.n_samples(),
            purged
        ),
    })
}

/// Score a trades model on the trades of the bootstrap of `data`: those
/// entered after its training cut, or those whose whole span lies in
/// `slice`.
fn evaluate_on_trades(
    model: &SignalModel,
    data: &MarketData,
    slice: Option<&EvalSlice>,
) -> Result<Evaluation, TrainError> {
    let enc = TradeFeatures::from_feature_names(model.feature_names())
        .map_err(|e| agent_err(AGENT, &e))?;
    let run = bootstrap_trades(data, None)?;
    let trades = trade_rows(&run.report.trades);
    let rows: Vec<&signal::Trade> = match slice {
        None => trades
            .iter()
            .filter(|t| t.entry_time > run.cut_ts)
            .collect(),
        Some(s) => trades
            .iter()
            .filter(|t| s.contains(t.entry_time) && s.contains(label_end(t)))
            .collect(),
    };
    if rows.is_empty() {
        return Err(match slice {
            Some(s) => empty_slice(AGENT, s),
            None => TrainError::Data(
                "signal: the bootstrap of these candles has no trade after its training cut".into(),
            ),
        });
    }
    let ds = encode(&enc, &rows)?;
    score(
        model,
        &ds,
        &[],
        slice.map(|_| rows.iter().map(|t| t.entry_time).collect()),
    )
}

/// The scores of `model` on `ds` (with `extra` metrics beside them), and,
/// when the rows are a slice (`slice_ts`: each row's time), the promote
/// metric and the per-row paired scores.
fn score(
    model: &SignalModel,
    ds: &agent_core::Dataset,
    extra: &[(&str, f64)],
    slice_ts: Option<Vec<i64>>,
) -> Result<Evaluation, TrainError> {
    let ev = model.score(ds).map_err(|e| agent_err(AGENT, &e))?;
    let metrics = num_metrics(extra.iter().map(|&(k, v)| (k.to_string(), v)).chain([
        ("n".to_string(), ev.n as f64),
        ("auc".to_string(), ev.auc),
        ("f1".to_string(), ev.f1_at_half),
        ("f1_at_threshold".to_string(), ev.f1_at_threshold),
        (
            "accuracy_at_threshold".to_string(),
            ev.accuracy_at_threshold,
        ),
        ("log_loss".to_string(), ev.log_loss),
        ("buy_rate".to_string(), ev.buy_rate),
        ("sell_rate".to_string(), ev.sell_rate),
    ]));
    let Some(ts) = slice_ts else {
        return Ok(Evaluation {
            metrics,
            paired: None,
        });
    };
    let p = model
        .predict_proba_dataset(ds)
        .map_err(|e| agent_err(AGENT, &e))?;
    let y = ds.targets().to_vec();
    let values = neg_log_loss(&p, &y)?;
    Ok(Evaluation {
        metrics: with_promote_metric(metrics, PROMOTE),
        paired: Some(PairedScores {
            name: "neg_log_loss".into(),
            ts,
            values,
        }),
    })
}

/// Negative log-loss per row (its mean is minus `log_loss`), with the
/// clipping of the metric itself.
fn neg_log_loss(p: &[f64], y: &[f64]) -> Result<Vec<f64>, TrainError> {
    p.iter()
        .zip(y)
        .map(|(&p, &y)| {
            agent_core::metrics::log_loss(&[usize::from(y > 0.5)], &[1.0 - p, p], 2)
                .map(|l| -l)
                .map_err(|e| agent_err(AGENT, &e))
        })
        .collect()
}

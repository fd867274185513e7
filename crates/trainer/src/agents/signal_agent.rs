//! `signal`: elastic-net logistic `P(up)` on the 12 T0 features of the
//! candles, labelled by the sign of the forward log return.

use super::*;
use agent_core::{Fit, ParamGuard, Persist};
use signal::{LabelSpec, SignalModel, SignalParams};

const AGENT: &str = "signal";
/// Trainer-level keys: label horizon and dead zone, test share.
const LOCAL: [&str; 3] = ["label_horizon", "dead_zone", "test_fraction"];

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
    fn promote_metric(&self) -> (&'static str, Direction) {
        ("test_auc", Direction::Maximize)
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
        let ev = model.score(&ds).map_err(|e| agent_err(AGENT, &e))?;
        let metrics = num_metrics([
            ("n".to_string(), ev.n as f64),
            ("label_horizon".to_string(), spec.horizon as f64),
            ("dead_zone".to_string(), spec.dead_zone),
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
        ]);
        let Some(_) = slice else {
            return Ok(Evaluation {
                metrics,
                paired: None,
            });
        };
        // Negative log-loss per row (its mean is minus `log_loss`), with
        // the clipping of the metric itself.
        let p = model
            .predict_proba_dataset(&ds)
            .map_err(|e| agent_err(AGENT, &e))?;
        let values = p
            .iter()
            .zip(ds.targets())
            .map(|(&p, &y)| {
                agent_core::metrics::log_loss(&[usize::from(y > 0.5)], &[1.0 - p, p], 2)
                    .map(|l| -l)
                    .map_err(|e| agent_err(AGENT, &e))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        Ok(Evaluation {
            metrics: with_promote_metric(metrics, self.promote_metric().0),
            paired: Some(PairedScores {
                name: "neg_log_loss".into(),
                ts: ts[rows].to_vec(),
                values,
            }),
        })
    }
}

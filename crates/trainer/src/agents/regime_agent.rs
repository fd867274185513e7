//! `regime`: LightGBM multiclass classifier of the coming volatility regime
//! from the T0 features; several candle files train one model (one calendar
//! cut for all of them).

use super::*;
use agent_core::{ParamGuard, Persist, metrics};
use regime::{GridParallelism, PairWeighting, RegimeData, RegimeModel, TreeParams};

const AGENT: &str = "regime";
const LOCAL: [&str; 2] = ["horizon", "train_fraction"];

pub struct RegimeAgent;

fn pairs(data: &MarketData) -> Vec<(&str, &Candles)> {
    data.series.iter().map(|(s, c)| (s.as_str(), c)).collect()
}

impl AgentTrainer for RegimeAgent {
    fn name(&self) -> &'static str {
        AGENT
    }
    fn describe(&self) -> &'static str {
        "LightGBM classifier of the coming volatility regime (low/medium/high)"
    }
    fn bootstrap(&self) -> Bootstrap {
        Bootstrap::Candles
    }
    fn promote_metric(&self) -> (&'static str, Direction) {
        ("test_logloss", Direction::Minimize)
    }
    fn param_keys(&self) -> Vec<&'static str> {
        let mut k = vec![
            "num_leaves",
            "n_estimators",
            "learning_rate",
            "early_stopping_rounds",
            "fit_fraction",
            "embargo",
            "pair_weighting",
            "num_threads",
            "grid_parallelism",
            "share_rounds_across_n_estimators",
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
        let horizon: usize = local_or(AGENT, &local, "horizon", 24)?;
        let train_fraction: f64 = local_or(AGENT, &local, "train_fraction", 0.8)?;
        let (mut tree, rest) = take_tree_params(AGENT, &rest)?;
        if let Some(learner) = lightgbm_device(AGENT, ctx.device, ctx.params)? {
            tree.device = learner;
        }
        let params = crate::apply_params!(AGENT, rest, RegimeModel::params().tree(tree), [
            num_leaves: Vec<usize>,
            n_estimators: Vec<usize>,
            learning_rate: f64,
            early_stopping_rounds: usize,
            fit_fraction: f64,
            embargo: usize,
            pair_weighting: PairWeighting,
            num_threads: usize,
            grid_parallelism: GridParallelism,
            share_rounds_across_n_estimators: bool,
        ]);
        let params = params.check().map_err(|e| agent_err(AGENT, &e))?;
        let data = RegimeData::from_candles(&pairs(ctx.data), horizon, train_fraction)
            .map_err(|e| agent_err(AGENT, &e))?;
        let progress = ctx.core_progress();
        let mut model = params
            .fit_with_progress(&data, Some(&progress))
            .map_err(|e| agent_err(AGENT, &e))?;
        let dir = ctx.model_dir();
        model.set_provenance(Some(ctx.data.provenance.clone()));
        model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
        let r = model.report();
        // The times of the first and last test rows: rows from the calendar
        // cut on, of the pairs training kept.
        let kept: Vec<bool> = data
            .pairs()
            .iter()
            .map(|n| r.pairs.iter().any(|p| &p.name == n && p.kept))
            .collect();
        let test_ts: Vec<i64> = (data.n_train()..data.n_rows())
            .filter(|&i| kept.get(data.pair()[i]).copied().unwrap_or(false))
            .map(|i| data.timestamp()[i])
            .collect();
        if let (Some(&a), Some(&b)) = (test_ts.first(), test_ts.last()) {
            record_test_span(&dir, a, b)?;
        }
        let fmt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
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
            summary: format!(
                "test F1-macro {}, log-loss {}, accuracy {} ({} pair(s), num_leaves {}, {} rounds)",
                fmt(r.test_f1_macro),
                fmt(r.test_logloss),
                fmt(r.test_accuracy),
                ctx.data.series.len(),
                r.best_num_leaves,
                r.best_iteration
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
        let model = RegimeModel::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        // Label the new rows with the model's own (training) cut points.
        let rd = RegimeData::from_candles(&pairs(data), model.horizon(), 0.5)
            .map_err(|e| agent_err(AGENT, &e))?;
        // Every pair's rows are scored (also a pair a volatility filter left
        // out of training), so all models see the same rows.
        let rows = match slice {
            Some(s) => s.rows(rd.timestamp()),
            None => 0..rd.n_rows(),
        };
        if rows.is_empty()
            && let Some(s) = slice
        {
            return Err(empty_slice(AGENT, s));
        }
        let cuts = model.cut_points();
        let y: Vec<usize> = rd.fwd_vol()[rows.clone()]
            .iter()
            .map(|&v| usize::from(cuts.label(v)))
            .collect();
        let proba = model
            .predict_proba(rd.features().slice(ndarray::s![rows.clone(), ..]))
            .map_err(|e| agent_err(AGENT, &e))?;
        let flat: Vec<f64> = proba.iter().copied().collect();
        let pred = metrics::argmax_rows(&flat, 3);
        let mut out = vec![("n".to_string(), y.len() as f64)];
        if let Ok(v) = metrics::accuracy(&y, &pred) {
            out.push(("accuracy".into(), v));
        }
        if let Ok(v) = metrics::f1_macro(&y, &pred, 3) {
            out.push(("f1_macro".into(), v));
        }
        if let Ok(v) = metrics::log_loss(&y, &flat, 3) {
            out.push(("logloss".into(), v));
        }
        if let Ok(v) = metrics::roc_auc_ovr(&y, &flat, 3) {
            out.push(("roc_auc_ovr".into(), v));
        }
        let metrics = num_metrics(out);
        if slice.is_none() {
            return Ok(Evaluation {
                metrics,
                paired: None,
            });
        }
        // Negative log-loss per row (its mean is minus `logloss`).
        let values = y
            .iter()
            .zip(flat.chunks_exact(3))
            .map(|(&c, p)| {
                metrics::log_loss(&[c], p, 3)
                    .map(|l| -l)
                    .map_err(|e| agent_err(AGENT, &e))
            })
            .collect::<Result<Vec<f64>, _>>()?;
        Ok(Evaluation {
            metrics: with_promote_metric(metrics, self.promote_metric().0),
            paired: Some(PairedScores {
                name: "neg_log_loss".into(),
                ts: rd.timestamp()[rows].to_vec(),
                values,
            }),
        })
    }
}

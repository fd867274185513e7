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

    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError> {
        let (local, rest) = take_local(ctx.params, &LOCAL);
        let horizon: usize = local_or(AGENT, &local, "horizon", 24)?;
        let train_fraction: f64 = local_or(AGENT, &local, "train_fraction", 0.8)?;
        let (tree, rest) = take_tree_params(AGENT, &rest)?;
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
    ) -> Result<BTreeMap<String, Value>, TrainError> {
        let model = RegimeModel::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        // Label the new rows with the model's own (training) cut points.
        let rd = RegimeData::from_candles(&pairs(data), model.horizon(), 0.5)
            .map_err(|e| agent_err(AGENT, &e))?;
        let cuts = model.cut_points();
        let y: Vec<usize> = rd
            .fwd_vol()
            .iter()
            .map(|&v| usize::from(cuts.label(v)))
            .collect();
        let proba = model
            .predict_proba(rd.features().view())
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
        Ok(num_metrics(out))
    }
}

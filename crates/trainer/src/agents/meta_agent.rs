//! `meta-selector`: LightGBM regressor of each strategy's next-window
//! return from its trailing statistics and market context (per-window
//! strategy returns from the backtest bootstrap).

use super::*;
use agent_core::{ParamGuard, Persist, metrics};
use meta_selector::{GridParallelism, MetaSelector, MetaTable, TreeParams};

const AGENT: &str = "meta-selector";
const LOCAL: [&str; 1] = ["lookback"];

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
    fn promote_metric(&self) -> (&'static str, Direction) {
        ("test_selection_mean_return", Direction::Maximize)
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

    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError> {
        let (local, rest) = take_local(ctx.params, &LOCAL);
        let lookback: usize = local_or(AGENT, &local, "lookback", 10)?;
        let (tree, rest) = take_tree_params(AGENT, &rest)?;
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
        let table = table(ctx.returns()?, lookback)?;
        let progress = ctx.core_progress();
        let mut model = params
            .fit_with_progress(&table, Some(&progress))
            .map_err(|e| agent_err(AGENT, &e))?;
        let dir = ctx.model_dir();
        model.set_provenance(Some(ctx.data.provenance.clone()));
        model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
        // The test rows' decision groups are their windows (rows of the
        // returns table).
        let test_windows = (0..table.n_rows())
            .filter(|&i| !table.is_train()[i])
            .filter_map(|i| usize::try_from(table.group()[i]).ok());
        if let Some((a, b)) = window_span(ctx.returns()?, test_windows) {
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
        _: &MarketData,
        returns: Option<&backtest::StrategyReturns>,
        slice: Option<&EvalSlice>,
    ) -> Result<Evaluation, TrainError> {
        let model = MetaSelector::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        let r = returns
            .ok_or_else(|| TrainError::Data("meta-selector needs strategy returns".into()))?;
        // The lookback the model's features were built with (models that
        // did not record it: the trainer's default).
        let lookback = model.lookback().unwrap_or(10);
        let t = table(r, lookback)?;
        let pred = model.predict_table(&t).map_err(|e| agent_err(AGENT, &e))?;
        // Rows (candidates) scored: all, or those whose decision group (a
        // window of the returns table) lies in the slice.
        let rows: Vec<usize> = match slice {
            None => (0..t.n_rows()).collect(),
            Some(s) => {
                let inside = s.windows(&r.start_ts, &r.end_ts);
                let rows: Vec<usize> = (0..t.n_rows())
                    .filter(|&i| {
                        usize::try_from(t.group()[i])
                            .is_ok_and(|g| inside.binary_search(&g).is_ok())
                    })
                    .collect();
                if rows.is_empty() {
                    return Err(empty_slice(AGENT, s));
                }
                rows
            }
        };
        let target: Vec<f64> = rows.iter().map(|&i| t.target()[i]).collect();
        let pred: Vec<f64> = rows.iter().map(|&i| pred[i]).collect();
        let mut out = vec![
            ("n".to_string(), pred.len() as f64),
            ("lookback".to_string(), lookback as f64),
        ];
        if let Ok(v) = metrics::mse(&target, &pred) {
            out.push(("mse".into(), v));
        }
        if let Ok(v) = metrics::r2(&target, &pred) {
            out.push(("r2".into(), v));
        }
        if let Some(s) = meta_selector::selection_report(&t, &rows, &pred) {
            out.push(("selection_mean_return".into(), s.mean_selected));
            out.push(("best_fixed_mean_return".into(), s.mean_best_fixed));
            out.push(("uniform_mean_return".into(), s.mean_uniform));
            out.push(("selection_hit_rate".into(), s.hit_rate));
        }
        let metrics = num_metrics(out);
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
            if let (Some(sel), Some(&start)) = (
                meta_selector::selection_report(&t, &rows[i..j], &pred[i..j]),
                usize::try_from(g).ok().and_then(|w| r.start_ts.get(w)),
            ) {
                ts.push(start);
                values.push(sel.mean_selected);
            }
            i = j;
        }
        Ok(Evaluation {
            metrics: with_promote_metric(metrics, self.promote_metric().0),
            paired: Some(PairedScores {
                name: "selected_return".into(),
                ts,
                values,
            }),
        })
    }
}

//! `ou-mean`: Ornstein-Uhlenbeck mean reversion with ADF/Hurst gating;
//! thresholds tuned by forward-chaining CV on the training bars, the
//! walk-forward strategy scored on the held-out bars.

use super::*;
use agent_core::{ParamGuard, Persist, TimeSeriesSplit};
use ou_mean::{MeanReversionModel, MeanReversionParams, ThresholdGrid};

const AGENT: &str = "ou-mean";
const LOCAL: [&str; 5] = ["test_fraction", "fee", "grid", "cv_splits", "n_threads"];

pub struct OuMeanAgent;

/// The trainer's defaults differ from the crate's in one place: refit every
/// 24 bars instead of every bar, so a zero-config run on 20k bars stays in
/// seconds (set `refit_every` to 1 for the exact per-bar protocol).
fn defaults() -> MeanReversionParams {
    MeanReversionParams::new().refit_every(24)
}

impl AgentTrainer for OuMeanAgent {
    fn name(&self) -> &'static str {
        AGENT
    }
    fn describe(&self) -> &'static str {
        "Ornstein-Uhlenbeck mean-reversion scorer gated by ADF and Hurst"
    }
    fn bootstrap(&self) -> Bootstrap {
        Bootstrap::Candles
    }
    fn promote_metric(&self) -> (&'static str, Direction) {
        ("test_sharpe", Direction::Maximize)
    }
    fn param_keys(&self) -> Vec<&'static str> {
        let mut k = vec![
            "window",
            "refit_every",
            "ou",
            "adf",
            "hurst",
            "adf_pvalue_max",
            "hurst_max",
            "half_life_min",
            "half_life_max",
            "entry_z",
            "exit_z",
        ];
        k.extend(LOCAL);
        k
    }

    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError> {
        let (local, rest) = take_local(ctx.params, &LOCAL);
        let test_fraction: f64 = local_or(AGENT, &local, "test_fraction", 0.2)?;
        let fee: f64 = local_or(AGENT, &local, "fee", 0.001)?;
        let grid: ThresholdGrid = local_or(AGENT, &local, "grid", ThresholdGrid::default())?;
        let cv_splits: usize = local_or(AGENT, &local, "cv_splits", 3)?;
        let n_threads: usize = local_or(AGENT, &local, "n_threads", 2)?;
        let params: MeanReversionParams = merge_serde(AGENT, &defaults(), &rest, &LOCAL)?;
        let params = params.check().map_err(|e| agent_err(AGENT, &e))?;
        let (_, candles) = ctx.data.primary()?;
        (ctx.progress)(0.05);
        let (mut model, report) = ou_mean::train(
            &params,
            &candles.close,
            test_fraction,
            &grid,
            &TimeSeriesSplit::new(cv_splits),
            fee,
            n_threads.max(1),
        )
        .map_err(|e| agent_err(AGENT, &e))?;
        (ctx.progress)(0.9);
        let dir = ctx.model_dir();
        model.set_provenance(Some(ctx.data.provenance.clone()));
        model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
        // The bar times of the first and last held-out bars.
        if let (Some(&a), Some(&b)) = (
            candles.ts.get(report.test_start),
            candles
                .ts
                .last()
                .filter(|_| report.test_start < candles.len()),
        ) {
            record_test_span(&dir, a, b)?;
        }
        // Equity of the walk-forward strategy over the held-out bars.
        let mut plots = Vec::new();
        let chosen = model.params().clone();
        if let Ok(sig) = chosen.rolling(&candles.close, n_threads.max(1))
            && let Ok(r) = ou_mean::strategy_returns(&candles.close, &sig, fee)
        {
            let test = &r[report.test_start.min(r.len())..];
            let eq = cumsum(test);
            plot(
                &mut plots,
                ctx.out_dir.join("test_equity.png"),
                "ou-mean: cumulative return on held-out bars",
                "bar",
                "cumulative return",
                &[agent_core::plot::Series::from_values("ou-mean", &eq)],
            );
        }
        let t = &report.test;
        Ok(Trained {
            metrics: saved_metrics(&dir)?,
            model_dir: dir,
            plots,
            summary: format!(
                "test Sharpe/bar {:.4}, total return {:+.2}%, {} trades over {} bars",
                t.sharpe,
                100.0 * t.total_return,
                t.n_trades,
                t.n_bars
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
        let model = MeanReversionModel::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        let (_, candles) = data.primary()?;
        let prices = &candles.close;
        let sig = model
            .params()
            .rolling(prices, 2)
            .map_err(|e| agent_err(AGENT, &e))?;
        // The fee the model's test metrics were computed with (0.001, the
        // default, for models that did not record it).
        let fee = model.metrics().get("test_fee").copied().unwrap_or(0.001);
        let Some(s) = slice else {
            let r = ou_mean::evaluate(prices, &sig, 0..prices.len(), fee)
                .map_err(|e| agent_err(AGENT, &e))?;
            return Ok(Evaluation {
                metrics: num_metrics(r.to_metrics("")),
                paired: None,
            });
        };
        let rows = s.rows(&candles.ts);
        if rows.is_empty() {
            return Err(empty_slice(AGENT, s));
        }
        let r =
            ou_mean::evaluate(prices, &sig, rows.clone(), fee).map_err(|e| agent_err(AGENT, &e))?;
        // The strategy's return earned at each bar (its mean over the slice
        // is the numerator of the Sharpe ratio).
        let per_bar =
            ou_mean::strategy_returns(prices, &sig, fee).map_err(|e| agent_err(AGENT, &e))?;
        Ok(Evaluation {
            metrics: with_promote_metric(num_metrics(r.to_metrics("")), self.promote_metric().0),
            paired: Some(PairedScores {
                name: "bar_return".into(),
                ts: candles.ts[rows.clone()].to_vec(),
                values: per_bar[rows].to_vec(),
            }),
        })
    }
}

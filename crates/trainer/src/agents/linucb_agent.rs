//! `linucb`: contextual bandit choosing a strategy per regime, trained on
//! the backtest's per-window strategy returns (full information), replayed
//! as a live bot on the held-out windows.

use super::*;
use agent_core::{Fit, ParamGuard, Persist};
use linucb::{FullFeedbackFit, Learn, LinUcb, LinUcbParams, RegimeMode, Variant};

const AGENT: &str = "linucb";
const LOCAL: [&str; 1] = ["reward_scale"];

pub struct LinUcbAgent;

fn bandit_data(
    r: &backtest::StrategyReturns,
    scale: f64,
) -> Result<linucb::BanditData, TrainError> {
    let csv = returns_csv(r);
    let mut data = linucb::io::parse_strategy_returns(csv.as_bytes(), "strategy returns")
        .map_err(|e| agent_err(AGENT, &e))?;
    data.scale_rewards(scale)
        .map_err(|e| agent_err(AGENT, &e))?;
    Ok(data)
}

impl AgentTrainer for LinUcbAgent {
    fn name(&self) -> &'static str {
        AGENT
    }
    fn describe(&self) -> &'static str {
        "LinUCB contextual bandit picking a strategy per regime"
    }
    fn bootstrap(&self) -> Bootstrap {
        Bootstrap::StrategyReturns
    }
    fn promote_metric(&self) -> (&'static str, Direction) {
        ("test_mean_reward", Direction::Maximize)
    }
    fn param_keys(&self) -> Vec<&'static str> {
        let mut k = vec![
            "alpha",
            "lambda",
            "variant",
            "hybrid",
            "regime_mode",
            "intercept",
            "standardize",
            "reinvert_every",
            "full_feedback_fit",
        ];
        k.extend(LOCAL);
        k
    }

    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError> {
        let (local, rest) = take_local(ctx.params, &LOCAL);
        // Rewards in percent per window, as the example and README use.
        let scale: f64 = local_or(AGENT, &local, "reward_scale", 100.0)?;
        let params = crate::apply_params!(AGENT, rest, LinUcbParams::new(), [
            alpha: f64,
            lambda: f64,
            variant: Variant,
            hybrid: Option<Vec<Vec<f64>>>,
            regime_mode: RegimeMode,
            intercept: bool,
            standardize: bool,
            reinvert_every: u64,
            full_feedback_fit: FullFeedbackFit,
        ]);
        let params = params.check().map_err(|e| agent_err(AGENT, &e))?;
        let data = bandit_data(ctx.returns()?, scale)?;
        let (train, test) = data.split(0.8).map_err(|e| agent_err(AGENT, &e))?;
        if train.is_empty() || test.is_empty() {
            return Err(TrainError::Data(format!(
                "linucb needs windows on both sides of the split (train {}, test {}); give more bars",
                train.len(),
                test.len()
            )));
        }
        (ctx.progress)(0.2);
        let mut model: LinUcb = params.fit(&train).map_err(|e| agent_err(AGENT, &e))?;
        (ctx.progress)(0.6);
        let report = model
            .replay(&test, Learn::Chosen)
            .map_err(|e| agent_err(AGENT, &e))?;
        model.record_metrics("test", &report);
        let dir = ctx.model_dir();
        model.set_provenance(Some(ctx.data.provenance.clone()));
        model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
        // Event i is scored on window i + 1 (the next window's returns).
        let test_windows = (train.len()..train.len() + test.len()).map(|i| i + 1);
        if let Some((a, b)) = window_span(ctx.returns()?, test_windows) {
            record_test_span(&dir, a, b)?;
        }
        let mut plots = Vec::new();
        let earned: Vec<f64> = report.rewards.iter().map(|r| r.unwrap_or(0.0)).collect();
        plot(
            &mut plots,
            ctx.out_dir.join("replay_reward.png"),
            "linucb: cumulative reward on held-out windows",
            "decision",
            "cumulative reward (%)",
            &[agent_core::plot::Series::from_values(
                "bandit",
                &cumsum(&earned),
            )],
        );
        Ok(Trained {
            metrics: saved_metrics(&dir)?,
            model_dir: dir,
            plots,
            summary: format!(
                "held-out reward {:.3} over {} decisions; best fixed `{}` {:.3}; uniform {:.3}",
                report.cumulative_reward,
                report.events,
                report.best_fixed_arm.as_deref().unwrap_or("-"),
                report.best_fixed_reward,
                report.uniform_reward
            ),
        })
    }

    fn evaluate(
        &self,
        blob: &[u8],
        _: &MarketData,
        returns: Option<&backtest::StrategyReturns>,
        slice: Option<&EvalSlice>,
    ) -> Result<Evaluation, TrainError> {
        let mut model = LinUcb::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        let r = returns.ok_or_else(|| TrainError::Data("linucb needs strategy returns".into()))?;
        let data = bandit_data(r, 100.0)?;
        let Some(s) = slice else {
            let report = model
                .replay(&data, Learn::Chosen)
                .map_err(|e| agent_err(AGENT, &e))?;
            return Ok(Evaluation {
                metrics: report.metrics().into_iter().collect(),
                paired: None,
            });
        };
        // Event i is scored on window i + 1 (the next window's returns).
        let n = data.len().min(r.len().saturating_sub(1));
        let (Some(starts), Some(ends)) = (r.start_ts.get(1..=n), r.end_ts.get(1..=n)) else {
            return Err(empty_slice(AGENT, s));
        };
        let idx = s.windows(starts, ends);
        let (Some(&a), Some(&last)) = (idx.first(), idx.last()) else {
            return Err(empty_slice(AGENT, s));
        };
        let b = last + 1;
        if b - a != idx.len() {
            return Err(TrainError::Data(format!(
                "{AGENT}: the windows between {} and {} are not consecutive rows of the returns \
                 table; give a slice of whole consecutive windows",
                s.from_ts, s.to_ts
            )));
        }
        // The bandit learns from its choices while it replays: replay (and
        // learn from) every event before the slice first, so its state at
        // the slice's start is the one a replay without a slice reaches
        // there; then score the slice, learning on as that replay does.
        if a > 0 {
            let before = data.slice(0..a).map_err(|e| agent_err(AGENT, &e))?;
            model
                .replay(&before, Learn::Chosen)
                .map_err(|e| agent_err(AGENT, &e))?;
        }
        let inside = data.slice(a..b).map_err(|e| agent_err(AGENT, &e))?;
        let report = model
            .replay(&inside, Learn::Chosen)
            .map_err(|e| agent_err(AGENT, &e))?;
        Ok(Evaluation {
            metrics: with_promote_metric(
                report.metrics().into_iter().collect(),
                self.promote_metric().0,
            ),
            paired: Some(PairedScores {
                name: "chosen_reward".into(),
                ts: starts[a..b].to_vec(),
                values: report.rewards.iter().map(|v| v.unwrap_or(0.0)).collect(),
            }),
        })
    }
}

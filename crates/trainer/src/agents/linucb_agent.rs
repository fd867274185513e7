//! `linucb`: contextual bandit choosing a strategy per regime, trained on
//! the backtest's per-window strategy returns (full information), replayed
//! as a live bot on the held-out windows.

use super::*;
use agent_core::{Fit, ParamGuard, Persist};
use linucb::{FullFeedbackFit, Learn, LinUcb, LinUcbParams, RegimeMode, Variant};

const AGENT: &str = "linucb";
const LOCAL: [&str; 1] = ["reward_scale"];

pub struct LinUcbAgent;

/// The bandit events of `r`, and the window (row of `r`) each event's
/// reward is earned in.
fn bandit_data(
    r: &backtest::StrategyReturns,
    scale: f64,
) -> Result<(linucb::BanditData, Vec<usize>), TrainError> {
    let (mut data, reward_windows) = if r.is_one_series() {
        let csv = returns_csv(r);
        let data = linucb::io::parse_strategy_returns(csv.as_bytes(), "strategy returns")
            .map_err(|e| agent_err(AGENT, &e))?;
        // Event i earns the returns of window i + 1.
        let windows = (1..=data.len()).collect();
        (data, windows)
    } else {
        pooled_bandit_data(r)?
    };
    data.scale_rewards(scale)
        .map_err(|e| agent_err(AGENT, &e))?;
    Ok((data, reward_windows))
}

/// The bandit events of windows pooled from several series, as
/// `linucb::io::parse_strategy_returns` reads one series: the decision at
/// the end of window `w` (its context and regime) earns the returns of the
/// next window of `w`'s own series, never another symbol's. Training events
/// (reward window in train) come first; within each part events are in
/// decision-time order across the series, as one bot trading them all sees
/// them.
fn pooled_bandit_data(
    r: &backtest::StrategyReturns,
) -> Result<(linucb::BanditData, Vec<usize>), TrainError> {
    let mut events: Vec<(bool, i64, usize, usize)> = (0..r.len())
        .filter_map(|w| {
            r.next_window(w)
                .map(|next| (next >= r.n_train, r.end_ts[w], w, next))
        })
        .collect();
    events.sort_by_key(|&(test, ts, w, _)| (test, ts, r.symbol[w].clone(), w));
    if events.len() < 2 {
        return Err(TrainError::Data(
            "linucb needs at least two windows in one series".into(),
        ));
    }
    let max_regime = r.regime.iter().copied().max().unwrap_or(0);
    let mut regimes = Vec::with_capacity(events.len());
    let mut contexts = Vec::with_capacity(events.len() * backtest::CTX.len());
    let mut rewards = Vec::with_capacity(events.len() * r.strategies.len());
    for &(_, _, w, next) in &events {
        regimes.push(usize::from(r.regime[w]));
        contexts.extend_from_slice(&r.ctx[w]);
        rewards.extend_from_slice(&r.returns[next]);
    }
    let mask = events.iter().map(|e| !e.0).collect();
    linucb::BanditData::new_full(
        r.strategies.clone(),
        (0..=max_regime).map(|i| i.to_string()).collect(),
        backtest::CTX.iter().map(|c| c.to_string()).collect(),
        regimes,
        contexts,
        rewards,
    )
    .and_then(|d| d.with_train_mask(mask))
    .map(|d| (d, events.iter().map(|e| e.3).collect()))
    .map_err(|e| agent_err(AGENT, &e))
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
        let (data, reward_windows) = bandit_data(ctx.returns()?, scale)?;
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
        let test_windows = reward_windows.get(train.len()..).unwrap_or(&[]);
        if let Some((a, b)) = window_span(ctx.returns()?, test_windows.iter().copied()) {
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
        let (data, reward_windows) = bandit_data(r, 100.0)?;
        let Some(s) = slice else {
            let report = model
                .replay(&data, Learn::Chosen)
                .map_err(|e| agent_err(AGENT, &e))?;
            return Ok(Evaluation {
                metrics: report.metrics().into_iter().collect(),
                paired: None,
            });
        };
        // An event is in the slice when the window it earns in is.
        let span = |ts: &[i64]| -> Vec<i64> {
            reward_windows
                .iter()
                .filter_map(|&w| ts.get(w).copied())
                .collect()
        };
        let (starts, ends) = (span(&r.start_ts), span(&r.end_ts));
        let idx = s.windows(&starts, &ends);
        let (Some(&a), Some(&last)) = (idx.first(), idx.last()) else {
            return Err(empty_slice(AGENT, s));
        };
        let b = last + 1;
        if b - a != idx.len() || b > data.len() {
            return Err(TrainError::Data(format!(
                "{AGENT}: the decisions between {} and {} are not consecutive in replay order; \
                 give a slice of whole consecutive windows",
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two series: AAA's windows earn +1% with context 1, BBB's -2% with
    /// context 2; every event's reward must be its own series'.
    #[test]
    fn pooled_events_never_take_the_reward_of_another_symbol() {
        let mut r = backtest::StrategyReturns {
            strategies: vec!["a".into(), "b".into()],
            symbol: Vec::new(),
            timeframe: Vec::new(),
            first_bar: Vec::new(),
            last_bar: Vec::new(),
            start_ts: Vec::new(),
            end_ts: Vec::new(),
            returns: Vec::new(),
            ctx: Vec::new(),
            regime: Vec::new(),
            n_train: 8,
            q1: f64::NAN,
            q2: f64::NAN,
        };
        for (range, train) in [(0..4, true), (4..6, false)] {
            for (sym, ret, ctx) in [("AAA", 0.01, 1.0), ("BBB", -0.02, 2.0)] {
                for w in range.clone() {
                    r.symbol.push(sym.into());
                    r.timeframe.push("1h".into());
                    r.first_bar.push(w);
                    r.last_bar.push(w);
                    r.start_ts.push(w as i64 * 10);
                    r.end_ts.push(w as i64 * 10 + 9);
                    r.returns.push(vec![ret, ret]);
                    r.ctx.push([ctx; 7]);
                    r.regime.push(u8::from(!train));
                }
            }
        }
        let (d, _) = bandit_data(&r, 100.0).unwrap();
        // 6 windows per series give 5 events each.
        assert_eq!(d.len(), 10);
        assert_eq!(d.train_mask().unwrap().iter().filter(|&&t| t).count(), 6);
        for i in 0..d.len() {
            let own = if d.context(i)[0] == 1.0 { 1.0 } else { -2.0 };
            let got = d.reward(i, 0).unwrap();
            assert!((got - own).abs() < 1e-12, "event {i}: {got}");
        }
    }
}

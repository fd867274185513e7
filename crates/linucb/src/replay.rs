//! Offline evaluation by replay (Li, Chu, Langford, Wang 2011): what a
//! policy would have earned on a recorded sequence, against the best fixed
//! strategy in hindsight.
//!
//! With full information (every strategy's return known per window) the
//! replay is exact. With a trade log only events where the policy picks the
//! logged strategy are scored; the benchmarks are then estimated from the
//! per-strategy mean logged reward times the number of scored events,
//! which is unbiased only for a uniformly random logging policy.

use serde::Serialize;
use std::ops::Range;

/// Replay results of one regime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegimeReplay {
    pub regime: String,
    pub events: usize,
    /// Scored events (all with full information, matched ones with a log).
    pub evaluated: usize,
    /// How often the policy chose each strategy (all events).
    pub choices: Vec<u64>,
    pub cumulative_reward: f64,
    /// The best single strategy of this regime in hindsight.
    pub best_fixed_arm: Option<String>,
    pub best_fixed_reward: f64,
    /// `best_fixed_reward - cumulative_reward`.
    pub regret: f64,
}

/// What a replay measured. Rewards are in the data's units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    pub full_information: bool,
    pub arm_names: Vec<String>,
    pub events: usize,
    pub evaluated: usize,
    pub cumulative_reward: f64,
    /// `cumulative_reward / evaluated` (NaN when nothing was scored).
    pub mean_reward: f64,
    /// The best single strategy over all events in hindsight.
    pub best_fixed_arm: Option<String>,
    pub best_fixed_reward: f64,
    /// `best_fixed_reward - cumulative_reward`.
    pub regret_vs_best_fixed: f64,
    /// Sum over regimes of each regime's best fixed strategy: the benchmark
    /// a per-regime lookup table would reach in hindsight.
    pub best_fixed_per_regime_reward: f64,
    pub regret_vs_best_fixed_per_regime: f64,
    /// Choosing uniformly at random (expected value).
    pub uniform_reward: f64,
    /// The best strategy at every step (full information only).
    pub oracle_reward: Option<f64>,
    /// How often the policy chose each strategy.
    pub choices: Vec<u64>,
    pub per_regime: Vec<RegimeReplay>,
    /// The policy's choice at every event.
    pub chosen: Vec<usize>,
    /// The reward earned at every event (`None` when a logged event did not match).
    pub rewards: Vec<Option<f64>>,
}

impl ReplayReport {
    /// Sum of the earned rewards over the events in `range`.
    pub fn reward_over(&self, range: Range<usize>) -> f64 {
        self.rewards
            .get(range)
            .unwrap_or(&[])
            .iter()
            .flatten()
            .sum()
    }

    /// The scalar results as `(name, value)` pairs for a manifest.
    pub fn metrics(&self) -> Vec<(String, serde_json::Value)> {
        let num = |x: f64| {
            if x.is_finite() {
                serde_json::json!(x)
            } else {
                serde_json::Value::Null
            }
        };
        let mut m = vec![
            ("events".to_string(), serde_json::json!(self.events)),
            ("evaluated".to_string(), serde_json::json!(self.evaluated)),
            ("cumulative_reward".to_string(), num(self.cumulative_reward)),
            ("mean_reward".to_string(), num(self.mean_reward)),
            ("best_fixed_reward".to_string(), num(self.best_fixed_reward)),
            (
                "best_fixed_arm".to_string(),
                serde_json::json!(self.best_fixed_arm),
            ),
            (
                "regret_vs_best_fixed".to_string(),
                num(self.regret_vs_best_fixed),
            ),
            (
                "regret_vs_best_fixed_per_regime".to_string(),
                num(self.regret_vs_best_fixed_per_regime),
            ),
            ("uniform_reward".to_string(), num(self.uniform_reward)),
        ];
        if let Some(o) = self.oracle_reward {
            m.push(("oracle_reward".to_string(), num(o)));
        }
        m
    }
}

/// Per-regime accumulators.
#[derive(Debug, Clone)]
struct Acc {
    events: usize,
    evaluated: usize,
    choices: Vec<u64>,
    reward: f64,
    /// Full information: sum of each arm's reward. Logged: sum and count of
    /// each arm's logged rewards.
    arm_sum: Vec<f64>,
    arm_n: Vec<u64>,
    oracle: f64,
}

impl Acc {
    fn new(k: usize) -> Self {
        Self {
            events: 0,
            evaluated: 0,
            choices: vec![0; k],
            reward: 0.0,
            arm_sum: vec![0.0; k],
            arm_n: vec![0; k],
            oracle: 0.0,
        }
    }

    /// (best arm, best fixed value, uniform value) for this accumulator.
    fn benchmarks(&self, full: bool) -> (Option<usize>, f64, f64) {
        let k = self.arm_sum.len();
        if full {
            if self.events == 0 {
                return (None, 0.0, 0.0);
            }
            let (mut best, mut bv) = (0, f64::NEG_INFINITY);
            for (a, &s) in self.arm_sum.iter().enumerate() {
                if s > bv {
                    best = a;
                    bv = s;
                }
            }
            (Some(best), bv, self.arm_sum.iter().sum::<f64>() / k as f64)
        } else {
            let means: Vec<Option<f64>> = self
                .arm_sum
                .iter()
                .zip(&self.arm_n)
                .map(|(s, &n)| (n > 0).then(|| s / n as f64))
                .collect();
            let (mut best, mut bv) = (None, f64::NEG_INFINITY);
            for (a, m) in means.iter().enumerate() {
                if let Some(m) = *m
                    && m > bv
                {
                    best = Some(a);
                    bv = m;
                }
            }
            let known: Vec<f64> = means.iter().flatten().copied().collect();
            let e = self.evaluated as f64;
            if known.is_empty() {
                return (None, 0.0, 0.0);
            }
            (
                best,
                bv * e,
                e * known.iter().sum::<f64>() / known.len() as f64,
            )
        }
    }
}

/// Builds a [`ReplayReport`] event by event.
pub(crate) struct Recorder {
    arm_names: Vec<String>,
    regime_names: Vec<String>,
    full: bool,
    total: Acc,
    per: Vec<Acc>,
    chosen: Vec<usize>,
    rewards: Vec<Option<f64>>,
}

impl Recorder {
    pub(crate) fn new(
        arm_names: Vec<String>,
        regime_names: Vec<String>,
        full: bool,
        n: usize,
    ) -> Self {
        let k = arm_names.len();
        Self {
            per: vec![Acc::new(k); regime_names.len()],
            total: Acc::new(k),
            arm_names,
            regime_names,
            full,
            chosen: Vec::with_capacity(n),
            rewards: Vec::with_capacity(n),
        }
    }

    pub(crate) fn full(&mut self, regime: usize, choice: usize, rewards: &[f64]) {
        let best = rewards.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for acc in [&mut self.total, &mut self.per[regime]] {
            acc.events += 1;
            acc.evaluated += 1;
            acc.choices[choice] += 1;
            acc.reward += rewards[choice];
            acc.oracle += best;
            for (s, r) in acc.arm_sum.iter_mut().zip(rewards) {
                *s += r;
            }
        }
        self.chosen.push(choice);
        self.rewards.push(Some(rewards[choice]));
    }

    pub(crate) fn logged(&mut self, regime: usize, choice: usize, logged: usize, reward: f64) {
        let matched = choice == logged;
        for acc in [&mut self.total, &mut self.per[regime]] {
            acc.events += 1;
            acc.choices[choice] += 1;
            acc.arm_sum[logged] += reward;
            acc.arm_n[logged] += 1;
            if matched {
                acc.evaluated += 1;
                acc.reward += reward;
            }
        }
        self.chosen.push(choice);
        self.rewards.push(matched.then_some(reward));
    }

    pub(crate) fn finish(self) -> ReplayReport {
        let full = self.full;
        let (best, best_v, uniform) = self.total.benchmarks(full);
        let mut per_regime = Vec::with_capacity(self.per.len());
        let mut per_best_sum = 0.0;
        for (name, acc) in self.regime_names.iter().zip(&self.per) {
            let (b, bv, _) = acc.benchmarks(full);
            per_best_sum += bv;
            per_regime.push(RegimeReplay {
                regime: name.clone(),
                events: acc.events,
                evaluated: acc.evaluated,
                choices: acc.choices.clone(),
                cumulative_reward: acc.reward,
                best_fixed_arm: b.map(|a| self.arm_names[a].clone()),
                best_fixed_reward: bv,
                regret: bv - acc.reward,
            });
        }
        let t = &self.total;
        ReplayReport {
            full_information: full,
            events: t.events,
            evaluated: t.evaluated,
            cumulative_reward: t.reward,
            mean_reward: if t.evaluated > 0 {
                t.reward / t.evaluated as f64
            } else {
                f64::NAN
            },
            best_fixed_arm: best.map(|a| self.arm_names[a].clone()),
            best_fixed_reward: best_v,
            regret_vs_best_fixed: best_v - t.reward,
            best_fixed_per_regime_reward: per_best_sum,
            regret_vs_best_fixed_per_regime: per_best_sum - t.reward,
            uniform_reward: uniform,
            oracle_reward: full.then_some(t.oracle),
            choices: t.choices.clone(),
            per_regime,
            chosen: self.chosen,
            rewards: self.rewards,
            arm_names: self.arm_names,
        }
    }
}

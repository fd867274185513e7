//! Champion/challenger promotion: when a training run publishes a model,
//! which one serves the bot afterwards.
//!
//! The default rule, [`PromoteRule::SameSlice`], scores the current model
//! (the champion) and the new one (the challenger) on the same
//! out-of-sample slice (the challenger's test span, which the agent records
//! as `test_from_ts`/`test_to_ts`) with the same data and the same
//! evaluation code, so a model is never promoted because its test period was
//! easier. For agents whose metric is a noisy trading return (PPO, LinUCB,
//! the meta-selector, the OU strategy) the decision is a paired comparison
//! over the slice's windows: the challenger is promoted only when the whole
//! 95% moving-block bootstrap interval of the mean per-window difference lies
//! above zero. For the classifiers and the forecaster the challenger is
//! promoted when its metric on the slice is not worse than the champion's.
//! The rule and its numbers go into the pointer (`promotion`), and so into
//! the history once the model is replaced.

use crate::agents::{AgentTrainer, EvalSlice, Evaluation, MarketData};
use agent_core::Direction;
use agent_core::paired::{PairedComparison, default_block, paired_comparison};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use store::{LatestPointer, PromotePolicy, PromotionRecord};

/// Confidence level of the paired comparison.
pub const PAIRED_LEVEL: f64 = 0.95;
/// Bootstrap resamples of the paired comparison.
pub const PAIRED_RESAMPLES: usize = 4000;
/// Fixed seed: the same two models on the same data give the same decision.
const PAIRED_SEED: u64 = 0xC0FF_EE00_5EED;

/// How a newly trained model becomes the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PromoteRule {
    /// Score champion and challenger on the challenger's test slice and
    /// promote on that comparison (paired test for noisy metrics).
    #[default]
    SameSlice,
    /// The old rule: compare the metric each model stored when it was
    /// trained (their test periods differ).
    StoredMetric,
    /// Always promote (what `--force` does).
    Always,
    /// Publish only; promote later with `models promote`.
    Never,
}

impl PromoteRule {
    pub fn as_str(self) -> &'static str {
        match self {
            PromoteRule::SameSlice => "same-slice",
            PromoteRule::StoredMetric => "stored-metric",
            PromoteRule::Always => "always",
            PromoteRule::Never => "never",
        }
    }
}

/// Whether `agent`'s promotion metric is a trading return noisy enough
/// that only a paired test over windows says which model is better.
pub fn needs_paired_test(agent: &str) -> bool {
    matches!(agent, "ppo" | "linucb" | "meta-selector" | "ou-mean")
}

/// What the champion/challenger comparison works with.
pub struct Contest<'a> {
    pub agent: &'a dyn AgentTrainer,
    /// The challenger's artifact blob and its saved out-of-sample metrics.
    pub candidate: &'a [u8],
    pub candidate_metrics: &'a BTreeMap<String, Value>,
    /// The data both are scored on (the symbol's candles of this run).
    pub data: &'a MarketData,
    pub returns: Option<&'a backtest::StrategyReturns>,
}

/// The registry policy for `rule`. For [`PromoteRule::SameSlice`] this runs
/// the comparison with the current model `champion` (its pointer and blob;
/// `None` when there is none) and returns the decision.
pub fn policy(
    rule: PromoteRule,
    contest: &Contest<'_>,
    champion: Option<(&LatestPointer, &Result<Vec<u8>, String>)>,
) -> PromotePolicy {
    let (metric, direction) = contest.agent.promote_metric();
    match rule {
        PromoteRule::Always => PromotePolicy::Always,
        PromoteRule::Never => PromotePolicy::Never,
        PromoteRule::StoredMetric => PromotePolicy::IfNotWorse {
            metric: metric.to_string(),
            direction,
        },
        PromoteRule::SameSlice => match champion {
            None => PromotePolicy::Decided {
                promote: true,
                against: None,
                reason: None,
                record: PromotionRecord::new("first", None, Value::Null),
            },
            Some((pointer, blob)) => {
                let against = Some(pointer.key.clone());
                match same_slice(contest, blob, metric, direction) {
                    Ok((promote, reason, details)) => PromotePolicy::Decided {
                        promote,
                        against: against.clone(),
                        reason,
                        record: PromotionRecord::new("same_slice", against, details),
                    },
                    Err(why) => PromotePolicy::Decided {
                        promote: false,
                        against: against.clone(),
                        reason: Some(format!(
                            "the current model could not be scored on the new model's test \
                             slice ({why}); promote by hand (`models promote`) or train with \
                             the `always` rule"
                        )),
                        record: PromotionRecord::new("same_slice", against, Value::Null),
                    },
                }
            }
        },
    }
}

/// Score both models on the challenger's slice and decide.
fn same_slice(
    contest: &Contest<'_>,
    champion_blob: &Result<Vec<u8>, String>,
    metric: &str,
    direction: Direction,
) -> Result<(bool, Option<String>, Value), String> {
    let slice = EvalSlice::from_metrics(contest.candidate_metrics).ok_or_else(|| {
        "the new model did not record its test slice (test_from_ts, test_to_ts)".to_string()
    })?;
    let champion_blob = champion_blob.as_ref().map_err(String::clone)?;
    let score = |blob: &[u8]| -> Result<Evaluation, String> {
        contest
            .agent
            .evaluate(blob, contest.data, contest.returns, Some(&slice))
            .map_err(|e| e.to_string())
    };
    let new = score(contest.candidate)?;
    let old = score(champion_blob)?;
    let value = |e: &Evaluation| e.metrics.get(metric).and_then(Value::as_f64);
    let (n, o) = (value(&new), value(&old));
    let paired = paired_of(&new, &old)?;
    let mut details = json!({
        "metric": metric,
        "direction": match direction { Direction::Maximize => "maximize", Direction::Minimize => "minimize" },
        "slice": {"from_ts": slice.from_ts, "to_ts": slice.to_ts},
        "candidate": n,
        "current": o,
    });
    if let Some(p) = &paired {
        details["paired"] = serde_json::to_value(p).unwrap_or(Value::Null);
    }
    let agent = contest.agent.name();
    if needs_paired_test(agent) {
        let p = paired.ok_or_else(|| format!("{agent} gave no per-window scores to compare"))?;
        details["decided_by"] = json!(format!(
            "paired moving-block bootstrap over {} {}: promote when the {}% interval of the \
             mean difference lies above zero",
            p.n,
            new.paired.as_ref().map_or("rows", |s| s.name.as_str()),
            (PAIRED_LEVEL * 100.0).round()
        ));
        if p.a_significantly_better() {
            Ok((true, None, details))
        } else {
            let why = format!(
                "not significantly better on the same slice: mean per-window difference {:.6} \
                 ({}% interval {:.6} to {:.6}, {} windows, sign test p = {:.3})",
                p.mean_diff,
                (PAIRED_LEVEL * 100.0).round(),
                p.ci_low,
                p.ci_high,
                p.n,
                p.sign_test_p
            );
            Ok((false, Some(why), details))
        }
    } else {
        details["decided_by"] = json!(format!("{metric} on the same slice, not worse"));
        let (n, o) = match (n, o) {
            (Some(n), Some(o)) => (n, o),
            (None, _) => return Err(format!("the new model's evaluation has no `{metric}`")),
            (_, None) => return Err(format!("the current model's evaluation has no `{metric}`")),
        };
        let ok = match direction {
            Direction::Maximize => n >= o,
            Direction::Minimize => n <= o,
        };
        if ok {
            Ok((true, None, details))
        } else {
            Ok((
                false,
                Some(format!(
                    "{metric} {n:.6} is worse than the current model's {o:.6} on the same slice"
                )),
                details,
            ))
        }
    }
}

/// The paired comparison of the two evaluations' per-row scores, when both
/// gave them; an error when they scored different rows.
fn paired_of(new: &Evaluation, old: &Evaluation) -> Result<Option<PairedComparison>, String> {
    let (Some(a), Some(b)) = (&new.paired, &old.paired) else {
        return Ok(None);
    };
    if a.ts != b.ts {
        return Err(format!(
            "the two models scored different rows ({} against {})",
            a.ts.len(),
            b.ts.len()
        ));
    }
    if a.values.is_empty() {
        return Err("the slice holds no rows to compare".into());
    }
    paired_comparison(
        &a.values,
        &b.values,
        PAIRED_LEVEL,
        PAIRED_RESAMPLES,
        default_block(a.values.len()),
        PAIRED_SEED,
    )
    .map(Some)
    .map_err(|e| e.to_string())
}

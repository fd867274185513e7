//! Training and evaluation data in memory: a time-ordered sequence of
//! decisions (regime, market features) with either the one logged strategy
//! and its reward (trade logs) or every strategy's reward (per-window
//! strategy returns), plus aggregated per-(regime, strategy) statistics for
//! warm starts. Readers for the CSV layouts are in [`crate::io`].

use crate::error::{LinUcbError, Result};
use sha2::{Digest, Sha256};
use std::ops::Range;

/// What is known about the rewards of each decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Feedback {
    /// One logged arm and its reward per event (bandit feedback, e.g. a trade log).
    Logged { arms: Vec<usize>, rewards: Vec<f64> },
    /// The reward of every arm at every event, row-major `n x n_arms`
    /// (full information, e.g. per-window returns of every strategy).
    Full { rewards: Vec<f64> },
}

/// A chronological sequence of bandit decisions.
///
/// Event `i` has a regime index, `n_features` market features (raw, before
/// any standardisation) and its feedback. Rows are in time order; replay and
/// fitting consume them in that order.
#[derive(Debug, Clone, PartialEq)]
pub struct BanditData {
    arm_names: Vec<String>,
    regime_names: Vec<String>,
    feature_names: Vec<String>,
    regimes: Vec<usize>,
    contexts: Vec<f64>,
    feedback: Feedback,
    timestamps: Option<Vec<i64>>,
    is_train: Option<Vec<bool>>,
}

fn shape_err(what: &'static str, expected: usize, got: usize) -> LinUcbError {
    LinUcbError::Core(agent_core::CoreError::Shape {
        what,
        expected: expected.to_string(),
        got: got.to_string(),
    })
}

fn check_names(kind: &str, names: &[String]) -> Result<()> {
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        if n.trim().is_empty() {
            return Err(LinUcbError::InvalidData(format!(
                "{kind} name {i} is empty"
            )));
        }
        if !seen.insert(n.as_str()) {
            return Err(LinUcbError::InvalidData(format!(
                "{kind} name `{n}` appears twice"
            )));
        }
    }
    Ok(())
}

impl BanditData {
    fn new(
        arm_names: Vec<String>,
        regime_names: Vec<String>,
        feature_names: Vec<String>,
        regimes: Vec<usize>,
        contexts: Vec<f64>,
        feedback: Feedback,
    ) -> Result<Self> {
        check_names("strategy", &arm_names)?;
        check_names("regime", &regime_names)?;
        check_names("feature", &feature_names)?;
        if arm_names.is_empty() {
            return Err(LinUcbError::InvalidData("no strategies (arms)".into()));
        }
        if regime_names.is_empty() {
            return Err(LinUcbError::InvalidData(
                "no regimes (use one regime, e.g. `all`, when there are none)".into(),
            ));
        }
        let n = regimes.len();
        let p = feature_names.len();
        if contexts.len() != n * p {
            return Err(shape_err(
                "contexts (events x features)",
                n * p,
                contexts.len(),
            ));
        }
        if let Some(i) = regimes.iter().position(|&r| r >= regime_names.len()) {
            return Err(LinUcbError::RegimeOutOfRange {
                regime: regimes[i],
                n_regimes: regime_names.len(),
            });
        }
        if let Some(i) = contexts.iter().position(|v| !v.is_finite()) {
            return Err(LinUcbError::InvalidData(format!(
                "event {} feature `{}` is {}",
                i / p.max(1),
                feature_names[i % p.max(1)],
                contexts[i]
            )));
        }
        match &feedback {
            Feedback::Logged { arms, rewards } => {
                if arms.len() != n {
                    return Err(shape_err("logged arms", n, arms.len()));
                }
                if rewards.len() != n {
                    return Err(shape_err("logged rewards", n, rewards.len()));
                }
                if let Some(i) = arms.iter().position(|&a| a >= arm_names.len()) {
                    return Err(LinUcbError::ArmOutOfRange {
                        arm: arms[i],
                        n_arms: arm_names.len(),
                    });
                }
                if let Some(i) = rewards.iter().position(|v| !v.is_finite()) {
                    return Err(LinUcbError::InvalidData(format!(
                        "event {i} reward is {}",
                        rewards[i]
                    )));
                }
            }
            Feedback::Full { rewards } => {
                let k = arm_names.len();
                if rewards.len() != n * k {
                    return Err(shape_err(
                        "rewards (events x strategies)",
                        n * k,
                        rewards.len(),
                    ));
                }
                if let Some(i) = rewards.iter().position(|v| !v.is_finite()) {
                    return Err(LinUcbError::InvalidData(format!(
                        "event {} reward of `{}` is {}",
                        i / k,
                        arm_names[i % k],
                        rewards[i]
                    )));
                }
            }
        }
        Ok(Self {
            arm_names,
            regime_names,
            feature_names,
            regimes,
            contexts,
            feedback,
            timestamps: None,
            is_train: None,
        })
    }

    /// Events where every arm's reward is known (`rewards` is `n x n_arms`, row-major).
    pub fn new_full(
        arm_names: Vec<String>,
        regime_names: Vec<String>,
        feature_names: Vec<String>,
        regimes: Vec<usize>,
        contexts: Vec<f64>,
        rewards: Vec<f64>,
    ) -> Result<Self> {
        Self::new(
            arm_names,
            regime_names,
            feature_names,
            regimes,
            contexts,
            Feedback::Full { rewards },
        )
    }

    /// Events with one logged arm and its reward each.
    pub fn new_logged(
        arm_names: Vec<String>,
        regime_names: Vec<String>,
        feature_names: Vec<String>,
        regimes: Vec<usize>,
        contexts: Vec<f64>,
        arms: Vec<usize>,
        rewards: Vec<f64>,
    ) -> Result<Self> {
        Self::new(
            arm_names,
            regime_names,
            feature_names,
            regimes,
            contexts,
            Feedback::Logged { arms, rewards },
        )
    }

    /// Attach decision times (epoch ms); they must not decrease.
    pub fn with_timestamps(mut self, ts: Vec<i64>) -> Result<Self> {
        if ts.len() != self.len() {
            return Err(shape_err("timestamps", self.len(), ts.len()));
        }
        if let Some(i) = ts.windows(2).position(|w| w[1] < w[0]) {
            return Err(LinUcbError::InvalidData(format!(
                "events must be in time order: event {} ({}) comes before event {} ({})",
                i + 1,
                ts[i + 1],
                i,
                ts[i]
            )));
        }
        self.timestamps = Some(ts);
        Ok(self)
    }

    /// Mark training events. Training events must all come before the first
    /// test event (a chronological split).
    pub fn with_train_mask(mut self, is_train: Vec<bool>) -> Result<Self> {
        if is_train.len() != self.len() {
            return Err(shape_err("train mask", self.len(), is_train.len()));
        }
        let n_train = is_train.iter().take_while(|&&t| t).count();
        if let Some(i) = is_train[n_train..].iter().position(|&t| t) {
            return Err(LinUcbError::InvalidData(format!(
                "the split must be chronological: event {} is marked train after test event {}",
                n_train + i,
                n_train
            )));
        }
        self.is_train = Some(is_train);
        Ok(self)
    }

    pub fn len(&self) -> usize {
        self.regimes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.regimes.is_empty()
    }
    pub fn n_arms(&self) -> usize {
        self.arm_names.len()
    }
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }
    pub fn n_regimes(&self) -> usize {
        self.regime_names.len()
    }
    pub fn arm_names(&self) -> &[String] {
        &self.arm_names
    }
    pub fn regime_names(&self) -> &[String] {
        &self.regime_names
    }
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    pub fn regimes(&self) -> &[usize] {
        &self.regimes
    }
    /// All contexts, row-major `n x n_features`.
    pub fn contexts(&self) -> &[f64] {
        &self.contexts
    }
    pub fn regime(&self, i: usize) -> usize {
        self.regimes[i]
    }
    pub fn context(&self, i: usize) -> &[f64] {
        let p = self.n_features();
        &self.contexts[i * p..(i + 1) * p]
    }
    pub fn feedback(&self) -> &Feedback {
        &self.feedback
    }
    pub fn is_full_information(&self) -> bool {
        matches!(self.feedback, Feedback::Full { .. })
    }
    pub fn timestamps(&self) -> Option<&[i64]> {
        self.timestamps.as_deref()
    }
    pub fn train_mask(&self) -> Option<&[bool]> {
        self.is_train.as_deref()
    }

    /// Reward of `arm` at event `i`, when known.
    pub fn reward(&self, i: usize, arm: usize) -> Option<f64> {
        match &self.feedback {
            Feedback::Full { rewards } => rewards.get(i * self.n_arms() + arm).copied(),
            Feedback::Logged { arms, rewards } => (arms[i] == arm).then(|| rewards[i]),
        }
    }

    /// Events `range` as a new data set (mask and timestamps follow).
    pub fn slice(&self, range: Range<usize>) -> Result<Self> {
        if range.start > range.end || range.end > self.len() {
            return Err(LinUcbError::InvalidData(format!(
                "event range {range:?} is outside 0..{}",
                self.len()
            )));
        }
        let p = self.n_features();
        let k = self.n_arms();
        let feedback = match &self.feedback {
            Feedback::Logged { arms, rewards } => Feedback::Logged {
                arms: arms[range.clone()].to_vec(),
                rewards: rewards[range.clone()].to_vec(),
            },
            Feedback::Full { rewards } => Feedback::Full {
                rewards: rewards[range.start * k..range.end * k].to_vec(),
            },
        };
        Ok(Self {
            arm_names: self.arm_names.clone(),
            regime_names: self.regime_names.clone(),
            feature_names: self.feature_names.clone(),
            regimes: self.regimes[range.clone()].to_vec(),
            contexts: self.contexts[range.start * p..range.end * p].to_vec(),
            feedback,
            timestamps: self.timestamps.as_ref().map(|t| t[range.clone()].to_vec()),
            is_train: self.is_train.as_ref().map(|t| t[range.clone()].to_vec()),
        })
    }

    /// Number of training events: the train mask when there is one, else
    /// `floor(train_fraction * n)`.
    pub fn n_train(&self, train_fraction: f64) -> Result<usize> {
        match &self.is_train {
            Some(m) => Ok(m.iter().filter(|&&t| t).count()),
            None => {
                if !(train_fraction > 0.0 && train_fraction < 1.0) {
                    return Err(LinUcbError::invalid_param(
                        "train_fraction",
                        train_fraction,
                        "must be strictly between 0 and 1",
                    ));
                }
                Ok((train_fraction * self.len() as f64).floor() as usize)
            }
        }
    }

    /// Chronological train/test split (see [`BanditData::n_train`]).
    pub fn split(&self, train_fraction: f64) -> Result<(Self, Self)> {
        let n_train = self.n_train(train_fraction)?;
        Ok((self.slice(0..n_train)?, self.slice(n_train..self.len())?))
    }

    /// Multiply every reward by `factor` (e.g. 100 for percent returns).
    pub fn scale_rewards(&mut self, factor: f64) -> Result<()> {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(LinUcbError::invalid_param(
                "reward scale",
                factor,
                "must be a finite number > 0",
            ));
        }
        let r = match &mut self.feedback {
            Feedback::Logged { rewards, .. } | Feedback::Full { rewards } => rewards,
        };
        for v in r.iter_mut() {
            *v *= factor;
        }
        Ok(())
    }

    /// `sha256:...` over names, regimes, contexts and rewards, for manifests.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for names in [&self.arm_names, &self.regime_names, &self.feature_names] {
            for n in names {
                h.update(n.as_bytes());
                h.update([0u8]);
            }
            h.update([1u8]);
        }
        for r in &self.regimes {
            h.update((*r as u64).to_le_bytes());
        }
        for v in &self.contexts {
            h.update(v.to_le_bytes());
        }
        match &self.feedback {
            Feedback::Logged { arms, rewards } => {
                h.update(b"logged");
                for a in arms {
                    h.update((*a as u64).to_le_bytes());
                }
                for v in rewards {
                    h.update(v.to_le_bytes());
                }
            }
            Feedback::Full { rewards } => {
                h.update(b"full");
                for v in rewards {
                    h.update(v.to_le_bytes());
                }
            }
        }
        format!("sha256:{}", hex::encode(h.finalize()))
    }
}

/// One row of an aggregated `strategy_pnl.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRow {
    /// Index into [`AggregateTable::regime_names`].
    pub regime: usize,
    /// Index into [`AggregateTable::arm_names`].
    pub arm: usize,
    /// Number of trades the mean is over (the pseudo-observation weight).
    pub trades: u64,
    pub mean_pnl: f64,
    pub win_rate: Option<f64>,
    pub sharpe: Option<f64>,
    pub max_drawdown: Option<f64>,
}

/// Aggregated per-(regime, strategy) statistics: only good for a warm start
/// (see [`crate::LinUcb::warm_start`]), since they carry no sequence to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateTable {
    pub arm_names: Vec<String>,
    pub regime_names: Vec<String>,
    pub rows: Vec<AggregateRow>,
}

impl AggregateTable {
    /// Build and check a table: known indices, finite means, no duplicate
    /// (regime, strategy) pair.
    pub fn new(
        arm_names: Vec<String>,
        regime_names: Vec<String>,
        rows: Vec<AggregateRow>,
    ) -> Result<Self> {
        check_names("strategy", &arm_names)?;
        check_names("regime", &regime_names)?;
        let mut pairs = std::collections::HashSet::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            if r.arm >= arm_names.len() {
                return Err(LinUcbError::ArmOutOfRange {
                    arm: r.arm,
                    n_arms: arm_names.len(),
                });
            }
            if r.regime >= regime_names.len() {
                return Err(LinUcbError::RegimeOutOfRange {
                    regime: r.regime,
                    n_regimes: regime_names.len(),
                });
            }
            if !r.mean_pnl.is_finite() {
                return Err(LinUcbError::InvalidData(format!(
                    "row {i}: mean_pnl is {}",
                    r.mean_pnl
                )));
            }
            if !pairs.insert((r.arm, r.regime)) {
                return Err(LinUcbError::InvalidData(format!(
                    "row {i}: regime `{}` x strategy `{}` appears twice",
                    regime_names[r.regime], arm_names[r.arm]
                )));
            }
        }
        Ok(Self {
            arm_names,
            regime_names,
            rows,
        })
    }

    /// Total pseudo-observations (sum of `trades`).
    pub fn total_trades(&self) -> u64 {
        self.rows.iter().map(|r| r.trades).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn split_uses_train_mask_and_rejects_interleaved_masks() {
        let d = BanditData::new_full(
            names(&["a", "b"]),
            names(&["r"]),
            names(&["f"]),
            vec![0; 4],
            vec![0.0, 1.0, 2.0, 3.0],
            vec![0.0; 8],
        )
        .unwrap();
        let (tr, te) = d
            .clone()
            .with_train_mask(vec![true, true, true, false])
            .unwrap()
            .split(0.5)
            .unwrap();
        assert_eq!((tr.len(), te.len()), (3, 1));
        assert_eq!(te.context(0), &[3.0]);
        let e = d
            .with_train_mask(vec![true, false, true, false])
            .unwrap_err();
        assert!(e.to_string().contains("chronological"), "{e}");
    }

    #[test]
    fn non_finite_rewards_are_rejected_with_the_strategy_name() {
        let e = BanditData::new_full(
            names(&["a", "b"]),
            names(&["r"]),
            vec![],
            vec![0],
            vec![],
            vec![0.0, f64::NAN],
        )
        .unwrap_err();
        assert!(e.to_string().contains("`b`"), "{e}");
    }
}

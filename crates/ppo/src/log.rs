//! Training logs: one [`UpdateLog`] per rollout/update with the quantities
//! stable-baselines3 logs (episode reward, entropy, approx KL, clip fraction,
//! explained variance, losses), every finished episode, CSV and PNG curves,
//! and a plain-text progress bar for terminals.

use crate::error::Result;
use agent_core::{ProgressEvent, write_atomic};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::Path;

/// What one update did (SB3's `rollout/*` and `train/*` keys).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UpdateLog {
    /// 1-based update (= rollout) number.
    pub update: u64,
    /// Environment steps so far, over all copies.
    pub timesteps: u64,
    pub learning_rate: f64,
    pub clip_range: f64,
    /// Mean reward of the last `stats_window` episodes (NaN before the first).
    pub ep_rew_mean: f64,
    pub ep_len_mean: f64,
    /// Mean policy entropy over the update's minibatches.
    pub entropy: f64,
    pub policy_loss: f64,
    pub value_loss: f64,
    /// Mean over the last epoch's minibatches, as SB3 logs it.
    pub approx_kl: f64,
    pub clip_fraction: f64,
    /// Of the rollout's values against its returns.
    pub explained_variance: f64,
    /// Total loss of the last minibatch.
    pub loss: f64,
    /// Epochs run (fewer than `n_epochs` after a target-KL stop).
    pub epochs: u64,
    /// Gradient steps so far.
    pub grad_steps: u64,
    /// Mean std of a Gaussian policy (NaN for categorical).
    pub std: f64,
    pub rollout_s: f64,
    pub update_s: f64,
}

/// A finished training episode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpisodeLog {
    /// Environment steps (all copies) when it finished.
    pub timesteps: u64,
    pub env: usize,
    pub reward: f64,
    pub length: usize,
}

/// Everything logged during `learn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingLog {
    pub updates: Vec<UpdateLog>,
    pub episodes: Vec<EpisodeLog>,
    /// Wall seconds of the whole `learn` call.
    pub wall_s: f64,
}

const UPDATE_HEADER: &str = "update,timesteps,learning_rate,clip_range,ep_rew_mean,ep_len_mean,entropy,policy_loss,value_loss,approx_kl,clip_fraction,explained_variance,loss,epochs,grad_steps,std,rollout_s,update_s";

fn fmt(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

impl TrainingLog {
    /// Mean total reward of the last `frac` of finished episodes (at least
    /// one), in completion order; NaN without episodes.
    pub fn mean_reward_last(&self, frac: f64) -> f64 {
        let n = self.episodes.len();
        if n == 0 {
            return f64::NAN;
        }
        let k = ((n as f64 * frac).floor() as usize).clamp(1, n);
        self.episodes[n - k..].iter().map(|e| e.reward).sum::<f64>() / k as f64
    }

    /// The per-update table as CSV text (empty cells for NaN).
    pub fn updates_csv(&self) -> String {
        let mut s = String::from(UPDATE_HEADER);
        s.push('\n');
        for u in &self.updates {
            let row = [
                u.update.to_string(),
                u.timesteps.to_string(),
                fmt(u.learning_rate),
                fmt(u.clip_range),
                fmt(u.ep_rew_mean),
                fmt(u.ep_len_mean),
                fmt(u.entropy),
                fmt(u.policy_loss),
                fmt(u.value_loss),
                fmt(u.approx_kl),
                fmt(u.clip_fraction),
                fmt(u.explained_variance),
                fmt(u.loss),
                u.epochs.to_string(),
                u.grad_steps.to_string(),
                fmt(u.std),
                fmt(u.rollout_s),
                fmt(u.update_s),
            ];
            s.push_str(&row.join(","));
            s.push('\n');
        }
        s
    }

    /// The episode table as CSV text.
    pub fn episodes_csv(&self) -> String {
        let mut s = String::from("timesteps,env,reward,length\n");
        for e in &self.episodes {
            s.push_str(&format!(
                "{},{},{},{}\n",
                e.timesteps,
                e.env,
                fmt(e.reward),
                e.length
            ));
        }
        s
    }

    /// Write `updates.csv` and `episodes.csv` into `dir` (atomically).
    pub fn write_csv(&self, dir: &Path) -> Result<()> {
        write_atomic(&dir.join("updates.csv"), self.updates_csv().as_bytes())?;
        write_atomic(&dir.join("episodes.csv"), self.episodes_csv().as_bytes())?;
        Ok(())
    }

    /// Draw the learning curves into `dir`: `reward.png` (episode reward
    /// and its running mean) and `diagnostics.png` (entropy, approx KL x100,
    /// clip fraction, explained variance per update).
    #[cfg(feature = "plot")]
    pub fn write_png(&self, dir: &Path) -> Result<()> {
        use agent_core::plot::{Series, line_chart};
        let ep: Vec<(f64, f64)> = self
            .episodes
            .iter()
            .map(|e| (e.timesteps as f64, e.reward))
            .collect();
        let mean: Vec<(f64, f64)> = self
            .updates
            .iter()
            .filter(|u| u.ep_rew_mean.is_finite())
            .map(|u| (u.timesteps as f64, u.ep_rew_mean))
            .collect();
        line_chart(
            &dir.join("reward.png"),
            "PPO episode reward",
            "timesteps",
            "reward",
            &[
                Series::new("episode", ep),
                Series::new("running mean", mean),
            ],
        )?;
        let per = |f: fn(&UpdateLog) -> f64| -> Vec<(f64, f64)> {
            self.updates
                .iter()
                .filter(|u| f(u).is_finite())
                .map(|u| (u.update as f64, f(u)))
                .collect()
        };
        line_chart(
            &dir.join("diagnostics.png"),
            "PPO update diagnostics",
            "update",
            "value",
            &[
                Series::new("entropy", per(|u| u.entropy)),
                Series::new("approx KL x100", per(|u| 100.0 * u.approx_kl)),
                Series::new("clip fraction", per(|u| u.clip_fraction)),
                Series::new("explained variance", per(|u| u.explained_variance)),
            ],
        )?;
        Ok(())
    }
}

/// A one-line progress bar on stderr for [`agent_core::Progress`] events
/// (`[#####.....] 45/98 ep_rew 12.3`). Libraries stay silent; programs pass
/// `&|e| bar.draw(&e)` as the progress callback.
#[derive(Debug, Default)]
pub struct TerminalProgress {
    width: usize,
}

impl TerminalProgress {
    pub fn new() -> Self {
        Self { width: 30 }
    }

    /// Redraw the bar for `e`; ends the line when the stage is done.
    pub fn draw(&self, e: &ProgressEvent) {
        let width = self.width.max(10);
        let filled = if e.total == 0 {
            width
        } else {
            ((e.done as f64 / e.total as f64) * width as f64).round() as usize
        }
        .min(width);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {}/{} {}",
            e.stage,
            "#".repeat(filled),
            ".".repeat(width - filled),
            e.done,
            e.total,
            e.message.as_deref().unwrap_or("")
        );
        if e.done >= e.total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_fraction_of_episodes_is_averaged_in_completion_order() {
        let mut log = TrainingLog::default();
        assert!(log.mean_reward_last(0.1).is_nan());
        for i in 0..20 {
            log.episodes.push(EpisodeLog {
                timesteps: i,
                env: 0,
                reward: i as f64,
                length: 1,
            });
        }
        // last 2 of 20: 18, 19
        assert_eq!(log.mean_reward_last(0.1), 18.5);
        let csv = log.episodes_csv();
        assert_eq!(csv.lines().count(), 21);
        assert!(log.updates_csv().starts_with("update,timesteps"));
    }
}

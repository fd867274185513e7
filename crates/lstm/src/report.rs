//! What training did, epoch by epoch: loss curves for CSV and PNG, the best
//! epoch, and whether early stopping ended the run.

use crate::error::Result;
use agent_core::{CoreError, write_atomic};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One epoch of training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f64,
    /// Validation loss after the epoch (MSE or cross-entropy).
    pub val_loss: f64,
    /// Learning rate used in the epoch.
    pub lr: f64,
    /// Seconds for the training pass plus the validation pass.
    pub seconds: f64,
}

/// The training history of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub epochs: Vec<EpochRecord>,
    /// 1-based epoch whose weights the model holds.
    pub best_epoch: usize,
    pub best_val_loss: f64,
    /// True when patience ran out before `max_epochs`.
    pub stopped_early: bool,
    /// Loss name: `mse` or `cross_entropy`.
    pub loss: String,
    /// `native` or `burn`.
    pub engine: String,
    /// Backend name (`flex`, `cuda:0`, ...).
    pub backend: String,
    pub threads: usize,
    pub n_fit: usize,
    pub n_val: usize,
    /// Fit windows dropped before validation because their label reaches
    /// into it (0 in reports from before purging).
    #[serde(default)]
    pub purged_samples: usize,
}

impl TrainReport {
    /// Mean seconds per epoch (train + validation pass), SPEC T6's headline.
    pub fn seconds_per_epoch(&self) -> f64 {
        if self.epochs.is_empty() {
            return f64::NAN;
        }
        self.epochs.iter().map(|e| e.seconds).sum::<f64>() / self.epochs.len() as f64
    }

    /// `epoch,train_loss,val_loss,lr,seconds` with a header.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("epoch,train_loss,val_loss,lr,seconds\n");
        for e in &self.epochs {
            s.push_str(&format!(
                "{},{},{},{},{}\n",
                e.epoch, e.train_loss, e.val_loss, e.lr, e.seconds
            ));
        }
        s
    }

    /// Parse what [`TrainReport::to_csv`] wrote back into epoch records.
    pub fn epochs_from_csv(text: &str) -> Result<Vec<EpochRecord>> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            let bad = || CoreError::InvalidData(format!("loss curve line {}: {line:?}", i + 1));
            if f.len() != 5 {
                return Err(bad().into());
            }
            let num = |s: &str| s.trim().parse::<f64>().map_err(|_| bad());
            out.push(EpochRecord {
                epoch: f[0].trim().parse().map_err(|_| bad())?,
                train_loss: num(f[1])?,
                val_loss: num(f[2])?,
                lr: num(f[3])?,
                seconds: num(f[4])?,
            });
        }
        Ok(out)
    }

    /// Write the loss curves as CSV (atomically).
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        Ok(write_atomic(path, self.to_csv().as_bytes())?)
    }

    /// Draw training and validation loss per epoch as a PNG.
    #[cfg(feature = "plot")]
    pub fn write_png(&self, path: &Path) -> Result<()> {
        use agent_core::plot::{Series, line_chart};
        let pts = |f: fn(&EpochRecord) -> f64| -> Vec<(f64, f64)> {
            self.epochs.iter().map(|e| (e.epoch as f64, f(e))).collect()
        };
        let series = [
            Series::new("train", pts(|e| e.train_loss)),
            Series::new("validation", pts(|e| e.val_loss)),
        ];
        let title = format!(
            "LSTM training ({}, best epoch {})",
            self.loss, self.best_epoch
        );
        Ok(line_chart(path, &title, "epoch", &self.loss, &series)?)
    }
}

//! The training loop shared by both engines: epochs over shuffled fit
//! samples, validation after each epoch, learning-rate schedule, early
//! stopping with patience, and the best epoch's weights restored at the end
//! (the original trainer returned the last epoch's model instead).

use crate::burn_net::BurnEngine;
use crate::data::SequenceDataset;
use crate::error::{LstmError, Result};
use crate::hyperparams::{LrSchedule, LstmValidParams, Task};
use crate::native::{AdamW, NativeEngine, loss_and_grad};
use crate::report::{EpochRecord, TrainReport};
use crate::weights::{Dims, LstmWeights};
use agent_core::{CoreError, Progress, ProgressEvent, SplitMix64};
use std::ops::Range;
use std::time::Instant;

enum Engine {
    Native(Box<NativeEngine>),
    Burn(Box<BurnEngine>),
}

/// Step-by-step access to training, for custom loops and benchmarks: the
/// same engines and optimiser [`crate::LstmValidParams::fit_with_progress`] uses, without
/// its epoch loop.
pub struct Trainer {
    engine: Engine,
    task: Task,
}

impl Trainer {
    /// Fresh weights (seeded init) for `ds`'s features and the chosen engine.
    pub fn new(p: &LstmValidParams, ds: &SequenceDataset) -> Result<Self> {
        let dims = Dims {
            input_size: ds.n_features(),
            hidden_size: p.hidden_size,
            num_layers: p.num_layers,
            n_outputs: p.task.n_outputs(),
        };
        let w0 = LstmWeights::init(dims, p.seed)?;
        let engine = if p.uses_native() {
            let adam = AdamW::new(dims.n_params(), p.beta1, p.beta2, p.eps, p.weight_decay);
            Engine::Native(Box::new(NativeEngine::new(
                w0,
                p.task,
                adam,
                p.threads(),
                p.grad_clip_norm,
                p.dropout,
                p.seed,
            )?))
        } else {
            Engine::Burn(Box::new(BurnEngine::new(&w0, p, p.backend.device())?))
        };
        Ok(Self {
            engine,
            task: p.task,
        })
    }

    /// One optimiser step on `samples` (forward, loss, backward, clipping,
    /// AdamW) at learning rate `lr`; returns the batch's summed loss.
    pub fn train_batch(&mut self, ds: &SequenceDataset, samples: &[usize], lr: f64) -> Result<f64> {
        check_samples(ds, samples)?;
        self.train_batch_unchecked(ds, samples, lr)
    }

    fn train_batch_unchecked(&mut self, ds: &SequenceDataset, s: &[usize], lr: f64) -> Result<f64> {
        match &mut self.engine {
            Engine::Native(e) => Ok(e.train_batch(ds, s, lr)),
            Engine::Burn(e) => e.train_batch(ds, s, lr),
        }
    }

    /// Head outputs `[n, K]` (row-major) of `samples`, without dropout.
    pub fn outputs(&mut self, ds: &SequenceDataset, samples: &[usize]) -> Result<Vec<f32>> {
        check_samples(ds, samples)?;
        self.outputs_unchecked(ds, samples)
    }

    fn outputs_unchecked(&mut self, ds: &SequenceDataset, s: &[usize]) -> Result<Vec<f32>> {
        match &mut self.engine {
            Engine::Native(e) => Ok(e.outputs(ds, s)),
            Engine::Burn(e) => e.outputs(ds, s),
        }
    }

    /// Mean loss of `samples` under the current weights.
    pub fn loss(&mut self, ds: &SequenceDataset, samples: &[usize]) -> Result<f64> {
        let y = self.outputs(ds, samples)?;
        Ok(mean_loss(self.task, &y, ds, samples))
    }

    /// A copy of the current weights.
    pub fn weights(&self) -> Result<LstmWeights> {
        match &self.engine {
            Engine::Native(e) => Ok(e.w.clone()),
            Engine::Burn(e) => e.weights(),
        }
    }
}

fn check_samples(ds: &SequenceDataset, samples: &[usize]) -> Result<()> {
    if samples.is_empty() {
        return Err(CoreError::InvalidData("a batch needs at least one sample".into()).into());
    }
    if let Some(&s) = samples.iter().find(|&&s| s >= ds.n_samples()) {
        return Err(CoreError::InvalidData(format!(
            "sample {s} is out of range (the dataset has {})",
            ds.n_samples()
        ))
        .into());
    }
    Ok(())
}

/// Mean loss of head outputs against the samples' targets.
pub(crate) fn mean_loss(task: Task, y: &[f32], ds: &SequenceDataset, samples: &[usize]) -> f64 {
    let t: Vec<f32> = samples.iter().map(|&s| ds.target(s)).collect();
    let mut dy = Vec::new();
    loss_and_grad(task, y, &t, 1.0, &mut dy) / samples.len().max(1) as f64
}

fn check_targets(task: Task, ds: &SequenceDataset, samples: Range<usize>) -> Result<()> {
    for s in samples {
        let v = ds.target(s) as f64;
        let row = ds.end_row(s);
        match task {
            Task::Regression if !v.is_finite() => {
                return Err(LstmError::NonFinite(format!(
                    "target at row {row} is {v} (training rows need a label)"
                )));
            }
            Task::Classification { n_classes }
                if !(v >= 0.0 && v < n_classes as f64 && v.fract() == 0.0) =>
            {
                return Err(LstmError::BadClass {
                    row,
                    value: v,
                    n_classes,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Train on `fit` samples with early stopping on `val` samples; stops with
/// `Cancelled` when the caller's [`agent_core::cancel`] token is cancelled.
pub(crate) fn train(
    p: &LstmValidParams,
    ds: &SequenceDataset,
    fit: Range<usize>,
    val: Range<usize>,
    progress: Option<Progress<'_>>,
) -> Result<(LstmWeights, TrainReport)> {
    if fit.is_empty() || val.is_empty() {
        return Err(
            CoreError::InvalidData("training needs fit and validation samples".into()).into(),
        );
    }
    check_targets(p.task, ds, fit.clone())?;
    check_targets(p.task, ds, val.clone())?;
    let threads = p.threads();
    // Checked before every minibatch: a cancelled job stops within one.
    let cancel = agent_core::cancel::current();
    let mut engine = Trainer::new(p, ds)?;
    let w0 = engine.weights()?;
    let mut shuffle = SplitMix64::new(p.seed ^ 0x5348_5546_464c_4531);
    let val_samples: Vec<usize> = val.clone().collect();
    let mut order: Vec<usize> = Vec::with_capacity(fit.len());
    let mut best = f64::INFINITY;
    let mut best_w = w0;
    let mut best_epoch = 0;
    let mut bad = 0;
    let mut stopped_early = false;
    let mut lr_now = p.learning_rate;
    let mut plateau_best = f64::INFINITY;
    let mut plateau_bad = 0;
    let mut epochs = Vec::new();
    for epoch in 0..p.max_epochs {
        let t0 = Instant::now();
        let lr = match p.lr_schedule {
            LrSchedule::Plateau { .. } => lr_now,
            _ => p.scheduled_lr(epoch),
        };
        order.clear();
        order.extend(fit.clone());
        shuffle.shuffle(&mut order);
        let mut loss_sum = 0.0;
        for batch in order.chunks(p.batch_size) {
            cancel.check()?;
            loss_sum += engine.train_batch_unchecked(ds, batch, lr)?;
        }
        let train_loss = loss_sum / order.len() as f64;
        if !train_loss.is_finite() {
            return Err(LstmError::Diverged {
                epoch: epoch + 1,
                loss: train_loss,
            });
        }
        let y = engine.outputs_unchecked(ds, &val_samples)?;
        let val_loss = mean_loss(p.task, &y, ds, &val_samples);
        let seconds = t0.elapsed().as_secs_f64();
        epochs.push(EpochRecord {
            epoch: epoch + 1,
            train_loss,
            val_loss,
            lr,
            seconds,
        });
        if val_loss < best - p.min_delta {
            best = val_loss;
            best_epoch = epoch + 1;
            best_w = engine.weights()?;
            bad = 0;
        } else {
            bad += 1;
        }
        if let LrSchedule::Plateau {
            factor,
            patience,
            min_lr,
        } = p.lr_schedule
        {
            if val_loss < plateau_best {
                plateau_best = val_loss;
                plateau_bad = 0;
            } else {
                plateau_bad += 1;
                if plateau_bad > patience {
                    lr_now = (lr_now * factor).max(min_lr);
                    plateau_bad = 0;
                }
            }
        }
        if let Some(cb) = progress {
            cb(
                ProgressEvent::new("lstm epochs", (epoch + 1) as u64, p.max_epochs as u64)
                    .with_message(format!("train {train_loss:.6} val {val_loss:.6}")),
            );
        }
        if bad >= p.patience {
            stopped_early = epoch + 1 < p.max_epochs;
            break;
        }
    }
    if best_epoch == 0 {
        return Err(LstmError::Diverged {
            epoch: epochs.len(),
            loss: epochs.last().map_or(f64::NAN, |e| e.val_loss),
        });
    }
    let report = TrainReport {
        epochs,
        best_epoch,
        best_val_loss: best,
        stopped_early,
        loss: match p.task {
            Task::Regression => "mse".into(),
            Task::Classification { .. } => "cross_entropy".into(),
        },
        engine: if p.uses_native() { "native" } else { "burn" }.into(),
        backend: p.backend.name(),
        threads,
        n_fit: fit.len(),
        n_val: val.len(),
        purged_samples: val.start.saturating_sub(fit.end),
    };
    Ok((best_w, report))
}

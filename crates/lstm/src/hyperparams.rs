//! Hyperparameters: [`LstmParams`] is what users build, [`LstmValidParams`]
//! what training accepts after [`ParamGuard`] checked every field once.
//!
//! The defaults are SPEC T6's settings (and the original trainer's optimiser):
//! one layer of 64 units, window 32, AdamW(lr 1e-3, weight decay 1e-2),
//! batch 256, at most 10 epochs, patience 3, the last 10% of the training
//! samples for validation.

use crate::backend::Backend;
use crate::error::LstmError;
use agent_core::{CoreError, ParamGuard};
use serde::Serialize;

/// What the head predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Task {
    /// One real value per sample, mean squared error.
    Regression,
    /// `n_classes` logits per sample, softmax cross-entropy; targets are
    /// class indices `0..n_classes` stored as numbers.
    Classification { n_classes: usize },
}

impl Task {
    /// Head outputs.
    pub fn n_outputs(&self) -> usize {
        match self {
            Task::Regression => 1,
            Task::Classification { n_classes } => *n_classes,
        }
    }
}

/// Learning rate over epochs (applied at the start of each epoch).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// The base rate throughout (SPEC T6, the original trainer).
    Constant,
    /// Multiply by `gamma` every `every` epochs (PyTorch `StepLR`).
    Step { every: usize, gamma: f64 },
    /// Cosine from the base rate down to `min_lr` at the last epoch
    /// (PyTorch `CosineAnnealingLR` with `T_max = max_epochs - 1`).
    Cosine { min_lr: f64 },
    /// Multiply by `factor` after `patience` epochs without a validation
    /// improvement, never below `min_lr` (PyTorch `ReduceLROnPlateau`).
    Plateau {
        factor: f64,
        patience: usize,
        min_lr: f64,
    },
}

/// Which implementation computes the forward and backward passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// Native kernels on pure-Rust CPU backends, the burn module elsewhere.
    #[default]
    Auto,
    /// The crate's native f32 CPU kernels (whatever the backend).
    Native,
    /// burn's autodiff graph on the chosen backend's device.
    Burn,
}

/// Checked hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LstmValidParams {
    pub(crate) hidden_size: usize,
    pub(crate) num_layers: usize,
    pub(crate) dropout: f64,
    pub(crate) window: usize,
    pub(crate) horizon: usize,
    pub(crate) task: Task,
    pub(crate) learning_rate: f64,
    pub(crate) weight_decay: f64,
    pub(crate) beta1: f64,
    pub(crate) beta2: f64,
    pub(crate) eps: f64,
    pub(crate) grad_clip_norm: Option<f64>,
    pub(crate) lr_schedule: LrSchedule,
    pub(crate) batch_size: usize,
    pub(crate) max_epochs: usize,
    pub(crate) patience: usize,
    pub(crate) min_delta: f64,
    pub(crate) val_fraction: f64,
    pub(crate) standardize: bool,
    pub(crate) seed: u64,
    pub(crate) threads: usize,
    #[serde(serialize_with = "ser_backend")]
    pub(crate) backend: Backend,
    pub(crate) engine: Engine,
}

fn ser_backend<S: serde::Serializer>(b: &Backend, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&b.name())
}

impl Default for LstmValidParams {
    fn default() -> Self {
        Self {
            hidden_size: 64,
            num_layers: 1,
            dropout: 0.0,
            window: 32,
            horizon: 1,
            task: Task::Regression,
            learning_rate: 1e-3,
            weight_decay: 1e-2,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            grad_clip_norm: None,
            lr_schedule: LrSchedule::Constant,
            batch_size: 256,
            max_epochs: 10,
            patience: 3,
            min_delta: 0.0,
            val_fraction: 0.1,
            standardize: true,
            seed: 0,
            threads: 0,
            backend: Backend::Flex,
            engine: Engine::Auto,
        }
    }
}

impl LstmValidParams {
    pub fn hidden_size(&self) -> usize {
        self.hidden_size
    }
    pub fn num_layers(&self) -> usize {
        self.num_layers
    }
    pub fn dropout(&self) -> f64 {
        self.dropout
    }
    pub fn window(&self) -> usize {
        self.window
    }
    pub fn horizon(&self) -> usize {
        self.horizon
    }
    pub fn task(&self) -> Task {
        self.task
    }
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
    }
    pub fn grad_clip_norm(&self) -> Option<f64> {
        self.grad_clip_norm
    }
    pub fn lr_schedule(&self) -> LrSchedule {
        self.lr_schedule
    }
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
    pub fn max_epochs(&self) -> usize {
        self.max_epochs
    }
    pub fn patience(&self) -> usize {
        self.patience
    }
    pub fn val_fraction(&self) -> f64 {
        self.val_fraction
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn backend(&self) -> Backend {
        self.backend
    }
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Compute threads for the native engine (0 = all cores).
    pub fn threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            self.threads
        }
    }

    /// True when training and inference use the native CPU kernels.
    pub fn uses_native(&self) -> bool {
        match self.engine {
            Engine::Native => true,
            Engine::Burn => false,
            Engine::Auto => self.backend.is_pure_rust_cpu(),
        }
    }

    /// The learning rate of `epoch` (0-based) under a non-adaptive schedule;
    /// `Plateau` is handled by the training loop and starts at the base rate.
    pub(crate) fn scheduled_lr(&self, epoch: usize) -> f64 {
        let lr = self.learning_rate;
        match self.lr_schedule {
            LrSchedule::Constant | LrSchedule::Plateau { .. } => lr,
            LrSchedule::Step { every, gamma } => lr * gamma.powi((epoch / every) as i32),
            LrSchedule::Cosine { min_lr } => {
                if self.max_epochs <= 1 {
                    return lr;
                }
                let x = epoch as f64 / (self.max_epochs - 1) as f64;
                min_lr + 0.5 * (lr - min_lr) * (1.0 + (std::f64::consts::PI * x).cos())
            }
        }
    }
}

/// Unchecked hyperparameters, built fluently; see [`LstmValidParams`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LstmParams(pub(crate) LstmValidParams);

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident : $ty:ty),* $(,)?) => {
        $( $(#[$m])* pub fn $name(mut self, v: $ty) -> Self { self.0.$name = v; self } )*
    };
}

impl LstmParams {
    /// SPEC T6's settings.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Hidden units per layer (default 64).
        hidden_size: usize,
        /// Stacked layers (default 1).
        num_layers: usize,
        /// Dropout between stacked layers, in `[0, 1)` (PyTorch semantics;
        /// needs `num_layers >= 2`).
        dropout: f64,
        /// Time steps per sample (default 32). Stored with the model and
        /// enforced at inference.
        window: usize,
        /// Bars ahead the target looks (default 1). Used by
        /// [`crate::forward_log_returns`] and to purge the `horizon` fit
        /// samples before validation, whose labels would reach into it.
        horizon: usize,
        /// Regression (default) or classification.
        task: Task,
        /// AdamW learning rate (default 1e-3).
        learning_rate: f64,
        /// AdamW decoupled weight decay (default 1e-2, PyTorch's default).
        weight_decay: f64,
        /// AdamW beta1 (default 0.9).
        beta1: f64,
        /// AdamW beta2 (default 0.999).
        beta2: f64,
        /// AdamW epsilon (default 1e-8).
        eps: f64,
        /// Clip the global gradient norm to this value (PyTorch
        /// `clip_grad_norm_`); `None` (default) does not clip.
        grad_clip_norm: Option<f64>,
        /// Learning-rate schedule (default constant).
        lr_schedule: LrSchedule,
        /// Samples per optimiser step (default 256; the last partial batch is kept).
        batch_size: usize,
        /// Upper bound on epochs (default 10).
        max_epochs: usize,
        /// Stop after this many epochs without a validation improvement (default 3).
        patience: usize,
        /// An improvement must beat the best validation loss by more than this (default 0).
        min_delta: f64,
        /// Fraction of the training samples, taken from the end, used for
        /// validation and early stopping (default 0.1).
        val_fraction: f64,
        /// Standardise inputs with mean and population std of the training
        /// rows (default true); the scaler is stored with the model.
        standardize: bool,
        /// Seed of initialisation, shuffling and dropout (default 0).
        seed: u64,
        /// Compute threads of the native engine; 0 (default) = all cores.
        /// Results are bitwise reproducible for a given seed and thread count.
        threads: usize,
        /// Device of the burn path (default flex, pure-Rust CPU).
        backend: Backend,
        /// Native kernels or burn autodiff (default: native on CPU backends).
        engine: Engine,
    }
}

fn invalid(name: &'static str, value: impl ToString, why: &'static str) -> LstmError {
    CoreError::invalid_param(name, value, why).into()
}

impl ParamGuard for LstmParams {
    type Checked = LstmValidParams;
    type Error = LstmError;

    fn check_ref(&self) -> Result<&LstmValidParams, LstmError> {
        let p = &self.0;
        for (name, v) in [
            ("hidden_size", p.hidden_size),
            ("num_layers", p.num_layers),
            ("window", p.window),
            ("horizon", p.horizon),
            ("batch_size", p.batch_size),
            ("max_epochs", p.max_epochs),
            ("patience", p.patience),
        ] {
            if v == 0 {
                return Err(invalid(name, v, "must be >= 1"));
            }
        }
        if !(0.0..1.0).contains(&p.dropout) {
            return Err(invalid("dropout", p.dropout, "must be in [0, 1)"));
        }
        if p.dropout > 0.0 && p.num_layers < 2 {
            return Err(invalid(
                "dropout",
                p.dropout,
                "acts between stacked layers, so it needs num_layers >= 2",
            ));
        }
        if let Task::Classification { n_classes } = p.task
            && n_classes < 2
        {
            return Err(invalid("task.n_classes", n_classes, "must be >= 2"));
        }
        if !(p.learning_rate.is_finite() && p.learning_rate > 0.0) {
            return Err(invalid(
                "learning_rate",
                p.learning_rate,
                "must be finite and > 0",
            ));
        }
        if !(p.weight_decay.is_finite() && p.weight_decay >= 0.0) {
            return Err(invalid(
                "weight_decay",
                p.weight_decay,
                "must be finite and >= 0",
            ));
        }
        for (name, b) in [("beta1", p.beta1), ("beta2", p.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(invalid(name, b, "must be in [0, 1)"));
            }
        }
        if !(p.eps.is_finite() && p.eps > 0.0) {
            return Err(invalid("eps", p.eps, "must be finite and > 0"));
        }
        if let Some(c) = p.grad_clip_norm
            && !(c.is_finite() && c > 0.0)
        {
            return Err(invalid("grad_clip_norm", c, "must be finite and > 0"));
        }
        match p.lr_schedule {
            LrSchedule::Constant => {}
            LrSchedule::Step { every, gamma } => {
                if every == 0 {
                    return Err(invalid("lr_schedule.every", every, "must be >= 1"));
                }
                if !(gamma.is_finite() && gamma > 0.0 && gamma <= 1.0) {
                    return Err(invalid("lr_schedule.gamma", gamma, "must be in (0, 1]"));
                }
            }
            LrSchedule::Cosine { min_lr } => {
                if !(min_lr.is_finite() && min_lr >= 0.0 && min_lr <= p.learning_rate) {
                    return Err(invalid(
                        "lr_schedule.min_lr",
                        min_lr,
                        "must be in [0, learning_rate]",
                    ));
                }
            }
            LrSchedule::Plateau {
                factor,
                patience,
                min_lr,
            } => {
                if !(factor.is_finite() && factor > 0.0 && factor < 1.0) {
                    return Err(invalid("lr_schedule.factor", factor, "must be in (0, 1)"));
                }
                if patience == 0 {
                    return Err(invalid("lr_schedule.patience", patience, "must be >= 1"));
                }
                if !(min_lr.is_finite() && min_lr >= 0.0) {
                    return Err(invalid(
                        "lr_schedule.min_lr",
                        min_lr,
                        "must be finite and >= 0",
                    ));
                }
            }
        }
        if !(p.min_delta.is_finite() && p.min_delta >= 0.0) {
            return Err(invalid("min_delta", p.min_delta, "must be finite and >= 0"));
        }
        if !(p.val_fraction > 0.0 && p.val_fraction < 1.0) {
            return Err(invalid("val_fraction", p.val_fraction, "must be in (0, 1)"));
        }
        Ok(p)
    }

    fn check(self) -> Result<LstmValidParams, LstmError> {
        self.check_ref()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_spec_t6_and_valid() {
        let p = LstmParams::new().check().unwrap();
        assert_eq!((p.hidden_size, p.num_layers, p.window), (64, 1, 32));
        assert_eq!((p.batch_size, p.max_epochs, p.patience), (256, 10, 3));
        assert_eq!((p.learning_rate, p.weight_decay), (1e-3, 1e-2));
    }

    #[test]
    fn invalid_values_name_the_field_and_value() {
        let e = LstmParams::new().window(0).check().unwrap_err().to_string();
        assert!(e.contains("window") && e.contains('0'), "{e}");
        let e = LstmParams::new()
            .dropout(0.2)
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("num_layers >= 2"), "{e}");
        let e = LstmParams::new()
            .learning_rate(f64::NAN)
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("learning_rate") && e.contains("NaN"), "{e}");
        let e = LstmParams::new()
            .task(Task::Classification { n_classes: 1 })
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("n_classes"), "{e}");
        assert!(LstmParams::new().val_fraction(1.0).check().is_err());
        assert!(LstmParams::new().grad_clip_norm(Some(0.0)).check().is_err());
    }

    #[test]
    fn cosine_schedule_runs_from_base_to_min() {
        let p = LstmParams::new()
            .max_epochs(5)
            .lr_schedule(LrSchedule::Cosine { min_lr: 1e-4 })
            .check()
            .unwrap();
        assert!((p.scheduled_lr(0) - 1e-3).abs() < 1e-15);
        assert!((p.scheduled_lr(4) - 1e-4).abs() < 1e-15);
        let s = LstmParams::new()
            .lr_schedule(LrSchedule::Step {
                every: 2,
                gamma: 0.5,
            })
            .check()
            .unwrap();
        assert_eq!(s.scheduled_lr(3), 5e-4);
    }
}

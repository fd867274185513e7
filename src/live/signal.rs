//! Live signal agent: `P(up)` and buy / sell / hold per bar.

use crate::live::error::LiveError;
use crate::live::features::check_t0_order;
use crate::live::load::LiveModel;
use crate::live::slot::ModelSlot;
use ndarray::ArrayView2;
use signal::{Signal, SignalModel};
use std::sync::Arc;

/// Label order the signal crate writes: class 1 is "up".
pub const SIGNAL_LABELS: [&str; 2] = ["down_or_flat", "up"];

impl LiveModel for SignalModel {
    /// Live signals come from T0 candle features; a model trained on trade-log
    /// features (or another order) is refused.
    fn check_features(names: &[String]) -> Result<(), LiveError> {
        check_t0_order("signal", names)
    }

    fn check_labels(labels: &[String]) -> Result<(), LiveError> {
        if labels.iter().map(String::as_str).ne(SIGNAL_LABELS) {
            return Err(LiveError::LabelOrder {
                agent: "signal",
                expected: SIGNAL_LABELS.iter().map(|s| s.to_string()).collect(),
                got: labels.to_vec(),
            });
        }
        Ok(())
    }
}

/// One signal call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalCall {
    /// Probability that the next bar closes up.
    pub p_up: f64,
    /// The model's thresholds applied to `p_up`.
    pub action: Signal,
}

/// Per-bar signal from a hot-swappable slot.
#[derive(Debug, Clone)]
pub struct LiveSignal {
    slot: Arc<ModelSlot<SignalModel>>,
}

impl LiveSignal {
    pub fn new(slot: Arc<ModelSlot<SignalModel>>) -> Self {
        Self { slot }
    }

    pub fn slot(&self) -> &Arc<ModelSlot<SignalModel>> {
        &self.slot
    }

    /// `None` while no signal model serves (callers treat the gate as off).
    pub fn predict(&self, features: &[f64]) -> Result<Option<SignalCall>, LiveError> {
        let Some(served) = self.slot.get() else {
            return Ok(None);
        };
        let x = ArrayView2::from_shape((1, features.len()), features)
            .map_err(|e| LiveError::InvalidInput(e.to_string()))?;
        let p = served
            .model
            .predict_proba(x)
            .map_err(|e| LiveError::agent("signal", e))?;
        let p_up = p.first().copied().unwrap_or(f64::NAN);
        Ok(Some(SignalCall {
            p_up,
            action: served.model.signal(p_up),
        }))
    }
}

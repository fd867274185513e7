//! Live regime agent: volatility-regime probabilities per bar, falling back
//! to the model embedded in the `regime` crate when nothing loads.

use crate::live::error::LiveError;
use crate::live::features::check_t0_order;
use crate::live::load::LiveModel;
use crate::live::slot::{ModelSlot, Origin};
use regime::{LABELS, RegimeModel, RegimePrediction};
use std::sync::Arc;
use store::{ArtifactStore, ModelRegistry};

impl LiveModel for RegimeModel {
    fn check_features(names: &[String]) -> Result<(), LiveError> {
        check_t0_order("regime", names)
    }

    fn check_labels(labels: &[String]) -> Result<(), LiveError> {
        if labels.iter().map(String::as_str).ne(LABELS) {
            return Err(LiveError::LabelOrder {
                agent: "regime",
                expected: LABELS.iter().map(|s| s.to_string()).collect(),
                got: labels.to_vec(),
            });
        }
        Ok(())
    }
}

impl ModelSlot<RegimeModel> {
    /// The registry's regime model for `symbol`, else the embedded fallback
    /// (flagged: [`ModelSlot::is_fallback`], `origin() == Some(Origin::Fallback)`,
    /// the reason in [`ModelSlot::last_error`]). A later
    /// [`ModelSlot::refresh`] replaces the fallback once a model is promoted.
    pub fn regime_with_fallback<S: ArtifactStore>(
        registry: Option<&ModelRegistry<S>>,
        symbol: &str,
    ) -> Result<Self, LiveError> {
        let slot = match registry {
            Some(r) => Self::from_registry(r, symbol),
            None => Self::empty(),
        };
        if !slot.is_loaded() {
            let why = slot
                .last_error()
                .unwrap_or_else(|| "no regime model is promoted".to_string());
            slot.install_fallback()?;
            tracing::warn!(symbol, reason = %why, "regime: serving the embedded fallback model");
            slot.set_error(Some(why));
        }
        Ok(slot)
    }

    /// Serve the embedded fallback model.
    pub fn install_fallback(&self) -> Result<(), LiveError> {
        let model = regime::fallback_model().map_err(|e| LiveError::agent("regime", e))?;
        self.install(model, Origin::Fallback)
    }
}

/// One regime call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeCall {
    pub prediction: RegimePrediction,
    /// Made by the embedded fallback model (a coarse guess).
    pub fallback: bool,
}

/// Per-bar regime probabilities from a hot-swappable slot.
#[derive(Debug, Clone)]
pub struct LiveRegime {
    slot: Arc<ModelSlot<RegimeModel>>,
}

impl LiveRegime {
    pub fn new(slot: Arc<ModelSlot<RegimeModel>>) -> Self {
        Self { slot }
    }

    pub fn slot(&self) -> &Arc<ModelSlot<RegimeModel>> {
        &self.slot
    }

    /// P(low, medium, high) for a T0 feature row.
    pub fn predict(&self, features: &[f64]) -> Result<RegimeCall, LiveError> {
        let served = self.slot.get().ok_or_else(|| LiveError::Incompatible {
            agent: "regime",
            why: "no regime model serves (use ModelSlot::regime_with_fallback)".into(),
        })?;
        let prediction = served
            .model
            .predict_row(features)
            .map_err(|e| LiveError::agent("regime", e))?;
        Ok(RegimeCall {
            prediction,
            fallback: served.origin.is_fallback(),
        })
    }
}

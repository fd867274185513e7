//! Per-bar forecasting from a rolling window with reused buffers: what a
//! strategy (the backtest's LSTM bot, a live trading loop) calls once per bar.

use crate::error::{LstmError, Result};
use crate::model::LstmModel;
use crate::native::net::Workspace;

/// A trained model answering one window per call without allocating in the
/// steady state (the workspace and input buffer are kept between calls).
#[derive(Debug, Clone)]
pub struct WindowPredictor {
    model: LstmModel,
    ws: Workspace,
    x: Vec<f32>,
}

impl WindowPredictor {
    /// Wrap a model whose inputs must be `features`, in that order: a model
    /// trained on other columns is rejected here, not silently fed the wrong
    /// ones (the original bot's train/serve mismatch).
    pub fn new(model: LstmModel, features: &[&str]) -> Result<Self> {
        let want: Vec<String> = features.iter().map(|s| s.to_string()).collect();
        let names = model.feature_names();
        if (!names.is_empty() && names != want.as_slice()) || model.n_features() != want.len() {
            return Err(LstmError::Core(agent_core::CoreError::FeatureMismatch {
                expected: want,
                got: names.to_vec(),
            }));
        }
        Ok(Self {
            model,
            ws: Workspace::default(),
            x: Vec::new(),
        })
    }

    /// Steps per input window.
    pub fn seq_len(&self) -> usize {
        self.model.window()
    }

    pub fn model(&self) -> &LstmModel {
        &self.model
    }

    /// Forecast from exactly one window (`seq_len() x n_features` raw values,
    /// oldest step first, row-major); same answer as
    /// [`LstmModel::predict_window`].
    pub fn predict(&mut self, rows: &[f64]) -> Result<f64> {
        self.model
            .predict_window_with(&mut self.ws, &mut self.x, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ImportSpec;
    use crate::weights::{Dims, LstmWeights};

    const NAMES: [&str; 5] = ["lr_1", "vol_24", "rsi_14", "zscore_20", "vol_z_20"];

    fn model(names: &[&str]) -> LstmModel {
        let dims = Dims {
            input_size: 5,
            hidden_size: 8,
            num_layers: 1,
            n_outputs: 1,
        };
        let spec = ImportSpec {
            window: 4,
            horizon: 1,
            task: None,
            feature_names: names.iter().map(|s| s.to_string()).collect(),
            scaler: None,
        };
        LstmModel::from_weights(LstmWeights::init(dims, 1).unwrap(), spec).unwrap()
    }

    #[test]
    fn predictor_answers_like_predict_window_and_rejects_short_windows() {
        let m = model(&NAMES);
        let mut p = WindowPredictor::new(m.clone(), &NAMES).unwrap();
        assert_eq!(p.seq_len(), 4);
        let window: Vec<f64> = (0..20).map(|i| (i as f64 * 0.37).sin()).collect();
        assert_eq!(
            p.predict(&window).unwrap(),
            m.predict_window(&window).unwrap()
        );
        assert!(matches!(
            p.predict(&window[..15]),
            Err(LstmError::WindowMismatch { .. })
        ));
    }

    #[test]
    fn models_on_other_features_are_rejected() {
        let err = WindowPredictor::new(model(&["a", "b", "c", "d", "e"]), &NAMES).unwrap_err();
        assert!(err.to_string().contains("lr_1"), "{err}");
    }
}

//! Live LSTM forecaster: one prediction per bar, either from the exact
//! training-length window or from a hidden state carried across bars.

use crate::live::error::LiveError;
use crate::live::features::check_t0_order;
use crate::live::load::LiveModel;
use crate::live::slot::Origin;
use lstm::{BarPredictor, LstmModel, LstmState};

impl LiveModel for LstmModel {
    fn check_features(names: &[String]) -> Result<(), LiveError> {
        check_t0_order("lstm", names)
    }
}

/// How the forecaster feeds bars to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LstmMode {
    /// Re-run the last `window` bars from a zero state each bar: exactly
    /// what training saw (O(window) per bar).
    #[default]
    Windowed,
    /// One LSTM step per bar, hidden and cell state carried (O(1) per bar;
    /// after more than `window` bars the state holds more history than any
    /// training window did).
    Carried,
}

#[derive(Debug, Clone)]
enum Runner {
    Windowed(Box<BarPredictor>),
    Carried(LstmState),
}

/// Per-bar LSTM forecasts.
#[derive(Debug, Clone)]
pub struct LiveLstm {
    model: LstmModel,
    origin: Origin,
    runner: Runner,
}

impl LiveLstm {
    pub fn new(model: LstmModel, origin: Origin, mode: LstmMode) -> Result<Self, LiveError> {
        model.check_live()?;
        let runner = match mode {
            LstmMode::Windowed => Runner::Windowed(Box::new(model.bar_predictor())),
            LstmMode::Carried => Runner::Carried(model.initial_state()),
        };
        Ok(Self {
            model,
            origin,
            runner,
        })
    }

    pub fn model(&self) -> &LstmModel {
        &self.model
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn mode(&self) -> LstmMode {
        match self.runner {
            Runner::Windowed(_) => LstmMode::Windowed,
            Runner::Carried(_) => LstmMode::Carried,
        }
    }

    /// The carried state (carried mode only).
    pub fn state(&self) -> Option<&LstmState> {
        match &self.runner {
            Runner::Carried(s) => Some(s),
            Runner::Windowed(_) => None,
        }
    }

    /// Forget the history (e.g. after a data gap).
    pub fn reset(&mut self) {
        self.runner = match self.runner {
            Runner::Windowed(_) => Runner::Windowed(Box::new(self.model.bar_predictor())),
            Runner::Carried(_) => Runner::Carried(self.model.initial_state()),
        };
    }

    /// Feed the newest bar's T0 row; the forecast after it (`None` while a
    /// windowed forecaster has seen fewer than `window` bars).
    pub fn push(&mut self, features: &[f64]) -> Result<Option<f64>, LiveError> {
        match &mut self.runner {
            Runner::Windowed(p) => p.push(features),
            Runner::Carried(s) => self.model.step(s, features).map(Some),
        }
        .map_err(|e| LiveError::agent("lstm", e))
    }
}

#![doc = include_str!("../README.md")]

pub mod backend;
pub mod burn_net;
pub mod data;
pub mod error;
pub mod hyperparams;
pub mod model;
mod native;
pub mod persist;
pub mod report;
mod safetensors;
pub mod train;
pub mod weights;
pub mod window;

#[cfg(test)]
mod fixture_tests;

/// The `ndarray` version of this API (`Dataset`, `predict` inputs).
pub use ndarray;

pub use backend::Backend;
pub use burn_net::{LstmLayer, LstmNet};
pub use data::{SequenceDataset, forward_log_returns};
pub use error::{LstmError, Result};
pub use hyperparams::{Engine, LrSchedule, LstmParams, LstmValidParams, Task};
pub use model::{BarPredictor, ImportSpec, LstmModel, LstmState};
pub use report::{EpochRecord, TrainReport};
pub use train::Trainer;
pub use weights::{Dims, LstmWeights, StateDict};
pub use window::WindowPredictor;

#![doc = include_str!("../README.md")]

pub mod classifier;
pub mod data;
pub mod error;
pub mod fallback;
pub mod hyperparams;
pub mod model;
pub mod persist;
pub mod train;

pub use classifier::{
    ClassifierStatus, LocalCache, ModelOrigin, ModelSource, RecoveryPolicy, RegimeClassifier,
    SourceError,
};
pub use data::{CutPoints, LABELS, RegimeData};
pub use error::{RegimeError, Result};
pub use fallback::{fallback_model, train_fallback};
pub use hyperparams::{GridParallelism, PairWeighting, RegimeParams, RegimeValidParams};
pub use lgbm::{Device, LgbError, TreeParams};
pub use market::Regime;
pub use model::{
    GridPointReport, PairReport, RegimeModel, RegimePrediction, SplitSizes, TrainReport,
};
pub use persist::MODEL_FILE;

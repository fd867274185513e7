#![doc = include_str!("../README.md")]

pub mod candles;
pub mod error;
pub mod hyperparams;
pub mod io;
pub mod labels;
pub mod logistic;
pub mod model;
pub mod persist;
pub mod search;
pub mod signal;
pub mod solver;
pub mod tradelog;

pub use error::{Result, SignalError};
pub use hyperparams::{
    ClassWeight, LogisticParams, LogisticValidParams, SignalParams, SignalThresholds,
    SignalValidParams,
};
pub use io::{FeatureCsv, FeatureCsvSpec, T0_FEATURES, read_feature_csv};
pub use labels::{
    LabelSpec, LabeledData, forward_return_labels, labeled_dataset, purged_train_test,
};
pub use logistic::LogisticModel;
pub use model::{Evaluation, FitInfo, JSON_SCHEMA, SignalModel, SignalSource};
pub use search::{GridRecord, SearchReport, ThresholdChoice, tune_f1_threshold};
pub use signal::{Side, Signal, side_confidence};
pub use tradelog::{Trade, TradeFeatures, parse_trade_log, read_trade_log, trade_dataset};

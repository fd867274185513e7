#![doc = include_str!("../README.md")]

pub mod adf;
pub mod error;
pub mod hurst;
pub mod hyperparams;
mod linalg;
pub mod mackinnon;
pub mod model;
pub mod nls;
pub mod ou;
mod persist;
pub mod rolling;

pub use adf::{
    AdfOptions, AdfRegression, AdfResult, CriticalValues, LagSelection, adfuller, default_max_lag,
};
pub use error::{OuMeanError, Result};
pub use hurst::{HurstMethod, HurstResult, hurst};
pub use hyperparams::{MeanReversionParams, MeanReversionValidParams};
pub use mackinnon::{mackinnon_crit, mackinnon_p, norm_cdf};
pub use model::{
    FitSummary, Gate, MeanReversionModel, Score, Suggestion, Thresholds, WindowFit, analyze_window,
    analyze_windows, decide, log_prices, score_log_price,
};
pub use ou::{OuFit, OuMethod, OuOptions, OuStdErrors, fit_ou};
pub use rolling::{
    EvalReport, RollingFits, RollingScorer, Signal, ThresholdGrid, TrainReport, TuneReport,
    evaluate, rolling_fits, signals, strategy_returns, train, tune_thresholds,
};

#![doc = include_str!("../README.md")]

pub mod atomic;
pub mod cancel;
pub mod dataset;
pub mod error;
pub mod metrics;
pub mod model_selection;
pub mod npy;
pub mod paired;
pub mod persist;
#[cfg(feature = "plot")]
pub mod plot;
pub mod preprocessing;
pub mod progress;
pub mod provenance;
pub mod rng;
pub mod traits;

pub use atomic::write_atomic;
pub use dataset::{Dataset, check_feature_width};
pub use error::{CoreError, Result};
pub use model_selection::{
    Direction, Fold, GridEntry, GridResult, GridSearch, Purge, PurgedSplit, TimeSeriesSplit,
    fraction_cuts, product2, purge_by_label_end, purged_split,
};
pub use paired::{PairedComparison, paired_comparison};
pub use persist::{ArtifactFiles, Manifest, ModelInfo, Persist};
pub use preprocessing::StandardScaler;
pub use progress::{Progress, ProgressEvent};
pub use provenance::Provenance;
pub use rng::SplitMix64;
pub use traits::{Fit, FitChecked, ParamGuard, Predict};

//! One error type for the live side: what went wrong, for which agent, and
//! what to do about it.

use std::error::Error as StdError;

/// Boxed error of an agent crate (each has its own error enum).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Errors of loading, validating and running models live.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The model's feature list is not in the order the live feature
    /// builder produces (train/serve skew: refuse rather than mis-feed).
    #[error(
        "{agent}: the model's feature order differs from the live T0 feature builder at \
         position {position}: the model expects `{model}` where live inference produces \
         `{live}` (model: [{model_list}]; live: [{live_list}]); retrain the model with the \
         current `market` features"
    )]
    FeatureOrder {
        agent: &'static str,
        position: usize,
        model: String,
        live: String,
        model_list: String,
        live_list: String,
    },
    /// The model needs a feature the live builder does not compute.
    #[error(
        "{agent}: model feature `{name}` is not produced by the live feature builder \
         (it knows: {known})"
    )]
    UnknownFeature {
        agent: &'static str,
        name: String,
        known: String,
    },
    /// The model's labels are not in the order live code interprets them.
    #[error("{agent}: label order {got:?} differs from the expected {expected:?}")]
    LabelOrder {
        agent: &'static str,
        expected: Vec<String>,
        got: Vec<String>,
    },
    /// A model that loads but cannot be served live (wrong shape, layout, space).
    #[error("{agent}: {why}")]
    Incompatible { agent: &'static str, why: String },
    /// Reading or verifying an artifact failed (checksum, format version,
    /// agent name, missing file: see the source).
    #[error("{agent}: cannot load the model from {from}: {source}")]
    Load {
        agent: &'static str,
        from: String,
        #[source]
        source: BoxError,
    },
    /// The model's training data is not what this bot serves (synthetic,
    /// or unknown under `Loader::require_provenance`).
    #[error("{agent}: refused the model from {from}: {why}")]
    Provenance {
        agent: &'static str,
        from: String,
        why: String,
    },
    /// The registry has no promoted model for this agent and symbol.
    #[error("no model promoted for agent `{agent}`, symbol `{symbol}` in {store}")]
    NoModel {
        agent: &'static str,
        symbol: String,
        store: String,
    },
    /// Reading the registry failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// An agent failed while answering a bar.
    #[error("{agent}: {source}")]
    Agent {
        agent: &'static str,
        #[source]
        source: BoxError,
    },
    /// Not enough candles yet for the features.
    #[error("features need {needed} candles, the buffer holds {have}")]
    NotReady { needed: usize, have: usize },
    /// A candle or argument the live code cannot use.
    #[error("{0}")]
    InvalidInput(String),
}

impl LiveError {
    /// Wrap an agent crate's error.
    pub fn agent(agent: &'static str, e: impl StdError + Send + Sync + 'static) -> Self {
        LiveError::Agent {
            agent,
            source: Box::new(e),
        }
    }
}

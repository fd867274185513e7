//! Store errors. They name the store (never its credentials) and the key.

/// Errors of the artifact stores and the model registry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid key `{key}`: {why}")]
    InvalidKey { key: String, why: &'static str },
    #[error("{store}: I/O error on `{key}`: {source}")]
    Io {
        store: String,
        key: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{store} is unreachable: {why}")]
    Unreachable { store: String, why: String },
    #[error("{store}: `{key}` not found")]
    NotFound { store: String, key: String },
    #[error("{store}: `{key}` is corrupt: {why}")]
    Corrupt {
        store: String,
        key: String,
        why: String,
    },
    #[error("no model published for agent `{agent}`, symbol `{symbol}` in {store}")]
    NoModel {
        store: String,
        agent: String,
        symbol: String,
    },
    /// A symbol a model may not be published or promoted under (reserved,
    /// or synthetic data under a market's symbol and vice versa).
    #[error("symbol `{symbol}`: {why}")]
    Symbol { symbol: String, why: String },
    #[error("nothing to roll back to for agent `{agent}`, symbol `{symbol}`")]
    NoHistory { agent: String, symbol: String },
    /// The remote answered but refused the request (a 4xx: bad credentials,
    /// missing bucket, ...). Retrying will not help.
    #[error("{store}: request for `{key}` rejected (HTTP {status}): {why}")]
    Rejected {
        store: String,
        key: String,
        status: u16,
        why: String,
    },
    /// A store could not be configured (missing environment variable, bad URL).
    #[error("store configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Core(#[from] agent_core::CoreError),
}

impl StoreError {
    /// Whether retrying later may succeed (the store was down, not the data wrong).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unreachable { .. } | StoreError::Io { .. })
    }
}

/// Where and what kind of error a JSON document has, without quoting it:
/// serde_json's own messages repeat values and field names of the input
/// (`invalid type: string "..."`), which could echo a secret read by
/// mistake.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "read",
        serde_json::error::Category::Syntax => "JSON syntax",
        serde_json::error::Category::Data => "field",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{kind} error at line {}, column {}", e.line(), e.column())
}

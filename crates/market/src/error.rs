//! The one error type of the crate. Data errors name the source (file path or
//! the name given for a reader), the 1-based line, the column and the reason,
//! so a user can fix the file without reading this code.

use std::path::PathBuf;

/// Everything that can go wrong when reading, checking or transforming candles.
///
/// Line numbers are 1-based and count the header as line 1, so they match
/// what an editor shows.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// The file could not be opened, read or written.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input holds no bytes (or only a byte-order mark / blank lines).
    #[error(
        "{file}: the file is empty; expected the header `timestamp,open,high,low,close,volume` and one row per bar"
    )]
    EmptyFile { file: String },
    /// The header is followed by no bar.
    #[error(
        "{file}: the header is followed by no bars; expected one row per bar after `timestamp,open,high,low,close,volume`"
    )]
    NoBars { file: String },
    /// The input exceeds a size limit (bytes, line length or bars).
    #[error("{file}{}: {what}, more than the {max} allowed", line_suffix(.line))]
    TooLarge {
        file: String,
        line: Option<usize>,
        what: String,
        max: u64,
    },
    /// The header row is missing, has extra columns or misnamed ones.
    #[error(
        "{file} line {line}: bad header: {why} (expected exactly `timestamp,open,high,low,close,volume`)"
    )]
    Header {
        file: String,
        line: usize,
        why: String,
    },
    /// A row has the wrong number of comma-separated fields.
    #[error(
        "{file} line {line}: {got} fields, expected {expected} (timestamp,open,high,low,close,volume)"
    )]
    FieldCount {
        file: String,
        line: usize,
        expected: usize,
        got: usize,
    },
    /// A field is not a number (or not an integer for `timestamp`). The
    /// field's text is not repeated: errors never quote file content.
    #[error("{file} line {line}, column \"{column}\": the value {why}")]
    Parse {
        file: String,
        line: usize,
        column: &'static str,
        why: &'static str,
    },
    /// A field parsed as NaN or infinity (`value`; not repeated in the
    /// message, which quotes nothing the file spelled).
    #[error("{file} line {line}, column \"{column}\": the value is not a finite number")]
    NonFinite {
        file: String,
        line: usize,
        column: &'static str,
        value: String,
    },
    /// A price is zero or negative (log returns need positive prices).
    #[error("{file} line {line}, column \"{column}\": price {value} must be greater than 0")]
    NonPositivePrice {
        file: String,
        line: usize,
        column: &'static str,
        value: f64,
    },
    /// Volume below zero.
    #[error("{file} line {line}, column \"volume\": {value} is negative; volume must be >= 0")]
    NegativeVolume {
        file: String,
        line: usize,
        value: f64,
    },
    /// `high < low`.
    #[error("{file} line {line}, column \"high\": {high} is below low {low}")]
    HighBelowLow {
        file: String,
        line: usize,
        high: f64,
        low: f64,
    },
    /// `open` or `close` outside `[low, high]`.
    #[error(
        "{file} line {line}, column \"{column}\": {value} is outside the bar's range [low {low}, high {high}]"
    )]
    OpenCloseOutsideRange {
        file: String,
        line: usize,
        column: &'static str,
        value: f64,
        low: f64,
        high: f64,
    },
    /// The same timestamp appears on two consecutive rows.
    #[error(
        "{file} line {line}, column \"timestamp\": {ts} repeats the timestamp of line {previous_line}; each bar must appear once"
    )]
    DuplicateTimestamp {
        file: String,
        line: usize,
        ts: i64,
        previous_line: usize,
    },
    /// A timestamp is earlier than the one on the row before it.
    #[error(
        "{file} line {line}, column \"timestamp\": {ts} is earlier than {previous} on line {previous_line}; rows must be sorted by timestamp ascending"
    )]
    UnsortedTimestamp {
        file: String,
        line: usize,
        ts: i64,
        previous: i64,
        previous_line: usize,
    },
    /// A timestamp small enough to be Unix seconds rather than milliseconds.
    #[error(
        "{file} line {line}, column \"timestamp\": {ts} looks like Unix seconds, not milliseconds (values below 100000000000 would be before 1973-03-03 in ms); multiply the timestamps by 1000"
    )]
    TimestampInSeconds { file: String, line: usize, ts: i64 },
    /// A parameter of a function or builder is out of range.
    #[error("invalid parameter `{name}` = {value}: {why}")]
    InvalidParam {
        name: &'static str,
        value: String,
        why: &'static str,
    },
    /// The series is too short for the computation.
    #[error("not enough bars: need at least {needed}, got {got}")]
    NotEnoughBars { needed: usize, got: usize },
    /// A candle handed over one at a time (not from a file) is invalid,
    /// e.g. `close NaN must be positive and finite`.
    #[error("{field} {value} {why}")]
    InvalidCandle {
        field: &'static str,
        value: f64,
        why: String,
    },
    /// An error from `agent-core` (e.g. building a `Dataset`).
    #[error(transparent)]
    Core(agent_core::CoreError),
}

impl MarketError {
    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        MarketError::Io {
            path: path.into(),
            source,
        }
    }

    /// The 1-based line a data error points at, if it points at one.
    pub fn line(&self) -> Option<usize> {
        use MarketError::*;
        match self {
            TooLarge {
                line: Some(line), ..
            }
            | Header { line, .. }
            | FieldCount { line, .. }
            | Parse { line, .. }
            | NonFinite { line, .. }
            | NonPositivePrice { line, .. }
            | NegativeVolume { line, .. }
            | HighBelowLow { line, .. }
            | OpenCloseOutsideRange { line, .. }
            | DuplicateTimestamp { line, .. }
            | UnsortedTimestamp { line, .. }
            | TimestampInSeconds { line, .. } => Some(*line),
            _ => None,
        }
    }
}

impl From<agent_core::CoreError> for MarketError {
    // Keep I/O errors as our own variant so callers match one `Io` shape.
    fn from(e: agent_core::CoreError) -> Self {
        match e {
            agent_core::CoreError::Io { path, source } => MarketError::Io { path, source },
            other => MarketError::Core(other),
        }
    }
}

fn line_suffix(line: &Option<usize>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}

/// Result alias of this crate.
pub type Result<T, E = MarketError> = std::result::Result<T, E>;

//! Live features: a rolling [`CandleBuffer`] whose newest T0 row comes from
//! `market::FeatureStream`, the bar-by-bar form of the function training
//! uses (`market::feature_matrix`): a test checks that the two agree on
//! every bar of the BTC history, so there is no train/serve skew.
//!
//! The stream keeps what the rolling features need (the last 73 bars) and
//! carries Wilder's recursive RSI and ATR from the first candle pushed,
//! exactly as training does from the first bar of its history. A row costs
//! well under a microsecond; the buffer itself only keeps the last
//! `capacity` candles for the agents that read raw prices (the OU scorer).

use crate::live::error::LiveError;
use market::features::WARMUP_BARS;
use market::{Candles, FeatureStream};

/// The feature names live inference produces, in order (the T0 set).
pub const LIVE_FEATURES: [&str; 12] = market::FEATURES;
/// Number of live features.
pub const N_FEATURES: usize = LIVE_FEATURES.len();
/// Default buffer length (candles kept for agents that read prices).
pub const DEFAULT_CAPACITY: usize = 512;
/// Fewest candles the buffer can hold: the longest lookback (`vol_72`) + 1.
pub const MIN_CAPACITY: usize = WARMUP_BARS + 1;

/// One OHLCV candle (open time in epoch ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl Bar {
    /// Bar `i` of `candles`, if it exists.
    pub fn of(candles: &Candles, i: usize) -> Option<Bar> {
        Some(Bar {
            ts: *candles.ts.get(i)?,
            open: *candles.open.get(i)?,
            high: *candles.high.get(i)?,
            low: *candles.low.get(i)?,
            close: *candles.close.get(i)?,
            volume: *candles.volume.get(i)?,
        })
    }
}

/// The last `capacity` candles and the T0 feature row of the newest one.
#[derive(Debug, Clone)]
pub struct CandleBuffer {
    candles: Candles,
    capacity: usize,
    stream: FeatureStream,
    row: [f64; N_FEATURES],
    /// Whether `row` belongs to the newest candle.
    fresh: bool,
}

impl CandleBuffer {
    /// A buffer of `capacity` candles (at least [`MIN_CAPACITY`]).
    pub fn new(capacity: usize) -> Result<Self, LiveError> {
        if capacity < MIN_CAPACITY {
            return Err(LiveError::InvalidInput(format!(
                "candle buffer capacity {capacity} is below the minimum {MIN_CAPACITY} \
                 (the longest feature lookback + 1)"
            )));
        }
        Ok(Self {
            candles: Candles::with_capacity(capacity + 1),
            capacity,
            stream: FeatureStream::new(),
            row: [f64::NAN; N_FEATURES],
            fresh: false,
        })
    }

    /// A buffer of [`DEFAULT_CAPACITY`] candles.
    pub fn with_default_capacity() -> Self {
        Self {
            candles: Candles::with_capacity(DEFAULT_CAPACITY + 1),
            capacity: DEFAULT_CAPACITY,
            stream: FeatureStream::new(),
            row: [f64::NAN; N_FEATURES],
            fresh: false,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.candles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candles.is_empty()
    }

    /// Whether the newest candle has a full feature row.
    pub fn is_ready(&self) -> bool {
        self.len() >= MIN_CAPACITY
    }

    /// The buffered candles, oldest first.
    pub fn candles(&self) -> &Candles {
        &self.candles
    }

    /// The newest candle.
    pub fn last(&self) -> Option<Bar> {
        Bar::of(&self.candles, self.len().checked_sub(1)?)
    }

    /// Closes of the buffered candles, oldest first.
    pub fn closes(&self) -> &[f64] {
        &self.candles.close
    }

    /// Append a closed candle; the oldest one drops out when full. Bad
    /// candles (non-finite or non-positive prices, negative volume, time
    /// not after the previous candle) are refused and leave the buffer as
    /// it was.
    pub fn push(&mut self, bar: Bar) -> Result<(), LiveError> {
        let Bar {
            ts,
            open,
            high,
            low,
            close,
            volume,
        } = bar;
        // The stream checks high, low, close and volume; open is ours.
        if !(open.is_finite() && open > 0.0) {
            return Err(LiveError::InvalidInput(format!(
                "candle at {ts}: open {open} must be positive and finite"
            )));
        }
        if let Some(&prev) = self.candles.ts.last()
            && ts <= prev
        {
            return Err(LiveError::InvalidInput(format!(
                "candle at {ts} is not after the previous candle at {prev}"
            )));
        }
        self.stream
            .push(high, low, close, volume)
            .map_err(|e| LiveError::InvalidInput(format!("candle at {ts}: {e}")))?;
        if self.candles.len() == self.capacity {
            // One memmove of <= 6 x 512 values keeps the columns contiguous
            // for the agents that read them as slices.
            let c = &mut self.candles;
            for v in [
                &mut c.open,
                &mut c.high,
                &mut c.low,
                &mut c.close,
                &mut c.volume,
            ] {
                v.remove(0);
            }
            c.ts.remove(0);
        }
        self.candles.push(ts, open, high, low, close, volume);
        self.fresh = false;
        Ok(())
    }

    /// The T0 features of the newest candle, [`LIVE_FEATURES`] order,
    /// computed once per candle by `market::FeatureStream` (equal to
    /// training's `market::feature_matrix` row).
    pub fn features(&mut self) -> Result<&[f64; N_FEATURES], LiveError> {
        if !self.fresh {
            if !self.is_ready() {
                return Err(LiveError::NotReady {
                    needed: MIN_CAPACITY,
                    have: self.len(),
                });
            }
            self.row = self.stream.row();
            if let Some(j) = self.row.iter().position(|v| !v.is_finite()) {
                return Err(LiveError::InvalidInput(format!(
                    "feature `{}` of the candle at {} is {} (flat or degenerate prices?)",
                    LIVE_FEATURES[j],
                    self.candles.ts[self.len() - 1],
                    self.row[j]
                )));
            }
            self.fresh = true;
        }
        Ok(&self.row)
    }
}

fn list(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(|s| s.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check that `names` is exactly [`LIVE_FEATURES`], in order.
pub fn check_t0_order(agent: &'static str, names: &[String]) -> Result<(), LiveError> {
    let n = names.len().max(N_FEATURES);
    for i in 0..n {
        let (m, l) = (
            names.get(i).map(String::as_str),
            LIVE_FEATURES.get(i).copied(),
        );
        if m != l {
            return Err(LiveError::FeatureOrder {
                agent,
                position: i,
                model: m.unwrap_or("<nothing>").to_string(),
                live: l.unwrap_or("<nothing>").to_string(),
                model_list: list(names),
                live_list: list(&LIVE_FEATURES),
            });
        }
    }
    Ok(())
}

/// Column of a T0 feature named `name` or `ctx_<name>` (the context columns
/// of the strategy-returns tables are T0 features at a window's last bar).
pub fn t0_column(name: &str) -> Option<usize> {
    let base = name.strip_prefix("ctx_").unwrap_or(name);
    LIVE_FEATURES.iter().position(|f| *f == base)
}

/// Columns of the T0 row for a model's features, which must each be a T0
/// feature (optionally `ctx_`-prefixed) and come in T0 order.
pub fn t0_columns(agent: &'static str, names: &[String]) -> Result<Vec<usize>, LiveError> {
    let mut cols = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let c = t0_column(name).ok_or_else(|| LiveError::UnknownFeature {
            agent,
            name: name.clone(),
            known: list(&LIVE_FEATURES),
        })?;
        if let Some(&prev) = cols.last()
            && c <= prev
        {
            return Err(LiveError::FeatureOrder {
                agent,
                position: i,
                model: name.clone(),
                live: format!("a feature after `{}`", LIVE_FEATURES[prev]),
                model_list: list(names),
                live_list: list(&LIVE_FEATURES),
            });
        }
        cols.push(c);
    }
    Ok(cols)
}

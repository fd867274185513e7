//! The strategy contract: at the close of each bar a strategy sees a
//! [`BarView`] (bars `0..=t` only) and names the position it wants. The
//! simulator turns changes of that target into orders that fill at the next
//! bar's open.

use crate::error::{BacktestError, Result};
use crate::view::BarView;
use market::Candles;

/// The direction of an open position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Long,
    Short,
}

impl Side {
    /// `"long"` or `"short"`, as written in trade logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Long => "long",
            Side::Short => "short",
        }
    }

    /// +1 for long, -1 for short.
    pub fn sign(self) -> f64 {
        match self {
            Side::Long => 1.0,
            Side::Short => -1.0,
        }
    }

    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Long => Side::Short,
            Side::Short => Side::Long,
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Side {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Side, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "long" | "buy" => Ok(Side::Long),
            "short" | "sell" => Ok(Side::Short),
            other => Err(format!("{other:?} is not a side; expected long or short")),
        }
    }
}

/// A target (or actual) position: flat, long or short, one unit of the
/// sizing rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Position {
    #[default]
    Flat,
    Long,
    Short,
}

impl Position {
    /// -1, 0 or +1.
    pub fn sign(self) -> i8 {
        match self {
            Position::Flat => 0,
            Position::Long => 1,
            Position::Short => -1,
        }
    }

    /// The side of a non-flat position.
    pub fn side(self) -> Option<Side> {
        match self {
            Position::Flat => None,
            Position::Long => Some(Side::Long),
            Position::Short => Some(Side::Short),
        }
    }

    /// True for [`Position::Flat`].
    pub fn is_flat(self) -> bool {
        self == Position::Flat
    }
}

impl From<Side> for Position {
    fn from(s: Side) -> Position {
        match s {
            Side::Long => Position::Long,
            Side::Short => Position::Short,
        }
    }
}

/// A trading rule driven bar by bar.
///
/// The simulator calls [`Strategy::on_bar`] once per bar, in time order,
/// from the first bar it trades on (at least [`Strategy::warmup`]); earlier
/// bars are visible in the view. Strategies keep their indicator state
/// between calls and may catch up on any bars they have not seen yet, so
/// they work whatever the first call's bar is.
///
/// Strategies are prototypes: the simulator runs a fresh clone per symbol
/// and per walk-forward window, so the value passed in is never mutated.
pub trait Strategy: StrategyClone + Send {
    /// Stable identifier used in every output file (`sma_cross`, ...).
    /// Must be non-empty and free of commas, quotes and line breaks.
    fn name(&self) -> &str;

    /// Parameters as text (`fast=20 slow=50`), for reports; defaults to the name.
    fn describe(&self) -> String {
        self.name().to_owned()
    }

    /// Bars of history the first decision needs; the simulator does not
    /// ask for a decision before bar `warmup()`.
    fn warmup(&self) -> usize {
        0
    }

    /// Coarser timeframes (bar interval in ms) read through
    /// [`BarView::timeframe`]; the simulator resamples them up front.
    fn timeframes(&self) -> Vec<i64> {
        Vec::new()
    }

    /// Fit parameters on a training span before trading. Walk-forward calls
    /// it on every train window; the default has nothing to fit.
    fn fit(&mut self, _train: &Candles) -> Result<()> {
        Ok(())
    }

    /// The position wanted from the close of the current bar on.
    fn on_bar(&mut self, view: &BarView<'_>) -> Position;
}

/// Cloning into a box, so `Box<dyn Strategy>` prototypes can be copied.
/// Implemented for every `Strategy + Clone`.
pub trait StrategyClone {
    fn clone_box(&self) -> Box<dyn Strategy>;
}

impl<T: Strategy + Clone + 'static> StrategyClone for T {
    fn clone_box(&self) -> Box<dyn Strategy> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Strategy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

impl std::fmt::Debug for dyn Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Strategy({})", self.describe())
    }
}

/// Check that a name can be written unquoted into every CSV output.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<()> {
    if name.is_empty() || name.trim() != name || name.contains([',', '"', '\n', '\r']) {
        return Err(BacktestError::invalid_param(
            what,
            format!("{name:?}"),
            "must be non-empty, without commas, quotes, line breaks or surrounding spaces",
        ));
    }
    Ok(())
}

/// The target positions of a fresh clone of `strategy` on every bar of
/// `candles`, asked from bar `start` on (flat before), with the strategy's
/// own previous target as the view's position and no coarser timeframes.
///
/// This is the strategy without the simulator: what the SPEC's bar-return
/// formula and the look-ahead probe use.
pub fn target_positions(strategy: &dyn Strategy, candles: &Candles, start: usize) -> Vec<Position> {
    target_positions_with_frames(strategy, candles, start, &[])
}

pub(crate) fn target_positions_with_frames(
    strategy: &dyn Strategy,
    candles: &Candles,
    start: usize,
    frames: &[crate::view::Frame],
) -> Vec<Position> {
    let mut s = strategy.clone_box();
    let n = candles.len();
    let mut out = vec![Position::Flat; n];
    let mut prev = Position::Flat;
    for (t, slot) in out.iter_mut().enumerate().skip(start) {
        let view = BarView::build("", candles, t, prev, frames);
        prev = s.on_bar(&view);
        *slot = prev;
    }
    debug_assert_eq!(out.len(), n);
    out
}

/// Like [`target_positions`], with the coarser timeframes the strategy
/// requests resampled from `candles` (errors if resampling fails).
pub fn target_positions_mtf(
    strategy: &dyn Strategy,
    candles: &Candles,
    start: usize,
) -> Result<Vec<Position>> {
    let frames = strategy
        .timeframes()
        .into_iter()
        .map(|ms| crate::view::Frame::build(candles, ms))
        .collect::<Result<Vec<_>>>()?;
    Ok(target_positions_with_frames(
        strategy, candles, start, &frames,
    ))
}

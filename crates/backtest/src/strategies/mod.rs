//! The shipped strategies. Each is a small state machine over indicators
//! computed from the [`BarView`] it is given; none can see past bar `t`.
//!
//! With their default parameters, [`BuyHold`], [`SmaCross`],
//! [`ZScoreReversion`], [`DonchianBreakout`] and [`RsiReversal`] are
//! exactly the five strategies of SPEC T2 (`buy_hold`, `sma_cross`,
//! `zscore_mr`, `breakout_24`, `rsi_rev`); see [`spec_t2_strategies`].

mod agents;

pub use agents::{
    LSTM_FEATURES, LstmStrategy, MeanReversionScorer, OuMeanReversion, SequencePredictor,
};

use crate::error::{BacktestError, Result};
use crate::indicators::{Ema, WilderRsi, trailing_mean, trailing_zscore};
use crate::strategy::{Position, Strategy, check_name};
use crate::view::BarView;

/// The five SPEC T2 strategies, in the SPEC's order (k = 0..4).
pub fn spec_t2_strategies() -> Vec<Box<dyn Strategy>> {
    vec![
        Box::new(BuyHold::new()),
        Box::new(SmaCross::default()),
        Box::new(ZScoreReversion::default()),
        Box::new(DonchianBreakout::default()),
        Box::new(RsiReversal::default()),
    ]
}

fn bad<T>(name: &'static str, value: impl ToString, why: &'static str) -> Result<T> {
    Err(BacktestError::invalid_param(name, value, why))
}

fn checked_name(name: impl Into<String>) -> Result<String> {
    let name = name.into();
    check_name("name", &name)?;
    Ok(name)
}

/// Short entries become flat when shorting is off.
fn no_short(p: Position, allow_short: bool) -> Position {
    if p == Position::Short && !allow_short {
        Position::Flat
    } else {
        p
    }
}

// ---------------------------------------------------------------------------

/// Long from the first bar it trades: the benchmark every strategy must beat.
#[derive(Debug, Clone)]
pub struct BuyHold {
    name: String,
}

impl BuyHold {
    /// Named `buy_hold`.
    pub fn new() -> Self {
        Self {
            name: "buy_hold".into(),
        }
    }

    /// Rename (for output files).
    pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
        self.name = checked_name(name)?;
        Ok(self)
    }
}

impl Default for BuyHold {
    fn default() -> Self {
        Self::new()
    }
}

impl Strategy for BuyHold {
    fn name(&self) -> &str {
        &self.name
    }
    fn on_bar(&mut self, _view: &BarView<'_>) -> Position {
        Position::Long
    }
}

// ---------------------------------------------------------------------------

/// Which moving average [`SmaCross`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaKind {
    /// Simple moving average of the last `n` closes.
    Simple,
    /// Exponential moving average, span `n`, started at the first close.
    Exponential,
}

/// Trend following: long while the fast moving average of closes is above
/// the slow one, short (or flat when long-only) otherwise.
///
/// SPEC T2 `sma_cross` = `SmaCross::new(20, 50)`: `+1 if mean(c[t-19..t]) >
/// mean(c[t-49..t]) else -1`. On a coarser timeframe
/// ([`SmaCross::on_timeframe`]) the averages use completed coarse closes.
#[derive(Debug, Clone)]
pub struct SmaCross {
    name: String,
    fast: usize,
    slow: usize,
    kind: MaKind,
    allow_short: bool,
    timeframe: Option<i64>,
    fast_ema: Ema,
    slow_ema: Ema,
}

impl SmaCross {
    /// Simple averages over `fast < slow` closes, long/short, named `sma_cross`.
    pub fn new(fast: usize, slow: usize) -> Result<Self> {
        Self::build(fast, slow, MaKind::Simple, "sma_cross")
    }

    /// Exponential averages with spans `fast < slow`, named `ema_cross`.
    pub fn ema(fast: usize, slow: usize) -> Result<Self> {
        Self::build(fast, slow, MaKind::Exponential, "ema_cross")
    }

    fn build(fast: usize, slow: usize, kind: MaKind, name: &str) -> Result<Self> {
        if fast == 0 {
            return bad("fast", fast, "must be at least 1 bar");
        }
        if slow <= fast {
            return bad("slow", slow, "must be longer than `fast`");
        }
        Ok(Self {
            name: name.into(),
            fast,
            slow,
            kind,
            allow_short: true,
            timeframe: None,
            fast_ema: Ema::new(fast),
            slow_ema: Ema::new(slow),
        })
    }

    /// Flat instead of short when the fast average is below the slow one.
    pub fn long_only(mut self) -> Self {
        self.allow_short = false;
        self
    }

    /// Compute the averages on a coarser timeframe (bar interval in ms, a
    /// whole multiple of the data's interval); decisions stay per base bar.
    pub fn on_timeframe(mut self, interval_ms: i64) -> Result<Self> {
        if interval_ms <= 0 {
            return bad(
                "timeframe",
                interval_ms,
                "must be a positive number of milliseconds",
            );
        }
        self.timeframe = Some(interval_ms);
        Ok(self)
    }

    /// Rename (for output files).
    pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
        self.name = checked_name(name)?;
        Ok(self)
    }
}

impl Default for SmaCross {
    /// The SPEC T2 parameters: fast 20, slow 50, long/short.
    fn default() -> Self {
        Self {
            name: "sma_cross".into(),
            fast: 20,
            slow: 50,
            kind: MaKind::Simple,
            allow_short: true,
            timeframe: None,
            fast_ema: Ema::new(20),
            slow_ema: Ema::new(50),
        }
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        let kind = match self.kind {
            MaKind::Simple => "sma",
            MaKind::Exponential => "ema",
        };
        let mut s = format!("{} {kind} fast={} slow={}", self.name, self.fast, self.slow);
        if let Some(tf) = self.timeframe {
            s.push_str(&format!(" timeframe={}", market::format_interval(tf)));
        }
        if !self.allow_short {
            s.push_str(" long_only");
        }
        s
    }
    fn warmup(&self) -> usize {
        // In base bars; on a coarser timeframe the strategy stays flat until
        // enough coarse bars have completed.
        if self.timeframe.is_some() {
            0
        } else {
            self.slow - 1
        }
    }
    fn timeframes(&self) -> Vec<i64> {
        self.timeframe.into_iter().collect()
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> Position {
        let closes = match self.timeframe {
            None => view.close(),
            Some(ms) => match view.timeframe(ms) {
                Some(v) => v.close(),
                None => return Position::Flat,
            },
        };
        let (f, s) = match self.kind {
            MaKind::Simple => (
                trailing_mean(closes, self.fast),
                trailing_mean(closes, self.slow),
            ),
            MaKind::Exponential => (self.fast_ema.update(closes), self.slow_ema.update(closes)),
        };
        if f.is_nan() || s.is_nan() {
            return Position::Flat;
        }
        let p = if f > s {
            Position::Long
        } else {
            Position::Short
        };
        no_short(p, self.allow_short)
    }
}

// ---------------------------------------------------------------------------

/// Donchian channel breakout: long when the close breaks above the highest
/// high of the previous `window` bars, short when it breaks below the
/// lowest low; otherwise keep the position. With an exit channel
/// ([`DonchianBreakout::exit_window`]) a long also exits below the lowest
/// low of the previous `exit_window` bars (and a short above the highest
/// high), as in the Turtle rules.
///
/// SPEC T2 `breakout_24` = `DonchianBreakout::new(24)`.
#[derive(Debug, Clone)]
pub struct DonchianBreakout {
    name: String,
    window: usize,
    exit_window: Option<usize>,
    allow_short: bool,
    state: Position,
}

impl DonchianBreakout {
    /// Channel over the previous `window` bars, long/short, named `breakout_<window>`.
    pub fn new(window: usize) -> Result<Self> {
        if window == 0 {
            return bad("window", window, "must be at least 1 bar");
        }
        Ok(Self {
            name: format!("breakout_{window}"),
            window,
            exit_window: None,
            allow_short: true,
            state: Position::Flat,
        })
    }

    /// Also exit on a break of the opposite channel over `exit_window` bars.
    pub fn exit_window(mut self, exit_window: usize) -> Result<Self> {
        if exit_window == 0 {
            return bad("exit_window", exit_window, "must be at least 1 bar");
        }
        self.exit_window = Some(exit_window);
        Ok(self)
    }

    /// A downside breakout closes a long instead of opening a short.
    pub fn long_only(mut self) -> Self {
        self.allow_short = false;
        self
    }

    /// Rename (for output files).
    pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
        self.name = checked_name(name)?;
        Ok(self)
    }
}

impl Default for DonchianBreakout {
    /// The SPEC T2 parameters: 24-bar channel, long/short.
    fn default() -> Self {
        Self {
            name: "breakout_24".into(),
            window: 24,
            exit_window: None,
            allow_short: true,
            state: Position::Flat,
        }
    }
}

fn max_of(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
fn min_of(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}

impl Strategy for DonchianBreakout {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        let mut s = format!("{} window={}", self.name, self.window);
        if let Some(e) = self.exit_window {
            s.push_str(&format!(" exit_window={e}"));
        }
        if !self.allow_short {
            s.push_str(" long_only");
        }
        s
    }
    fn warmup(&self) -> usize {
        self.window.max(self.exit_window.unwrap_or(0))
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> Position {
        let t = view.t();
        if t < self.window {
            return self.state;
        }
        let (h, l, c) = (view.high(), view.low(), view.close()[t]);
        let hh = max_of(&h[t - self.window..t]);
        let ll = min_of(&l[t - self.window..t]);
        let next = if c > hh {
            Position::Long
        } else if c < ll {
            if self.allow_short {
                Position::Short
            } else {
                Position::Flat
            }
        } else {
            match (self.state, self.exit_window) {
                (Position::Long, Some(e)) if t >= e && c < min_of(&l[t - e..t]) => Position::Flat,
                (Position::Short, Some(e)) if t >= e && c > max_of(&h[t - e..t]) => Position::Flat,
                (s, _) => s,
            }
        };
        self.state = next;
        next
    }
}

// ---------------------------------------------------------------------------

/// Momentum / RSI reversal: buy oversold, sell overbought, exit when RSI
/// crosses back through the middle level.
///
/// From flat: long if RSI < `oversold`, short if RSI > `overbought`. A long
/// exits when RSI > `exit_level`, a short when RSI < `exit_level`; an exit
/// and a re-entry never happen on the same bar. SPEC T2 `rsi_rev` =
/// `RsiReversal::default()` (Wilder RSI 14, 30 / 70, exit 50).
#[derive(Debug, Clone)]
pub struct RsiReversal {
    name: String,
    period: usize,
    oversold: f64,
    overbought: f64,
    exit_level: f64,
    allow_short: bool,
    rsi: WilderRsi,
    state: Position,
}

impl RsiReversal {
    /// Wilder RSI over `period` bars with the given levels; requires
    /// `0 < oversold < exit_level < overbought < 100`. Named `rsi_rev`.
    pub fn new(period: usize, oversold: f64, overbought: f64, exit_level: f64) -> Result<Self> {
        if period == 0 {
            return bad("period", period, "must be at least 1 bar");
        }
        if !(oversold > 0.0 && oversold < 100.0) {
            return bad("oversold", oversold, "must be inside (0, 100)");
        }
        if !(overbought > oversold && overbought < 100.0) {
            return bad("overbought", overbought, "must be inside (oversold, 100)");
        }
        if !(exit_level > oversold && exit_level < overbought) {
            return bad(
                "exit_level",
                exit_level,
                "must lie strictly between oversold and overbought",
            );
        }
        Ok(Self {
            name: "rsi_rev".into(),
            period,
            oversold,
            overbought,
            exit_level,
            allow_short: true,
            rsi: WilderRsi::new(period),
            state: Position::Flat,
        })
    }

    /// Ignore overbought signals (no shorts).
    pub fn long_only(mut self) -> Self {
        self.allow_short = false;
        self
    }

    /// Rename (for output files).
    pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
        self.name = checked_name(name)?;
        Ok(self)
    }
}

impl Default for RsiReversal {
    /// The SPEC T2 parameters: RSI 14, 30 / 70, exit 50, long/short.
    fn default() -> Self {
        Self {
            name: "rsi_rev".into(),
            period: 14,
            oversold: 30.0,
            overbought: 70.0,
            exit_level: 50.0,
            allow_short: true,
            rsi: WilderRsi::new(14),
            state: Position::Flat,
        }
    }
}

impl Strategy for RsiReversal {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        format!(
            "{} period={} oversold={} overbought={} exit={}{}",
            self.name,
            self.period,
            self.oversold,
            self.overbought,
            self.exit_level,
            if self.allow_short { "" } else { " long_only" }
        )
    }
    fn warmup(&self) -> usize {
        self.period
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> Position {
        let r = self.rsi.update(view.close());
        if r.is_nan() {
            return self.state;
        }
        self.state = match self.state {
            Position::Flat if r < self.oversold => Position::Long,
            Position::Flat if r > self.overbought => no_short(Position::Short, self.allow_short),
            Position::Flat => Position::Flat,
            Position::Long if r > self.exit_level => Position::Flat,
            Position::Short if r < self.exit_level => Position::Flat,
            held => held,
        };
        self.state
    }
}

// ---------------------------------------------------------------------------

/// Bollinger / z-score mean reversion: `z = (c - mean) / std1` over the
/// last `window` closes (the Bollinger band is `mean ± entry·std`).
///
/// From flat: long if z < -`entry`, short if z > `entry`. A long exits when
/// z >= -`exit`, a short when z <= `exit`; no exit and re-entry on the same
/// bar. SPEC T2 `zscore_mr` = `ZScoreReversion::default()` (20, 2, 0).
#[derive(Debug, Clone)]
pub struct ZScoreReversion {
    name: String,
    window: usize,
    entry: f64,
    exit: f64,
    allow_short: bool,
    state: Position,
}

impl ZScoreReversion {
    /// Window of `window >= 2` closes, entry band `entry > 0`, exit level
    /// `exit < entry` (0 = exit at the mean). Named `zscore_mr`.
    pub fn new(window: usize, entry: f64, exit: f64) -> Result<Self> {
        if window < 2 {
            return bad(
                "window",
                window,
                "must be at least 2 bars (a std needs two values)",
            );
        }
        if !(entry > 0.0 && entry.is_finite()) {
            return bad("entry", entry, "must be a finite z-score > 0");
        }
        if !(exit.is_finite() && exit < entry) {
            return bad("exit", exit, "must be a finite z-score below `entry`");
        }
        Ok(Self {
            name: "zscore_mr".into(),
            window,
            entry,
            exit,
            allow_short: true,
            state: Position::Flat,
        })
    }

    /// Ignore upper-band signals (no shorts).
    pub fn long_only(mut self) -> Self {
        self.allow_short = false;
        self
    }

    /// Rename (for output files).
    pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
        self.name = checked_name(name)?;
        Ok(self)
    }
}

impl Default for ZScoreReversion {
    /// The SPEC T2 parameters: 20 bars, entry 2, exit 0, long/short.
    fn default() -> Self {
        Self {
            name: "zscore_mr".into(),
            window: 20,
            entry: 2.0,
            exit: 0.0,
            allow_short: true,
            state: Position::Flat,
        }
    }
}

impl Strategy for ZScoreReversion {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        format!(
            "{} window={} entry={} exit={}{}",
            self.name,
            self.window,
            self.entry,
            self.exit,
            if self.allow_short { "" } else { " long_only" }
        )
    }
    fn warmup(&self) -> usize {
        self.window - 1
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> Position {
        let z = trailing_zscore(view.close(), self.window);
        if z.is_nan() {
            return self.state;
        }
        self.state = match self.state {
            Position::Flat if z < -self.entry => Position::Long,
            Position::Flat if z > self.entry => no_short(Position::Short, self.allow_short),
            Position::Flat => Position::Flat,
            Position::Long if z >= -self.exit => Position::Flat,
            Position::Short if z <= self.exit => Position::Flat,
            held => held,
        };
        self.state
    }
}

// ---------------------------------------------------------------------------

/// Time-series momentum: long if the log return over the last `lookback`
/// bars exceeds `threshold`, short if it is below `-threshold`, else flat.
#[derive(Debug, Clone)]
pub struct Momentum {
    name: String,
    lookback: usize,
    threshold: f64,
    allow_short: bool,
}

impl Momentum {
    /// Lookback `>= 1` bars, threshold `>= 0` (log return). Named `momentum_<lookback>`.
    pub fn new(lookback: usize, threshold: f64) -> Result<Self> {
        if lookback == 0 {
            return bad("lookback", lookback, "must be at least 1 bar");
        }
        if !(threshold >= 0.0 && threshold.is_finite()) {
            return bad("threshold", threshold, "must be a finite log return >= 0");
        }
        Ok(Self {
            name: format!("momentum_{lookback}"),
            lookback,
            threshold,
            allow_short: true,
        })
    }

    /// Flat instead of short on negative momentum.
    pub fn long_only(mut self) -> Self {
        self.allow_short = false;
        self
    }

    /// Rename (for output files).
    pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
        self.name = checked_name(name)?;
        Ok(self)
    }
}

impl Strategy for Momentum {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        format!(
            "{} lookback={} threshold={}{}",
            self.name,
            self.lookback,
            self.threshold,
            if self.allow_short { "" } else { " long_only" }
        )
    }
    fn warmup(&self) -> usize {
        self.lookback
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> Position {
        let c = view.close();
        let t = view.t();
        if t < self.lookback {
            return Position::Flat;
        }
        let r = c[t].ln() - c[t - self.lookback].ln();
        let p = if r > self.threshold {
            Position::Long
        } else if r < -self.threshold {
            Position::Short
        } else {
            Position::Flat
        };
        no_short(p, self.allow_short)
    }
}

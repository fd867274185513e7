//! Strategies driven by trained agents, through small hook traits so this
//! crate never depends on the agent crates: the `ou-mean` crate implements
//! [`MeanReversionScorer`] for its fitted OU model and the `lstm` crate
//! implements [`SequencePredictor`] for its network, each behind its own
//! feature, and plug into [`OuMeanReversion`] / [`LstmStrategy`].

use super::{bad, checked_name};
use crate::error::Result;
use crate::indicators::{WilderRsi, trailing_log_vol, trailing_zscore};
use crate::strategy::{Position, Side, Strategy};
use crate::view::BarView;

/// A mean-reversion model that scores the latest bar (the `ou-mean` agent).
pub trait MeanReversionScorer: Clone + Send + 'static {
    /// How many log prices [`MeanReversionScorer::score`] wants (its window).
    fn lookback(&self) -> usize;

    /// Score the last of `log_prices` (natural logs of closes, oldest first,
    /// exactly `lookback()` values ending at the current bar).
    ///
    /// Returns the size of the deviation from equilibrium (e.g. the OU
    /// z-score's absolute value or the z-score itself; only `|score|` is
    /// used) and the side that profits from reversion, or `None` when the
    /// model abstains (e.g. its ADF or Hurst gate rejects the window). A
    /// non-finite score counts as an abstention (an open position exits).
    fn score(&self, log_prices: &[f64]) -> Option<(f64, Side)>;
}

/// The mean-reversion bot: enters when the scorer's deviation reaches
/// `entry`, exits when it falls to `exit` or the scorer abstains, and flips
/// when the scorer points the other way with a deviation of at least `entry`.
#[derive(Debug, Clone)]
pub struct OuMeanReversion<S: MeanReversionScorer> {
    name: String,
    scorer: S,
    entry: f64,
    exit: f64,
    log_close: Vec<f64>,
    state: Position,
}

impl<S: MeanReversionScorer> OuMeanReversion<S> {
    /// Enter at `|score| >= entry` (> 0), exit at `|score| <= exit`
    /// (`0 <= exit < entry`). Named `ou_mean_rev`.
    pub fn new(scorer: S, entry: f64, exit: f64) -> Result<Self> {
        if !(entry > 0.0 && entry.is_finite()) {
            return bad("entry", entry, "must be a finite score > 0");
        }
        if !(exit >= 0.0 && exit < entry) {
            return bad("exit", exit, "must be >= 0 and below `entry`");
        }
        if scorer.lookback() == 0 {
            return bad("lookback", 0, "the scorer must want at least one log price");
        }
        Ok(Self {
            name: "ou_mean_rev".into(),
            scorer,
            entry,
            exit,
            log_close: Vec::new(),
            state: Position::Flat,
        })
    }

    /// Rename (for output files).
    pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
        self.name = checked_name(name)?;
        Ok(self)
    }

    /// The scorer.
    pub fn scorer(&self) -> &S {
        &self.scorer
    }
}

impl<S: MeanReversionScorer> Strategy for OuMeanReversion<S> {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        format!(
            "{} lookback={} entry={} exit={}",
            self.name,
            self.scorer.lookback(),
            self.entry,
            self.exit
        )
    }
    fn warmup(&self) -> usize {
        self.scorer.lookback() - 1
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> Position {
        let c = view.close();
        // Logs are cached; the view only ever grows, one series per clone.
        while self.log_close.len() < c.len() {
            self.log_close.push(c[self.log_close.len()].ln());
        }
        let lb = self.scorer.lookback();
        if self.log_close.len() < lb {
            return self.state;
        }
        // A non-finite score is treated as an abstention.
        let score = self
            .scorer
            .score(&self.log_close[self.log_close.len() - lb..])
            .filter(|(s, _)| s.is_finite());
        self.state = match (self.state, score) {
            (Position::Flat, Some((s, side))) if s.abs() >= self.entry => side.into(),
            (Position::Flat, _) => Position::Flat,
            (_, None) => Position::Flat,
            (held, Some((s, side))) => {
                let held_side = held.side().unwrap_or(Side::Long);
                if side != held_side && s.abs() >= self.entry {
                    side.into()
                } else if s.abs() <= self.exit {
                    Position::Flat
                } else {
                    held
                }
            }
        };
        self.state
    }
}

/// The per-step inputs [`LstmStrategy`] gives its predictor, in this order:
/// the SPEC T0 definitions of these columns (T6's LSTM inputs), unscaled.
pub const LSTM_FEATURES: [&str; 5] = ["lr_1", "vol_24", "rsi_14", "zscore_20", "vol_z_20"];

/// A sequence model that predicts the next bar's return (the `lstm` agent).
pub trait SequencePredictor: Clone + Send + 'static {
    /// Number of steps per input sequence.
    fn seq_len(&self) -> usize;

    /// Predict the next bar's return from `features`: `seq_len()` steps of
    /// the 5 [`LSTM_FEATURES`], oldest step first, row-major (length
    /// `5 * seq_len()`), raw values (the predictor applies its own scaler).
    /// The unit of the answer is the model's (T6: percent log return). A
    /// NaN answer means "no forecast" and keeps the strategy flat.
    fn predict_next(&mut self, features: &[f64]) -> f64;
}

/// The LSTM bot: long when the predicted next-bar return exceeds
/// `threshold`, short when it is below `-threshold`, flat otherwise
/// (`threshold` is in the predictor's units).
#[derive(Debug, Clone)]
pub struct LstmStrategy<P: SequencePredictor> {
    name: String,
    predictor: P,
    threshold: f64,
    allow_short: bool,
    rsi: WilderRsi,
    /// Features of every bar seen so far (NaN during warm-up).
    rows: Vec<[f64; 5]>,
    input: Vec<f64>,
}

/// First bar at which all five LSTM features are defined (vol_24 needs 25 closes).
const FEATURE_WARMUP: usize = 24;

impl<P: SequencePredictor> LstmStrategy<P> {
    /// Trade the predictor's forecast against `threshold >= 0`. Named `lstm`.
    pub fn new(predictor: P, threshold: f64) -> Result<Self> {
        if !(threshold >= 0.0 && threshold.is_finite()) {
            return bad("threshold", threshold, "must be a finite value >= 0");
        }
        if predictor.seq_len() == 0 {
            return bad("seq_len", 0, "the predictor must read at least one step");
        }
        Ok(Self {
            name: "lstm".into(),
            predictor,
            threshold,
            allow_short: true,
            rsi: WilderRsi::new(14),
            rows: Vec::new(),
            input: Vec::new(),
        })
    }

    /// Flat instead of short on negative forecasts.
    pub fn long_only(mut self) -> Self {
        self.allow_short = false;
        self
    }

    /// Rename (for output files).
    pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
        self.name = checked_name(name)?;
        Ok(self)
    }

    fn row(&mut self, view: &BarView<'_>, t: usize) -> [f64; 5] {
        let c = &view.close()[..=t];
        let v = &view.volume()[..=t];
        let rsi = self.rsi.update(c);
        let lr1 = if t >= 1 {
            c[t].ln() - c[t - 1].ln()
        } else {
            f64::NAN
        };
        [
            lr1,
            trailing_log_vol(c, 24),
            rsi,
            trailing_zscore(c, 20),
            trailing_zscore(v, 20),
        ]
    }
}

impl<P: SequencePredictor> Strategy for LstmStrategy<P> {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        format!(
            "{} seq_len={} threshold={}{}",
            self.name,
            self.predictor.seq_len(),
            self.threshold,
            if self.allow_short { "" } else { " long_only" }
        )
    }
    fn warmup(&self) -> usize {
        FEATURE_WARMUP + self.predictor.seq_len() - 1
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> Position {
        while self.rows.len() < view.len() {
            let t = self.rows.len();
            let r = self.row(view, t);
            self.rows.push(r);
        }
        let seq = self.predictor.seq_len();
        let n = self.rows.len();
        if n < FEATURE_WARMUP + seq {
            return Position::Flat;
        }
        self.input.clear();
        for r in &self.rows[n - seq..] {
            self.input.extend_from_slice(r);
        }
        let pred = self.predictor.predict_next(&self.input);
        if pred > self.threshold {
            Position::Long
        } else if pred < -self.threshold && self.allow_short {
            Position::Short
        } else {
            Position::Flat
        }
    }
}

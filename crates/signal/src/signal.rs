//! Turning `P(up)` into trading signals. Direction-aware: a short is
//! supported by a *low* `P(up)`. (The original blended `P(up)` into the score
//! of short signals too, boosting shorts exactly when the model expected a
//! rise.)

use crate::hyperparams::SignalThresholds;
use serde::{Deserialize, Serialize};

/// What the model says to do on the next bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    Buy,
    Sell,
    Hold,
}

impl Signal {
    /// `Buy` when `p_up >= buy`, `Sell` when `p_up <= sell`, else `Hold`.
    /// A NaN probability holds.
    pub fn from_proba(p_up: f64, t: &SignalThresholds) -> Signal {
        if p_up >= t.buy {
            Signal::Buy
        } else if p_up <= t.sell {
            Signal::Sell
        } else {
            Signal::Hold
        }
    }

    /// +1 buy, -1 sell, 0 hold.
    pub fn direction(self) -> i8 {
        match self {
            Signal::Buy => 1,
            Signal::Sell => -1,
            Signal::Hold => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Buy => "buy",
            Signal::Sell => "sell",
            Signal::Hold => "hold",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The side of a position or trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Long,
    Short,
}

impl Side {
    /// +1 long, -1 short.
    pub fn sign(self) -> f64 {
        match self {
            Side::Long => 1.0,
            Side::Short => -1.0,
        }
    }
}

/// The model's probability that a position on `side` moves the right way:
/// `P(up)` for a long, `1 - P(up)` for a short. Use this, not `P(up)`, to
/// weight a strategy's long *or* short signal.
pub fn side_confidence(p_up: f64, side: Side) -> f64 {
    match side {
        Side::Long => p_up,
        Side::Short => 1.0 - p_up,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_map_probability_to_buy_sell_hold_inclusively() {
        let t = SignalThresholds::new(0.6, 0.4).unwrap();
        assert_eq!(Signal::from_proba(0.6, &t), Signal::Buy);
        assert_eq!(Signal::from_proba(0.4, &t), Signal::Sell);
        assert_eq!(Signal::from_proba(0.5, &t), Signal::Hold);
        assert_eq!(Signal::from_proba(f64::NAN, &t), Signal::Hold);
        assert_eq!(Signal::Sell.direction(), -1);
    }

    #[test]
    fn short_confidence_falls_when_up_probability_rises() {
        assert_eq!(side_confidence(0.8, Side::Long), 0.8);
        assert!((side_confidence(0.8, Side::Short) - 0.2).abs() < 1e-15);
    }
}

//! Simulator settings: unchecked [`BacktestParams`] (a builder) validate
//! once into [`BacktestValidParams`]; errors name the field and the value.

use crate::error::{BacktestError, Result};
use agent_core::ParamGuard;

/// How several symbols in one run share capital.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocation {
    /// One account per strategy across all symbols: each new position is
    /// sized from the account's whole equity (so with `n` symbols open at
    /// once, exposure can reach `n × position_fraction`; choose
    /// `position_fraction <= 1/n` to stay unlevered).
    #[default]
    Shared,
    /// Each symbol trades its own sub-account holding `initial_equity / n`;
    /// the run's equity is the sum of the sub-accounts.
    PerSymbol,
}

/// Checked simulator settings. Build them with [`BacktestParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestValidParams {
    pub(crate) initial_equity: f64,
    pub(crate) fee_bps: f64,
    pub(crate) slippage_bps: f64,
    pub(crate) position_fraction: f64,
    pub(crate) stop_loss: Option<f64>,
    pub(crate) take_profit: Option<f64>,
    pub(crate) allocation: Allocation,
    pub(crate) warmup: usize,
    pub(crate) regime_train_fraction: f64,
    pub(crate) close_at_end: bool,
}

impl Default for BacktestValidParams {
    fn default() -> Self {
        Self {
            initial_equity: 10_000.0,
            // 0.1% per side: the original's FEE_RATE and backtest_runner fee_pct.
            fee_bps: 10.0,
            // backtest_runner's slippage_pct 0.001 per side.
            slippage_bps: 10.0,
            position_fraction: 1.0,
            stop_loss: None,
            take_profit: None,
            allocation: Allocation::Shared,
            // SPEC warm-up: every T0 feature (vol_72) is defined from bar 72.
            warmup: 72,
            regime_train_fraction: 0.8,
            close_at_end: true,
        }
    }
}

impl BacktestValidParams {
    /// Starting equity (quote currency).
    pub fn initial_equity(&self) -> f64 {
        self.initial_equity
    }
    /// Fee per side, basis points of the filled notional.
    pub fn fee_bps(&self) -> f64 {
        self.fee_bps
    }
    /// Slippage per fill, basis points of the reference price, always adverse.
    pub fn slippage_bps(&self) -> f64 {
        self.slippage_bps
    }
    /// Fraction of equity committed to each new position (fee included).
    pub fn position_fraction(&self) -> f64 {
        self.position_fraction
    }
    /// Stop-loss distance from the entry fill, as a fraction (0.02 = 2%).
    pub fn stop_loss(&self) -> Option<f64> {
        self.stop_loss
    }
    /// Take-profit distance from the entry fill, as a fraction.
    pub fn take_profit(&self) -> Option<f64> {
        self.take_profit
    }
    /// Capital sharing across symbols.
    pub fn allocation(&self) -> Allocation {
        self.allocation
    }
    /// First bar on which decisions are taken (per symbol).
    pub fn warmup(&self) -> usize {
        self.warmup
    }
    /// Leading fraction of each symbol's bars the regime labeller is fit on.
    pub fn regime_train_fraction(&self) -> f64 {
        self.regime_train_fraction
    }
    /// Whether positions still open at the end are closed at the last close.
    pub fn close_at_end(&self) -> bool {
        self.close_at_end
    }

    pub(crate) fn fee_rate(&self) -> f64 {
        self.fee_bps / 1e4
    }
    pub(crate) fn slip_rate(&self) -> f64 {
        self.slippage_bps / 1e4
    }
}

/// Unchecked simulator settings (builder). Defaults: equity 10,000, fee 10
/// bps and slippage 10 bps per side (the original backtest runner's 0.1%),
/// 100% of equity per position, no stops, shared allocation, decisions from
/// bar 72, regime cut points fit on the first 80% of each symbol's bars,
/// open positions closed at the end.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BacktestParams(BacktestValidParams);

impl BacktestParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Starting equity (> 0).
    pub fn initial_equity(mut self, v: f64) -> Self {
        self.0.initial_equity = v;
        self
    }
    /// Fee per side in basis points of notional (0 ..= 1000).
    pub fn fee_bps(mut self, v: f64) -> Self {
        self.0.fee_bps = v;
        self
    }
    /// Slippage per fill in basis points of price (0 ..= 1000).
    pub fn slippage_bps(mut self, v: f64) -> Self {
        self.0.slippage_bps = v;
        self
    }
    /// Fraction of equity per new position, in (0, 1].
    pub fn position_fraction(mut self, v: f64) -> Self {
        self.0.position_fraction = v;
        self
    }
    /// Stop-loss as a fraction of the entry price, in (0, 1); `None` = off.
    pub fn stop_loss(mut self, v: Option<f64>) -> Self {
        self.0.stop_loss = v;
        self
    }
    /// Take-profit as a fraction of the entry price, > 0 (below 1 for
    /// shorts to be reachable); `None` = off.
    pub fn take_profit(mut self, v: Option<f64>) -> Self {
        self.0.take_profit = v;
        self
    }
    /// Capital sharing across symbols.
    pub fn allocation(mut self, v: Allocation) -> Self {
        self.0.allocation = v;
        self
    }
    /// First bar on which decisions are taken (strategies with a longer
    /// warm-up start later).
    pub fn warmup(mut self, v: usize) -> Self {
        self.0.warmup = v;
        self
    }
    /// Leading fraction of each symbol's bars used to fit the regime
    /// labeller, in (0, 1].
    pub fn regime_train_fraction(mut self, v: f64) -> Self {
        self.0.regime_train_fraction = v;
        self
    }
    /// Close positions still open at the last bar's close (default true);
    /// otherwise they are left out of the trade log.
    pub fn close_at_end(mut self, v: bool) -> Self {
        self.0.close_at_end = v;
        self
    }
}

fn bad(name: &'static str, value: impl ToString, why: &'static str) -> BacktestError {
    BacktestError::invalid_param(name, value, why)
}

impl ParamGuard for BacktestParams {
    type Checked = BacktestValidParams;
    type Error = BacktestError;

    fn check_ref(&self) -> Result<&BacktestValidParams> {
        let p = &self.0;
        if !(p.initial_equity.is_finite() && p.initial_equity > 0.0) {
            return Err(bad(
                "initial_equity",
                p.initial_equity,
                "must be a finite amount > 0",
            ));
        }
        if !(0.0..=1000.0).contains(&p.fee_bps) {
            return Err(bad(
                "fee_bps",
                p.fee_bps,
                "must be between 0 and 1000 basis points",
            ));
        }
        if !(0.0..=1000.0).contains(&p.slippage_bps) {
            return Err(bad(
                "slippage_bps",
                p.slippage_bps,
                "must be between 0 and 1000 basis points",
            ));
        }
        if !(p.position_fraction > 0.0 && p.position_fraction <= 1.0) {
            return Err(bad(
                "position_fraction",
                p.position_fraction,
                "must be in (0, 1]",
            ));
        }
        if let Some(s) = p.stop_loss
            && !(s > 0.0 && s < 1.0)
        {
            return Err(bad(
                "stop_loss",
                s,
                "must be a fraction in (0, 1), e.g. 0.02 for 2%",
            ));
        }
        if let Some(tp) = p.take_profit
            && !(tp > 0.0 && tp.is_finite())
        {
            return Err(bad(
                "take_profit",
                tp,
                "must be a finite fraction > 0, e.g. 0.04 for 4%",
            ));
        }
        if !(p.regime_train_fraction > 0.0 && p.regime_train_fraction <= 1.0) {
            return Err(bad(
                "regime_train_fraction",
                p.regime_train_fraction,
                "must be in (0, 1]",
            ));
        }
        Ok(p)
    }

    fn check(self) -> Result<BacktestValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

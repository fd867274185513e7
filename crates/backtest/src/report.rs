//! What a backtest produces: closed trades, equity curves, per-strategy
//! summaries and the per (regime, strategy) table that feeds LinUCB.

use crate::strategy::Side;

/// One closed trade: a row of the trade log (`trades.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub symbol: String,
    pub strategy: String,
    /// Regime at the entry decision (close of the bar before the entry fill).
    pub regime: u8,
    pub side: Side,
    /// Open time (epoch ms) of the bar whose open filled the entry.
    pub entry_time: i64,
    /// Open time of the bar in which the exit filled (at its open for a
    /// signal exit, intrabar for a stop / take-profit, at its close for the
    /// end-of-data exit).
    pub exit_time: i64,
    /// Entry fill price, slippage included.
    pub entry_price: f64,
    /// Exit fill price, slippage included.
    pub exit_price: f64,
    /// Quantity of the base asset (> 0; the side gives the sign).
    pub size: f64,
    /// Entry plus exit fee, quote currency.
    pub fees: f64,
    /// Net profit in quote currency: `sign * size * (exit - entry) - fees`.
    pub pnl: f64,
    /// `100 * pnl / equity at the entry decision`: percent of the account
    /// (or sub-account) equity the position was sized from.
    pub pnl_pct: f64,
    /// Bars between the entry fill bar and the exit fill bar (0 = exited
    /// within the entry bar).
    pub bars_held: usize,
}

/// Why a position was closed (counted in [`StrategySummary`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// The strategy changed its target; filled at the next open.
    Signal,
    /// The stop-loss level was touched (or gapped through).
    StopLoss,
    /// The take-profit level was touched (or gapped through).
    TakeProfit,
    /// Still open at the last bar; closed at its close.
    End,
}

/// Equity of one strategy's account after every bar's close.
#[derive(Debug, Clone, PartialEq)]
pub struct EquityCurve {
    pub strategy: String,
    /// Symbols of the position columns, in run order.
    pub symbols: Vec<String>,
    /// Bar open times (epoch ms) of the union of all symbols' bars, from the
    /// first decision bar on.
    pub ts: Vec<i64>,
    /// Marked-to-market equity at each bar's close (cash + positions at the
    /// close), after any end-of-data exit.
    pub equity: Vec<f64>,
    /// `positions[s][i]`: -1, 0 or +1 for symbol `s` after bar `i`'s close
    /// (before orders decided at that close fill).
    pub positions: Vec<Vec<i8>>,
}

impl EquityCurve {
    /// Simple per-bar returns `equity[i] / equity[i-1] - 1` (length n-1).
    pub fn returns(&self) -> Vec<f64> {
        self.equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
    }

    /// Largest peak-to-trough loss as a fraction of the peak, in [0, 1].
    pub fn max_drawdown(&self) -> f64 {
        max_drawdown(&self.equity)
    }
}

/// Headline numbers of one strategy over a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySummary {
    pub strategy: String,
    /// [`crate::Strategy::describe`] of the prototype.
    pub description: String,
    pub initial_equity: f64,
    pub final_equity: f64,
    /// `final / initial - 1`.
    pub total_return: f64,
    /// Mean / sample std of the per-bar equity returns, **not annualised**
    /// (multiply by `sqrt(bars per year)` to annualise); 0 when undefined.
    pub sharpe: f64,
    /// Of the equity curve, as a fraction of the peak.
    pub max_drawdown: f64,
    pub trades: usize,
    /// Fraction of trades with `pnl > 0` (0 without trades).
    pub win_rate: f64,
    /// All fees paid, quote currency.
    pub fees: f64,
    pub stop_loss_exits: usize,
    pub take_profit_exits: usize,
    /// Fraction of (symbol, bar) slots with an open position.
    pub exposure: f64,
}

/// One row of `strategy_pnl.csv`: the trades of one (regime, strategy).
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyPnl {
    pub regime: u8,
    pub strategy: String,
    pub trades: usize,
    /// Mean `pnl_pct` (percent of equity per trade).
    pub mean_pnl: f64,
    /// Fraction of trades with `pnl > 0`.
    pub win_rate: f64,
    /// Mean / sample std of `pnl_pct`, per trade, not annualised; 0 with
    /// fewer than 2 trades or a zero std.
    pub sharpe: f64,
    /// Max drawdown (fraction) of `E_j = prod_{i<=j} (1 + pnl_pct_i / 100)`
    /// over the group's trades in exit order, the peak including the start 1.
    pub max_drawdown: f64,
}

/// Group trades by (regime, strategy): rows ordered by regime, then by the
/// strategy's first appearance in `trades`; each group's trades are taken
/// in the order given (the simulator's order is by exit time).
pub fn strategy_pnl(trades: &[Trade]) -> Vec<StrategyPnl> {
    let mut strategies: Vec<&str> = Vec::new();
    for t in trades {
        if !strategies.contains(&t.strategy.as_str()) {
            strategies.push(&t.strategy);
        }
    }
    let mut regimes: Vec<u8> = trades.iter().map(|t| t.regime).collect();
    regimes.sort_unstable();
    regimes.dedup();
    let mut rows = Vec::new();
    for &r in &regimes {
        for &s in &strategies {
            let pnl: Vec<f64> = trades
                .iter()
                .filter(|t| t.regime == r && t.strategy == s)
                .map(|t| t.pnl_pct)
                .collect();
            if pnl.is_empty() {
                continue;
            }
            let wins = trades
                .iter()
                .filter(|t| t.regime == r && t.strategy == s && t.pnl > 0.0)
                .count();
            let mut eq = Vec::with_capacity(pnl.len() + 1);
            eq.push(1.0);
            let mut e = 1.0;
            for p in &pnl {
                e *= 1.0 + p / 100.0;
                eq.push(e);
            }
            rows.push(StrategyPnl {
                regime: r,
                strategy: s.to_owned(),
                trades: pnl.len(),
                mean_pnl: mean(&pnl),
                win_rate: wins as f64 / pnl.len() as f64,
                sharpe: sharpe(&pnl),
                max_drawdown: max_drawdown(&eq),
            });
        }
    }
    rows
}

/// Arithmetic mean (NaN when empty).
pub fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (n-1), two-pass; NaN with fewer than 2 values.
pub fn std1(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

/// `mean / std1`, no annualisation; 0 with fewer than 2 values or std 0.
pub fn sharpe(xs: &[f64]) -> f64 {
    let s = std1(xs);
    if xs.len() < 2 || s == 0.0 || !s.is_finite() {
        0.0
    } else {
        mean(xs) / s
    }
}

/// Largest `1 - e / running_peak` over an equity path (the first value
/// counts as a peak); 0 for fewer than 2 points.
pub fn max_drawdown(equity: &[f64]) -> f64 {
    let mut peak = f64::NEG_INFINITY;
    let mut mdd: f64 = 0.0;
    for &e in equity {
        peak = peak.max(e);
        if peak > 0.0 {
            mdd = mdd.max(1.0 - e / peak);
        }
    }
    mdd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_counts_the_starting_equity_as_a_peak() {
        assert_eq!(max_drawdown(&[1.0, 0.5, 2.0, 1.5]), 0.5);
        assert_eq!(max_drawdown(&[1.0, 1.1, 1.2]), 0.0);
        assert_eq!(max_drawdown(&[1.0]), 0.0);
    }

    #[test]
    fn sharpe_is_zero_when_undefined() {
        assert_eq!(sharpe(&[1.0]), 0.0);
        assert_eq!(sharpe(&[2.0, 2.0, 2.0]), 0.0);
        let s = sharpe(&[1.0, 3.0]);
        assert!((s - 2.0 / 2f64.sqrt()).abs() < 1e-15);
    }
}

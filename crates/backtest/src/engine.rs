//! The simulator. Deterministic, single-threaded, one pass over time.
//!
//! Per bar, for every symbol that has a bar at that timestamp (symbols in
//! run order):
//! 1. **Open:** an order decided at the previous close fills at this bar's
//!    open, slippage against us (buy at `open·(1+s)`, sell at `open·(1-s)`);
//!    a flip closes then opens. Fees are `fee_bps` of each fill's notional.
//! 2. **Intrabar:** stop-loss / take-profit against this bar's range. If
//!    the open is already beyond a level (a gap), the exit fills at the open;
//!    else at the level. If both levels lie inside one bar the stop is
//!    assumed to have hit first (the conservative rule). On the entry bar
//!    only the range is checked. After such an exit the strategy must
//!    change its target before the simulator re-enters ("re-arm").
//! 3. **Close:** equity is marked to market at the close; the strategy sees
//!    bars `0..=t` and names a target; a change becomes an order for the
//!    next bar's open, sized from the equity at this close:
//!    `notional = position_fraction · equity / (1 + fee)`.
//!
//! The original filled at the same bar's close that produced the signal (a
//! look-ahead); here nothing decided at bar `t` trades before `t + 1`.

use crate::error::{BacktestError, Result};
use crate::hyperparams::{Allocation, BacktestParams, BacktestValidParams};
use crate::regime::{FittedRegime, RegimeLabeler, VolTercileLabeler};
use crate::report::{
    EquityCurve, ExitReason, StrategyPnl, StrategySummary, Trade, max_drawdown, sharpe,
    strategy_pnl,
};
use crate::strategy::{Position, Side, Strategy, check_name};
use crate::view::{BarView, Frame};
use agent_core::ParamGuard;
use market::Candles;

/// One symbol's candles in a run.
#[derive(Debug, Clone, Copy)]
pub struct Instrument<'a> {
    pub symbol: &'a str,
    pub candles: &'a Candles,
}

impl<'a> Instrument<'a> {
    /// Pair a symbol with its candles.
    pub fn new(symbol: &'a str, candles: &'a Candles) -> Self {
        Self { symbol, candles }
    }
}

/// The simulator with its checked settings.
#[derive(Debug, Clone, Default)]
pub struct Backtest {
    params: BacktestValidParams,
}

/// Everything one [`Backtest::run`] produced.
#[derive(Debug, Clone)]
pub struct BacktestReport {
    /// One per strategy, in the order given.
    pub strategies: Vec<StrategySummary>,
    /// All closed trades: by strategy (order given), then by exit time,
    /// then by symbol order.
    pub trades: Vec<Trade>,
    /// One equity curve per strategy, in the order given.
    pub equity: Vec<EquityCurve>,
    /// Name of the regime labeller that labelled the trades.
    pub regime_labeler: String,
}

impl BacktestReport {
    /// The (regime, strategy) table written as `strategy_pnl.csv`.
    pub fn strategy_pnl(&self) -> Vec<StrategyPnl> {
        strategy_pnl(&self.trades)
    }

    /// The equity curve of a strategy by name.
    pub fn equity_of(&self, strategy: &str) -> Option<&EquityCurve> {
        self.equity.iter().find(|e| e.strategy == strategy)
    }

    /// The summary of a strategy by name.
    pub fn summary_of(&self, strategy: &str) -> Option<&StrategySummary> {
        self.strategies.iter().find(|e| e.strategy == strategy)
    }
}

/// A symbol ready for simulation.
pub(crate) struct SymbolInput<'a> {
    pub(crate) symbol: &'a str,
    pub(crate) candles: &'a Candles,
    pub(crate) frames: &'a [Frame],
    pub(crate) regime: &'a dyn FittedRegime,
    /// First bar on which the strategy is asked.
    pub(crate) call_from: usize,
    /// First bar whose decision may trade (>= `call_from`).
    pub(crate) trade_from: usize,
}

/// Result of simulating one strategy on one account.
pub(crate) struct SimOutput {
    pub(crate) trades: Vec<Trade>,
    pub(crate) exits: Vec<ExitReason>,
    pub(crate) curve: EquityCurve,
    pub(crate) fees: f64,
    pub(crate) open_slots: usize,
    pub(crate) slots: usize,
}

impl Backtest {
    /// Check `params` and build the simulator.
    pub fn new(params: BacktestParams) -> Result<Self> {
        Ok(Self {
            params: params.check()?,
        })
    }

    /// The simulator with already checked settings.
    pub fn with_params(params: BacktestValidParams) -> Self {
        Self { params }
    }

    /// The settings.
    pub fn params(&self) -> &BacktestValidParams {
        &self.params
    }

    /// Run every strategy over every instrument, labelling trades with the
    /// SPEC volatility-tercile rule (cut points fit on the first
    /// `regime_train_fraction` of each symbol's bars).
    pub fn run(
        &self,
        instruments: &[Instrument<'_>],
        strategies: &[Box<dyn Strategy>],
    ) -> Result<BacktestReport> {
        self.run_with_labeler(instruments, strategies, &VolTercileLabeler::default())
    }

    /// [`Backtest::run`] with another regime labeller.
    pub fn run_with_labeler(
        &self,
        instruments: &[Instrument<'_>],
        strategies: &[Box<dyn Strategy>],
        labeler: &dyn RegimeLabeler,
    ) -> Result<BacktestReport> {
        check_inputs(instruments, strategies)?;
        let p = &self.params;
        let mut fitted = Vec::with_capacity(instruments.len());
        for ins in instruments {
            let n = ins.candles.len();
            let n_train = ((p.regime_train_fraction * n as f64).floor() as usize).clamp(1, n);
            fitted.push(labeler.fit(&ins.candles.slice(0..n_train))?);
        }
        let timeframes = all_timeframes(strategies);
        let frames = instruments
            .iter()
            .map(|ins| build_frames(ins.candles, &timeframes))
            .collect::<Result<Vec<_>>>()?;

        let mut report = BacktestReport {
            strategies: Vec::new(),
            trades: Vec::new(),
            equity: Vec::new(),
            regime_labeler: labeler.name().to_owned(),
        };
        for proto in strategies {
            let start = p.warmup.max(proto.warmup()).max(labeler.min_history());
            let inputs: Vec<SymbolInput<'_>> = instruments
                .iter()
                .zip(&fitted)
                .zip(&frames)
                .map(|((ins, reg), fr)| SymbolInput {
                    symbol: ins.symbol,
                    candles: ins.candles,
                    frames: fr,
                    regime: reg.as_ref(),
                    call_from: start,
                    trade_from: start,
                })
                .collect();
            let out = match p.allocation {
                Allocation::Shared => simulate(p, &inputs, proto.as_ref(), p.initial_equity),
                Allocation::PerSymbol => {
                    let share = p.initial_equity / inputs.len() as f64;
                    let parts: Vec<SimOutput> = inputs
                        .iter()
                        .map(|one| simulate(p, std::slice::from_ref(one), proto.as_ref(), share))
                        .collect();
                    merge_outputs(parts, share)
                }
            };
            report
                .strategies
                .push(summarize(proto.as_ref(), p.initial_equity, &out));
            report.trades.extend(out.trades);
            report.equity.push(out.curve);
        }
        Ok(report)
    }
}

pub(crate) fn check_inputs(
    instruments: &[Instrument<'_>],
    strategies: &[Box<dyn Strategy>],
) -> Result<()> {
    if instruments.is_empty() {
        return Err(BacktestError::InvalidData(
            "no instruments to backtest".into(),
        ));
    }
    if strategies.is_empty() {
        return Err(BacktestError::InvalidData(
            "no strategies to backtest".into(),
        ));
    }
    for (k, ins) in instruments.iter().enumerate() {
        check_name("symbol", ins.symbol)?;
        if instruments[..k].iter().any(|o| o.symbol == ins.symbol) {
            return Err(BacktestError::invalid_param(
                "symbol",
                ins.symbol,
                "appears twice; symbols in one run must be unique",
            ));
        }
        if ins.candles.len() < 2 {
            return Err(BacktestError::InvalidData(format!(
                "{} has {} bars; a backtest needs at least 2",
                ins.symbol,
                ins.candles.len()
            )));
        }
        ins.candles.validate(ins.symbol)?;
    }
    for (k, s) in strategies.iter().enumerate() {
        check_name("strategy name", s.name())?;
        if strategies[..k].iter().any(|o| o.name() == s.name()) {
            return Err(BacktestError::invalid_param(
                "strategy name",
                s.name(),
                "appears twice; rename one with `.named(...)`",
            ));
        }
    }
    Ok(())
}

pub(crate) fn all_timeframes(strategies: &[Box<dyn Strategy>]) -> Vec<i64> {
    let mut tf: Vec<i64> = strategies.iter().flat_map(|s| s.timeframes()).collect();
    tf.sort_unstable();
    tf.dedup();
    tf
}

pub(crate) fn build_frames(candles: &Candles, timeframes: &[i64]) -> Result<Vec<Frame>> {
    timeframes
        .iter()
        .map(|&ms| Frame::build(candles, ms))
        .collect()
}

pub(crate) fn summarize(proto: &dyn Strategy, initial: f64, out: &SimOutput) -> StrategySummary {
    let final_equity = out.curve.equity.last().copied().unwrap_or(initial);
    let wins = out.trades.iter().filter(|t| t.pnl > 0.0).count();
    StrategySummary {
        strategy: proto.name().to_owned(),
        description: proto.describe(),
        initial_equity: initial,
        final_equity,
        total_return: final_equity / initial - 1.0,
        sharpe: sharpe(&out.curve.returns()),
        max_drawdown: max_drawdown(&out.curve.equity),
        trades: out.trades.len(),
        win_rate: if out.trades.is_empty() {
            0.0
        } else {
            wins as f64 / out.trades.len() as f64
        },
        fees: out.fees,
        stop_loss_exits: out
            .exits
            .iter()
            .filter(|e| **e == ExitReason::StopLoss)
            .count(),
        take_profit_exits: out
            .exits
            .iter()
            .filter(|e| **e == ExitReason::TakeProfit)
            .count(),
        exposure: if out.slots == 0 {
            0.0
        } else {
            out.open_slots as f64 / out.slots as f64
        },
    }
}

/// Sum per-symbol sub-accounts into one curve (sub-accounts hold `share`
/// before their first point) and merge their trades by exit time.
fn merge_outputs(parts: Vec<SimOutput>, share: f64) -> SimOutput {
    let mut ts: Vec<i64> = parts
        .iter()
        .flat_map(|p| p.curve.ts.iter().copied())
        .collect();
    ts.sort_unstable();
    ts.dedup();
    let n_sym = parts.len();
    let mut equity = vec![0.0; ts.len()];
    let mut positions = vec![vec![0i8; ts.len()]; n_sym];
    let mut symbols = Vec::with_capacity(n_sym);
    for (s, part) in parts.iter().enumerate() {
        symbols.extend(part.curve.symbols.iter().cloned());
        let c = &part.curve;
        let (mut j, mut last_eq, mut last_pos) = (0usize, share, 0i8);
        for (i, &t) in ts.iter().enumerate() {
            while j < c.ts.len() && c.ts[j] <= t {
                last_eq = c.equity[j];
                last_pos = c.positions[0][j];
                j += 1;
            }
            equity[i] += last_eq;
            positions[s][i] = last_pos;
        }
    }
    let strategy = parts
        .first()
        .map(|p| p.curve.strategy.clone())
        .unwrap_or_default();
    let mut trades: Vec<(usize, Trade, ExitReason)> = Vec::new();
    let mut fees = 0.0;
    let (mut open_slots, mut slots) = (0, 0);
    for (s, part) in parts.into_iter().enumerate() {
        fees += part.fees;
        open_slots += part.open_slots;
        slots += part.slots;
        trades.extend(
            part.trades
                .into_iter()
                .zip(part.exits)
                .map(|(t, e)| (s, t, e)),
        );
    }
    // Stable: equal exit times keep symbol order.
    trades.sort_by_key(|(s, t, _)| (t.exit_time, *s));
    let (trades, exits) = trades.into_iter().map(|(_, t, e)| (t, e)).unzip();
    SimOutput {
        trades,
        exits,
        curve: EquityCurve {
            strategy,
            symbols,
            ts,
            equity,
            positions,
        },
        fees,
        open_slots,
        slots,
    }
}

struct Order {
    target: Position,
    equity: f64,
    regime: u8,
}

struct Book {
    strategy: Box<dyn Strategy>,
    side: Position,
    /// Signed quantity (negative when short).
    units: f64,
    entry_price: f64,
    entry_fee: f64,
    entry_bar: usize,
    entry_ts: i64,
    entry_equity: f64,
    regime: u8,
    stop: f64,
    take: f64,
    pending: Option<Order>,
    /// Side closed by a stop / take-profit; ignored as a target until the
    /// strategy asks for something else.
    blocked: Option<Position>,
    last_close: f64,
}

struct Account<'p> {
    p: &'p BacktestValidParams,
    cash: f64,
    trades: Vec<Trade>,
    exits: Vec<ExitReason>,
    fees: f64,
}

impl Account<'_> {
    fn open(
        &mut self,
        b: &mut Book,
        input: &SymbolInput<'_>,
        bar: usize,
        reference: f64,
        o: &Order,
    ) {
        let Some(side) = o.target.side() else {
            return;
        };
        let budget = self.p.position_fraction * o.equity;
        // A wiped-out account cannot open anything.
        if budget.is_nan() || budget <= 0.0 {
            return;
        }
        let (fee, slip) = (self.p.fee_rate(), self.p.slip_rate());
        let fill = reference * (1.0 + side.sign() * slip);
        let notional = budget / (1.0 + fee);
        let units = side.sign() * notional / fill;
        let entry_fee = notional * fee;
        self.cash -= units * fill + entry_fee;
        self.fees += entry_fee;
        b.side = o.target;
        b.units = units;
        b.entry_price = fill;
        b.entry_fee = entry_fee;
        b.entry_bar = bar;
        b.entry_ts = input.candles.ts[bar];
        b.entry_equity = o.equity;
        b.regime = o.regime;
        let sl = self.p.stop_loss.unwrap_or(f64::NAN);
        let tp = self.p.take_profit.unwrap_or(f64::NAN);
        // NaN levels never compare true: stops off.
        b.stop = fill * (1.0 - side.sign() * sl);
        b.take = fill * (1.0 + side.sign() * tp);
    }

    fn close(
        &mut self,
        b: &mut Book,
        input: &SymbolInput<'_>,
        bar: usize,
        reference: f64,
        reason: ExitReason,
        strategy: &str,
    ) {
        let Some(side) = b.side.side() else {
            return;
        };
        let (fee, slip) = (self.p.fee_rate(), self.p.slip_rate());
        let fill = reference * (1.0 - side.sign() * slip);
        let exit_fee = b.units.abs() * fill * fee;
        self.cash += b.units * fill - exit_fee;
        self.fees += exit_fee;
        let pnl = b.units * (fill - b.entry_price) - b.entry_fee - exit_fee;
        self.trades.push(Trade {
            symbol: input.symbol.to_owned(),
            strategy: strategy.to_owned(),
            regime: b.regime,
            side,
            entry_time: b.entry_ts,
            exit_time: input.candles.ts[bar],
            entry_price: b.entry_price,
            exit_price: fill,
            size: b.units.abs(),
            fees: b.entry_fee + exit_fee,
            pnl,
            pnl_pct: 100.0 * pnl / b.entry_equity,
            bars_held: bar - b.entry_bar,
        });
        self.exits.push(reason);
        if matches!(reason, ExitReason::StopLoss | ExitReason::TakeProfit) {
            b.blocked = Some(b.side);
        }
        b.side = Position::Flat;
        b.units = 0.0;
    }

    /// Stop-loss / take-profit inside bar `i` (see the module docs).
    fn check_stops(&mut self, b: &mut Book, input: &SymbolInput<'_>, i: usize, strategy: &str) {
        let Some(side) = b.side.side() else {
            return;
        };
        let c = input.candles;
        let (o, h, l) = (c.open[i], c.high[i], c.low[i]);
        let gap_possible = b.entry_bar != i;
        let hit = match side {
            Side::Long => {
                if gap_possible && o <= b.stop {
                    Some((o, ExitReason::StopLoss))
                } else if gap_possible && o >= b.take {
                    Some((o, ExitReason::TakeProfit))
                } else if l <= b.stop {
                    Some((b.stop, ExitReason::StopLoss))
                } else if h >= b.take {
                    Some((b.take, ExitReason::TakeProfit))
                } else {
                    None
                }
            }
            Side::Short => {
                if gap_possible && o >= b.stop {
                    Some((o, ExitReason::StopLoss))
                } else if gap_possible && o <= b.take {
                    Some((o, ExitReason::TakeProfit))
                } else if h >= b.stop {
                    Some((b.stop, ExitReason::StopLoss))
                } else if l <= b.take {
                    Some((b.take, ExitReason::TakeProfit))
                } else {
                    None
                }
            }
        };
        if let Some((price, reason)) = hit {
            self.close(b, input, i, price, reason, strategy);
        }
    }
}

/// Simulate one strategy (a fresh clone per symbol) on one account.
pub(crate) fn simulate(
    p: &BacktestValidParams,
    inputs: &[SymbolInput<'_>],
    proto: &dyn Strategy,
    initial_equity: f64,
) -> SimOutput {
    let name = proto.name().to_owned();
    let mut books: Vec<Book> = inputs
        .iter()
        .map(|_| Book {
            strategy: proto.clone_box(),
            side: Position::Flat,
            units: 0.0,
            entry_price: f64::NAN,
            entry_fee: 0.0,
            entry_bar: 0,
            entry_ts: 0,
            entry_equity: f64::NAN,
            regime: 0,
            stop: f64::NAN,
            take: f64::NAN,
            pending: None,
            blocked: None,
            last_close: f64::NAN,
        })
        .collect();
    let mut acct = Account {
        p,
        cash: initial_equity,
        trades: Vec::new(),
        exits: Vec::new(),
        fees: 0.0,
    };

    // The union timeline: (ts, symbol, bar), by time then symbol order.
    let mut events: Vec<(i64, usize, usize)> = Vec::new();
    for (s, input) in inputs.iter().enumerate() {
        events.extend(input.candles.ts.iter().enumerate().map(|(i, &t)| (t, s, i)));
    }
    events.sort_unstable();
    let curve_start = inputs
        .iter()
        .filter(|x| x.trade_from < x.candles.len())
        .map(|x| x.candles.ts[x.trade_from])
        .min()
        .unwrap_or(i64::MAX);

    let n_sym = inputs.len();
    let mut curve = EquityCurve {
        strategy: name.clone(),
        symbols: inputs.iter().map(|x| x.symbol.to_owned()).collect(),
        ts: Vec::new(),
        equity: Vec::new(),
        positions: vec![Vec::new(); n_sym],
    };
    let (mut open_slots, mut slots) = (0usize, 0usize);

    let mut g = 0usize;
    while g < events.len() {
        let ts = events[g].0;
        let mut h = g;
        while h < events.len() && events[h].0 == ts {
            h += 1;
        }
        let group = &events[g..h];

        // 1-2. Fills at the open, then stops inside the bar.
        for &(_, s, i) in group {
            let input = &inputs[s];
            let b = &mut books[s];
            let c = input.candles;
            b.last_close = c.close[i];
            if let Some(o) = b.pending.take() {
                if !b.side.is_flat() && o.target != b.side {
                    acct.close(b, input, i, c.open[i], ExitReason::Signal, &name);
                }
                if b.side.is_flat() && !o.target.is_flat() {
                    acct.open(b, input, i, c.open[i], &o);
                }
            }
            acct.check_stops(b, input, i, &name);
            if i + 1 == c.len() && p.close_at_end && !b.side.is_flat() {
                acct.close(b, input, i, c.close[i], ExitReason::End, &name);
            }
        }

        // 3a. Mark to market at the close.
        let equity = acct.cash
            + books
                .iter()
                .filter(|b| b.units != 0.0)
                .map(|b| b.units * b.last_close)
                .sum::<f64>();
        if ts >= curve_start {
            curve.ts.push(ts);
            curve.equity.push(equity);
            for (s, b) in books.iter().enumerate() {
                curve.positions[s].push(b.side.sign());
            }
            for &(_, s, _) in group {
                slots += 1;
                open_slots += usize::from(!books[s].side.is_flat());
            }
        }

        // 3b. Decisions at the close, filled at the next open.
        for &(_, s, i) in group {
            let input = &inputs[s];
            let b = &mut books[s];
            if i < input.call_from || i + 1 >= input.candles.len() {
                continue;
            }
            let view = BarView::build(input.symbol, input.candles, i, b.side, input.frames);
            let target = b.strategy.on_bar(&view);
            if i < input.trade_from {
                continue;
            }
            if let Some(blocked) = b.blocked {
                if target == blocked {
                    continue;
                }
                b.blocked = None;
            }
            if target != b.side {
                let regime = if target.is_flat() {
                    b.regime
                } else {
                    input.regime.label(&view)
                };
                b.pending = Some(Order {
                    target,
                    equity,
                    regime,
                });
            }
        }
        g = h;
    }

    SimOutput {
        trades: acct.trades,
        exits: acct.exits,
        curve,
        fees: acct.fees,
        open_slots,
        slots,
    }
}

//! The look-ahead probe: decisions up to bar t must not change when every
//! bar after t is replaced by garbage. Run for every shipped strategy, the
//! agent-driven ones with stand-in agents, a multi-timeframe strategy, and
//! the simulator as a whole.

mod common;

use agent_core::SplitMix64;
use backtest::{
    Backtest, BacktestParams, BuyHold, DonchianBreakout, Instrument, LstmStrategy, Momentum,
    OuMeanReversion, RsiReversal, SmaCross, Strategy, ZScoreReversion, target_positions_mtf,
};
use common::*;
use market::Candles;

/// Bars after `t` replaced by valid but wild candles (timestamps kept).
fn poisoned(c: &Candles, t: usize, seed: u64) -> Candles {
    let mut g = c.clone();
    let mut rng = SplitMix64::new(seed);
    for i in t + 1..g.len() {
        let base = 1.0 + 1e5 * rng.next_f64();
        let (o, cl) = (base * (0.5 + rng.next_f64()), base * (0.5 + rng.next_f64()));
        g.open[i] = o;
        g.close[i] = cl;
        g.high[i] = o.max(cl) * (1.0 + rng.next_f64());
        g.low[i] = o.min(cl) * (0.2 + 0.8 * rng.next_f64());
        g.volume[i] = 1e6 * rng.next_f64();
    }
    g
}

fn all_strategies() -> Vec<Box<dyn Strategy>> {
    vec![
        Box::new(BuyHold::new()),
        Box::new(SmaCross::default()),
        Box::new(SmaCross::ema(12, 26).unwrap().long_only()),
        // 4h averages on 1h bars: only completed 4h bars may count.
        Box::new(
            SmaCross::new(3, 8)
                .unwrap()
                .on_timeframe(4 * HOUR)
                .unwrap()
                .named("sma_cross_4h")
                .unwrap(),
        ),
        Box::new(DonchianBreakout::default()),
        Box::new(DonchianBreakout::new(30).unwrap().exit_window(10).unwrap()),
        Box::new(RsiReversal::default()),
        Box::new(ZScoreReversion::default()),
        Box::new(Momentum::new(24, 0.01).unwrap()),
        Box::new(OuMeanReversion::new(ZScorer(100), 1.5, 0.2).unwrap()),
        Box::new(LstmStrategy::new(MeanPredictor { seq: 16, calls: 0 }, 0.05).unwrap()),
    ]
}

#[test]
fn no_strategy_decision_depends_on_future_bars() {
    let c = synthetic(21, 900);
    // Cut points in the middle of 4h buckets and at bucket ends.
    let cuts = [80, 150, 301, 302, 303, 450, 677, 800];
    for s in all_strategies() {
        let clean = target_positions_mtf(s.as_ref(), &c, 0).unwrap();
        assert!(
            clean.iter().any(|p| !p.is_flat()),
            "{} never takes a position: the probe would prove nothing",
            s.describe()
        );
        for (k, &t) in cuts.iter().enumerate() {
            let dirty = target_positions_mtf(s.as_ref(), &poisoned(&c, t, k as u64), 0).unwrap();
            assert_eq!(
                clean[..=t],
                dirty[..=t],
                "{} changed a decision at or before bar {t} when bars after it changed",
                s.describe()
            );
        }
    }
}

#[test]
fn probe_detects_a_strategy_that_peeks_at_the_next_bar() {
    // A deliberately leaky rule, wired around the view: proves the probe bites.
    #[derive(Clone)]
    struct Peek(Candles);
    impl Strategy for Peek {
        fn name(&self) -> &str {
            "peek"
        }
        fn on_bar(&mut self, v: &backtest::BarView<'_>) -> backtest::Position {
            let t = v.t();
            match self.0.close.get(t + 1) {
                Some(&n) if n > v.last_close() => backtest::Position::Long,
                _ => backtest::Position::Short,
            }
        }
    }
    let c = synthetic(22, 300);
    let a = target_positions_mtf(&Peek(c.clone()), &c, 0).unwrap();
    // The leak shows at bar t itself, whenever the garbage close lands on
    // the other side of the current close; over 50 cuts it must show.
    let caught = (100..150)
        .filter(|&t| {
            let dirty = poisoned(&c, t, t as u64);
            let b = target_positions_mtf(&Peek(dirty.clone()), &dirty, 0).unwrap();
            a[..=t] != b[..=t]
        })
        .count();
    assert!(
        caught > 0,
        "the probe never noticed a strategy reading bar t+1"
    );
}

#[test]
fn simulator_trades_and_equity_up_to_bar_t_ignore_later_bars() {
    let c = synthetic(23, 1_500);
    // Regime cut points come from the first 20% of bars, before every cut.
    let p = BacktestParams::new()
        .regime_train_fraction(0.2)
        .stop_loss(Some(0.02))
        .take_profit(Some(0.05));
    let bt = Backtest::new(p).unwrap();
    for (k, &t) in [400usize, 777, 1_200].iter().enumerate() {
        let dirty = poisoned(&c, t, 100 + k as u64);
        let a = bt
            .run(&[Instrument::new("S", &c)], &all_strategies())
            .unwrap();
        let b = bt
            .run(&[Instrument::new("S", &dirty)], &all_strategies())
            .unwrap();
        let cutoff = c.ts[t];
        let done = |r: &backtest::BacktestReport| -> Vec<backtest::Trade> {
            r.trades
                .iter()
                .filter(|x| x.exit_time <= cutoff)
                .cloned()
                .collect()
        };
        assert!(!done(&a).is_empty());
        assert_eq!(done(&a), done(&b), "a trade closed by bar {t} changed");
        for (ea, eb) in a.equity.iter().zip(&b.equity) {
            let upto = ea.ts.iter().filter(|&&x| x <= cutoff).count();
            assert_eq!(ea.equity[..upto], eb.equity[..upto], "{}", ea.strategy);
            assert_eq!(ea.positions[0][..upto], eb.positions[0][..upto]);
        }
    }
}

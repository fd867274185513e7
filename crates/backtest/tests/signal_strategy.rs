//! The signal bot (feature `signal`): no decision depends on a later bar,
//! and a model trained on a trending synthetic market trades.
#![cfg(feature = "signal")]

mod common;

use agent_core::{ParamGuard, SplitMix64};
use backtest::agents::SignalStrategy;
use backtest::{Backtest, BacktestParams, Instrument, Position, Strategy, target_positions};
use common::synthetic;
use market::Candles;
use signal::{LabelSpec, LogisticParams, SignalModel};

/// A model fit on the first `train` bars of `c` (next-bar direction).
fn model(c: &Candles, train: usize) -> SignalModel {
    let head = c.slice(0..train);
    let ld = signal::candles::t0_labeled(&head, &LabelSpec::new(1, 0.0).unwrap()).unwrap();
    let p = LogisticParams::new().c(1.0).check().unwrap();
    SignalModel::fit_fixed(&p, &ld.dataset).unwrap()
}

fn poisoned(c: &Candles, t: usize, seed: u64) -> Candles {
    let mut g = c.clone();
    let mut rng = SplitMix64::new(seed);
    for i in t + 1..g.len() {
        let base = 1.0 + 1e4 * rng.next_f64();
        let (o, cl) = (base * (0.5 + rng.next_f64()), base * (0.5 + rng.next_f64()));
        g.open[i] = o;
        g.close[i] = cl;
        g.high[i] = o.max(cl) * (1.0 + rng.next_f64());
        g.low[i] = o.min(cl) * (0.2 + 0.8 * rng.next_f64());
        g.volume[i] = 1e6 * rng.next_f64();
    }
    g
}

#[test]
fn signal_decisions_never_depend_on_later_bars() {
    let c = synthetic(31, 1400);
    let m = model(&c, 800);
    let s = SignalStrategy::new(m, 0.5).unwrap();
    let base = target_positions(&s, &c, 0);
    assert!(
        base[..73].iter().all(|&p| p == Position::Flat),
        "flat in warm-up"
    );
    for (k, t) in [100, 400, 799, 1100].into_iter().enumerate() {
        let g = poisoned(&c, t, 7 + k as u64);
        let other = target_positions(&s, &g, 0);
        assert_eq!(base[..=t], other[..=t], "a decision up to bar {t} changed");
        assert_ne!(
            base[t + 1..],
            other[t + 1..],
            "the poison reached the bars after {t}"
        );
    }
}

#[test]
fn a_model_trained_on_a_trending_market_trades() {
    let c = synthetic(5, 2000);
    let s: Box<dyn Strategy> = Box::new(SignalStrategy::new(model(&c, 1200), 0.5).unwrap());
    let pos = target_positions(s.as_ref(), &c, 0);
    let longs = pos.iter().filter(|&&p| p == Position::Long).count();
    assert!(
        longs > 0 && longs < pos.len() - 73,
        "{longs} long bars of {}",
        pos.len()
    );
    assert!(pos.iter().all(|&p| p != Position::Short), "long-only");
    let report = Backtest::new(BacktestParams::new().fee_bps(10.0))
        .unwrap()
        .run(&[Instrument::new("SYN", &c)], &[s])
        .unwrap();
    assert!(!report.trades.is_empty());
    assert!(SignalStrategy::new(model(&c, 1200), 1.0).is_err());
}

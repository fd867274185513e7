//! The agent hooks: stand-in agents drive the OU and LSTM strategies
//! through the simulator, and the LSTM features equal the T0 columns.

mod common;

use backtest::{
    Backtest, Instrument, LstmStrategy, OuMeanReversion, Position, SequencePredictor, Strategy,
    target_positions,
};
use common::*;

#[test]
fn ou_strategy_enters_on_large_scores_and_exits_near_equilibrium() {
    let c = synthetic(41, 3_000);
    let s = OuMeanReversion::new(ZScorer(100), 2.0, 0.5).unwrap();
    let pos = target_positions(&s, &c, 99);
    let x: Vec<f64> = c.close.iter().map(|v| v.ln()).collect();
    let z = |t: usize| {
        use backtest::MeanReversionScorer;
        ZScorer(100).score(&x[t - 99..=t]).unwrap().0
    };
    let mut entries = 0;
    for t in 100..c.len() {
        match (pos[t - 1], pos[t]) {
            (Position::Flat, Position::Long) => {
                entries += 1;
                assert!(z(t) <= -2.0);
            }
            (Position::Flat, Position::Short) => {
                entries += 1;
                assert!(z(t) >= 2.0);
            }
            (Position::Long | Position::Short, Position::Flat) => assert!(z(t).abs() <= 0.5),
            _ => {}
        }
    }
    assert!(entries > 5, "only {entries} entries");
    let r = Backtest::default()
        .run(
            &[Instrument::new("S", &c)],
            &[Box::new(s) as Box<dyn Strategy>],
        )
        .unwrap();
    assert!(!r.trades.is_empty());
    assert!(r.trades.iter().all(|t| t.strategy == "ou_mean_rev"));
}

/// Records every input sequence it is given.
#[derive(Clone)]
struct Recorder {
    seq: usize,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Vec<f64>>>>,
}
impl SequencePredictor for Recorder {
    fn seq_len(&self) -> usize {
        self.seq
    }
    fn predict_next(&mut self, f: &[f64]) -> f64 {
        self.seen.lock().unwrap().push(f.to_vec());
        f[f.len() - 5] // last step's lr_1
    }
}

#[test]
fn lstm_inputs_are_the_t0_feature_columns_of_the_last_steps() {
    let c = synthetic(42, 400);
    let rec = Recorder {
        seq: 8,
        seen: Default::default(),
    };
    let s = LstmStrategy::new(rec.clone(), 0.0).unwrap();
    let pos = target_positions(&s, &c, 0);
    let seen = rec.seen.lock().unwrap();
    // First call once vol_24 exists for all 8 steps: bar 24 + 8 - 1.
    assert_eq!(seen.len(), c.len() - 31);
    let m = market::feature_matrix(&c);
    // FEATURES columns of lr_1, vol_24, rsi_14, zscore_20, vol_z_20.
    let cols = [0, 6, 8, 9, 10];
    for (k, input) in seen.iter().enumerate() {
        let t = 31 + k;
        for step in 0..8 {
            let bar = t + 1 - 8 + step;
            for (j, &col) in cols.iter().enumerate() {
                assert_eq!(
                    input[step * 5 + j].to_bits(),
                    m[[bar, col]].to_bits(),
                    "bar {bar} col {col}"
                );
            }
        }
        let want = if m[[t, 0]] > 0.0 {
            Position::Long
        } else if m[[t, 0]] < 0.0 {
            Position::Short
        } else {
            Position::Flat
        };
        assert_eq!(pos[t], want);
    }
}

#[test]
fn lstm_strategy_runs_in_the_simulator_with_a_stateful_predictor() {
    let c = synthetic(43, 2_000);
    let s = LstmStrategy::new(MeanPredictor { seq: 16, calls: 0 }, 0.05)
        .unwrap()
        .long_only();
    let r = Backtest::default()
        .run(
            &[Instrument::new("S", &c)],
            &[Box::new(s) as Box<dyn Strategy>],
        )
        .unwrap();
    assert!(!r.trades.is_empty());
    assert!(r.trades.iter().all(|t| t.side == backtest::Side::Long));
}

//! The agent-driven parts with real agents plugged in: the mean-reversion
//! bot on the `ou-mean` scorer, the LSTM bot on an `lstm` model and the
//! regime agent labelling trades (the features are on in the workspace
//! build).
#![cfg(all(feature = "ou-mean", feature = "lstm", feature = "regime"))]

use agent_core::{ParamGuard, SplitMix64};
use backtest::agents::{LstmPredictor, OuScorer, RegimeAgentLabeler};
use backtest::{Backtest, BacktestParams, Instrument, spec_t2_strategies};
use backtest::{LSTM_FEATURES, Position, Strategy, target_positions};
use lstm::{Dims, ImportSpec, LstmModel, LstmWeights};
use market::Candles;
use ou_mean::MeanReversionParams;

/// Hourly candles whose log close is an OU process around ln(100).
fn ou_candles(n: usize, theta: f64, sigma: f64, seed: u64) -> Candles {
    let mut rng = SplitMix64::new(seed);
    let mut c = Candles::with_capacity(n);
    let mu = 100f64.ln();
    let mut x = mu;
    for i in 0..n {
        x += theta * (mu - x) + sigma * rng.next_normal();
        let p = x.exp();
        c.push(i as i64 * 3_600_000, p, p * 1.001, p * 0.999, p, 10.0);
    }
    c
}

fn ou_params(refit_every: usize) -> ou_mean::MeanReversionValidParams {
    MeanReversionParams::new()
        .window(200)
        .refit_every(refit_every)
        .check()
        .unwrap()
}

#[test]
fn ou_bot_trades_against_the_deviation_of_a_mean_reverting_series() {
    let c = ou_candles(900, 0.1, 0.01, 7);
    let params = ou_params(1);
    let strat = OuScorer::new(params.clone())
        .unwrap()
        .into_strategy()
        .unwrap();
    let pos = target_positions(&strat, &c, 0);
    let mu = 100f64.ln();
    let (mut long, mut short) = (0, 0);
    for (t, p) in pos.iter().enumerate() {
        // An entry bar is on the side that profits from reversion.
        let entered = t > 0 && pos[t - 1] == Position::Flat && *p != Position::Flat;
        if entered {
            let x = c.close[t].ln();
            match p {
                Position::Long => {
                    assert!(x < mu, "long entry above the mean at bar {t}");
                    long += 1
                }
                Position::Short => {
                    assert!(x > mu, "short entry below the mean at bar {t}");
                    short += 1
                }
                Position::Flat => {}
            }
        }
    }
    assert!(long > 0 && short > 0, "long {long} short {short}");
    // Nothing before a full window.
    assert!(
        pos[..params.window - 1]
            .iter()
            .all(|p| *p == Position::Flat)
    );
}

#[test]
fn ou_bot_abstains_on_a_random_walk() {
    // A trending random walk fails the ADF/Hurst gate almost everywhere.
    let mut rng = SplitMix64::new(3);
    let mut c = Candles::with_capacity(700);
    let mut x = 100f64.ln();
    for i in 0..700 {
        x += 0.002 + 0.01 * rng.next_normal();
        let p = x.exp();
        c.push(i as i64 * 3_600_000, p, p, p, p, 1.0);
    }
    let strat = OuScorer::new(ou_params(1))
        .unwrap()
        .into_strategy()
        .unwrap();
    let held = target_positions(&strat, &c, 0)
        .iter()
        .filter(|p| **p != Position::Flat)
        .count();
    assert!(held < 70, "held a position on {held} of 700 bars");
}

#[test]
fn refitting_less_often_keeps_the_same_first_decisions() {
    let c = ou_candles(400, 0.1, 0.01, 9);
    let every = OuScorer::new(ou_params(1))
        .unwrap()
        .into_strategy()
        .unwrap();
    let sparse = OuScorer::new(ou_params(50))
        .unwrap()
        .into_strategy()
        .unwrap();
    let a = target_positions(&every, &c, 0);
    let b = target_positions(&sparse, &c, 0);
    // Both fit the same first window, so the first scored bar agrees.
    assert_eq!(a[199], b[199]);
    assert_eq!(every.name(), "ou_mean_rev");
}

fn lstm_model(names: &[&str]) -> LstmModel {
    let dims = Dims {
        input_size: 5,
        hidden_size: 8,
        num_layers: 1,
        n_outputs: 1,
    };
    let spec = ImportSpec {
        window: 8,
        horizon: 1,
        task: None,
        feature_names: names.iter().map(|s| s.to_string()).collect(),
        scaler: None,
    };
    LstmModel::from_weights(LstmWeights::init(dims, 5).unwrap(), spec).unwrap()
}

#[test]
fn lstm_bot_runs_a_model_and_rejects_one_on_other_features() {
    let c = ou_candles(300, 0.05, 0.01, 1);
    let strat = LstmPredictor::new(lstm_model(&LSTM_FEATURES))
        .unwrap()
        .into_strategy(0.0)
        .unwrap();
    let pos = target_positions(&strat, &c, 0);
    assert_eq!(pos.len(), c.len());
    // With threshold 0 every forecast after the warm-up takes a side.
    assert!(pos.iter().skip(40).all(|p| *p != Position::Flat));
    let err = LstmPredictor::new(lstm_model(&["a", "b", "c", "d", "e"])).unwrap_err();
    assert!(err.to_string().contains("lstm"), "{err}");
}

#[test]
fn the_regime_agent_labels_trades_after_training_on_the_training_span_only() {
    let c = market::SyntheticMarket::new()
        .seed(12)
        .bars(3_000)
        .generate()
        .unwrap()
        .candles;
    let params = regime::RegimeModel::params()
        .num_leaves(vec![7])
        .n_estimators(vec![30])
        .check()
        .unwrap();
    let labeler = RegimeAgentLabeler::train_per_symbol(params);
    let bt = Backtest::new(BacktestParams::new()).unwrap();
    let report = bt
        .run_with_labeler(
            &[Instrument::new("SYNTH", &c)],
            &spec_t2_strategies(),
            &labeler,
        )
        .unwrap();
    assert_eq!(report.regime_labeler, "regime_agent");
    assert!(!report.trades.is_empty());
    assert!(report.trades.iter().all(|t| t.regime <= 2));
    // A regime-switching market shows more than one regime at entry.
    let mut seen = [false; 3];
    for t in &report.trades {
        seen[t.regime as usize] = true;
    }
    assert!(seen.iter().filter(|s| **s).count() >= 2, "{seen:?}");
    // Deterministic: the same run labels the same way.
    let again = bt
        .run_with_labeler(
            &[Instrument::new("SYNTH", &c)],
            &spec_t2_strategies(),
            &labeler,
        )
        .unwrap();
    let regimes =
        |r: &backtest::BacktestReport| r.trades.iter().map(|t| t.regime).collect::<Vec<_>>();
    assert_eq!(regimes(&report), regimes(&again));
}

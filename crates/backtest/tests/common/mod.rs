//! Shared test helpers: scripted strategies, trivial labellers, candles.
#![allow(dead_code)]

use backtest::{
    BarView, FittedRegime, MeanReversionScorer, Position, RegimeLabeler, Result, SequencePredictor,
    Side, Strategy,
};
use market::{Candles, SyntheticMarket};

pub const HOUR: i64 = 3_600_000;
pub const T0: i64 = 1_672_531_200_000; // 2023-01-01T00:00:00Z

/// Candles from (open, high, low, close) rows, hourly from 2023-01-01.
pub fn bars(rows: &[(f64, f64, f64, f64)]) -> Candles {
    let mut c = Candles::default();
    for (i, &(o, h, l, cl)) in rows.iter().enumerate() {
        c.push(T0 + i as i64 * HOUR, o, h, l, cl, 1.0);
    }
    c
}

pub fn synthetic(seed: u64, n: usize) -> Candles {
    SyntheticMarket::new()
        .seed(seed)
        .bars(n)
        .generate()
        .unwrap()
        .candles
}

/// Returns `targets[t]` at bar t (flat past the end).
#[derive(Clone, Debug)]
pub struct Script {
    pub name: String,
    pub targets: Vec<Position>,
}

impl Script {
    pub fn new(name: &str, targets: &[i8]) -> Self {
        Self {
            name: name.into(),
            targets: targets
                .iter()
                .map(|s| match s {
                    1 => Position::Long,
                    -1 => Position::Short,
                    _ => Position::Flat,
                })
                .collect(),
        }
    }
}

impl Strategy for Script {
    fn name(&self) -> &str {
        &self.name
    }
    fn on_bar(&mut self, view: &BarView<'_>) -> Position {
        self.targets
            .get(view.t())
            .copied()
            .unwrap_or(Position::Flat)
    }
}

/// Every bar is regime 0; needs no history.
pub struct ZeroRegime;
struct ZeroFitted;
impl FittedRegime for ZeroFitted {
    fn label(&self, _view: &BarView<'_>) -> u8 {
        0
    }
}
impl RegimeLabeler for ZeroRegime {
    fn name(&self) -> &str {
        "zero"
    }
    fn min_history(&self) -> usize {
        0
    }
    fn fit(&self, _train: &Candles) -> Result<Box<dyn FittedRegime>> {
        Ok(Box::new(ZeroFitted))
    }
}

/// A stand-in for the OU agent: z-score of the last log price against the
/// window, long below -z, short above.
#[derive(Clone, Debug)]
pub struct ZScorer(pub usize);
impl MeanReversionScorer for ZScorer {
    fn lookback(&self) -> usize {
        self.0
    }
    fn score(&self, x: &[f64]) -> Option<(f64, Side)> {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let s = (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)).sqrt();
        if s == 0.0 {
            return None;
        }
        let z = (x[x.len() - 1] - m) / s;
        Some((z, if z < 0.0 { Side::Long } else { Side::Short }))
    }
}

/// A stand-in for the LSTM agent: predicts the mean of the last steps'
/// `lr_1` (percent), counting its calls (state, as a network would keep).
#[derive(Clone, Debug)]
pub struct MeanPredictor {
    pub seq: usize,
    pub calls: usize,
}
impl SequencePredictor for MeanPredictor {
    fn seq_len(&self) -> usize {
        self.seq
    }
    fn predict_next(&mut self, f: &[f64]) -> f64 {
        assert_eq!(f.len(), 5 * self.seq);
        assert!(f.iter().all(|v| v.is_finite()), "features must be defined");
        self.calls += 1;
        100.0 * f.chunks(5).map(|r| r[0]).sum::<f64>() / self.seq as f64
    }
}

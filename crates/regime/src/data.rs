//! Training data for the regime classifier: candle features (the T0 set of
//! the `market` crate), the forward realised volatility the labels come
//! from, and a chronological train/test split, for one pair or several.
//!
//! Labels are volatility terciles (SPEC T0 rule, `<=` at the cut points)
//! with cut points taken from the training rows only; rows whose forward
//! window runs past the data are never labelled (they are dropped, not
//! silently made class 0 as in the original).

use crate::error::{RegimeError, Result};
use agent_core::CoreError;
use market::features::{WARMUP_BARS, log_returns, quantile_linear, rolling_std1};
use market::{Candles, FEATURES, FeatureTable, feature_matrix};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Label names, in class order.
pub const LABELS: [&str; 3] = ["low", "medium", "high"];

/// Tercile cut points of the forward volatility.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CutPoints {
    /// numpy-linear 1/3 quantile of the training rows' forward volatility.
    pub q1: f64,
    /// numpy-linear 2/3 quantile.
    pub q2: f64,
}

impl CutPoints {
    /// Cut points from training values (finite, at least one).
    pub fn from_train(values: &[f64]) -> Result<Self> {
        if values.is_empty() {
            return Err(RegimeError::NotEnoughData(
                "cut points need at least one training row".into(),
            ));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(CoreError::InvalidData(format!(
                "forward volatility of training row {i} is not finite"
            ))
            .into());
        }
        Ok(Self {
            q1: quantile_linear(values, 1.0 / 3.0),
            q2: quantile_linear(values, 2.0 / 3.0),
        })
    }

    /// 0 (low) if `v <= q1`, 1 (medium) if `v <= q2`, else 2 (high).
    pub fn label(&self, v: f64) -> u8 {
        market::features::tercile_label(v, self.q1, self.q2)
    }
}

/// Rows of one or more pairs in time order, with forward volatility.
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeData {
    feature_names: Vec<String>,
    /// n x f, rows in time order.
    x: Array2<f64>,
    /// Sample std of the next `horizon` 1-bar log returns, per row.
    fwd_vol: Vec<f64>,
    /// Pair index of each row.
    pair: Vec<usize>,
    pairs: Vec<String>,
    timestamp: Vec<i64>,
    /// Rows `0..n_train` are the training period.
    n_train: usize,
    horizon: usize,
}

/// Move a row cut forward so rows sharing a timestamp stay on one side.
fn align_to_timestamp(ts: &[i64], mut cut: usize) -> usize {
    while cut > 0 && cut < ts.len() && ts[cut] == ts[cut - 1] {
        cut += 1;
    }
    cut
}

impl RegimeData {
    /// Build from parts. Rows must be in time order (non-decreasing
    /// timestamps); features finite; `n_train` rows form the training period.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        feature_names: Vec<String>,
        x: Array2<f64>,
        fwd_vol: Vec<f64>,
        pair: Vec<usize>,
        pairs: Vec<String>,
        timestamp: Vec<i64>,
        n_train: usize,
        horizon: usize,
    ) -> Result<Self> {
        let n = x.nrows();
        if feature_names.len() != x.ncols() {
            return Err(CoreError::Shape {
                what: "feature_names",
                expected: x.ncols().to_string(),
                got: feature_names.len().to_string(),
            }
            .into());
        }
        for (what, len) in [
            ("fwd_vol", fwd_vol.len()),
            ("pair", pair.len()),
            ("timestamp", timestamp.len()),
        ] {
            if len != n {
                return Err(CoreError::Shape {
                    what,
                    expected: n.to_string(),
                    got: len.to_string(),
                }
                .into());
            }
        }
        if n_train == 0 || n_train >= n {
            return Err(RegimeError::NotEnoughData(format!(
                "{n} rows with {n_train} training rows: both periods need rows"
            )));
        }
        if let Some(&p) = pair.iter().find(|&&p| p >= pairs.len()) {
            return Err(
                CoreError::InvalidData(format!("pair index {p} without a pair name")).into(),
            );
        }
        if let Some(i) = timestamp.windows(2).position(|w| w[1] < w[0]) {
            return Err(CoreError::InvalidData(format!(
                "rows must be in time order; row {} ({}) follows {}",
                i + 1,
                timestamp[i + 1],
                timestamp[i]
            ))
            .into());
        }
        if let Some(((i, j), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(CoreError::InvalidData(format!(
                "feature `{}` of row {i} is not finite ({v})",
                feature_names[j]
            ))
            .into());
        }
        if let Some(i) = fwd_vol.iter().position(|v| !v.is_finite()) {
            return Err(CoreError::InvalidData(format!(
                "forward volatility of row {i} is not finite"
            ))
            .into());
        }
        Ok(Self {
            feature_names,
            x,
            fwd_vol,
            pair,
            pairs,
            timestamp,
            n_train,
            horizon,
        })
    }

    /// SPEC T0's table of one pair: its 12 features, `fwd_vol_24`, and its
    /// train split (`n_train`).
    pub fn from_feature_table(t: &FeatureTable, symbol: &str) -> Result<Self> {
        Self::new(
            t.feature_names(),
            t.features.clone(),
            t.fwd_vol_24.clone(),
            vec![0; t.len()],
            vec![symbol.to_string()],
            t.timestamp.clone(),
            t.n_train,
            market::features::HORIZON_BARS,
        )
    }

    /// Features and forward volatility over `horizon` bars from the candles
    /// of each pair (rows `t = 72 ..= N-1-horizon` per pair), merged in
    /// time order. The first `floor(train_fraction * n)` rows, moved to a
    /// timestamp boundary, are the training period (a common calendar cut
    /// for all pairs, so no pair trains on another's test period).
    pub fn from_candles(
        pairs: &[(&str, &Candles)],
        horizon: usize,
        train_fraction: f64,
    ) -> Result<Self> {
        if pairs.is_empty() {
            return Err(RegimeError::NotEnoughData("no pairs given".into()));
        }
        if horizon < 2 {
            return Err(CoreError::invalid_param(
                "horizon",
                horizon,
                "needs at least 2 bars for a sample std",
            )
            .into());
        }
        if !(train_fraction > 0.0 && train_fraction < 1.0) {
            return Err(CoreError::invalid_param(
                "train_fraction",
                train_fraction,
                "must be in (0, 1)",
            )
            .into());
        }
        // (timestamp, pair, features row, fwd vol)
        let mut rows: Vec<(i64, usize, Vec<f64>, f64)> = Vec::new();
        for (p, (name, c)) in pairs.iter().enumerate() {
            let need = WARMUP_BARS + horizon + 1;
            if c.len() < need {
                return Err(RegimeError::NotEnoughData(format!(
                    "pair `{name}` has {} bars, needs at least {need}",
                    c.len()
                )));
            }
            c.validate(name)?;
            let fm = feature_matrix(c);
            let vol = rolling_std1(&log_returns(&c.close), horizon);
            for t in WARMUP_BARS..c.len() - horizon {
                rows.push((c.ts[t], p, fm.row(t).to_vec(), vol[t + horizon]));
            }
        }
        rows.sort_by_key(|r| (r.0, r.1));
        let n = rows.len();
        let nf = FEATURES.len();
        let mut x = Array2::zeros((n, nf));
        for (i, r) in rows.iter().enumerate() {
            for (j, v) in r.2.iter().enumerate() {
                x[[i, j]] = *v;
            }
        }
        let ts: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let n_train = align_to_timestamp(&ts, (train_fraction * n as f64).floor() as usize);
        Self::new(
            FEATURES.iter().map(|s| s.to_string()).collect(),
            x,
            rows.iter().map(|r| r.3).collect(),
            rows.iter().map(|r| r.1).collect(),
            pairs.iter().map(|(n, _)| n.to_string()).collect(),
            ts,
            n_train,
            horizon,
        )
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// n x f features.
    pub fn features(&self) -> &Array2<f64> {
        &self.x
    }

    pub fn fwd_vol(&self) -> &[f64] {
        &self.fwd_vol
    }

    pub fn pair(&self) -> &[usize] {
        &self.pair
    }

    pub fn pairs(&self) -> &[String] {
        &self.pairs
    }

    pub fn timestamp(&self) -> &[i64] {
        &self.timestamp
    }

    pub fn n_rows(&self) -> usize {
        self.fwd_vol.len()
    }

    pub fn n_train(&self) -> usize {
        self.n_train
    }

    /// Bars the forward volatility (label) looks ahead.
    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// Median forward volatility of each pair over the training rows (NaN
    /// for a pair without training rows).
    pub fn pair_train_median_vol(&self) -> Vec<f64> {
        self.pair_median_vol(&(0..self.n_train).collect::<Vec<_>>())
    }

    /// Median forward volatility of each pair over `rows` (NaN for a pair
    /// without rows there).
    pub fn pair_median_vol(&self, rows: &[usize]) -> Vec<f64> {
        let mut per: Vec<Vec<f64>> = vec![Vec::new(); self.pairs.len()];
        for &i in rows {
            per[self.pair[i]].push(self.fwd_vol[i]);
        }
        per.iter()
            .map(|v| {
                if v.is_empty() {
                    f64::NAN
                } else {
                    quantile_linear(v, 0.5)
                }
            })
            .collect()
    }

    /// Time step (index among the distinct timestamps) of every row.
    pub fn time_steps(&self) -> Vec<i64> {
        let mut step = -1i64;
        let mut steps = Vec::with_capacity(self.timestamp.len());
        for (i, &t) in self.timestamp.iter().enumerate() {
            if i == 0 || t != self.timestamp[i - 1] {
                step += 1;
            }
            steps.push(step);
        }
        steps
    }

    /// When each row's label is complete, as an exclusive time step: one
    /// past the step of the same pair's row `horizon` bars later (the last
    /// bar its forward volatility uses). Rows without such a row get
    /// `i64::MAX` (never kept before a boundary). Rows of a pair are its
    /// consecutive bars, so this holds across pairs with missing bars.
    pub fn label_end_steps(&self) -> Vec<i64> {
        let steps = self.time_steps();
        let mut of_pair: Vec<Vec<usize>> = vec![Vec::new(); self.pairs.len()];
        for (i, &p) in self.pair.iter().enumerate() {
            of_pair[p].push(i);
        }
        let mut end = vec![i64::MAX; self.pair.len()];
        for rows in &of_pair {
            for (k, &i) in rows.iter().enumerate() {
                if let Some(&j) = rows.get(k + self.horizon) {
                    end[i] = steps[j] + 1;
                }
            }
        }
        end
    }

    /// The row where the fit period ends and validation starts:
    /// `floor(fit_fraction * n_train)`, moved to a timestamp boundary.
    pub fn fit_end(&self, fit_fraction: f64) -> usize {
        align_to_timestamp(
            &self.timestamp,
            (fit_fraction * self.n_train as f64).floor() as usize,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_points_use_numpy_linear_quantiles_and_the_le_rule() {
        let c = CutPoints::from_train(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        // numpy.quantile([1,2,3,4], 1/3) = 2.0, 2/3 -> 3.0
        assert!((c.q1 - 2.0).abs() < 1e-12 && (c.q2 - 3.0).abs() < 1e-12);
        assert_eq!(c.label(2.0), 0);
        assert_eq!(c.label(2.5), 1);
        assert_eq!(c.label(3.0), 1);
        assert_eq!(c.label(3.1), 2);
    }

    #[test]
    fn label_ends_follow_each_pairs_own_bars() {
        // Pair 0 has bars at every step 0..6, pair 1 misses step 2.
        let ts = vec![0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5];
        let pair = vec![0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1];
        let n = ts.len();
        let d = RegimeData::new(
            vec!["f".into()],
            Array2::zeros((n, 1)),
            vec![0.0; n],
            pair,
            vec!["A".into(), "B".into()],
            ts,
            6,
            2,
        )
        .unwrap();
        assert_eq!(d.time_steps(), vec![0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5]);
        // Pair 1's row at step 0 ends two of its bars later, at step 3 (+1).
        assert_eq!(d.label_end_steps()[1], 4);
        assert_eq!(d.label_end_steps()[0], 3);
        assert_eq!(d.label_end_steps()[10], i64::MAX);
    }

    #[test]
    fn timestamp_cut_keeps_equal_timestamps_together() {
        assert_eq!(align_to_timestamp(&[1, 2, 2, 3], 2), 3);
        assert_eq!(align_to_timestamp(&[1, 2, 3], 1), 1);
    }
}

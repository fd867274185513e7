//! Direction labels from future returns: `y[t] = 1` iff
//! `ln(close[t + h] / close[t]) > 0` over a configurable horizon `h`.
//!
//! Rows whose future is not observed are **dropped** (the original set them
//! to 0, inventing "down" labels at the end of every series). An optional
//! dead zone drops rows whose move is too small to call (`|ret| < dead_zone`).
//!
//! Labels look `h` bars ahead: the label of row `t` is known only at bar
//! `t + h`, so the `h` rows before any chronological boundary are purged
//! (agent-core's `Purge`): before each cross-validation test block
//! (`SignalParams::label_horizon(h)`) and before the held-out test period
//! ([`purged_train_test`]).

use crate::error::{Result, SignalError};
use agent_core::{Dataset, Purge, PurgedSplit, fraction_cuts, purged_split};
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// How labels are made.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LabelSpec {
    /// Bars ahead (>= 1).
    pub horizon: usize,
    /// Rows with `|forward log return| < dead_zone` are dropped (0: keep all).
    pub dead_zone: f64,
}

impl Default for LabelSpec {
    fn default() -> Self {
        Self {
            horizon: 1,
            dead_zone: 0.0,
        }
    }
}

impl LabelSpec {
    /// Checked spec: `horizon >= 1`, `dead_zone` finite and `>= 0`.
    pub fn new(horizon: usize, dead_zone: f64) -> Result<Self> {
        let s = Self { horizon, dead_zone };
        s.validate()?;
        Ok(s)
    }

    pub fn validate(&self) -> Result<()> {
        if self.horizon == 0 {
            return Err(SignalError::invalid_param("horizon", 0, "must be >= 1 bar"));
        }
        if !(self.dead_zone.is_finite() && self.dead_zone >= 0.0) {
            return Err(SignalError::invalid_param(
                "dead_zone",
                self.dead_zone,
                "must be a finite log return >= 0",
            ));
        }
        Ok(())
    }

    /// The purge this horizon needs at a boundary (plus `embargo` rows).
    pub fn purge(&self, embargo: usize) -> Purge {
        Purge::new(self.horizon).embargo(embargo)
    }
}

/// Labels for the rows of a close series that could be labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardLabels {
    /// Indices `t` into the close series, increasing.
    pub rows: Vec<usize>,
    /// 1.0 (up) or 0.0, per kept row.
    pub labels: Vec<f64>,
    /// `ln(close[t+h] / close[t])` per kept row.
    pub forward_returns: Vec<f64>,
    /// Rows without `h` future bars.
    pub dropped_tail: usize,
    /// Rows inside the dead zone.
    pub dropped_dead_zone: usize,
}

/// Label every bar of `close` that has `spec.horizon` bars after it.
///
/// Errors name the first non-finite or non-positive close.
pub fn forward_return_labels(close: &[f64], spec: &LabelSpec) -> Result<ForwardLabels> {
    spec.validate()?;
    if let Some(i) = close.iter().position(|c| !(c.is_finite() && *c > 0.0)) {
        return Err(SignalError::InvalidData(format!(
            "close[{i}] = {}; prices must be finite and > 0",
            close[i]
        )));
    }
    let h = spec.horizon;
    let labelled = close.len().saturating_sub(h);
    let mut out = ForwardLabels {
        rows: Vec::with_capacity(labelled),
        labels: Vec::with_capacity(labelled),
        forward_returns: Vec::with_capacity(labelled),
        dropped_tail: close.len() - labelled,
        dropped_dead_zone: 0,
    };
    for t in 0..labelled {
        let r = close[t + h].ln() - close[t].ln();
        if spec.dead_zone > 0.0 && r.abs() < spec.dead_zone {
            out.dropped_dead_zone += 1;
            continue;
        }
        out.rows.push(t);
        out.labels.push(if r > 0.0 { 1.0 } else { 0.0 });
        out.forward_returns.push(r);
    }
    Ok(out)
}

/// Chronological train / test split of labelled rows: the last
/// `test_fraction` of the rows (the first `floor((1 - test_fraction) * n)`
/// rows train) are the test period, and `purge.gap()` training rows right
/// before it are dropped so no training label reaches into it.
pub fn purged_train_test(
    data: &Dataset,
    test_fraction: f64,
    purge: Purge,
) -> Result<(Dataset, Dataset, PurgedSplit)> {
    let n = data.n_samples();
    let cuts = fraction_cuts(n, &[1.0 - test_fraction])?;
    let split = purged_split(n, &cuts, purge)?;
    let train = data.slice(split.periods[0].clone())?;
    let test = data.slice(split.periods[1].clone())?;
    Ok((train, test, split))
}

/// A labelled dataset and what was dropped to make it.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledData {
    pub dataset: Dataset,
    /// Original row index of each dataset row.
    pub rows: Vec<usize>,
    pub forward_returns: Vec<f64>,
    pub dropped_tail: usize,
    pub dropped_dead_zone: usize,
    /// Rows with a non-finite feature (indicator warm-up).
    pub dropped_nonfinite: usize,
}

/// Pair feature rows with forward-return labels: row `t` of `features`
/// belongs to `close[t]` (and `timestamps[t]`). Rows without a label, inside
/// the dead zone, or with a non-finite feature are dropped.
pub fn labeled_dataset(
    features: ArrayView2<'_, f64>,
    feature_names: Vec<String>,
    timestamps: Option<&[i64]>,
    close: &[f64],
    spec: &LabelSpec,
) -> Result<LabeledData> {
    let n = features.nrows();
    if close.len() != n {
        return Err(SignalError::InvalidData(format!(
            "{n} feature rows but {} closes; they must be aligned row for row",
            close.len()
        )));
    }
    if let Some(ts) = timestamps
        && ts.len() != n
    {
        return Err(SignalError::InvalidData(format!(
            "{n} feature rows but {} timestamps",
            ts.len()
        )));
    }
    let labels = forward_return_labels(close, spec)?;
    let mut keep = Vec::with_capacity(labels.rows.len());
    let mut dropped_nonfinite = 0;
    for (k, &t) in labels.rows.iter().enumerate() {
        if features.row(t).iter().all(|v| v.is_finite()) {
            keep.push(k);
        } else {
            dropped_nonfinite += 1;
        }
    }
    let d = features.ncols();
    let mut x = Array2::zeros((keep.len(), d));
    for (r, &k) in keep.iter().enumerate() {
        x.row_mut(r).assign(&features.row(labels.rows[k]));
    }
    let y: Array1<f64> = keep.iter().map(|&k| labels.labels[k]).collect();
    let rows: Vec<usize> = keep.iter().map(|&k| labels.rows[k]).collect();
    let mut dataset = Dataset::new(x, y, feature_names)?;
    if let Some(ts) = timestamps {
        dataset = dataset.with_timestamps(rows.iter().map(|&t| ts[t]).collect())?;
    }
    Ok(LabeledData {
        dataset,
        forward_returns: keep.iter().map(|&k| labels.forward_returns[k]).collect(),
        rows,
        dropped_tail: labels.dropped_tail,
        dropped_dead_zone: labels.dropped_dead_zone,
        dropped_nonfinite,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_core::{Fit, ParamGuard, SplitMix64};
    use ndarray::array;

    /// 1000 rows, test from row 800, labels looking `h = 5` rows ahead. The
    /// relation flips at the boundary: before it, `x < 0` is weakly "up";
    /// from it on, `y = [x > 0]` exactly. The five rows before the boundary
    /// have labels made from the rows after it, so they follow the new
    /// relation (with large `x`). A model that trains on them learns the
    /// test relation (AUC near 1); one that does not gets it backwards.
    fn straddling_data(h: usize) -> Dataset {
        let (n, cut) = (1000, 800);
        let mut rng = SplitMix64::new(7);
        let mut u = || rng.next_f64();
        let mut x = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            if i < cut - h {
                let v = 2.0 * u() - 1.0;
                let up = if v < 0.0 { u() < 0.6 } else { u() < 0.4 };
                x.push(v);
                y.push(f64::from(u8::from(up)));
            } else if i < cut {
                let v = if i % 2 == 0 { 40.0 } else { -40.0 };
                x.push(v);
                y.push(f64::from(u8::from(v > 0.0)));
            } else {
                let v = 2.0 * u() - 1.0;
                x.push(v);
                y.push(f64::from(u8::from(v > 0.0)));
            }
        }
        Dataset::new(
            Array2::from_shape_vec((n, 1), x).unwrap(),
            Array1::from(y),
            vec!["x".into()],
        )
        .unwrap()
    }

    fn params(h: usize) -> crate::SignalParams {
        crate::SignalParams::new()
            .cs(vec![1.0])
            .l1_ratios(vec![0.0])
            .n_splits(3)
            .n_threads(1)
            .label_horizon(h)
    }

    #[test]
    fn purged_train_test_excludes_rows_whose_label_reaches_the_test_period() {
        let h = 5;
        let data = straddling_data(h);
        let p = params(h).check().unwrap();
        let (train, test, split) = purged_train_test(&data, 0.2, p.purge()).unwrap();
        assert_eq!(split.periods, vec![0..795, 800..1000]);
        assert_eq!(split.purged_rows, h);
        assert_eq!((train.n_samples(), test.n_samples()), (795, 200));

        // The agent's default path equals a model fit on the no-leak rows only.
        let purged = p.fit(&train).unwrap().evaluate(&test).unwrap().auc;
        let no_leak = params(h)
            .check()
            .unwrap()
            .fit(&data.slice(0..795).unwrap())
            .unwrap()
            .evaluate(&test)
            .unwrap()
            .auc;
        assert_eq!(purged, no_leak);
        assert!(purged < 0.5, "no-leak test AUC {purged}");

        // Unpurged, the straddling rows hand the model the test relation.
        let (leaky_train, leaky_test) = data.split_fraction(0.8).unwrap();
        let leaky = params(0)
            .check()
            .unwrap()
            .fit(&leaky_train)
            .unwrap()
            .evaluate(&leaky_test)
            .unwrap()
            .auc;
        assert!(leaky > 0.9, "leaky test AUC {leaky}");

        // An explicit embargo adds to the horizon and cannot go below it.
        let (_, _, s) =
            purged_train_test(&data, 0.2, params(h).gap(3).check().unwrap().purge()).unwrap();
        assert_eq!(s.periods[0], 0..792);
    }

    #[test]
    fn cv_folds_purge_the_label_horizon_by_default() {
        let h = 5;
        let data = straddling_data(h);
        let m = params(h).check().unwrap().fit(&data).unwrap();
        let r = m.search().unwrap();
        for f in &r.folds {
            assert_eq!(f.test_start - f.train_end, h);
        }
        assert_eq!(m.metrics()["cv_label_horizon"], h as f64);
        assert_eq!(m.metrics()["cv_purged_rows_per_fold"], h as f64);
        // The default configuration purges the default 1-bar horizon.
        let d = crate::SignalParams::new().check().unwrap();
        assert_eq!(d.purge().gap(), 1);
    }

    #[test]
    fn unlabeled_tail_rows_are_dropped_not_set_to_zero() {
        let close = [1.0, 2.0, 1.5, 1.5, 3.0];
        let l = forward_return_labels(&close, &LabelSpec::new(2, 0.0).unwrap()).unwrap();
        assert_eq!(l.rows, vec![0, 1, 2]);
        // 1->1.5 up, 2->1.5 down, 1.5->3 up
        assert_eq!(l.labels, vec![1.0, 0.0, 1.0]);
        assert_eq!(l.dropped_tail, 2);
        assert!((l.forward_returns[0] - 1.5f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn dead_zone_drops_small_moves_including_flat_bars() {
        let close = [100.0, 100.05, 100.05, 101.0];
        let l = forward_return_labels(&close, &LabelSpec::new(1, 1e-3).unwrap()).unwrap();
        assert_eq!(l.rows, vec![2]);
        assert_eq!(l.dropped_dead_zone, 2);
        // Without a dead zone a flat bar is "not up", as SPEC y_dir.
        let l = forward_return_labels(&close, &LabelSpec::default()).unwrap();
        assert_eq!(l.labels, vec![1.0, 0.0, 1.0]);
    }

    #[test]
    fn labeled_dataset_drops_warmup_rows_and_keeps_alignment() {
        let x = array![[f64::NAN], [1.0], [2.0], [3.0]];
        let close = [1.0, 1.0, 2.0, 1.0];
        let ld = labeled_dataset(
            x.view(),
            vec!["f".into()],
            Some(&[10, 20, 30, 40]),
            &close,
            &LabelSpec::default(),
        )
        .unwrap();
        assert_eq!(ld.rows, vec![1, 2]);
        assert_eq!(ld.dropped_nonfinite, 1);
        assert_eq!(ld.dropped_tail, 1);
        assert_eq!(ld.dataset.targets().to_vec(), vec![1.0, 0.0]);
        assert_eq!(ld.dataset.timestamps().unwrap(), &[20, 30]);
        assert_eq!(ld.dataset.features()[[1, 0]], 2.0);
    }

    #[test]
    fn bad_spec_and_prices_are_rejected_with_the_value() {
        assert!(LabelSpec::new(0, 0.0).is_err());
        assert!(LabelSpec::new(1, -1.0).is_err());
        let e = forward_return_labels(&[1.0, 0.0], &LabelSpec::default()).unwrap_err();
        assert!(e.to_string().contains("close[1]"), "{e}");
    }
}

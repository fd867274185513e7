//! Direction labels from future returns: `y[t] = 1` iff
//! `ln(close[t + h] / close[t]) > 0` over a configurable horizon `h`.
//!
//! Rows whose future is not observed are **dropped** (the original set them
//! to 0, inventing "down" labels at the end of every series). An optional
//! dead zone drops rows whose move is too small to call (`|ret| < dead_zone`).
//!
//! Labels look `h` bars ahead, so in cross-validation purge `h - 1` rows
//! before each test block (`SignalParams::gap(h - 1)`).

use crate::error::{Result, SignalError};
use agent_core::Dataset;
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

    /// The purge gap this horizon needs between training and test rows.
    pub fn purge_gap(&self) -> usize {
        self.horizon - 1
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
    use ndarray::array;

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

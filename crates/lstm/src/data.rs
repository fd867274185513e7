//! Sequence samples over a feature matrix, without materialising windows.
//!
//! A [`SequenceDataset`] holds the (standardised, f32) feature rows of
//! consecutive bars once. Sample `s` is the window of rows
//! `s ..= s + window - 1` with the target of its last row; a batch is built
//! by copying just the rows its windows need, in the time-major layout the
//! kernels use. Nothing else is duplicated, so 58k bars x 5 features cost
//! 1.2 MB however long the window.

use crate::error::{LstmError, Result};
use agent_core::{CoreError, Purge, purged_split};
use std::ops::Range;

/// Feature rows of consecutive bars, per-row targets and a window length.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceDataset {
    x: Vec<f32>,
    n_features: usize,
    targets: Vec<f32>,
    window: usize,
}

impl SequenceDataset {
    /// `x` is row-major `n_rows x n_features`; `targets` has one value per
    /// row (it may be NaN where no sample is trained on, e.g. the unlabeled
    /// tail). Features must be finite.
    pub fn new(x: Vec<f32>, n_features: usize, targets: Vec<f32>, window: usize) -> Result<Self> {
        if n_features == 0 || window == 0 {
            return Err(CoreError::InvalidData(format!(
                "a sequence dataset needs n_features >= 1 and window >= 1, got {n_features} and {window}"
            ))
            .into());
        }
        if !x.len().is_multiple_of(n_features) {
            return Err(CoreError::Shape {
                what: "feature matrix",
                expected: format!("a multiple of {n_features} values"),
                got: x.len().to_string(),
            }
            .into());
        }
        let n_rows = x.len() / n_features;
        if targets.len() != n_rows {
            return Err(CoreError::Shape {
                what: "targets",
                expected: format!("{n_rows} (one per row)"),
                got: targets.len().to_string(),
            }
            .into());
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(LstmError::NonFinite(format!(
                "feature row {} column {} is {}",
                i / n_features,
                i % n_features,
                x[i]
            )));
        }
        if n_rows < window {
            return Err(LstmError::TooShort {
                needed: window,
                window,
                got: n_rows,
            });
        }
        Ok(Self {
            x,
            n_features,
            targets,
            window,
        })
    }

    pub fn n_rows(&self) -> usize {
        self.targets.len()
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// Number of windows: `n_rows - window + 1`.
    pub fn n_samples(&self) -> usize {
        self.n_rows() + 1 - self.window
    }

    /// The row whose target sample `s` predicts (its window's last row).
    pub fn end_row(&self, s: usize) -> usize {
        s + self.window - 1
    }

    /// Target of sample `s`.
    ///
    /// # Panics
    /// If `s >= n_samples()`.
    pub fn target(&self, s: usize) -> f32 {
        self.targets[self.end_row(s)]
    }

    /// The feature rows, row-major.
    pub fn features(&self) -> &[f32] {
        &self.x
    }

    /// Copy the windows of `samples` into `out` as `[window, samples.len(),
    /// n_features]` (time-major: step `t` of every sample is contiguous).
    ///
    /// # Panics
    /// If a sample is `>= n_samples()` ([`crate::Trainer`] checks batches first).
    pub fn gather_time_major(&self, samples: &[usize], out: &mut Vec<f32>) {
        let (t_len, b, f) = (self.window, samples.len(), self.n_features);
        out.clear();
        out.reserve(t_len * b * f);
        for t in 0..t_len {
            for &s in samples {
                let r = s + t;
                out.extend_from_slice(&self.x[r * f..(r + 1) * f]);
            }
        }
    }

    /// Copy the windows of `samples` into `out` as `[samples.len(), window,
    /// n_features]` (batch-first, PyTorch's `batch_first=True`).
    ///
    /// # Panics
    /// If a sample is `>= n_samples()`.
    pub fn gather_batch_first(&self, samples: &[usize], out: &mut Vec<f32>) {
        let (t_len, f) = (self.window, self.n_features);
        out.clear();
        out.reserve(t_len * samples.len() * f);
        for &s in samples {
            out.extend_from_slice(&self.x[s * f..(s + t_len) * f]);
        }
    }

    /// Chronological split of samples `0..n` into fit and validation: the
    /// last `floor(val_fraction * n)`-ish samples validate (the cut is at
    /// `floor((1 - val_fraction) * n)`, SPEC T6), and the `purge.gap()` fit
    /// samples before the cut are dropped (agent-core's `purged_split`) so
    /// no fit label looks into the validation period.
    pub fn split(&self, val_fraction: f64, purge: Purge) -> Result<(Range<usize>, Range<usize>)> {
        let n = self.n_samples();
        let n_fit = ((1.0 - val_fraction) * n as f64).floor() as usize;
        let s = purged_split(n, &[n_fit], purge).map_err(|e| {
            CoreError::InvalidData(format!(
                "{n} samples (rows - window + 1) are too few to split into fit and validation \
                 with val_fraction {val_fraction}: {e}"
            ))
        })?;
        Ok((s.periods[0].clone(), s.periods[1].clone()))
    }
}

/// Forward log returns `scale * (ln c[t + horizon] - ln c[t])`, NaN for the
/// last `horizon` bars (they have no label yet). A scale-invariant target:
/// the original trainer regressed raw next prices, which do not transfer
/// across price levels.
pub fn forward_log_returns(close: &[f64], horizon: usize, scale: f64) -> Result<Vec<f64>> {
    if horizon == 0 {
        return Err(CoreError::invalid_param("horizon", 0, "must be >= 1").into());
    }
    if let Some(i) = close.iter().position(|c| !(c.is_finite() && *c > 0.0)) {
        return Err(LstmError::NonFinite(format!(
            "close at row {i} is {}; prices must be finite and > 0",
            close[i]
        )));
    }
    Ok((0..close.len())
        .map(|t| {
            if t + horizon < close.len() {
                scale * (close[t + horizon].ln() - close[t].ln())
            } else {
                f64::NAN
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> SequenceDataset {
        // 6 rows x 2 features: row r = [r, 10 r].
        let x: Vec<f32> = (0..6).flat_map(|r| [r as f32, 10.0 * r as f32]).collect();
        let y: Vec<f32> = (0..6).map(|r| r as f32 / 10.0).collect();
        SequenceDataset::new(x, 2, y, 3).unwrap()
    }

    #[test]
    fn windows_are_gathered_by_index_in_both_layouts() {
        let d = toy();
        assert_eq!(d.n_samples(), 4);
        assert_eq!(d.end_row(1), 3);
        assert_eq!(d.target(1), 0.3);
        let mut out = Vec::new();
        d.gather_batch_first(&[2, 0], &mut out);
        assert_eq!(out, [2., 20., 3., 30., 4., 40., 0., 0., 1., 10., 2., 20.]);
        d.gather_time_major(&[2, 0], &mut out);
        assert_eq!(out, [2., 20., 0., 0., 3., 30., 1., 10., 4., 40., 2., 20.]);
    }

    #[test]
    fn split_is_chronological_with_spec_t6_sizes_and_purge_gap() {
        // SPEC T6: 46,627 train samples -> 41,964 fit, 4,663 validation.
        let n_rows = 46_627 + 31;
        let d = SequenceDataset::new(vec![0.0; n_rows], 1, vec![0.0; n_rows], 32).unwrap();
        let (fit, val) = d.split(0.1, Purge::new(0)).unwrap();
        assert_eq!((fit.len(), val.len()), (41_964, 4_663));
        assert_eq!(fit.end, val.start);
        // A 5-bar horizon drops the 5 fit samples before validation, whose
        // labels (up to 5 bars past their window) reach into it.
        let (fit, val) = d.split(0.1, Purge::new(5)).unwrap();
        assert_eq!((fit.end, val.start), (41_964 - 5, 41_964));
        let (fit, _) = d.split(0.1, Purge::new(5).embargo(2)).unwrap();
        assert_eq!(fit.end, 41_964 - 7);
        let tiny = SequenceDataset::new(vec![0.0; 40], 1, vec![0.0; 40], 32).unwrap();
        let e = tiny.split(0.1, Purge::new(8)).unwrap_err().to_string();
        assert!(
            e.contains("too few") && e.contains("label horizon 8"),
            "{e}"
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(SequenceDataset::new(vec![0.0; 5], 2, vec![0.0; 2], 1).is_err());
        assert!(SequenceDataset::new(vec![f32::NAN, 0.0], 1, vec![0.0; 2], 1).is_err());
        let e = SequenceDataset::new(vec![0.0; 2], 1, vec![0.0; 2], 3).unwrap_err();
        assert!(matches!(e, LstmError::TooShort { .. }), "{e}");
        assert!(forward_log_returns(&[1.0, -1.0], 1, 1.0).is_err());
        let r = forward_log_returns(&[1.0, std::f64::consts::E, 1.0], 1, 100.0).unwrap();
        assert!((r[0] - 100.0).abs() < 1e-12 && (r[1] + 100.0).abs() < 1e-12 && r[2].is_nan());
    }
}

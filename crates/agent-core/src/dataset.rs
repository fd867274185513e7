//! A dataset over ndarray that keeps what models need to stay honest: feature
//! names (checked again at load time) and timestamps (so splits stay
//! chronological).

use crate::error::{CoreError, Result};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use sha2::{Digest, Sha256};
use std::ops::Range;

/// Rows are samples in time order; columns are features named by `feature_names`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    features: Array2<f64>,
    targets: Array1<f64>,
    feature_names: Vec<String>,
    timestamps: Option<Vec<i64>>,
}

/// Input with `n` feature columns for a model trained on `names`: a
/// [`CoreError::Shape`] naming the expected columns when the count differs.
pub fn check_feature_width(names: &[String], n: usize) -> Result<()> {
    if n != names.len() {
        return Err(CoreError::Shape {
            what: "feature columns",
            expected: format!("{} ({})", names.len(), names.join(",")),
            got: n.to_string(),
        });
    }
    Ok(())
}

impl Dataset {
    /// Build a dataset, checking that every shape agrees and that timestamps,
    /// when given, are strictly increasing.
    pub fn new(
        features: Array2<f64>,
        targets: Array1<f64>,
        feature_names: Vec<String>,
    ) -> Result<Self> {
        if features.nrows() != targets.len() {
            return Err(CoreError::Shape {
                what: "targets",
                expected: format!("{} rows (one per feature row)", features.nrows()),
                got: targets.len().to_string(),
            });
        }
        if features.ncols() != feature_names.len() {
            return Err(CoreError::Shape {
                what: "feature_names",
                expected: format!("{} names (one per column)", features.ncols()),
                got: feature_names.len().to_string(),
            });
        }
        Ok(Self {
            features,
            targets,
            feature_names,
            timestamps: None,
        })
    }

    /// Attach bar timestamps (epoch ms); they must be strictly increasing.
    pub fn with_timestamps(mut self, timestamps: Vec<i64>) -> Result<Self> {
        if timestamps.len() != self.n_samples() {
            return Err(CoreError::Shape {
                what: "timestamps",
                expected: self.n_samples().to_string(),
                got: timestamps.len().to_string(),
            });
        }
        if let Some(i) = timestamps.windows(2).position(|w| w[1] <= w[0]) {
            return Err(CoreError::InvalidData(format!(
                "timestamps must be strictly increasing; row {} ({}) follows {}",
                i + 1,
                timestamps[i + 1],
                timestamps[i]
            )));
        }
        self.timestamps = Some(timestamps);
        Ok(self)
    }

    pub fn n_samples(&self) -> usize {
        self.features.nrows()
    }

    pub fn n_features(&self) -> usize {
        self.features.ncols()
    }

    pub fn is_empty(&self) -> bool {
        self.n_samples() == 0
    }

    pub fn features(&self) -> ArrayView2<'_, f64> {
        self.features.view()
    }

    pub fn targets(&self) -> ArrayView1<'_, f64> {
        self.targets.view()
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    pub fn timestamps(&self) -> Option<&[i64]> {
        self.timestamps.as_deref()
    }

    /// Rows `range`, in order (a contiguous, chronological slice).
    pub fn slice(&self, range: Range<usize>) -> Result<Dataset> {
        if range.start > range.end || range.end > self.n_samples() {
            return Err(CoreError::InvalidData(format!(
                "row range {}..{} outside 0..{}",
                range.start,
                range.end,
                self.n_samples()
            )));
        }
        Ok(Dataset {
            features: self
                .features
                .slice(ndarray::s![range.clone(), ..])
                .to_owned(),
            targets: self.targets.slice(ndarray::s![range.clone()]).to_owned(),
            feature_names: self.feature_names.clone(),
            timestamps: self.timestamps.as_ref().map(|t| t[range].to_vec()),
        })
    }

    /// Rows by index, in the given order.
    pub fn select(&self, rows: &[usize]) -> Result<Dataset> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.n_samples()) {
            return Err(CoreError::InvalidData(format!(
                "row {bad} outside 0..{}",
                self.n_samples()
            )));
        }
        Ok(Dataset {
            features: self.features.select(Axis(0), rows),
            targets: self.targets.select(Axis(0), rows),
            feature_names: self.feature_names.clone(),
            timestamps: self
                .timestamps
                .as_ref()
                .map(|t| rows.iter().map(|&r| t[r]).collect()),
        })
    }

    /// Chronological split: the first `n_first` rows, then the rest.
    pub fn split_at(&self, n_first: usize) -> Result<(Dataset, Dataset)> {
        if n_first > self.n_samples() {
            return Err(CoreError::InvalidData(format!(
                "cannot split {} rows at {n_first}",
                self.n_samples()
            )));
        }
        Ok((
            self.slice(0..n_first)?,
            self.slice(n_first..self.n_samples())?,
        ))
    }

    /// Chronological split with the first `floor(fraction * n)` rows first.
    pub fn split_fraction(&self, fraction: f64) -> Result<(Dataset, Dataset)> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(CoreError::invalid_param(
                "fraction",
                fraction,
                "must be in [0, 1]",
            ));
        }
        self.split_at((fraction * self.n_samples() as f64).floor() as usize)
    }

    /// Check that `names` equals this dataset's feature names, in order.
    pub fn check_feature_names(&self, names: &[String]) -> Result<()> {
        if names != self.feature_names.as_slice() {
            return Err(CoreError::FeatureMismatch {
                expected: names.to_vec(),
                got: self.feature_names.clone(),
            });
        }
        Ok(())
    }

    /// SHA-256 over shapes, names, values and timestamps: identifies the
    /// training data in a model's manifest without storing it.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update((self.n_samples() as u64).to_le_bytes());
        h.update((self.n_features() as u64).to_le_bytes());
        for n in &self.feature_names {
            h.update((n.len() as u64).to_le_bytes());
            h.update(n.as_bytes());
        }
        for v in self.features.iter() {
            h.update(v.to_le_bytes());
        }
        for v in self.targets.iter() {
            h.update(v.to_le_bytes());
        }
        if let Some(ts) = &self.timestamps {
            for t in ts {
                h.update(t.to_le_bytes());
            }
        }
        format!("sha256:{}", hex::encode(h.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("f{i}")).collect()
    }

    #[test]
    fn new_rejects_mismatched_targets_naming_the_field() {
        let err = Dataset::new(Array2::zeros((3, 2)), Array1::zeros(2), names(2)).unwrap_err();
        assert!(err.to_string().contains("targets"), "{err}");
    }

    #[test]
    fn split_fraction_is_chronological() {
        let ds = Dataset::new(
            array![[0.0], [1.0], [2.0], [3.0], [4.0]],
            array![0.0, 1.0, 0.0, 1.0, 0.0],
            names(1),
        )
        .unwrap()
        .with_timestamps(vec![10, 20, 30, 40, 50])
        .unwrap();
        let (a, b) = ds.split_fraction(0.8).unwrap();
        assert_eq!(a.n_samples(), 4);
        assert_eq!(b.timestamps().unwrap(), &[50]);
        assert_eq!(b.features()[[0, 0]], 4.0);
    }

    #[test]
    fn unsorted_timestamps_are_rejected() {
        let ds = Dataset::new(Array2::zeros((2, 1)), Array1::zeros(2), names(1)).unwrap();
        assert!(ds.with_timestamps(vec![5, 5]).is_err());
    }

    #[test]
    fn fingerprint_changes_with_data() {
        let a = Dataset::new(array![[1.0]], array![0.0], names(1)).unwrap();
        let b = Dataset::new(array![[1.5]], array![0.0], names(1)).unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
    }
}

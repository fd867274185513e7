//! Standardisation fitted on training rows only (scikit-learn's
//! `StandardScaler`: population std, constant columns get scale 1).

use crate::error::{CoreError, Result};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl StandardScaler {
    /// Fit column means and population standard deviations.
    pub fn fit(x: ArrayView2<'_, f64>) -> Result<Self> {
        if x.nrows() == 0 {
            return Err(CoreError::InvalidData(
                "cannot fit a scaler on zero rows".into(),
            ));
        }
        let n = x.nrows() as f64;
        let mean: Array1<f64> = x.sum_axis(Axis(0)) / n;
        let mut var = vec![0.0; x.ncols()];
        for row in x.rows() {
            for (j, v) in row.iter().enumerate() {
                let d = v - mean[j];
                var[j] += d * d;
            }
        }
        // scikit-learn's `_is_constant_feature`: a column whose variance is
        // within rounding error of zero is left unscaled (scale 1).
        let eps = f64::EPSILON;
        let scale = var
            .iter()
            .zip(mean.iter())
            .map(|(v, m)| {
                let var = v / n;
                let upper = n * eps * var + (n * m * eps).powi(2);
                if var <= upper { 1.0 } else { var.sqrt() }
            })
            .collect();
        Ok(Self {
            mean: mean.to_vec(),
            scale,
        })
    }

    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// `(x - mean) / scale`, column by column.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.n_features() {
            return Err(CoreError::Shape {
                what: "scaler input columns",
                expected: self.n_features().to_string(),
                got: x.ncols().to_string(),
            });
        }
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (*v - self.mean[j]) / self.scale[j];
            }
        }
        Ok(out)
    }

    /// Standardise one row in place (inference path, no allocation).
    pub fn transform_row(&self, row: &mut [f64]) -> Result<()> {
        if row.len() != self.n_features() {
            return Err(CoreError::Shape {
                what: "scaler input columns",
                expected: self.n_features().to_string(),
                got: row.len().to_string(),
            });
        }
        for (j, v) in row.iter_mut().enumerate() {
            *v = (*v - self.mean[j]) / self.scale[j];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn scaler_uses_population_std_and_unit_scale_for_constants() {
        let x = array![[1.0, 5.0], [3.0, 5.0]];
        let s = StandardScaler::fit(x.view()).unwrap();
        assert_eq!(s.mean, vec![2.0, 5.0]);
        assert_eq!(s.scale, vec![1.0, 1.0]);
        let z = s.transform(x.view()).unwrap();
        assert_eq!(z, array![[-1.0, 0.0], [1.0, 0.0]]);
    }
}

//! One elastic-net logistic regression on features as given (no scaling):
//! the counterpart of scikit-learn's `LogisticRegression` on its own. The
//! agent's pipeline (scaler + model + thresholds) is [`crate::SignalModel`].

use crate::error::{Result, SignalError};
use crate::hyperparams::LogisticValidParams;
use crate::solver::{self, Design, sigmoid};
use agent_core::{Dataset, Fit, Predict};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// A fitted binary logistic regression: `P(y=1|x) = sigma(x.coef + intercept)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    coef: Vec<f64>,
    intercept: f64,
    params: LogisticValidParams,
    n_iter: usize,
    converged: bool,
}

impl LogisticModel {
    /// Fit on rows `x` and 0/1 labels `y`.
    pub fn fit_arrays(
        params: &LogisticValidParams,
        x: ArrayView2<'_, f64>,
        y: &[f64],
    ) -> Result<Self> {
        let design = Design::new(x, y, None, params.class_weight())?;
        let s = solver::solve(&design, params);
        Ok(Self {
            coef: s.coef,
            intercept: s.intercept,
            params: params.clone(),
            n_iter: s.n_iter,
            converged: s.converged,
        })
    }

    pub fn coef(&self) -> &[f64] {
        &self.coef
    }

    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    pub fn params(&self) -> &LogisticValidParams {
        &self.params
    }

    /// Proximal Newton iterations used.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the solver met its tolerance within `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Margins `x.coef + intercept`.
    pub fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        if x.ncols() != self.coef.len() {
            return Err(SignalError::InvalidData(format!(
                "model has {} features, input has {} columns",
                self.coef.len(),
                x.ncols()
            )));
        }
        Ok(x.rows()
            .into_iter()
            .map(|row| {
                row.iter()
                    .zip(&self.coef)
                    .fold(self.intercept, |acc, (v, c)| acc + v * c)
            })
            .collect())
    }

    /// `P(y = 1)` per row.
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        Ok(self
            .decision_function(x)?
            .into_iter()
            .map(sigmoid)
            .collect())
    }
}

impl Fit<Dataset> for LogisticValidParams {
    type Model = LogisticModel;
    type Error = SignalError;

    fn fit(&self, data: &Dataset) -> Result<LogisticModel> {
        let y = data.targets().to_vec();
        LogisticModel::fit_arrays(self, data.features(), &y)
    }
}

impl Predict<ArrayView2<'_, f64>> for LogisticModel {
    type Output = Result<Vec<f64>>;

    /// `P(y = 1)` per row.
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        self.predict_proba(x)
    }
}

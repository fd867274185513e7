//! The trained meta-selector: a LightGBM regressor predicting each
//! strategy's next return from its trailing statistics, and the selection
//! rule (highest prediction wins).

use crate::error::{MetaSelectorError, Result};
use crate::features::MetaTable;
use crate::hyperparams::{MetaSelectorParams, MetaSelectorValidParams};
use agent_core::{CoreError, Predict};
use lgbm::LgbBooster;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One grid point's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPointReport {
    pub learning_rate: f64,
    pub num_leaves: usize,
    /// Rounds kept (the best validation round).
    pub best_iteration: usize,
    /// Rounds trained before early stopping ended the point.
    pub rounds_trained: usize,
    /// Validation MSE at `best_iteration`.
    pub val_mse: f64,
}

/// Sizes of the chronological split.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SplitSizes {
    pub fit_rows: usize,
    pub valid_rows: usize,
    pub test_rows: usize,
    /// Rows dropped because their target overlaps the next period.
    pub purged_rows: usize,
    /// Extra decision-time units purged before each period beyond the
    /// targets' own end (0 in artifacts from before it existed).
    #[serde(default)]
    pub embargo: i64,
    pub fit_groups: usize,
    pub valid_groups: usize,
    pub test_groups: usize,
}

/// How the selection rule did on the test period: per decision group, the
/// strategy with the highest prediction is chosen and earns its realised
/// return. Only groups in which every strategy is a candidate count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionReport {
    pub n_decisions: usize,
    /// Mean realised return of the selected strategies.
    pub mean_selected: f64,
    /// Mean return of the best single strategy in hindsight (same decisions).
    pub mean_best_fixed: f64,
    pub best_fixed_strategy: String,
    /// Mean return of an equal-weight mix of all strategies.
    pub mean_uniform: f64,
    /// Mean return of always picking the realised best (an upper bound).
    pub mean_oracle: f64,
    /// Compounded return of the selection, `prod(1 + r) - 1`.
    pub cum_selected: f64,
    /// Compounded return of the best fixed strategy.
    pub cum_best_fixed: f64,
    /// Fraction of decisions where the selection was the realised best.
    pub hit_rate: f64,
    /// How often each strategy was selected.
    pub selected_counts: BTreeMap<String, usize>,
}

/// What training found: the grid, the chosen point, out-of-sample metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Every grid point in grid order (learning rate outer); empty for a
    /// fixed-rounds fit.
    pub grid: Vec<GridPointReport>,
    /// NaN for a model imported without its training history.
    #[serde(deserialize_with = "nan_if_null")]
    pub best_learning_rate: f64,
    pub best_num_leaves: usize,
    pub best_iteration: usize,
    /// Validation MSE of the chosen point (None without validation).
    pub val_mse: Option<f64>,
    /// On the held-out test period (None when it is empty).
    pub test_mse: Option<f64>,
    pub test_r2: Option<f64>,
    pub selection: Option<SelectionReport>,
    pub split: SplitSizes,
}

/// JSON has no NaN (serde_json writes `null`); read it back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The trained model. Predicts a strategy's next return; [`MetaSelector::select`]
/// picks the candidate with the highest prediction.
pub struct MetaSelector {
    pub(crate) booster: LgbBooster,
    pub(crate) feature_names: Vec<String>,
    pub(crate) strategy_names: Vec<String>,
    pub(crate) params: MetaSelectorValidParams,
    pub(crate) report: TrainReport,
    pub(crate) data_fingerprint: Option<String>,
    /// Where the training data came from (see `agent_core::provenance`).
    pub(crate) provenance: Option<agent_core::Provenance>,
    /// Trailing windows of the statistics it was trained on (per-window
    /// returns only).
    pub(crate) lookback: Option<usize>,
}

impl std::fmt::Debug for MetaSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaSelector")
            .field("feature_names", &self.feature_names)
            .field("strategy_names", &self.strategy_names)
            .field("iterations", &self.booster.n_iterations())
            .field("report", &self.report)
            .finish()
    }
}

/// The outcome of one selection.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Row of the winning candidate.
    pub index: usize,
    /// Its strategy name, when the candidates carry a `strategy_id` feature
    /// that names a known strategy.
    pub strategy: Option<String>,
    /// Predicted next return of every candidate.
    pub predicted: Vec<f64>,
}

impl MetaSelector {
    /// Hyperparameters with SPEC T2's defaults.
    pub fn params() -> MetaSelectorParams {
        MetaSelectorParams::new()
    }

    /// A regression model trained elsewhere, e.g. by Python LightGBM
    /// (`booster.save_model(path)` / `model_to_string()`), on the feature
    /// columns its own names declare (checked at every prediction).
    /// `strategy_names[i]` names `strategy_id == i` for [`MetaSelector::select`].
    /// The report holds no training history.
    pub fn from_lightgbm_text(text: &str, strategy_names: Vec<String>) -> Result<Self> {
        let booster = LgbBooster::from_string(text)?;
        if booster.n_classes() != 1 {
            return Err(CoreError::InvalidData(format!(
                "the model has {} classes: {}",
                booster.n_classes(),
                "the meta-selector is a regression model"
            ))
            .into());
        }
        let feature_names = booster.feature_names()?;
        let best_iteration = booster.n_iterations();
        Ok(MetaSelector {
            booster,
            feature_names,
            strategy_names,
            params: MetaSelectorValidParams::default(),
            report: TrainReport {
                grid: Vec::new(),
                best_learning_rate: f64::NAN,
                best_num_leaves: 0,
                best_iteration,
                val_mse: None,
                test_mse: None,
                test_r2: None,
                selection: None,
                split: SplitSizes::default(),
            },
            data_fingerprint: None,
            provenance: None,
            lookback: None,
        })
    }

    /// Input features, in the order the model expects them.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Trailing windows of the per-window statistics it was trained on
    /// (`MetaTable::from_strategy_returns`); `None` for trade-log tables and
    /// imported models.
    pub fn lookback(&self) -> Option<usize> {
        self.lookback
    }

    /// Strategy names indexed by `strategy_id`.
    pub fn strategy_names(&self) -> &[String] {
        &self.strategy_names
    }

    pub fn hyperparameters(&self) -> &MetaSelectorValidParams {
        &self.params
    }

    pub fn report(&self) -> &TrainReport {
        &self.report
    }

    /// Boosting rounds in the model.
    pub fn n_iterations(&self) -> usize {
        self.booster.n_iterations()
    }

    /// The model in LightGBM's text format (loadable by Python's
    /// `lightgbm.Booster(model_str=...)`).
    pub fn model_text(&self) -> Result<String> {
        Ok(self.booster.save_string()?)
    }

    /// Total gain per feature (same order as [`MetaSelector::feature_names`]).
    pub fn feature_importance(&self) -> Result<Vec<(String, f64)>> {
        let g = self.booster.feature_importance(true)?;
        Ok(self.feature_names.iter().cloned().zip(g).collect())
    }

    fn check_width(&self, n: usize) -> Result<()> {
        Ok(agent_core::check_feature_width(&self.feature_names, n)?)
    }

    /// Predicted next return for each row of `x` (columns in
    /// [`MetaSelector::feature_names`] order).
    pub fn predict_matrix(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        self.check_width(x.ncols())?;
        let flat: Vec<f64> = x.iter().copied().collect();
        Ok(self
            .booster
            .predict(&flat, self.params.num_threads.max(1))?)
    }

    /// Predictions for a table, checking its feature names first.
    pub fn predict_table(&self, table: &MetaTable) -> Result<Vec<f64>> {
        if table.feature_names() != self.feature_names.as_slice() {
            return Err(CoreError::FeatureMismatch {
                expected: self.feature_names.clone(),
                got: table.feature_names().to_vec(),
            }
            .into());
        }
        self.predict_matrix(table.features().view())
    }

    /// Predicted next return of one feature row (low-latency path).
    pub fn predict_row(&self, row: &[f64]) -> Result<f64> {
        self.check_width(row.len())?;
        let mut out = [0.0f64];
        self.booster.predict_row(row, &mut out)?;
        Ok(out[0])
    }

    /// Choose among candidates (one feature row each): the highest predicted
    /// return wins, the first on ties.
    pub fn select(&self, candidates: ArrayView2<'_, f64>) -> Result<Selection> {
        if candidates.nrows() == 0 {
            return Err(MetaSelectorError::NotEnoughData(
                "select needs at least one candidate".into(),
            ));
        }
        let mut predicted = Vec::with_capacity(candidates.nrows());
        for row in candidates.rows() {
            let r: Vec<f64> = row.iter().copied().collect();
            predicted.push(self.predict_row(&r)?);
        }
        let index = argmax_first(&predicted);
        let sid_col = self.feature_names.iter().position(|n| n == "strategy_id");
        let strategy = sid_col.and_then(|c| {
            let v = candidates[[index, c]];
            (v >= 0.0 && v.fract() == 0.0)
                .then(|| self.strategy_names.get(v as usize).cloned())
                .flatten()
        });
        Ok(Selection {
            index,
            strategy,
            predicted,
        })
    }
}

impl Predict<ArrayView2<'_, f64>> for MetaSelector {
    type Output = Result<Vec<f64>>;
    fn predict(&self, x: ArrayView2<'_, f64>) -> Self::Output {
        self.predict_matrix(x)
    }
}

/// Index of the largest value, first on ties, NaN never wins.
pub(crate) fn argmax_first(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] || (v[best].is_nan() && !x.is_nan()) {
            best = i;
        }
    }
    best
}

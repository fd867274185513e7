//! The trained regime model: LightGBM multiclass probabilities of a low,
//! medium or high volatility regime over the next `horizon` bars, from the
//! T0 candle features. Inference checks feature names and widths.

use crate::data::{CutPoints, LABELS};
use crate::error::Result;
use crate::hyperparams::{RegimeParams, RegimeValidParams};
use agent_core::{CoreError, Dataset, Predict};
use lgbm::LgbBooster;
use market::{Candles, Regime, feature_matrix};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// One grid point's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPointReport {
    pub num_leaves: usize,
    /// The round cap of this point.
    pub n_estimators: usize,
    /// Rounds kept (the best validation round).
    pub best_iteration: usize,
    /// Rounds trained before early stopping (or the cap) ended the point.
    pub rounds_trained: usize,
    /// Validation multi-logloss at `best_iteration`.
    pub val_logloss: f64,
}

/// Rows in each period after pair selection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SplitSizes {
    pub fit_rows: usize,
    pub valid_rows: usize,
    pub test_rows: usize,
    /// Bars the labels look ahead, purged before the validation and test
    /// periods (0 in artifacts from before purging).
    #[serde(default)]
    pub label_horizon: usize,
    /// Extra bars purged beyond the horizon.
    #[serde(default)]
    pub embargo: usize,
    /// Training rows of the kept pairs dropped because their label reaches
    /// a later period.
    #[serde(default)]
    pub purged_rows: usize,
}

/// How one pair entered training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairReport {
    pub name: String,
    /// Median forward volatility over the pair's training rows.
    pub train_median_vol: Option<f64>,
    /// Sample weight of its rows (1 without weighting).
    pub weight: f64,
    /// False when a volatility filter left it out.
    pub kept: bool,
}

/// What training found: the grid, the chosen point, out-of-sample metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Every grid point (num_leaves outer, n_estimators inner).
    pub grid: Vec<GridPointReport>,
    pub best_num_leaves: usize,
    pub best_n_estimators: usize,
    pub best_iteration: usize,
    /// NaN for a model imported without its validation history.
    #[serde(deserialize_with = "nan_if_null")]
    pub val_logloss: f64,
    /// Test metrics (None when undefined, e.g. a class absent from test).
    pub test_f1_macro: Option<f64>,
    pub test_roc_auc_ovr: Option<f64>,
    pub test_logloss: Option<f64>,
    pub test_accuracy: Option<f64>,
    /// Test rows per true class (low, medium, high).
    pub test_class_counts: [usize; 3],
    pub split: SplitSizes,
    pub pairs: Vec<PairReport>,
}

/// JSON has no NaN (serde_json writes `null`); read it back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// A regime call: the most probable class and all three probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegimePrediction {
    pub regime: Regime,
    /// P(low), P(medium), P(high).
    pub probabilities: [f64; 3],
}

impl RegimePrediction {
    fn from_proba(p: [f64; 3]) -> Self {
        let mut best = 0;
        for i in 1..3 {
            if p[i] > p[best] {
                best = i;
            }
        }
        let regime = Regime::ALL[best];
        Self {
            regime,
            probabilities: p,
        }
    }

    /// Probability of the predicted class.
    pub fn confidence(&self) -> f64 {
        self.probabilities[self.regime.index() as usize]
    }
}

/// The trained classifier.
pub struct RegimeModel {
    pub(crate) booster: LgbBooster,
    pub(crate) feature_names: Vec<String>,
    pub(crate) cut_points: CutPoints,
    pub(crate) horizon: usize,
    pub(crate) params: RegimeValidParams,
    pub(crate) report: TrainReport,
    pub(crate) data_fingerprint: Option<String>,
    /// Where the training data came from (see `agent_core::provenance`).
    pub(crate) provenance: Option<agent_core::Provenance>,
}

impl std::fmt::Debug for RegimeModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegimeModel")
            .field("feature_names", &self.feature_names)
            .field("cut_points", &self.cut_points)
            .field("horizon", &self.horizon)
            .field("iterations", &self.booster.n_iterations())
            .field("report", &self.report)
            .finish()
    }
}

impl RegimeModel {
    /// Hyperparameters with SPEC T3's defaults.
    pub fn params() -> RegimeParams {
        RegimeParams::new()
    }

    /// A 3-class model trained elsewhere, e.g. by Python LightGBM
    /// (`booster.save_model(path)` / `model_to_string()`), with the tercile
    /// cut points and horizon its labels used. Its classes must be in
    /// [`LABELS`] order (low, medium, high) and its feature names must be the
    /// T0 names, in order, so [`RegimeModel::classify_candles`] feeds it the
    /// columns it was trained on. The report holds no training history.
    pub fn from_lightgbm_text(text: &str, cut_points: CutPoints, horizon: usize) -> Result<Self> {
        let booster = LgbBooster::from_string(text)?;
        if booster.n_classes() != 3 {
            return Err(CoreError::InvalidData(format!(
                "the model has {} classes: {}",
                booster.n_classes(),
                "a regime model has 3 classes (low, medium, high)"
            ))
            .into());
        }
        let names = booster.feature_names()?;
        let want: Vec<String> = market::FEATURES.iter().map(|s| s.to_string()).collect();
        if names != want {
            return Err(CoreError::FeatureMismatch {
                expected: want,
                got: names,
            }
            .into());
        }
        if !(cut_points.q1.is_finite()
            && cut_points.q2.is_finite()
            && cut_points.q1 <= cut_points.q2)
        {
            return Err(CoreError::InvalidData(format!(
                "cut points {cut_points:?}: need finite q1 <= q2"
            ))
            .into());
        }
        let best_iteration = booster.n_iterations();
        Ok(RegimeModel {
            booster,
            feature_names: names,
            cut_points,
            horizon,
            params: RegimeValidParams::default(),
            report: TrainReport {
                grid: Vec::new(),
                best_num_leaves: 0,
                best_n_estimators: best_iteration,
                best_iteration,
                val_logloss: f64::NAN,
                test_f1_macro: None,
                test_roc_auc_ovr: None,
                test_logloss: None,
                test_accuracy: None,
                test_class_counts: [0; 3],
                split: SplitSizes::default(),
                pairs: Vec::new(),
            },
            data_fingerprint: None,
            provenance: None,
        })
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Class names in output order: low, medium, high.
    pub fn label_order(&self) -> [&'static str; 3] {
        LABELS
    }

    /// The training cut points of the forward volatility.
    pub fn cut_points(&self) -> CutPoints {
        self.cut_points
    }

    /// Bars the labels looked ahead.
    pub fn horizon(&self) -> usize {
        self.horizon
    }

    pub fn hyperparameters(&self) -> &RegimeValidParams {
        &self.params
    }

    pub fn report(&self) -> &TrainReport {
        &self.report
    }

    /// Boosting rounds in the model (each has one tree per class).
    pub fn n_iterations(&self) -> usize {
        self.booster.n_iterations()
    }

    /// The model in LightGBM's text format.
    pub fn model_text(&self) -> Result<String> {
        Ok(self.booster.save_string()?)
    }

    /// Total gain per feature.
    pub fn feature_importance(&self) -> Result<Vec<(String, f64)>> {
        let g = self.booster.feature_importance(true)?;
        Ok(self.feature_names.iter().cloned().zip(g).collect())
    }

    fn check_width(&self, n: usize) -> Result<()> {
        Ok(agent_core::check_feature_width(&self.feature_names, n)?)
    }

    /// n x 3 class probabilities for rows of `x` (columns in
    /// [`RegimeModel::feature_names`] order).
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.check_width(x.ncols())?;
        let flat: Vec<f64> = x.iter().copied().collect();
        let p = self
            .booster
            .predict(&flat, self.params.num_threads.max(1))?;
        Ok(Array2::from_shape_vec((x.nrows(), 3), p)
            .map_err(|e| CoreError::InvalidData(e.to_string()))?)
    }

    /// Probabilities for a dataset, checking its feature names first.
    pub fn predict_dataset(&self, ds: &Dataset) -> Result<Array2<f64>> {
        ds.check_feature_names(&self.feature_names)?;
        self.predict_proba(ds.features())
    }

    /// The regime of one feature row (low-latency single-row path).
    pub fn predict_row(&self, row: &[f64]) -> Result<RegimePrediction> {
        self.check_width(row.len())?;
        if let Some(i) = row.iter().position(|v| !v.is_finite()) {
            return Err(CoreError::InvalidData(format!(
                "feature `{}` is not finite ({})",
                self.feature_names[i], row[i]
            ))
            .into());
        }
        let mut p = [0.0f64; 3];
        self.booster.predict_row(row, &mut p)?;
        Ok(RegimePrediction::from_proba(p))
    }

    /// The regime expected after the last bar of `candles`: the T0 features
    /// of the last bar (it needs at least 73 bars of history), checked
    /// against the model's feature names.
    pub fn classify_candles(&self, candles: &Candles) -> Result<RegimePrediction> {
        let names: Vec<String> = market::FEATURES.iter().map(|s| s.to_string()).collect();
        if names != self.feature_names {
            return Err(CoreError::FeatureMismatch {
                expected: self.feature_names.clone(),
                got: names,
            }
            .into());
        }
        let need = market::features::WARMUP_BARS + 1;
        if candles.len() < need {
            return Err(crate::error::RegimeError::NotEnoughData(format!(
                "classifying needs at least {need} bars, got {}",
                candles.len()
            )));
        }
        candles.validate("candles")?;
        let fm = feature_matrix(candles);
        let last: Vec<f64> = fm.row(fm.nrows() - 1).to_vec();
        self.predict_row(&last)
    }
}

impl Predict<ArrayView2<'_, f64>> for RegimeModel {
    type Output = Result<Array2<f64>>;
    fn predict(&self, x: ArrayView2<'_, f64>) -> Self::Output {
        self.predict_proba(x)
    }
}

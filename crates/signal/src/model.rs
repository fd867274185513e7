//! The trained signal agent: a standardizer fitted on the training rows, the
//! elastic-net logistic regression on the standardised features, the
//! F1-tuned decision threshold, the buy/sell thresholds and the metrics that
//! justify it all. Prediction checks feature names; nothing here refits.

use crate::error::{Result, SignalError};
use crate::hyperparams::{LogisticValidParams, SignalThresholds};
use crate::search::SearchReport;
use crate::signal::Signal;
use crate::solver::{self, Design, sigmoid};
use agent_core::{CoreError, Dataset, Predict, StandardScaler, metrics};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Schema tag of the JSON export (bump on incompatible change).
pub const JSON_SCHEMA: &str = "cointrainer-signal/1";

/// How the final (refit) model converged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitInfo {
    /// Training rows of the final fit.
    pub n_train: usize,
    /// Proximal Newton iterations.
    pub n_iter: usize,
    pub converged: bool,
}

/// The signal agent's model. See the crate docs for the full workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalModel {
    pub(crate) feature_names: Vec<String>,
    pub(crate) scaler: StandardScaler,
    pub(crate) coef: Vec<f64>,
    pub(crate) intercept: f64,
    pub(crate) params: LogisticValidParams,
    pub(crate) decision_threshold: f64,
    pub(crate) thresholds: SignalThresholds,
    pub(crate) metrics: BTreeMap<String, f64>,
    pub(crate) fit_info: FitInfo,
    pub(crate) search: Option<SearchReport>,
    pub(crate) data_fingerprint: Option<String>,
    /// Where the training data came from (see `agent_core::provenance`).
    pub(crate) provenance: Option<agent_core::Provenance>,
    /// How the training rows were labelled, so that re-scoring labels the
    /// same way (`None`: not recorded, as in artifacts written before).
    pub(crate) labels: Option<crate::LabelSpec>,
    /// What the rows were (candle bars or simulated trades).
    pub(crate) source: SignalSource,
}

/// What a signal model learnt from; the feature names differ, so a model
/// is re-scored (and served) only on rows of its own source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    /// Candle bars: the T0 features of a bar, labelled by the sign of the
    /// forward log return (`P(up)`).
    #[default]
    Candles,
    /// Simulated trades of the backtest bootstrap: the features of a trade
    /// known at entry ([`crate::TradeFeatures`]), labelled by `pnl > 0`
    /// (`P(win)`).
    Trades,
}

impl SignalSource {
    /// `"candles"` or `"trades"`, as params and the manifest spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Candles => "candles",
            Self::Trades => "trades",
        }
    }
}

/// Out-of-sample quality of a model on labelled rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub n: usize,
    /// ROC-AUC of `P(up)`.
    pub auc: f64,
    /// F1 of the up class predicting up iff `P(up) > 0.5`.
    pub f1_at_half: f64,
    /// F1 of the up class at the model's decision threshold.
    pub f1_at_threshold: f64,
    pub accuracy_at_threshold: f64,
    pub log_loss: f64,
    /// Share of rows that get a buy / sell / hold signal.
    pub buy_rate: f64,
    pub sell_rate: f64,
    pub hold_rate: f64,
}

impl SignalModel {
    /// Start configuring the agent (grid search, thresholds, ...).
    pub fn params() -> crate::SignalParams {
        crate::SignalParams::default()
    }

    /// One pipeline fit without search: scaler on `train`, then the logistic
    /// regression with `params`; decision threshold 0.5, default buy/sell
    /// thresholds.
    pub fn fit_fixed(params: &LogisticValidParams, train: &Dataset) -> Result<Self> {
        let scaler = StandardScaler::fit(train.features())?;
        let y = train.targets().to_vec();
        let design = Design::new(train.features(), &y, Some(&scaler), params.class_weight())?;
        let s = solver::solve(&design, params);
        Ok(Self {
            feature_names: train.feature_names().to_vec(),
            scaler,
            coef: s.coef,
            intercept: s.intercept,
            params: params.clone(),
            decision_threshold: 0.5,
            thresholds: SignalThresholds::default(),
            metrics: BTreeMap::new(),
            fit_info: FitInfo {
                n_train: train.n_samples(),
                n_iter: s.n_iter,
                converged: s.converged,
            },
            search: None,
            data_fingerprint: Some(train.fingerprint()),
            provenance: None,
            labels: None,
            source: SignalSource::Candles,
        })
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    pub fn scaler(&self) -> &StandardScaler {
        &self.scaler
    }

    /// Coefficients on the standardised features, in `feature_names` order.
    pub fn coef(&self) -> &[f64] {
        &self.coef
    }

    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The hyperparameters of the final fit (the best grid point).
    pub fn params_used(&self) -> &LogisticValidParams {
        &self.params
    }

    /// Class 1 ("up") is predicted iff `P(up) > decision_threshold`.
    pub fn decision_threshold(&self) -> f64 {
        self.decision_threshold
    }

    pub fn thresholds(&self) -> SignalThresholds {
        self.thresholds
    }

    /// Out-of-sample metrics by name (cross-validation and, after
    /// [`evaluate`](Self::evaluate), test).
    pub fn metrics(&self) -> &BTreeMap<String, f64> {
        &self.metrics
    }

    pub fn fit_info(&self) -> &FitInfo {
        &self.fit_info
    }

    /// Every grid point's scores, when the model came from a search.
    pub fn search(&self) -> Option<&SearchReport> {
        self.search.as_ref()
    }

    /// `sha256:` fingerprint of the training data.
    pub fn data_fingerprint(&self) -> Option<&str> {
        self.data_fingerprint.as_deref()
    }

    /// Replace the buy/sell thresholds (checked: `sell < buy`, both in [0, 1]).
    pub fn set_thresholds(&mut self, t: SignalThresholds) -> Result<()> {
        t.validate()?;
        self.thresholds = t;
        Ok(())
    }

    /// Replace the decision threshold (a probability in [0, 1]).
    pub fn set_decision_threshold(&mut self, t: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&t) {
            return Err(SignalError::invalid_param(
                "decision_threshold",
                t,
                "must be a probability in [0, 1]",
            ));
        }
        self.decision_threshold = t;
        Ok(())
    }

    /// Record a metric (non-finite values are not stored: JSON has no NaN).
    pub fn set_metric(&mut self, name: impl Into<String>, value: f64) {
        if value.is_finite() {
            self.metrics.insert(name.into(), value);
        }
    }

    /// Error unless `names` are the model's features, in order.
    pub fn check_features(&self, names: &[String]) -> Result<()> {
        if names != self.feature_names.as_slice() {
            return Err(CoreError::FeatureMismatch {
                expected: self.feature_names.clone(),
                got: names.to_vec(),
            }
            .into());
        }
        Ok(())
    }

    /// Margins `intercept + coef . (x - mean) / scale` for raw feature rows.
    pub fn decision_function(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        let d = self.coef.len();
        if x.ncols() != d {
            return Err(SignalError::InvalidData(format!(
                "model has {d} features ({}), input has {} columns",
                self.feature_names.join(", "),
                x.ncols()
            )));
        }
        let (mean, scale) = (&self.scaler.mean, &self.scaler.scale);
        let mut out = Vec::with_capacity(x.nrows());
        for (i, row) in x.rows().into_iter().enumerate() {
            let mut m = self.intercept;
            for (j, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(SignalError::InvalidData(format!(
                        "feature `{}` of row {i} is {v}; features must be finite",
                        self.feature_names[j]
                    )));
                }
                m += self.coef[j] * ((v - mean[j]) / scale[j]);
            }
            out.push(m);
        }
        Ok(out)
    }

    /// `P(up)` for raw feature rows (columns in `feature_names` order).
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        Ok(self
            .decision_function(x)?
            .into_iter()
            .map(sigmoid)
            .collect())
    }

    /// `P(up)` for a dataset, after checking its feature names.
    pub fn predict_proba_dataset(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.check_features(data.feature_names())?;
        self.predict_proba(data.features())
    }

    /// Class labels (1 = up) at the decision threshold.
    pub fn predict_labels(&self, x: ArrayView2<'_, f64>) -> Result<Vec<usize>> {
        let p = self.predict_proba(x)?;
        Ok(metrics::threshold_labels(&p, self.decision_threshold))
    }

    /// The signal for one probability.
    pub fn signal(&self, p_up: f64) -> Signal {
        Signal::from_proba(p_up, &self.thresholds)
    }

    /// Buy / sell / hold per row.
    pub fn signals(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Signal>> {
        Ok(self
            .predict_proba(x)?
            .into_iter()
            .map(|p| self.signal(p))
            .collect())
    }

    /// Score the model on held-out labelled rows (checks feature names) and
    /// record the results as `test_*` metrics, which are saved with it.
    pub fn evaluate(&mut self, test: &Dataset) -> Result<Evaluation> {
        let ev = self.score(test)?;
        self.set_metric("test_n", ev.n as f64);
        self.set_metric("test_auc", ev.auc);
        self.set_metric("test_f1", ev.f1_at_half);
        self.set_metric("test_f1_at_threshold", ev.f1_at_threshold);
        self.set_metric("test_accuracy_at_threshold", ev.accuracy_at_threshold);
        self.set_metric("test_log_loss", ev.log_loss);
        self.set_metric("test_buy_rate", ev.buy_rate);
        self.set_metric("test_sell_rate", ev.sell_rate);
        Ok(ev)
    }

    /// Like [`evaluate`](Self::evaluate) without recording anything.
    pub fn score(&self, test: &Dataset) -> Result<Evaluation> {
        let p = self.predict_proba_dataset(test)?;
        let y: Vec<f64> = test.targets().to_vec();
        let yl = binary_labels(&y)?;
        let at = |t: f64| metrics::threshold_labels(&p, t);
        let (mut buys, mut sells) = (0usize, 0usize);
        for &pi in &p {
            match self.signal(pi) {
                Signal::Buy => buys += 1,
                Signal::Sell => sells += 1,
                Signal::Hold => {}
            }
        }
        let n = p.len();
        let nf = n as f64;
        Ok(Evaluation {
            n,
            auc: metrics::roc_auc(&y, &p)?,
            f1_at_half: metrics::f1_binary(&yl, &at(0.5))?,
            f1_at_threshold: metrics::f1_binary(&yl, &at(self.decision_threshold))?,
            accuracy_at_threshold: metrics::accuracy(&yl, &at(self.decision_threshold))?,
            log_loss: metrics::log_loss_binary(&yl, &p)?,
            buy_rate: buys as f64 / nf,
            sell_rate: sells as f64 / nf,
            hold_rate: (n - buys - sells) as f64 / nf,
        })
    }

    /// The model as JSON readable without Rust (schema in the README).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&ModelJson::from_model(self)).map_err(|source| {
            CoreError::Json {
                what: "signal model export".into(),
                source,
            }
            .into()
        })
    }

    /// Write [`to_json`](Self::to_json) to `path` atomically.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        agent_core::write_atomic(path, self.to_json()?.as_bytes())?;
        Ok(())
    }
}

impl Predict<ArrayView2<'_, f64>> for SignalModel {
    type Output = Result<Vec<f64>>;

    /// `P(up)` per row.
    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        self.predict_proba(x)
    }
}

/// 0/1 targets as class indices, rejecting anything else.
pub(crate) fn binary_labels(y: &[f64]) -> Result<Vec<usize>> {
    y.iter()
        .enumerate()
        .map(|(i, &v)| {
            if v == 0.0 {
                Ok(0)
            } else if v == 1.0 {
                Ok(1)
            } else {
                Err(SignalError::InvalidData(format!(
                    "label of row {i} is {v}; binary labels must be 0 or 1"
                )))
            }
        })
        .collect()
}

/// The JSON export, also stored in every artifact as `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ModelJson {
    pub schema: String,
    pub model: String,
    pub feature_names: Vec<String>,
    /// In `feature_names` order, on standardised features.
    pub coef: Vec<f64>,
    /// The same coefficients by feature name.
    pub coefficients: BTreeMap<String, f64>,
    pub intercept: f64,
    pub scaler: ScalerJson,
    pub decision_threshold: f64,
    pub signal_thresholds: SignalThresholds,
    pub hyperparameters: LogisticValidParams,
    pub fit: FitInfo,
    pub metrics: BTreeMap<String, f64>,
    pub label: String,
    pub predict: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ScalerJson {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl ModelJson {
    fn from_model(m: &SignalModel) -> Self {
        Self {
            schema: JSON_SCHEMA.into(),
            model: "elastic-net logistic regression on standardised features".into(),
            feature_names: m.feature_names.clone(),
            coef: m.coef.clone(),
            coefficients: m
                .feature_names
                .iter()
                .cloned()
                .zip(m.coef.iter().copied())
                .collect(),
            intercept: m.intercept,
            scaler: ScalerJson {
                mean: m.scaler.mean.clone(),
                scale: m.scaler.scale.clone(),
            },
            decision_threshold: m.decision_threshold,
            signal_thresholds: m.thresholds,
            hyperparameters: m.params.clone(),
            fit: m.fit_info.clone(),
            metrics: m.metrics.clone(),
            label: "1 = the forward return over the label horizon is > 0 (up)".into(),
            predict: "p_up = 1 / (1 + exp(-(intercept + sum_j coef[j] * (x[j] - scaler.mean[j]) / scaler.scale[j]))); \
                      up iff p_up > decision_threshold; buy iff p_up >= signal_thresholds.buy, \
                      sell iff p_up <= signal_thresholds.sell, else hold"
                .into(),
        }
    }
}

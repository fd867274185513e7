//! The trained model: weights, the input scaler fitted on the training rows,
//! and the window it was trained on (enforced at inference).

use crate::backend::Backend;
use crate::burn_net::{LstmNet, predict_with_net};
use crate::data::SequenceDataset;
use crate::error::{LstmError, Result};
use crate::hyperparams::{LstmParams, LstmValidParams, Task};
use crate::native::{net::Workspace, predict_samples, step_one, thread_pool};
use crate::report::TrainReport;
use crate::weights::LstmWeights;
use agent_core::{CoreError, Dataset, Fit, Progress, Purge, StandardScaler};
use ndarray::{Array2, ArrayView2};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

/// A trained LSTM regressor or classifier.
#[derive(Debug, Clone)]
pub struct LstmModel {
    pub(crate) weights: Arc<LstmWeights>,
    pub(crate) scaler: Option<StandardScaler>,
    pub(crate) feature_names: Vec<String>,
    pub(crate) window: usize,
    pub(crate) horizon: usize,
    pub(crate) task: Task,
    pub(crate) hyperparameters: serde_json::Value,
    pub(crate) report: Option<TrainReport>,
    pub(crate) metrics: BTreeMap<String, serde_json::Value>,
    pub(crate) data_fingerprint: Option<String>,
    /// Where the training data came from (see `agent_core::provenance`).
    pub(crate) provenance: Option<agent_core::Provenance>,
}

/// What [`LstmModel::from_weights`] needs besides the weights: the facts a
/// PyTorch `state_dict` does not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSpec {
    /// Steps per input sequence the network was trained on.
    pub window: usize,
    /// Bars ahead the target looks.
    pub horizon: usize,
    /// Regression or classification; `None` infers it from the head (1
    /// output = regression).
    pub task: Option<Task>,
    /// Feature names in input order (may be empty).
    pub feature_names: Vec<String>,
    /// The standardisation the network expects, if its inputs were scaled.
    pub scaler: Option<StandardScaler>,
}

impl LstmModel {
    /// Unchecked hyperparameters with SPEC T6's defaults.
    pub fn params() -> LstmParams {
        LstmParams::new()
    }

    /// Wrap weights trained elsewhere (e.g. a PyTorch `state_dict` read with
    /// [`LstmWeights::from_safetensors`]).
    pub fn from_weights(weights: LstmWeights, spec: ImportSpec) -> Result<Self> {
        let d = weights.dims();
        let task = match spec.task {
            Some(t) => t,
            None if d.n_outputs == 1 => Task::Regression,
            None => Task::Classification {
                n_classes: d.n_outputs,
            },
        };
        if task.n_outputs() != d.n_outputs {
            return Err(CoreError::Shape {
                what: "head outputs for the task",
                expected: task.n_outputs().to_string(),
                got: d.n_outputs.to_string(),
            }
            .into());
        }
        if spec.window == 0 || spec.horizon == 0 {
            return Err(CoreError::invalid_param(
                "window",
                spec.window,
                "window and horizon must be >= 1",
            )
            .into());
        }
        if !spec.feature_names.is_empty() && spec.feature_names.len() != d.input_size {
            return Err(CoreError::Shape {
                what: "feature_names",
                expected: d.input_size.to_string(),
                got: spec.feature_names.len().to_string(),
            }
            .into());
        }
        if let Some(s) = &spec.scaler
            && s.n_features() != d.input_size
        {
            return Err(CoreError::Shape {
                what: "scaler features",
                expected: d.input_size.to_string(),
                got: s.n_features().to_string(),
            }
            .into());
        }
        Ok(Self {
            weights: Arc::new(weights),
            scaler: spec.scaler,
            feature_names: spec.feature_names,
            window: spec.window,
            horizon: spec.horizon,
            task,
            hyperparameters: serde_json::json!({"imported": true}),
            report: None,
            metrics: BTreeMap::new(),
            data_fingerprint: None,
            provenance: None,
        })
    }

    pub fn weights(&self) -> &LstmWeights {
        &self.weights
    }

    pub fn scaler(&self) -> Option<&StandardScaler> {
        self.scaler.as_ref()
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Steps per input sequence; every inference path enforces it.
    pub fn window(&self) -> usize {
        self.window
    }

    pub fn horizon(&self) -> usize {
        self.horizon
    }

    pub fn task(&self) -> Task {
        self.task
    }

    pub fn n_features(&self) -> usize {
        self.weights.dims().input_size
    }

    /// The training history (absent for imported weights).
    pub fn report(&self) -> Option<&TrainReport> {
        self.report.as_ref()
    }

    /// Metrics recorded in the manifest (validation from training, plus any
    /// added with [`LstmModel::record_metrics`]).
    pub fn metrics(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.metrics
    }

    /// Add metrics (e.g. out-of-sample test scores from
    /// [`LstmModel::evaluate`]) under `prefix_` names.
    pub fn record_metrics(&mut self, prefix: &str, metrics: &BTreeMap<String, f64>) {
        for (k, v) in metrics {
            let name = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}_{k}")
            };
            self.metrics.insert(name, num(*v));
        }
    }

    /// The burn module holding these weights on `backend`'s device.
    pub fn to_burn(&self, backend: Backend) -> LstmNet {
        LstmNet::from_weights(&self.weights, 0.0, &backend.device())
    }

    /// Scale raw rows and wrap them as sequences (targets NaN).
    fn sequences(&self, features: ArrayView2<'_, f64>) -> Result<SequenceDataset> {
        let f = self.n_features();
        if features.ncols() != f {
            return Err(CoreError::Shape {
                what: "feature columns",
                expected: f.to_string(),
                got: features.ncols().to_string(),
            }
            .into());
        }
        let n = features.nrows();
        if n < self.window {
            return Err(LstmError::TooShort {
                needed: self.window,
                window: self.window,
                got: n,
            });
        }
        let mut x = Vec::with_capacity(n * f);
        let mut row = vec![0.0; f];
        for r in features.rows() {
            row.iter_mut().zip(r.iter()).for_each(|(a, b)| *a = *b);
            if let Some(s) = &self.scaler {
                s.transform_row(&mut row)?;
            }
            x.extend(row.iter().map(|&v| v as f32));
        }
        SequenceDataset::new(x, f, vec![f32::NAN; n], self.window)
    }

    /// Raw head outputs for every window of `features` (rows are
    /// consecutive bars, raw values): row `i` of the result belongs to the
    /// window ending at input row `i + window - 1`.
    pub fn outputs(&self, features: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let ds = self.sequences(features)?;
        let samples: Vec<usize> = (0..ds.n_samples()).collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let pool = thread_pool(threads)?;
        let y = predict_samples(&self.weights, &ds, &samples, &pool, threads);
        self.to_array(y, samples.len())
    }

    /// Like [`LstmModel::outputs`] but computed by the burn module on
    /// `backend` (e.g. a GPU).
    pub fn outputs_on(
        &self,
        features: ArrayView2<'_, f64>,
        backend: Backend,
    ) -> Result<Array2<f64>> {
        let ds = self.sequences(features)?;
        let samples: Vec<usize> = (0..ds.n_samples()).collect();
        let net = self.to_burn(backend);
        let y = predict_with_net(&net, &ds, &samples, &mut Vec::new())?;
        self.to_array(y, samples.len())
    }

    fn to_array(&self, y: Vec<f32>, n: usize) -> Result<Array2<f64>> {
        let k = self.weights.dims().n_outputs;
        Array2::from_shape_vec((n, k), y.into_iter().map(f64::from).collect())
            .map_err(|e| CoreError::InvalidData(format!("output shape: {e}")).into())
    }

    /// One prediction per window of `features` (see [`LstmModel::outputs`]
    /// for the alignment): the regression value, or for classification the
    /// most likely class index.
    pub fn predict(&self, features: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        let out = self.outputs(features)?;
        Ok(out
            .rows()
            .into_iter()
            .map(|r| self.reduce(r.as_slice().unwrap_or(&[])))
            .collect())
    }

    /// Class probabilities per window (classification only).
    pub fn predict_proba(&self, features: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if self.task == Task::Regression {
            return Err(CoreError::InvalidData(
                "predict_proba needs a classification model".into(),
            )
            .into());
        }
        let mut out = self.outputs(features)?;
        for mut r in out.rows_mut() {
            let m = r.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            r.mapv_inplace(|v| (v - m).exp());
            let z = r.sum();
            r.mapv_inplace(|v| v / z);
        }
        Ok(out)
    }

    /// Regression value, or the argmax class.
    fn reduce(&self, y: &[f64]) -> f64 {
        match self.task {
            Task::Regression => y.first().copied().unwrap_or(f64::NAN),
            Task::Classification { .. } => {
                y.iter()
                    .enumerate()
                    .fold((0usize, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                        if v > bv { (i, v) } else { (bi, bv) }
                    })
                    .0 as f64
            }
        }
    }

    /// A trading signal from head outputs: the regression value, or for
    /// classes ordered down..up the expected class index minus the middle
    /// one (`p_up - p_down` for three classes).
    pub(crate) fn signal(&self, y: &[f32]) -> f64 {
        match self.task {
            Task::Regression => y.first().map_or(f64::NAN, |&v| v as f64),
            Task::Classification { n_classes } => {
                let m = y.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                let e: Vec<f64> = y.iter().map(|&v| ((v - m) as f64).exp()).collect();
                let z: f64 = e.iter().sum();
                let mid = (n_classes as f64 - 1.0) / 2.0;
                e.iter()
                    .enumerate()
                    .map(|(k, p)| p / z * (k as f64 - mid))
                    .sum()
            }
        }
    }

    /// Predict from exactly one window of raw rows (`window x n_features`
    /// values, oldest step first, row-major). Any other length is a
    /// [`LstmError::WindowMismatch`]: the original bot fed 60-step windows to
    /// a model trained on 50.
    pub fn predict_window(&self, rows: &[f64]) -> Result<f64> {
        let mut ws = Workspace::default();
        let mut x = Vec::new();
        self.predict_window_with(&mut ws, &mut x, rows)
    }

    pub(crate) fn predict_window_with(
        &self,
        ws: &mut Workspace,
        x: &mut Vec<f32>,
        rows: &[f64],
    ) -> Result<f64> {
        let f = self.n_features();
        if rows.len() != self.window * f {
            return Err(LstmError::WindowMismatch {
                expected: self.window,
                got: rows.len() / f.max(1),
            });
        }
        x.clear();
        let mut row = vec![0.0; f];
        for (t, r) in rows.chunks_exact(f).enumerate() {
            row.copy_from_slice(r);
            if let Some(s) = &self.scaler {
                s.transform_row(&mut row)?;
            }
            if let Some(j) = row.iter().position(|v| !v.is_finite()) {
                return Err(LstmError::NonFinite(format!(
                    "window step {t} feature {j} is {}",
                    r[j]
                )));
            }
            x.extend(row.iter().map(|&v| v as f32));
        }
        // Time-major [T, 1, F] is the same as the row-major window.
        let y = ws.forward(&self.weights, x, self.window, 1, None);
        Ok(self.signal(y))
    }

    /// A fresh recurrent state (zeros), for [`LstmModel::step`].
    pub fn initial_state(&self) -> LstmState {
        let d = self.weights.dims();
        LstmState {
            h: vec![0.0; d.num_layers * d.hidden_size],
            c: vec![0.0; d.num_layers * d.hidden_size],
            steps: 0,
            scratch: Vec::new(),
            y: Vec::new(),
        }
    }

    /// Feed one new bar (raw feature row), carrying the hidden state, and
    /// return the prediction after it (regression value or class signal).
    ///
    /// O(layers x H^2) per bar. The network was trained on windows that start
    /// from a zero state, so after more than `window` steps a carried state
    /// is not what training saw; [`BarPredictor`] gives the exact windowed
    /// prediction bar by bar instead.
    pub fn step(&self, state: &mut LstmState, row: &[f64]) -> Result<f64> {
        let f = self.n_features();
        if row.len() != f {
            return Err(CoreError::Shape {
                what: "feature row",
                expected: f.to_string(),
                got: row.len().to_string(),
            }
            .into());
        }
        let mut r = row.to_vec();
        if let Some(s) = &self.scaler {
            s.transform_row(&mut r)?;
        }
        if let Some(j) = r.iter().position(|v| !v.is_finite()) {
            return Err(LstmError::NonFinite(format!("feature {j} is {}", row[j])));
        }
        let x: Vec<f32> = r.iter().map(|&v| v as f32).collect();
        step_one(
            &self.weights,
            &x,
            &mut state.h,
            &mut state.c,
            &mut state.scratch,
            &mut state.y,
        );
        state.steps += 1;
        Ok(self.signal(&state.y))
    }

    /// A streaming predictor that returns the exact windowed prediction for
    /// each new bar.
    pub fn bar_predictor(&self) -> BarPredictor {
        BarPredictor {
            model: self.clone(),
            rows: std::collections::VecDeque::with_capacity(self.window),
            flat: Vec::new(),
            ws: Workspace::default(),
            x: Vec::new(),
        }
    }

    /// Out-of-sample metrics on the windows whose last row is in
    /// `target_rows` (rows of `data`; earlier rows only feed the windows).
    /// Regression: `mse`, `mae`, `mse_zero` (predicting 0), `r2`, `n`;
    /// classification: `cross_entropy`, `accuracy`, `n`.
    pub fn evaluate(
        &self,
        data: &Dataset,
        target_rows: Range<usize>,
    ) -> Result<BTreeMap<String, f64>> {
        if target_rows.start + 1 < self.window
            || target_rows.end > data.n_samples()
            || target_rows.is_empty()
        {
            return Err(CoreError::InvalidData(format!(
                "target rows {}..{} must lie in {}..{} (each needs a full window of {} rows)",
                target_rows.start,
                target_rows.end,
                self.window - 1,
                data.n_samples(),
                self.window
            ))
            .into());
        }
        let first = target_rows.start + 1 - self.window;
        let view = data
            .features()
            .slice_move(ndarray::s![first..target_rows.end, ..]);
        let out = self.outputs(view)?;
        let t = data.targets();
        let mut m = BTreeMap::new();
        let n = target_rows.len();
        match self.task {
            Task::Regression => {
                let (mut se, mut ae, mut sz, mut sum) = (0.0, 0.0, 0.0, 0.0);
                for (i, r) in target_rows.clone().enumerate() {
                    let (p, y) = (out[[i, 0]], t[r]);
                    if !y.is_finite() {
                        return Err(LstmError::NonFinite(format!("target at row {r} is {y}")));
                    }
                    se += (p - y) * (p - y);
                    ae += (p - y).abs();
                    sz += y * y;
                    sum += y;
                }
                let mean = sum / n as f64;
                let sst: f64 = target_rows.clone().map(|r| (t[r] - mean).powi(2)).sum();
                m.insert("mse".into(), se / n as f64);
                m.insert("mae".into(), ae / n as f64);
                m.insert("mse_zero".into(), sz / n as f64);
                m.insert(
                    "r2".into(),
                    if sst > 0.0 { 1.0 - se / sst } else { f64::NAN },
                );
            }
            Task::Classification { n_classes } => {
                let (mut ce, mut hit) = (0.0, 0usize);
                for (i, r) in target_rows.clone().enumerate() {
                    let y = t[r];
                    if !(y >= 0.0 && y < n_classes as f64 && y.fract() == 0.0) {
                        return Err(LstmError::BadClass {
                            row: r,
                            value: y,
                            n_classes,
                        });
                    }
                    let row = out.row(i);
                    let mx = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                    let lz = row.iter().map(|v| (v - mx).exp()).sum::<f64>().ln() + mx;
                    ce += lz - row[y as usize];
                    let arg = row
                        .iter()
                        .enumerate()
                        .fold((0, f64::NEG_INFINITY), |(bi, bv), (j, &v)| {
                            if v > bv { (j, v) } else { (bi, bv) }
                        })
                        .0;
                    hit += usize::from(arg == y as usize);
                }
                m.insert("cross_entropy".into(), ce / n as f64);
                m.insert("accuracy".into(), hit as f64 / n as f64);
            }
        }
        m.insert("n".into(), n as f64);
        Ok(m)
    }
}

fn num(x: f64) -> serde_json::Value {
    if x.is_finite() {
        serde_json::json!(x)
    } else {
        serde_json::Value::Null
    }
}

/// Recurrent state carried by [`LstmModel::step`].
#[derive(Debug, Clone, PartialEq)]
pub struct LstmState {
    h: Vec<f32>,
    c: Vec<f32>,
    steps: usize,
    scratch: Vec<f32>,
    y: Vec<f32>,
}

impl LstmState {
    /// Bars fed since the state was created.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Hidden state, `[layers, H]` row-major.
    pub fn hidden(&self) -> &[f32] {
        &self.h
    }

    /// Cell state, `[layers, H]` row-major.
    pub fn cell(&self) -> &[f32] {
        &self.c
    }
}

/// Bar-by-bar inference for backtests and live trading: keeps the last
/// `window` raw rows and answers each new bar with exactly the prediction
/// batch inference gives for the window ending there.
#[derive(Debug, Clone)]
pub struct BarPredictor {
    model: LstmModel,
    rows: std::collections::VecDeque<Vec<f64>>,
    flat: Vec<f64>,
    ws: Workspace,
    x: Vec<f32>,
}

impl BarPredictor {
    /// Add the newest bar's raw features; `None` until `window` bars were seen.
    pub fn push(&mut self, row: &[f64]) -> Result<Option<f64>> {
        if row.len() != self.model.n_features() {
            return Err(CoreError::Shape {
                what: "feature row",
                expected: self.model.n_features().to_string(),
                got: row.len().to_string(),
            }
            .into());
        }
        if self.rows.len() == self.model.window {
            self.rows.pop_front();
        }
        self.rows.push_back(row.to_vec());
        if self.rows.len() < self.model.window {
            return Ok(None);
        }
        self.flat.clear();
        for r in &self.rows {
            self.flat.extend_from_slice(r);
        }
        let flat = std::mem::take(&mut self.flat);
        let out = self
            .model
            .predict_window_with(&mut self.ws, &mut self.x, &flat);
        self.flat = flat;
        out.map(Some)
    }

    pub fn model(&self) -> &LstmModel {
        &self.model
    }
}

impl LstmValidParams {
    /// Train on `data` (rows = consecutive bars of the training period,
    /// targets per row) and report each epoch to `progress`.
    ///
    /// The scaler is fitted on all rows of `data` (the training period:
    /// never pass test rows); the last `val_fraction` of the windows
    /// validate; the `horizon` fit windows before them are purged.
    pub fn fit_with_progress(
        &self,
        data: &Dataset,
        progress: Option<Progress<'_>>,
    ) -> Result<LstmModel> {
        if data.n_samples() < self.window {
            return Err(LstmError::TooShort {
                needed: self.window,
                window: self.window,
                got: data.n_samples(),
            });
        }
        let scaler = if self.standardize {
            Some(StandardScaler::fit(data.features())?)
        } else {
            None
        };
        let f = data.n_features();
        let mut x = Vec::with_capacity(data.n_samples() * f);
        let mut row = vec![0.0; f];
        for r in data.features().rows() {
            row.iter_mut().zip(r.iter()).for_each(|(a, b)| *a = *b);
            if let Some(s) = &scaler {
                s.transform_row(&mut row)?;
            }
            x.extend(row.iter().map(|&v| v as f32));
        }
        let y: Vec<f32> = data.targets().iter().map(|&v| v as f32).collect();
        let ds = SequenceDataset::new(x, f, y, self.window)?;
        let (fit, val) = ds.split(self.val_fraction, Purge::new(self.horizon))?;
        let (weights, report) = crate::train::train(self, &ds, fit, val, progress)?;
        let mut metrics = BTreeMap::new();
        let key = match self.task {
            Task::Regression => "val_mse",
            Task::Classification { .. } => "val_cross_entropy",
        };
        metrics.insert(key.to_string(), num(report.best_val_loss));
        metrics.insert("best_epoch".into(), serde_json::json!(report.best_epoch));
        metrics.insert("epochs_run".into(), serde_json::json!(report.epochs.len()));
        metrics.insert("s_per_epoch".into(), num(report.seconds_per_epoch()));
        metrics.insert("label_horizon".into(), serde_json::json!(self.horizon));
        metrics.insert(
            "val_purged_samples".into(),
            serde_json::json!(report.purged_samples),
        );
        Ok(LstmModel {
            weights: Arc::new(weights),
            scaler,
            feature_names: data.feature_names().to_vec(),
            window: self.window,
            horizon: self.horizon,
            task: self.task,
            hyperparameters: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
            report: Some(report),
            metrics,
            data_fingerprint: Some(data.fingerprint()),
            provenance: None,
        })
    }
}

impl Fit<Dataset> for LstmValidParams {
    type Model = LstmModel;
    type Error = LstmError;

    fn fit(&self, data: &Dataset) -> Result<LstmModel> {
        self.fit_with_progress(data, None)
    }
}

impl agent_core::Predict<ArrayView2<'_, f64>> for LstmModel {
    type Output = Result<Vec<f64>>;

    fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        LstmModel::predict(self, x)
    }
}

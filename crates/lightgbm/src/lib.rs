//! A small safe layer over LightGBM's C API (`cointrainer-lightgbm-sys`, the
//! vendored LightGBM 4.7.0 built with only a C/C++ compiler).
//!
//! Why not the `lightgbm3` wrapper types: its `Dataset` constructors pass no
//! parameters to LightGBM (so `num_threads`, `max_bin` and `verbosity` are
//! ignored while binning, and LightGBM logs to stdout), its early stopping
//! keeps every tree when the round limit is reached before the patience runs
//! out (Python restores the best iteration), it consumes the dataset on every
//! `train` call (a grid would rebuild the bins per point), and its types are
//! neither `Send` nor `Sync`. This module keeps the datasets, runs the
//! boosting loop one round at a time, and owns the early-stopping rule.
//!
//! Shared by the LightGBM agents (`regime`, `meta-selector`). It is a crate of
//! its own, not a feature of `agent-core`, so that a bot or example that uses
//! no LightGBM agent never compiles LightGBM's C++ sources (Cargo unifies a
//! crate's features across the packages of one build).

mod model_text;

pub use model_text::{MAX_MODEL_TEXT_BYTES, validate_model_text};

use lightgbm_sys as sys;
use std::ffi::{CStr, CString, c_char, c_void};
use std::marker::PhantomData;
use std::sync::OnceLock;

/// An error reported by LightGBM (its last-error message) or by the checks
/// this layer makes before calling it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("LightGBM: {0}")]
pub struct LgbError(pub String);

type Result<T> = std::result::Result<T, LgbError>;

const DTYPE_FLOAT32: i32 = 0;
const DTYPE_FLOAT64: i32 = 1;
const PREDICT_NORMAL: i32 = 0;
const IMPORTANCE_SPLIT: i32 = 0;
const IMPORTANCE_GAIN: i32 = 1;

fn last_error() -> String {
    // SAFETY: LightGBM returns a pointer to a thread-local, NUL-terminated buffer.
    unsafe {
        let p = sys::LGBM_GetLastError();
        if p.is_null() {
            return "unknown error".into();
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

fn check(rc: i32) -> Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(LgbError(last_error()))
    }
}

fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| LgbError(format!("string contains a NUL byte: {s:?}")))
}

fn to_i32(n: usize, what: &str) -> Result<i32> {
    i32::try_from(n).map_err(|_| LgbError(format!("{what} = {n} exceeds LightGBM's limit")))
}

/// Where LightGBM grows its trees (`device_type`). CPU is the default and
/// what the tests use; the others need LightGBM built with that tree learner
/// (this crate's features `gpu` for OpenCL, the path AMD cards such as the
/// RX 7900 XTX take, and `cuda` for NVIDIA).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    #[default]
    Cpu,
    /// OpenCL.
    Gpu,
    Cuda,
}

impl Device {
    /// The `device_type` value LightGBM reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Gpu => "gpu",
            Device::Cuda => "cuda",
        }
    }

    /// Whether this build of LightGBM has the tree learner: asking for one
    /// it lacks fails at parameter validation, not deep inside training.
    pub fn is_compiled(self) -> bool {
        match self {
            Device::Cpu => true,
            Device::Gpu => cfg!(feature = "gpu"),
            Device::Cuda => cfg!(feature = "cuda"),
        }
    }
}

/// The tree, binning and determinism parameters every LightGBM agent takes,
/// with LightGBM's (and SPEC T2/T3's) defaults. Agents embed it flattened
/// into their own hyperparameters, so the saved JSON keeps one flat object,
/// and add their objective, grid and early-stopping settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TreeParams {
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    /// -1 = unlimited.
    pub max_depth: i32,
    pub feature_fraction: f64,
    pub lambda_l1: f64,
    pub lambda_l2: f64,
    pub max_bin: usize,
    pub min_data_in_bin: usize,
    pub seed: u64,
    /// Where the trees are grown; see [`Device`].
    #[serde(default)]
    pub device: Device,
}

impl Default for TreeParams {
    fn default() -> Self {
        Self {
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            max_depth: -1,
            feature_fraction: 1.0,
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            max_bin: 255,
            min_data_in_bin: 3,
            seed: 0,
            device: Device::Cpu,
        }
    }
}

impl TreeParams {
    /// The parameter names, as in the saved JSON and program configs.
    pub const KEYS: [&'static str; 10] = [
        "min_data_in_leaf",
        "min_sum_hessian_in_leaf",
        "max_depth",
        "feature_fraction",
        "lambda_l1",
        "lambda_l2",
        "max_bin",
        "min_data_in_bin",
        "seed",
        "device",
    ];

    /// Parameters for building LightGBM datasets (binning) with `threads`.
    pub fn dataset_params(&self, threads: usize) -> LgbParams {
        LgbParams::new()
            .set("max_bin", self.max_bin)
            .set("min_data_in_bin", self.min_data_in_bin)
            .set("min_data_in_leaf", self.min_data_in_leaf)
            .set("data_random_seed", self.seed)
            .set("num_threads", threads)
            .set("device_type", self.device.as_str())
    }

    /// `base` plus the tree parameters (no bagging, deterministic). Row-wise
    /// histograms are forced: left to itself LightGBM picks row- or
    /// column-wise by timing both, so two runs of the same data could build
    /// different (equally valid) trees.
    pub fn tree_params(&self, base: LgbParams) -> LgbParams {
        base.set("min_sum_hessian_in_leaf", self.min_sum_hessian_in_leaf)
            .set("max_depth", self.max_depth)
            .set("feature_fraction", self.feature_fraction)
            .set("bagging_fraction", 1.0)
            .set("bagging_freq", 0)
            .set("lambda_l1", self.lambda_l1)
            .set("lambda_l2", self.lambda_l2)
            .set("deterministic", true)
            .set("force_row_wise", true)
            .set("seed", self.seed)
    }

    /// Checks each value; the error names the field, the value and the
    /// allowed range.
    pub fn check(&self) -> std::result::Result<(), agent_core::CoreError> {
        use agent_core::CoreError;
        if !self.device.is_compiled() {
            return Err(CoreError::invalid_param(
                "device",
                self.device.as_str(),
                "this build of LightGBM lacks that tree learner; rebuild with the crate's `gpu` or `cuda` feature",
            ));
        }
        if !(self.min_sum_hessian_in_leaf >= 0.0 && self.min_sum_hessian_in_leaf.is_finite()) {
            return Err(CoreError::invalid_param(
                "min_sum_hessian_in_leaf",
                self.min_sum_hessian_in_leaf,
                "must be >= 0 and finite",
            ));
        }
        if self.max_depth == 0 || self.max_depth < -1 {
            return Err(CoreError::invalid_param(
                "max_depth",
                self.max_depth,
                "must be -1 (unlimited) or >= 1",
            ));
        }
        if !(self.feature_fraction > 0.0 && self.feature_fraction <= 1.0) {
            return Err(CoreError::invalid_param(
                "feature_fraction",
                self.feature_fraction,
                "must be in (0, 1]",
            ));
        }
        for (name, v) in [("lambda_l1", self.lambda_l1), ("lambda_l2", self.lambda_l2)] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(CoreError::invalid_param(name, v, "must be >= 0 and finite"));
            }
        }
        if self.max_bin < 2 {
            return Err(CoreError::invalid_param(
                "max_bin",
                self.max_bin,
                "must be at least 2",
            ));
        }
        if self.min_data_in_bin == 0 {
            return Err(CoreError::invalid_param(
                "min_data_in_bin",
                0,
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// Builder setters for the [`TreeParams`] of an unchecked-params newtype
/// whose checked struct has a `tree: TreeParams` field (`self.0.tree`).
#[macro_export]
macro_rules! lgbm_tree_setters {
    () => {
        pub fn min_data_in_leaf(mut self, n: usize) -> Self {
            self.0.tree.min_data_in_leaf = n;
            self
        }

        pub fn min_sum_hessian_in_leaf(mut self, v: f64) -> Self {
            self.0.tree.min_sum_hessian_in_leaf = v;
            self
        }

        /// -1 = unlimited.
        pub fn max_depth(mut self, d: i32) -> Self {
            self.0.tree.max_depth = d;
            self
        }

        pub fn feature_fraction(mut self, f: f64) -> Self {
            self.0.tree.feature_fraction = f;
            self
        }

        pub fn lambda_l1(mut self, v: f64) -> Self {
            self.0.tree.lambda_l1 = v;
            self
        }

        pub fn lambda_l2(mut self, v: f64) -> Self {
            self.0.tree.lambda_l2 = v;
            self
        }

        pub fn max_bin(mut self, n: usize) -> Self {
            self.0.tree.max_bin = n;
            self
        }

        pub fn min_data_in_bin(mut self, n: usize) -> Self {
            self.0.tree.min_data_in_bin = n;
            self
        }

        pub fn seed(mut self, s: u64) -> Self {
            self.0.tree.seed = s;
            self
        }

        /// Grow trees on the GPU (OpenCL) or CUDA: needs the crate's `gpu`
        /// or `cuda` feature.
        pub fn device(mut self, d: $crate::Device) -> Self {
            self.0.tree.device = d;
            self
        }

        /// All the tree parameters at once.
        pub fn tree(mut self, t: $crate::TreeParams) -> Self {
            self.0.tree = t;
            self
        }
    };
}

/// LightGBM parameters as `key=value` pairs, rendered the way the C API
/// reads them. `verbosity=-1` is always added: LightGBM resets its log level
/// from every parameter string it parses and would otherwise print to stdout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LgbParams(Vec<(String, String)>);

impl LgbParams {
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `key` (replacing an earlier value).
    pub fn set(mut self, key: &str, value: impl ToString) -> Self {
        let value = value.to_string();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The `key=value key=value` form, with `verbosity=-1` unless set.
    pub fn render(&self) -> String {
        let mut parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if self.get("verbosity").is_none() {
            parts.push("verbosity=-1".into());
        }
        parts.join(" ")
    }

    /// The pairs as a JSON object (for manifests).
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.0 {
            let val = v
                .parse::<i64>()
                .map(serde_json::Value::from)
                .or_else(|_| v.parse::<f64>().map(serde_json::Value::from))
                .unwrap_or_else(|_| serde_json::Value::from(v.clone()));
            m.insert(k.clone(), val);
        }
        serde_json::Value::Object(m)
    }
}

/// A binned LightGBM dataset built from a row-major `f64` matrix.
pub struct LgbDataset {
    handle: sys::DatasetHandle,
    n_rows: usize,
    n_features: usize,
}

impl LgbDataset {
    /// Bin `x` (row-major, `n_features` columns) with labels and optional
    /// sample weights. A validation set must pass its training set as
    /// `reference` so both share the bin boundaries.
    pub fn from_rows(
        x: &[f64],
        n_features: usize,
        label: &[f32],
        weight: Option<&[f32]>,
        params: &LgbParams,
        reference: Option<&LgbDataset>,
    ) -> Result<Self> {
        if n_features == 0 {
            return Err(LgbError("a dataset needs at least one feature".into()));
        }
        if !x.len().is_multiple_of(n_features) {
            return Err(LgbError(format!(
                "{} values do not form rows of {n_features} features",
                x.len()
            )));
        }
        let n_rows = x.len() / n_features;
        if n_rows == 0 {
            return Err(LgbError("a dataset needs at least one row".into()));
        }
        if label.len() != n_rows {
            return Err(LgbError(format!(
                "{} labels for {n_rows} rows",
                label.len()
            )));
        }
        if let Some(w) = weight
            && w.len() != n_rows
        {
            return Err(LgbError(format!("{} weights for {n_rows} rows", w.len())));
        }
        if let Some(r) = reference
            && r.n_features != n_features
        {
            return Err(LgbError(format!(
                "reference dataset has {} features, this one {n_features}",
                r.n_features
            )));
        }
        let nrow = to_i32(n_rows, "rows")?;
        let ncol = to_i32(n_features, "features")?;
        let p = cstring(&params.render())?;
        let mut handle: sys::DatasetHandle = std::ptr::null_mut();
        // SAFETY: `x` holds nrow*ncol f64 values (checked above); the C API
        // copies them into its own bins before returning.
        check(unsafe {
            sys::LGBM_DatasetCreateFromMat(
                x.as_ptr() as *const c_void,
                DTYPE_FLOAT64,
                nrow,
                ncol,
                1,
                p.as_ptr(),
                reference.map_or(std::ptr::null_mut(), |r| r.handle),
                &mut handle,
            )
        })?;
        let ds = LgbDataset {
            handle,
            n_rows,
            n_features,
        };
        ds.set_f32_field("label", label)?;
        if let Some(w) = weight {
            ds.set_f32_field("weight", w)?;
        }
        Ok(ds)
    }

    fn set_f32_field(&self, name: &str, values: &[f32]) -> Result<()> {
        let n = cstring(name)?;
        // SAFETY: `values` has n_rows elements (checked by the caller); copied.
        check(unsafe {
            sys::LGBM_DatasetSetField(
                self.handle,
                n.as_ptr(),
                values.as_ptr() as *const c_void,
                to_i32(values.len(), "field length")?,
                DTYPE_FLOAT32,
            )
        })
    }

    /// Name the columns; the names travel into the saved model text.
    pub fn set_feature_names(&mut self, names: &[String]) -> Result<()> {
        if names.len() != self.n_features {
            return Err(LgbError(format!(
                "{} feature names for {} features",
                names.len(),
                self.n_features
            )));
        }
        let owned: Vec<CString> = names.iter().map(|s| cstring(s)).collect::<Result<_>>()?;
        let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        // SAFETY: `ptrs` points at NUL-terminated strings alive for the call.
        check(unsafe {
            sys::LGBM_DatasetSetFeatureNames(
                self.handle,
                ptrs.as_mut_ptr(),
                to_i32(names.len(), "features")?,
            )
        })
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }
}

impl Drop for LgbDataset {
    fn drop(&mut self) {
        // SAFETY: the handle came from LGBM_DatasetCreateFromMat and is freed once.
        unsafe {
            sys::LGBM_DatasetFree(self.handle);
        }
    }
}

struct FastConfig(sys::FastConfigHandle);
// SAFETY: LightGBM's single-row predictor guards its buffers with its own
// mutex and takes the booster's shared lock on every call.
unsafe impl Send for FastConfig {}
unsafe impl Sync for FastConfig {}

/// A trained or loaded LightGBM model, ready to predict and to save.
pub struct LgbBooster {
    handle: sys::BoosterHandle,
    n_features: usize,
    n_classes: usize,
    n_iterations: usize,
    /// Lazily built single-row predictor (uses all iterations).
    fast: OnceLock<Option<FastConfig>>,
    fast_threads: usize,
}

// SAFETY: every C API entry point on a booster takes LightGBM's own
// reader/writer lock (predictions shared, training exclusive), so a booster
// may move between threads and be read from several at once. Training
// methods live on `LgbTraining`, which is neither Send nor Sync.
unsafe impl Send for LgbBooster {}
unsafe impl Sync for LgbBooster {}

impl LgbBooster {
    fn from_handle(handle: sys::BoosterHandle) -> Result<Self> {
        let mut b = LgbBooster {
            handle,
            n_features: 0,
            n_classes: 0,
            n_iterations: 0,
            fast: OnceLock::new(),
            fast_threads: 1,
        };
        let mut nf = 0i32;
        let mut nc = 0i32;
        // SAFETY: valid handle, out-pointers to locals.
        check(unsafe { sys::LGBM_BoosterGetNumFeature(handle, &mut nf) })?;
        check(unsafe { sys::LGBM_BoosterGetNumClasses(handle, &mut nc) })?;
        b.n_features = nf.max(0) as usize;
        b.n_classes = nc.max(1) as usize;
        b.n_iterations = b.current_iteration()?;
        Ok(b)
    }

    /// Parse a model in LightGBM's text format. The text is checked by
    /// [`validate_model_text`] first: LightGBM's own parser trusts it and
    /// reads out of bounds on a truncated or crafted model.
    pub fn from_string(model: &str) -> Result<Self> {
        validate_model_text(model)?;
        let s = cstring(model)?;
        let mut iters = 0i32;
        let mut handle: sys::BoosterHandle = std::ptr::null_mut();
        // SAFETY: NUL-terminated model text; LightGBM copies what it needs.
        check(unsafe {
            sys::LGBM_BoosterLoadModelFromString(s.as_ptr(), &mut iters, &mut handle)
        })?;
        Self::from_handle(handle)
    }

    fn current_iteration(&self) -> Result<usize> {
        let mut it = 0i32;
        // SAFETY: valid handle, out-pointer to a local.
        check(unsafe { sys::LGBM_BoosterGetCurrentIteration(self.handle, &mut it) })?;
        Ok(it.max(0) as usize)
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// 1 for regression, the number of classes for multiclass models.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Boosting rounds in the model.
    pub fn n_iterations(&self) -> usize {
        self.n_iterations
    }

    /// Threads the single-row predictor may use (default 1).
    pub fn set_single_row_threads(&mut self, n: usize) {
        self.fast_threads = n.max(1);
        self.fast = OnceLock::new();
    }

    /// Predict `x` (row-major, `n_features` columns): one value per row for
    /// regression, `n_classes` probabilities per row for multiclass.
    pub fn predict(&self, x: &[f64], num_threads: usize) -> Result<Vec<f64>> {
        if self.n_features == 0 || !x.len().is_multiple_of(self.n_features) {
            return Err(LgbError(format!(
                "{} values do not form rows of {} features",
                x.len(),
                self.n_features
            )));
        }
        let n_rows = x.len() / self.n_features;
        if n_rows == 0 {
            return Ok(Vec::new());
        }
        let mut out = vec![0.0f64; n_rows * self.n_classes];
        let mut out_len = 0i64;
        let p = cstring(
            &LgbParams::new()
                .set("num_threads", num_threads.max(1))
                .render(),
        )?;
        // SAFETY: `x` has n_rows*n_features values; `out` has room for
        // n_rows*n_classes results (LightGBM's normal prediction size).
        check(unsafe {
            sys::LGBM_BoosterPredictForMat(
                self.handle,
                x.as_ptr() as *const c_void,
                DTYPE_FLOAT64,
                to_i32(n_rows, "rows")?,
                to_i32(self.n_features, "features")?,
                1,
                PREDICT_NORMAL,
                0,
                -1,
                p.as_ptr(),
                &mut out_len,
                out.as_mut_ptr(),
            )
        })?;
        if out_len as usize != out.len() {
            return Err(LgbError(format!(
                "LightGBM returned {out_len} predictions, expected {}",
                out.len()
            )));
        }
        Ok(out)
    }

    /// Predict one row through LightGBM's cached single-row predictor (no
    /// parameter parsing per call): the low-latency path for live inference.
    pub fn predict_row(&self, row: &[f64], out: &mut [f64]) -> Result<()> {
        if row.len() != self.n_features {
            return Err(LgbError(format!(
                "row has {} values, model expects {}",
                row.len(),
                self.n_features
            )));
        }
        if out.len() != self.n_classes {
            return Err(LgbError(format!(
                "output has room for {} values, model produces {}",
                out.len(),
                self.n_classes
            )));
        }
        let fast = self.fast.get_or_init(|| {
            let p = cstring(
                &LgbParams::new()
                    .set("num_threads", self.fast_threads)
                    .render(),
            )
            .ok()?;
            let mut h: sys::FastConfigHandle = std::ptr::null_mut();
            // SAFETY: valid booster handle; LightGBM copies the parameters.
            let rc = unsafe {
                sys::LGBM_BoosterPredictForMatSingleRowFastInit(
                    self.handle,
                    PREDICT_NORMAL,
                    0,
                    -1,
                    DTYPE_FLOAT64,
                    self.n_features as i32,
                    p.as_ptr(),
                    &mut h,
                )
            };
            (rc == 0).then_some(FastConfig(h))
        });
        let Some(fast) = fast else {
            return Err(LgbError(format!(
                "cannot initialise single-row prediction: {}",
                last_error()
            )));
        };
        let mut out_len = 0i64;
        // SAFETY: `row` has n_features f64 values, `out` room for n_classes.
        check(unsafe {
            sys::LGBM_BoosterPredictForMatSingleRowFast(
                fast.0,
                row.as_ptr() as *const c_void,
                &mut out_len,
                out.as_mut_ptr(),
            )
        })?;
        if out_len as usize != out.len() {
            return Err(LgbError(format!(
                "LightGBM returned {out_len} values, expected {}",
                out.len()
            )));
        }
        Ok(())
    }

    /// The model in LightGBM's text format (all iterations).
    pub fn save_string(&self) -> Result<String> {
        self.save_string_first(-1)
    }

    /// The model text of the first `num_iteration` rounds (-1: all).
    fn save_string_first(&self, num_iteration: i32) -> Result<String> {
        let mut len = 0i64;
        // SAFETY: a zero-length buffer asks for the needed size.
        check(unsafe {
            sys::LGBM_BoosterSaveModelToString(
                self.handle,
                0,
                num_iteration,
                IMPORTANCE_SPLIT,
                0,
                &mut len,
                std::ptr::null_mut(),
            )
        })?;
        let mut buf = vec![0u8; len.max(1) as usize];
        // SAFETY: `buf` has `len` bytes, as LightGBM asked for.
        check(unsafe {
            sys::LGBM_BoosterSaveModelToString(
                self.handle,
                0,
                num_iteration,
                IMPORTANCE_SPLIT,
                buf.len() as i64,
                &mut len,
                buf.as_mut_ptr() as *mut c_char,
            )
        })?;
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        buf.truncate(end);
        String::from_utf8(buf).map_err(|_| LgbError("model text is not UTF-8".into()))
    }

    /// Feature names stored in the model.
    pub fn feature_names(&self) -> Result<Vec<String>> {
        let n = self.n_features;
        let mut needed = 0usize;
        let mut count = 0i32;
        let mut cap = 64usize;
        loop {
            let mut bufs: Vec<Vec<u8>> = (0..n).map(|_| vec![0u8; cap]).collect();
            let mut ptrs: Vec<*mut c_char> = bufs
                .iter_mut()
                .map(|b| b.as_mut_ptr() as *mut c_char)
                .collect();
            // SAFETY: n buffers of `cap` bytes each; LightGBM writes at most
            // `cap` bytes per name and reports the size it needed.
            check(unsafe {
                sys::LGBM_BoosterGetFeatureNames(
                    self.handle,
                    to_i32(n, "features")?,
                    &mut count,
                    cap,
                    &mut needed,
                    ptrs.as_mut_ptr(),
                )
            })?;
            if needed > cap {
                cap = needed;
                continue;
            }
            return Ok(bufs
                .into_iter()
                .take(count.max(0) as usize)
                .map(|b| {
                    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                    String::from_utf8_lossy(&b[..end]).into_owned()
                })
                .collect());
        }
    }

    /// Per-feature importance: total gain (`gain = true`) or split count.
    pub fn feature_importance(&self, gain: bool) -> Result<Vec<f64>> {
        let mut out = vec![0.0f64; self.n_features];
        // SAFETY: `out` has one slot per feature.
        check(unsafe {
            sys::LGBM_BoosterFeatureImportance(
                self.handle,
                0,
                if gain {
                    IMPORTANCE_GAIN
                } else {
                    IMPORTANCE_SPLIT
                },
                out.as_mut_ptr(),
            )
        })?;
        Ok(out)
    }
}

impl Drop for LgbBooster {
    fn drop(&mut self) {
        // The single-row predictor points into the booster: free it first.
        if let Some(Some(f)) = self.fast.take() {
            // SAFETY: created by FastInit, freed once.
            unsafe {
                sys::LGBM_FastConfigFree(f.0);
            }
        }
        // SAFETY: the handle is owned and freed once.
        unsafe {
            sys::LGBM_BoosterFree(self.handle);
        }
    }
}

/// Boosting in progress. It borrows its datasets because LightGBM keeps
/// pointers to them until training ends; [`LgbTraining::finish`] hands out
/// the booster, which no longer needs them (only training calls would).
pub struct LgbTraining<'d> {
    booster: LgbBooster,
    has_valid: bool,
    _data: PhantomData<&'d LgbDataset>,
}

impl<'d> LgbTraining<'d> {
    /// Start boosting on `train`, evaluating `valid` (if any) every round.
    pub fn new(
        train: &'d LgbDataset,
        valid: Option<&'d LgbDataset>,
        params: &LgbParams,
    ) -> Result<Self> {
        let p = cstring(&params.render())?;
        let mut handle: sys::BoosterHandle = std::ptr::null_mut();
        // SAFETY: valid dataset handle, NUL-terminated parameters.
        check(unsafe { sys::LGBM_BoosterCreate(train.handle, p.as_ptr(), &mut handle) })?;
        // Own the handle at once so an error below still frees it.
        let mut booster = LgbBooster {
            handle,
            n_features: train.n_features,
            n_classes: 1,
            n_iterations: 0,
            fast: OnceLock::new(),
            fast_threads: 1,
        };
        let mut nc = 0i32;
        // SAFETY: valid handle, out-pointer to a local.
        check(unsafe { sys::LGBM_BoosterGetNumClasses(handle, &mut nc) })?;
        booster.n_classes = nc.max(1) as usize;
        if let Some(v) = valid {
            // SAFETY: both handles valid; `valid` outlives the training ('d).
            check(unsafe { sys::LGBM_BoosterAddValidData(handle, v.handle) })?;
        }
        Ok(Self {
            booster,
            has_valid: valid.is_some(),
            _data: PhantomData,
        })
    }

    /// One boosting round. Returns false when no tree could split any more
    /// (LightGBM then adds nothing and further rounds would not either).
    pub fn update(&mut self) -> Result<bool> {
        let mut finished = 0i32;
        // SAFETY: valid handle; the datasets outlive `self`.
        check(unsafe { sys::LGBM_BoosterUpdateOneIter(self.booster.handle, &mut finished) })?;
        self.booster.n_iterations = self.booster.current_iteration()?;
        Ok(finished == 0)
    }

    /// Remove the last round.
    pub fn rollback(&mut self) -> Result<()> {
        // SAFETY: valid handle; the datasets outlive `self`.
        check(unsafe { sys::LGBM_BoosterRollbackOneIter(self.booster.handle) })?;
        self.booster.n_iterations = self.booster.current_iteration()?;
        Ok(())
    }

    /// The metrics (in parameter order) on the validation set now.
    pub fn eval_valid(&self) -> Result<Vec<f64>> {
        if !self.has_valid {
            return Err(LgbError("no validation set was added".into()));
        }
        let mut n = 0i32;
        // SAFETY: valid handle, out-pointer to a local.
        check(unsafe { sys::LGBM_BoosterGetEvalCounts(self.booster.handle, &mut n) })?;
        let mut out = vec![0.0f64; n.max(0) as usize];
        let mut len = 0i32;
        // SAFETY: `out` has room for every metric LightGBM reported.
        check(unsafe {
            sys::LGBM_BoosterGetEval(self.booster.handle, 1, &mut len, out.as_mut_ptr())
        })?;
        out.truncate(len.max(0) as usize);
        Ok(out)
    }

    /// Rounds trained so far.
    pub fn iterations(&self) -> usize {
        self.booster.n_iterations
    }

    /// The model as it stands (e.g. to predict mid-training).
    pub fn booster(&self) -> &LgbBooster {
        &self.booster
    }

    /// End training and keep the model.
    pub fn finish(self) -> LgbBooster {
        self.booster
    }
}

/// Outcome of [`boost_with_early_stopping`].
pub struct Boosted {
    pub booster: LgbBooster,
    /// Rounds kept (1-based best iteration; all rounds without validation).
    pub best_iteration: usize,
    /// The validation metric at `best_iteration` (NaN without validation).
    pub best_score: f64,
    /// Validation metric after every round trained (empty without validation).
    pub history: Vec<f64>,
}

/// Python LightGBM's `early_stopping` callback semantics on the first
/// metric, lower is better: train up to `max_rounds`, stop once the score
/// has not strictly improved for `patience` rounds, and keep the model at
/// the best round, also when the round limit ends training first. With no
/// validation set (or `patience == 0` and no validation) all rounds are kept.
/// `should_stop` is polled every round (cancellation).
pub fn boost_with_early_stopping(
    train: &LgbDataset,
    valid: Option<&LgbDataset>,
    params: &LgbParams,
    max_rounds: usize,
    patience: usize,
    should_stop: &dyn Fn(usize) -> bool,
) -> Result<Boosted> {
    let mut t = LgbTraining::new(train, valid, params)?;
    let mut history = Vec::new();
    // (round, score) of the best round so far; round 0 = none yet.
    let mut best = (0usize, f64::INFINITY);
    for round in 1..=max_rounds {
        if should_stop(round) {
            return Err(LgbError("cancelled".into()));
        }
        let grew = t.update()?;
        if valid.is_some() {
            let score = *t
                .eval_valid()?
                .first()
                .ok_or_else(|| LgbError("no validation metric configured".into()))?;
            history.push(score);
            // Strict improvement, first best wins (Python's `early_stopping`).
            if best.0 == 0 || score < best.1 {
                best = (round, score);
            } else if patience > 0 && round - best.0 >= patience {
                break;
            }
        }
        // No tree could split: further rounds would add nothing.
        if !grew {
            break;
        }
    }
    if valid.is_none() {
        let n = t.iterations();
        return Ok(Boosted {
            booster: t.finish(),
            best_iteration: n,
            best_score: f64::NAN,
            history,
        });
    }
    // Keep the first `best` rounds (rounds that added nothing are not in the
    // model, so count iterations). Rolling back re-scores the training and
    // validation rows once per dropped round, a third of a grid's time when
    // early stopping ends after a few dozen rounds; the model text of the
    // kept rounds, parsed again, is the same model (every value is written
    // round-trip exact) at a fraction of the cost. Rolling back remains for
    // a text the model-text gate refuses (e.g. over its size limit).
    let extra = t.iterations().saturating_sub(best.0);
    let truncated = if extra == 0 {
        None
    } else {
        t.booster()
            .save_string_first(to_i32(best.0, "iterations")?)
            .and_then(|text| LgbBooster::from_string(&text))
            .ok()
    };
    let booster = match truncated {
        Some(b) => b,
        None => {
            for _ in 0..extra {
                t.rollback()?;
            }
            t.finish()
        }
    };
    Ok(Boosted {
        booster,
        best_iteration: best.0,
        best_score: best.1,
        history,
    })
}

/// Rows for one side of a split: row-major features, labels, optional weights.
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    pub x: &'a [f64],
    pub y: &'a [f32],
    pub weight: Option<&'a [f32]>,
}

/// A grid of boosting runs on the same fit/validation split.
pub struct Grid<'a> {
    pub n_features: usize,
    pub feature_names: &'a [String],
    pub fit: Rows<'a>,
    pub valid: Rows<'a>,
    /// Binning parameters (`num_threads` is set here).
    pub dataset_params: LgbParams,
    /// One booster parameter set per point (`num_threads` is set here).
    pub points: Vec<LgbParams>,
    /// Round limit per point.
    pub max_rounds: Vec<usize>,
    pub patience: usize,
    /// Total threads: never exceeded.
    pub threads: usize,
    /// Run points concurrently with one LightGBM thread each, instead of one
    /// after the other with `threads` LightGBM threads.
    pub points_in_parallel: bool,
}

fn build_datasets(g: &Grid<'_>, threads: usize) -> Result<(LgbDataset, LgbDataset)> {
    let dp = g.dataset_params.clone().set("num_threads", threads);
    let mut fit = LgbDataset::from_rows(g.fit.x, g.n_features, g.fit.y, g.fit.weight, &dp, None)?;
    fit.set_feature_names(g.feature_names)?;
    let mut valid = LgbDataset::from_rows(
        g.valid.x,
        g.n_features,
        g.valid.y,
        g.valid.weight,
        &dp,
        Some(&fit),
    )?;
    valid.set_feature_names(g.feature_names)?;
    Ok((fit, valid))
}

/// Train every grid point with early stopping on the validation rows and
/// return them in point order. The datasets are binned once per worker and
/// shared by its points. `cancelled` is polled every round; `on_point` is
/// called as each point finishes (from the worker thread).
pub fn run_grid(
    g: &Grid<'_>,
    cancelled: &(dyn Fn() -> bool + Sync),
    on_point: &(dyn Fn(usize, &Boosted) + Sync),
) -> Result<Vec<Boosted>> {
    let n = g.points.len();
    if g.max_rounds.len() != n {
        return Err(LgbError("one round limit per grid point is needed".into()));
    }
    let threads = g.threads.max(1);
    let workers = if g.points_in_parallel {
        threads.min(n)
    } else {
        1
    };
    if workers <= 1 {
        let (fit, valid) = build_datasets(g, threads)?;
        let mut out = Vec::with_capacity(n);
        for (i, p) in g.points.iter().enumerate() {
            let p = p.clone().set("num_threads", threads);
            let b = boost_with_early_stopping(
                &fit,
                Some(&valid),
                &p,
                g.max_rounds[i],
                g.patience,
                &|_| cancelled(),
            )?;
            on_point(i, &b);
            out.push(b);
        }
        return Ok(out);
    }
    // Costliest points first (leaves x round limit, a proxy for time), so
    // the workers finish together instead of one running the largest point
    // alone at the end. Each point's result does not depend on the order.
    let cost = |i: usize| {
        let leaves = g.points[i]
            .get("num_leaves")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(31);
        leaves.saturating_mul(g.max_rounds[i])
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cost(i)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let slots: Vec<std::sync::Mutex<Option<Result<Boosted>>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    let stop = || cancelled() || failed.load(std::sync::atomic::Ordering::Relaxed);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let datasets = build_datasets(g, 1);
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = order.get(k) else {
                        break;
                    };
                    let res = match &datasets {
                        Err(e) => Err(e.clone()),
                        Ok((fit, valid)) => {
                            let p = g.points[i].clone().set("num_threads", 1);
                            boost_with_early_stopping(
                                fit,
                                Some(valid),
                                &p,
                                g.max_rounds[i],
                                g.patience,
                                &|_| stop(),
                            )
                        }
                    };
                    match &res {
                        Ok(b) => on_point(i, b),
                        Err(_) => failed.store(true, std::sync::atomic::Ordering::Relaxed),
                    }
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(res);
                    }
                }
            });
        }
    });
    let mut out = Vec::with_capacity(n);
    let mut first_err: Option<LgbError> = None;
    for slot in slots {
        match slot.into_inner().ok().flatten() {
            Some(Ok(b)) => out.push(b),
            Some(Err(e)) => {
                // Report the root cause, not a "cancelled" that it triggered.
                let replace = match &first_err {
                    None => true,
                    Some(prev) => prev.0 == "cancelled" && e.0 != "cancelled",
                };
                if replace {
                    first_err = Some(e);
                }
            }
            None => {
                first_err.get_or_insert(LgbError("a grid worker stopped early".into()));
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

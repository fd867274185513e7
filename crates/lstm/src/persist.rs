//! Saving and loading a model as a verified artifact directory:
//!
//! | file | content |
//! |---|---|
//! | `weights.safetensors` | the weights with PyTorch's `nn.LSTM`/`nn.Linear` names (`lstm.weight_ih_l0`, ..., `fc.weight`, `fc.bias`); `model.load_state_dict(safetensors.torch.load_file(..))` loads them |
//! | `model.bpk` | the same weights as a burn record of [`crate::LstmNet`] (`LstmNet::from_weights(..).load_record(..)`) |
//! | `scaler.json` | input mean and scale fitted on the training rows (absent when inputs were not standardised) |
//! | `report.json`, `loss_curve.csv` | the training history |
//!
//! The manifest's `extra` records the window, horizon, task and shape; the
//! window is enforced by every inference path after loading.

use crate::burn_net::LstmNet;
use crate::error::{LstmError, Result};
use crate::hyperparams::Task;
use crate::model::LstmModel;
use crate::report::TrainReport;
use crate::weights::{Dims, LstmWeights};
use agent_core::{ArtifactFiles, CoreError, Manifest, ModelInfo, Persist, StandardScaler};
use burn::module::Module;
use burn::tensor::Device;
use std::sync::Arc;

const WEIGHTS: &str = "weights.safetensors";
const BURN_RECORD: &str = "model.bpk";
const SCALER: &str = "scaler.json";
const REPORT: &str = "report.json";
const CURVE: &str = "loss_curve.csv";
/// Longest input window a loaded model may ask for (inference allocates
/// window x features per prediction).
pub const MAX_WINDOW: usize = 1 << 20;

#[derive(serde::Serialize, serde::Deserialize)]
struct Extra {
    window: usize,
    horizon: usize,
    task: Task,
    dims: Dims,
    standardized: bool,
    layout: String,
}

impl LstmModel {
    /// The weights as a burn record (burnpack bytes) of [`LstmNet`].
    pub fn burn_record_bytes(&self) -> Result<Vec<u8>> {
        let net = LstmNet::from_weights(&self.weights, 0.0, &Device::flex());
        let bytes = net
            .into_record()
            .into_bytes()
            .map_err(|e| LstmError::Burn(format!("writing the burn record: {e:?}")))?;
        Ok(bytes.to_vec())
    }

    /// Read weights back from a burn record written by
    /// [`LstmModel::burn_record_bytes`] (shape taken from this model).
    pub fn weights_from_burn_record(&self, bytes: Vec<u8>) -> Result<LstmWeights> {
        let record =
            burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
                .map_err(|e| LstmError::Burn(format!("reading the burn record: {e:?}")))?;
        let net = LstmNet::from_weights(&self.weights, 0.0, &Device::flex())
            .try_load_record(record)
            .map_err(|e| LstmError::Burn(format!("applying the burn record: {e:?}")))?;
        net.to_weights()
    }
}

impl Persist for LstmModel {
    const AGENT: &'static str = "lstm";
    const FORMAT_VERSION: u32 = 1;
    const CRATE_VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Error = LstmError;

    fn model_info(&self) -> ModelInfo {
        let extra = Extra {
            window: self.window,
            horizon: self.horizon,
            task: self.task,
            dims: self.weights.dims(),
            standardized: self.scaler.is_some(),
            layout: "torch.nn.LSTM(batch_first=True) `lstm` + nn.Linear `fc`, gates i,f,g,o".into(),
        };
        ModelInfo {
            hyperparameters: self.hyperparameters.clone(),
            data_fingerprint: self.data_fingerprint.clone(),
            provenance: self.provenance.clone(),
            feature_names: self.feature_names.clone(),
            label_order: match self.task {
                Task::Regression => vec![],
                Task::Classification { n_classes } => {
                    (0..n_classes).map(|k| k.to_string()).collect()
                }
            },
            metrics: self.metrics.clone(),
            extra: serde_json::to_value(extra).unwrap_or(serde_json::Value::Null),
        }
    }

    fn to_files(&self) -> Result<ArtifactFiles> {
        let mut f = ArtifactFiles::new();
        f.insert(WEIGHTS, self.weights.to_safetensors())?;
        f.insert(BURN_RECORD, self.burn_record_bytes()?)?;
        if let Some(s) = &self.scaler {
            f.insert(SCALER, json(s)?)?;
        }
        if let Some(r) = &self.report {
            f.insert(REPORT, json(r)?)?;
            f.insert(CURVE, r.to_csv().into_bytes())?;
        }
        Ok(f)
    }

    fn from_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<Self> {
        let extra: Extra =
            serde_json::from_value(manifest.extra.clone()).map_err(|e| CoreError::Malformed {
                path: files.origin().to_path_buf(),
                why: format!("manifest extra: {e}"),
            })?;
        let weights = LstmWeights::from_safetensors(files.get(WEIGHTS)?)?;
        if weights.dims() != extra.dims {
            return Err(CoreError::Malformed {
                path: files.origin().to_path_buf(),
                why: format!(
                    "weights have shape {:?}, manifest says {:?}",
                    weights.dims(),
                    extra.dims
                ),
            }
            .into());
        }
        let scaler: Option<StandardScaler> = if extra.standardized {
            Some(files.json(SCALER)?)
        } else {
            None
        };
        let report: Option<TrainReport> = if manifest.files.contains_key(REPORT) {
            let mut r: TrainReport = files.json(REPORT)?;
            // serde_json's float parsing may be off by an ulp; the CSV is exact.
            if manifest.files.contains_key(CURVE) {
                let text = String::from_utf8_lossy(files.get(CURVE)?);
                r.epochs = TrainReport::epochs_from_csv(&text)?;
                if let Some(e) = r.epochs.get(r.best_epoch.wrapping_sub(1)) {
                    r.best_val_loss = e.val_loss;
                }
            }
            Some(r)
        } else {
            None
        };
        let model = LstmModel {
            weights: Arc::new(weights),
            scaler,
            feature_names: manifest.feature_names.clone(),
            window: extra.window,
            horizon: extra.horizon,
            task: extra.task,
            hyperparameters: manifest.hyperparameters.clone(),
            report,
            metrics: manifest.metrics.clone(),
            data_fingerprint: manifest.data_fingerprint.clone(),
            provenance: manifest.provenance.clone(),
        };
        if extra.window == 0
            || extra.window > MAX_WINDOW
            || model.task.n_outputs() != extra.dims.n_outputs
        {
            return Err(CoreError::Malformed {
                path: files.origin().to_path_buf(),
                why: format!(
                    "window {} is not in 1..={MAX_WINDOW}, or the task does not match the head",
                    extra.window
                ),
            }
            .into());
        }
        Ok(model)
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(|source| {
        CoreError::Json {
            what: "lstm artifact".into(),
            source,
        }
        .into()
    })
}

impl LstmModel {
    /// Where the training data came from, as the manifest records it
    /// (`None`: not recorded).
    pub fn provenance(&self) -> Option<&agent_core::Provenance> {
        self.provenance.as_ref()
    }

    /// Record where the training data came from; it is saved in the
    /// manifest with the model.
    pub fn set_provenance(&mut self, provenance: Option<agent_core::Provenance>) {
        self.provenance = provenance;
    }
}

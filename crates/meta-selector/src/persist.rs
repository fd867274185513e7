//! Artifacts: `model.txt` (LightGBM's text format, readable by Python's
//! `lightgbm.Booster(model_file=...)`) plus the manifest with feature names,
//! strategy names, hyperparameters, the grid and out-of-sample metrics.
//! Loading checks the model's own feature names against the manifest.

use crate::error::MetaSelectorError;
use crate::hyperparams::MetaSelectorValidParams;
use crate::model::{MetaSelector, TrainReport};
use agent_core::{ArtifactFiles, CoreError, Manifest, ModelInfo, Persist};
use lgbm::LgbBooster;
use serde_json::json;
use std::collections::BTreeMap;

/// File name of the LightGBM model inside an artifact.
pub const MODEL_FILE: &str = "model.txt";

fn malformed(files: &ArtifactFiles, why: String) -> MetaSelectorError {
    CoreError::Malformed {
        path: files.origin().to_path_buf(),
        why,
    }
    .into()
}

impl Persist for MetaSelector {
    const AGENT: &'static str = "meta-selector";
    const FORMAT_VERSION: u32 = 1;
    const CRATE_VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Error = MetaSelectorError;

    fn model_info(&self) -> ModelInfo {
        let r = &self.report;
        let mut metrics = BTreeMap::new();
        let mut put = |k: &str, v: Option<f64>| {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                metrics.insert(k.to_string(), json!(v));
            }
        };
        put("val_mse", r.val_mse);
        put("test_mse", r.test_mse);
        put("test_r2", r.test_r2);
        if let Some(s) = &r.selection {
            put("test_selection_mean_return", Some(s.mean_selected));
            put("test_best_fixed_mean_return", Some(s.mean_best_fixed));
            put("test_uniform_mean_return", Some(s.mean_uniform));
            put("test_selection_hit_rate", Some(s.hit_rate));
        }
        ModelInfo {
            hyperparameters: serde_json::to_value(&self.params).unwrap_or(json!(null)),
            data_fingerprint: self.data_fingerprint.clone(),
            provenance: self.provenance.clone(),
            feature_names: self.feature_names.clone(),
            label_order: Vec::new(),
            metrics,
            extra: json!({
                "strategy_names": self.strategy_names,
                "report": self.report,
                "lightgbm_iterations": self.booster.n_iterations(),
                "lookback": self.lookback,
            }),
        }
    }

    fn to_files(&self) -> Result<ArtifactFiles, MetaSelectorError> {
        let mut f = ArtifactFiles::new();
        f.insert(MODEL_FILE, self.booster.save_string()?.into_bytes())?;
        Ok(f)
    }

    fn from_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<Self, MetaSelectorError> {
        let text = std::str::from_utf8(files.get(MODEL_FILE)?)
            .map_err(|_| malformed(files, format!("{MODEL_FILE} is not UTF-8 text")))?;
        let booster = LgbBooster::from_string(text)
            .map_err(|e| malformed(files, format!("{MODEL_FILE}: {e}")))?;
        if booster.n_classes() != 1 {
            return Err(malformed(
                files,
                format!(
                    "expected a regression model, found {} classes",
                    booster.n_classes()
                ),
            ));
        }
        let names = booster.feature_names()?;
        if names != manifest.feature_names {
            return Err(CoreError::FeatureMismatch {
                expected: manifest.feature_names.clone(),
                got: names,
            }
            .into());
        }
        let params: MetaSelectorValidParams =
            serde_json::from_value(manifest.hyperparameters.clone())
                .map_err(|e| malformed(files, format!("hyperparameters: {e}")))?;
        let strategy_names: Vec<String> =
            serde_json::from_value(manifest.extra["strategy_names"].clone())
                .map_err(|e| malformed(files, format!("strategy_names: {e}")))?;
        let report: TrainReport = serde_json::from_value(manifest.extra["report"].clone())
            .map_err(|e| malformed(files, format!("report: {e}")))?;
        // Absent in artifacts written before it was recorded.
        let lookback = match manifest.extra.get("lookback") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(n) if n >= 1 => Some(n as usize),
                _ => {
                    return Err(malformed(
                        files,
                        format!("lookback must be a positive integer, got {v}"),
                    ));
                }
            },
        };
        Ok(MetaSelector {
            booster,
            feature_names: manifest.feature_names.clone(),
            strategy_names,
            params,
            report,
            data_fingerprint: manifest.data_fingerprint.clone(),
            provenance: manifest.provenance.clone(),
            lookback,
        })
    }
}

impl MetaSelector {
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

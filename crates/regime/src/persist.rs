//! Artifacts: `model.txt` (LightGBM's text format, readable by Python's
//! `lightgbm.Booster(model_file=...)`) plus the manifest with feature names,
//! label order, tercile cut points, horizon, hyperparameters, the grid and
//! out-of-sample metrics. Loading validates all of it against the model.

use crate::data::{CutPoints, LABELS};
use crate::error::RegimeError;
use crate::hyperparams::RegimeValidParams;
use crate::model::{RegimeModel, TrainReport};
use agent_core::{ArtifactFiles, CoreError, Manifest, ModelInfo, Persist};
use lgbm::LgbBooster;
use serde_json::json;
use std::collections::BTreeMap;

/// File name of the LightGBM model inside an artifact.
pub const MODEL_FILE: &str = "model.txt";

fn malformed(files: &ArtifactFiles, why: String) -> RegimeError {
    CoreError::Malformed {
        path: files.origin().to_path_buf(),
        why,
    }
    .into()
}

impl Persist for RegimeModel {
    const AGENT: &'static str = "regime";
    const FORMAT_VERSION: u32 = 1;
    const CRATE_VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Error = RegimeError;

    fn model_info(&self) -> ModelInfo {
        let r = &self.report;
        let mut metrics = BTreeMap::new();
        let mut put = |k: &str, v: Option<f64>| {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                metrics.insert(k.to_string(), json!(v));
            }
        };
        put("val_logloss", Some(r.val_logloss));
        put("test_f1_macro", r.test_f1_macro);
        put("test_roc_auc_ovr", r.test_roc_auc_ovr);
        put("test_logloss", r.test_logloss);
        put("test_accuracy", r.test_accuracy);
        ModelInfo {
            hyperparameters: serde_json::to_value(&self.params).unwrap_or(json!(null)),
            data_fingerprint: self.data_fingerprint.clone(),
            provenance: self.provenance.clone(),
            feature_names: self.feature_names.clone(),
            label_order: LABELS.iter().map(|s| s.to_string()).collect(),
            metrics,
            extra: json!({
                "cut_points": self.cut_points,
                "horizon_bars": self.horizon,
                "report": self.report,
            }),
        }
    }

    fn to_files(&self) -> Result<ArtifactFiles, RegimeError> {
        let mut f = ArtifactFiles::new();
        f.insert(MODEL_FILE, self.booster.save_string()?.into_bytes())?;
        Ok(f)
    }

    fn from_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<Self, RegimeError> {
        let text = std::str::from_utf8(files.get(MODEL_FILE)?)
            .map_err(|_| malformed(files, format!("{MODEL_FILE} is not UTF-8 text")))?;
        let booster = LgbBooster::from_string(text)
            .map_err(|e| malformed(files, format!("{MODEL_FILE}: {e}")))?;
        if booster.n_classes() != 3 {
            return Err(malformed(
                files,
                format!(
                    "expected a 3-class model, found {} classes",
                    booster.n_classes()
                ),
            ));
        }
        if manifest.label_order != LABELS {
            return Err(malformed(
                files,
                format!(
                    "label order {:?}, expected {:?}",
                    manifest.label_order, LABELS
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
        let cut_points: CutPoints = serde_json::from_value(manifest.extra["cut_points"].clone())
            .map_err(|e| malformed(files, format!("cut_points: {e}")))?;
        if !(cut_points.q1.is_finite()
            && cut_points.q2.is_finite()
            && cut_points.q1 <= cut_points.q2)
        {
            return Err(malformed(files, format!("bad cut points {cut_points:?}")));
        }
        let horizon = manifest.extra["horizon_bars"]
            .as_u64()
            .ok_or_else(|| malformed(files, "missing horizon_bars".into()))?
            as usize;
        let params: RegimeValidParams = serde_json::from_value(manifest.hyperparameters.clone())
            .map_err(|e| malformed(files, format!("hyperparameters: {e}")))?;
        let report: TrainReport = serde_json::from_value(manifest.extra["report"].clone())
            .map_err(|e| malformed(files, format!("report: {e}")))?;
        Ok(RegimeModel {
            booster,
            feature_names: manifest.feature_names.clone(),
            cut_points,
            horizon,
            params,
            report,
            data_fingerprint: manifest.data_fingerprint.clone(),
            provenance: manifest.provenance.clone(),
        })
    }
}

impl RegimeModel {
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

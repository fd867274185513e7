//! Artifacts of the mean-reversion model: NumPy-readable parameters plus the
//! manifest (hyperparameters, data fingerprint, out-of-sample metrics, sha256
//! of every file).
//!
//! * `ou_params.npy`: `[theta, mu, sigma]`, the original suite's layout
//!   (`np.save(ou_params.npy, [theta, mu, sigma])`), so existing Python
//!   readers keep working.
//! * `fit.npy`: the full window fit as a float64 vector whose field names are
//!   listed in the manifest's `extra.fit_fields` ([`FitSummary::FIELDS`]).

use crate::error::OuMeanError;
use crate::hyperparams::MeanReversionValidParams;
use crate::model::{FitSummary, MeanReversionModel};
use agent_core::{ArtifactFiles, CoreError, Manifest, ModelInfo, Persist, npy};
use serde_json::json;

impl Persist for MeanReversionModel {
    const AGENT: &'static str = "ou-mean";
    const FORMAT_VERSION: u32 = 1;
    const CRATE_VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Error = OuMeanError;

    fn model_info(&self) -> ModelInfo {
        ModelInfo {
            hyperparameters: serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null),
            data_fingerprint: self.data_fingerprint.clone(),
            provenance: self.provenance.clone(),
            feature_names: vec!["log_close".into()],
            label_order: vec!["short".into(), "flat".into(), "long".into()],
            metrics: self
                .metrics
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        if v.is_finite() {
                            json!(v)
                        } else {
                            serde_json::Value::Null
                        },
                    )
                })
                .collect(),
            extra: json!({
                "fit_fields": FitSummary::FIELDS,
                "ou_params_layout": ["theta", "mu", "sigma"],
                "ou_method": self.params.ou.method,
                "hurst_method": self.params.hurst.name(),
                "adf_regression": self.params.adf.regression.as_str(),
                "adf_autolag": self.params.adf.autolag.as_str(),
                "gate_passed": self.gate().passed(),
            }),
        }
    }

    fn to_files(&self) -> Result<ArtifactFiles, OuMeanError> {
        let mut files = ArtifactFiles::new();
        let f = &self.fit;
        files.insert(
            "ou_params.npy",
            npy::encode(&[3], &[f.theta, f.mu, f.sigma])?,
        )?;
        let v = f.to_vec();
        files.insert("fit.npy", npy::encode(&[v.len()], &v)?)?;
        Ok(files)
    }

    fn from_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<Self, OuMeanError> {
        let bad = |why: String| {
            OuMeanError::Core(CoreError::Malformed {
                path: files.origin().to_path_buf(),
                why,
            })
        };
        let params: MeanReversionValidParams =
            serde_json::from_value(manifest.hyperparameters.clone()).map_err(|e| {
                bad(format!(
                    "hyperparameters do not describe a mean-reversion model: {e}"
                ))
            })?;
        params
            .validate()
            .map_err(|e| bad(format!("saved hyperparameters are invalid: {e}")))?;
        let fields = manifest.extra.get("fit_fields").and_then(|v| v.as_array());
        let expected: Vec<&str> = FitSummary::FIELDS.to_vec();
        match fields {
            Some(f)
                if f.iter()
                    .map(|v| v.as_str().unwrap_or(""))
                    .eq(expected.iter().copied()) => {}
            _ => {
                return Err(bad(
                    "manifest `extra.fit_fields` does not match this build's fit.npy layout".into(),
                ));
            }
        }
        let (_, v) = npy::decode::<f64>(files.get("fit.npy")?)?;
        let fit = FitSummary::from_slice(&v).ok_or_else(|| {
            bad(format!(
                "fit.npy has {} values, expected {}",
                v.len(),
                expected.len()
            ))
        })?;
        let (_, ou) = npy::decode::<f64>(files.get("ou_params.npy")?)?;
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
        if ou.len() != 3
            || !same(ou[0], fit.theta)
            || !same(ou[1], fit.mu)
            || !same(ou[2], fit.sigma)
        {
            return Err(bad(format!(
                "ou_params.npy {ou:?} disagrees with fit.npy (theta {}, mu {}, sigma {})",
                fit.theta, fit.mu, fit.sigma
            )));
        }
        let metrics = manifest
            .metrics
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
            .collect();
        Ok(MeanReversionModel {
            params,
            fit,
            data_fingerprint: manifest.data_fingerprint.clone(),
            provenance: manifest.provenance.clone(),
            metrics,
        })
    }
}

impl MeanReversionModel {
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

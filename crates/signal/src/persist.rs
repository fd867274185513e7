//! Saving and loading a [`SignalModel`] as a manifest-checked artifact.
//!
//! Files: `coef.npy`, `intercept.npy`, `scaler_mean.npy`, `scaler_scale.npy`,
//! `thresholds.npy` (`[decision, buy, sell]`) hold every number bit-exactly;
//! `model.json` is the JSON export (names, thresholds, hyperparameters,
//! metrics; readable without Rust); `search.json` every grid point's scores.
//! The manifest records the feature names, hyperparameters, metrics and the
//! training data's fingerprint, and the sha256 of each file.

use crate::error::{Result, SignalError};
use crate::hyperparams::SignalThresholds;
use crate::model::{ModelJson, SignalModel, SignalSource};
use crate::search::SearchReport;
use agent_core::{ArtifactFiles, CoreError, Manifest, ModelInfo, Persist, StandardScaler, npy};
use std::path::Path;

fn malformed(files: &ArtifactFiles, why: String) -> SignalError {
    CoreError::Malformed {
        path: files.origin().to_path_buf(),
        why,
    }
    .into()
}

fn vector(files: &ArtifactFiles, name: &str, len: usize) -> Result<Vec<f64>> {
    let (shape, data) = npy::decode::<f64>(files.get(name)?)?;
    if shape != [len] {
        return Err(malformed(
            files,
            format!("{name} has shape {shape:?}, expected [{len}]"),
        ));
    }
    if let Some(v) = data.iter().find(|v| !v.is_finite()) {
        return Err(malformed(
            files,
            format!("{name} holds the non-finite value {v}"),
        ));
    }
    Ok(data)
}

impl Persist for SignalModel {
    const AGENT: &'static str = "signal";
    const FORMAT_VERSION: u32 = 1;
    const CRATE_VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Error = SignalError;

    fn model_info(&self) -> ModelInfo {
        ModelInfo {
            hyperparameters: serde_json::json!({
                "model": self.params,
                "search": self.search.as_ref().map(|s| &s.params),
            }),
            data_fingerprint: self.data_fingerprint.clone(),
            provenance: self.provenance.clone(),
            feature_names: self.feature_names.clone(),
            label_order: match self.source {
                SignalSource::Candles => vec!["down_or_flat".into(), "up".into()],
                SignalSource::Trades => vec!["loss".into(), "win".into()],
            },
            metrics: self
                .metrics
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::json!(v)))
                .collect(),
            extra: serde_json::json!({
                "decision_threshold": self.decision_threshold,
                "signal_thresholds": self.thresholds,
                "fit": self.fit_info,
                "labels": self.labels,
                "source": self.source,
            }),
        }
    }

    fn to_files(&self) -> Result<ArtifactFiles> {
        let d = self.coef.len();
        let mut f = ArtifactFiles::new();
        f.insert("coef.npy", npy::encode(&[d], &self.coef)?)?;
        f.insert("intercept.npy", npy::encode(&[1], &[self.intercept])?)?;
        f.insert("scaler_mean.npy", npy::encode(&[d], &self.scaler.mean)?)?;
        f.insert("scaler_scale.npy", npy::encode(&[d], &self.scaler.scale)?)?;
        f.insert(
            "thresholds.npy",
            npy::encode(
                &[3],
                &[
                    self.decision_threshold,
                    self.thresholds.buy,
                    self.thresholds.sell,
                ],
            )?,
        )?;
        f.insert("model.json", self.to_json()?.into_bytes())?;
        if let Some(s) = &self.search {
            let json = serde_json::to_vec_pretty(s).map_err(|source| CoreError::Json {
                what: "signal search report".into(),
                source,
            })?;
            f.insert("search.json", json)?;
        }
        Ok(f)
    }

    fn from_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<Self> {
        let json: ModelJson = files.json("model.json")?;
        if json.schema != crate::model::JSON_SCHEMA {
            return Err(malformed(
                files,
                format!(
                    "model.json has schema `{}`, this build reads `{}`",
                    json.schema,
                    crate::model::JSON_SCHEMA
                ),
            ));
        }
        if manifest.feature_names != json.feature_names {
            return Err(malformed(
                files,
                format!(
                    "manifest lists features {:?} but model.json has {:?}",
                    manifest.feature_names, json.feature_names
                ),
            ));
        }
        crate::hyperparams::check_logistic(&json.hyperparameters)
            .map_err(|e| malformed(files, format!("model.json hyperparameters: {e}")))?;
        let d = json.feature_names.len();
        let coef = vector(files, "coef.npy", d)?;
        let intercept = vector(files, "intercept.npy", 1)?[0];
        let mean = vector(files, "scaler_mean.npy", d)?;
        let scale = vector(files, "scaler_scale.npy", d)?;
        if let Some(s) = scale.iter().find(|s| **s <= 0.0) {
            return Err(malformed(
                files,
                format!("scaler scale {s} is not positive"),
            ));
        }
        let t = vector(files, "thresholds.npy", 3)?;
        let thresholds = SignalThresholds {
            buy: t[1],
            sell: t[2],
        };
        thresholds
            .validate()
            .map_err(|e| malformed(files, format!("thresholds.npy: {e}")))?;
        if !(0.0..=1.0).contains(&t[0]) {
            return Err(malformed(
                files,
                format!("decision threshold {} is not a probability", t[0]),
            ));
        }
        let search: Option<SearchReport> = if files.names().any(|n| n == "search.json") {
            Some(files.json("search.json")?)
        } else {
            None
        };
        // The label spec the model was trained with; absent in artifacts
        // written before it was recorded.
        let labels = match manifest.extra.get("labels") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => {
                let spec: crate::LabelSpec = serde_json::from_value(v.clone())
                    .map_err(|e| malformed(files, format!("manifest extra.labels: {e}")))?;
                spec.validate()
                    .map_err(|e| malformed(files, format!("manifest extra.labels: {e}")))?;
                Some(spec)
            }
        };
        // What the rows were; artifacts written before it was recorded
        // learnt from candles.
        let source = match manifest.extra.get("source") {
            None | Some(serde_json::Value::Null) => SignalSource::Candles,
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| malformed(files, format!("manifest extra.source: {e}")))?,
        };
        if source == SignalSource::Trades {
            crate::TradeFeatures::from_feature_names(&json.feature_names)
                .map_err(|e| malformed(files, format!("a trades model's features: {e}")))?;
        }
        Ok(SignalModel {
            labels,
            source,
            feature_names: json.feature_names,
            scaler: StandardScaler { mean, scale },
            coef,
            intercept,
            params: json.hyperparameters,
            decision_threshold: t[0],
            thresholds,
            metrics: json.metrics,
            fit_info: json.fit,
            search,
            data_fingerprint: manifest.data_fingerprint.clone(),
            provenance: manifest.provenance.clone(),
        })
    }
}

impl SignalModel {
    /// Load an artifact and check that it was trained on `expected` features
    /// (in order): a model for other features is rejected with both lists.
    pub fn load_for(dir: &Path, expected: &[String]) -> Result<Self> {
        let m = Self::load(dir)?;
        m.check_features(expected)?;
        Ok(m)
    }
}

impl SignalModel {
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

    /// How the training rows were labelled (horizon, dead zone), when the
    /// trainer recorded it.
    pub fn labels(&self) -> Option<&crate::LabelSpec> {
        self.labels.as_ref()
    }

    /// Record how the training rows were labelled; it is saved in the
    /// manifest, and re-scoring (`cointrainer evaluate`) labels the same way.
    pub fn set_labels(&mut self, labels: Option<crate::LabelSpec>) {
        self.labels = labels;
    }

    /// What the model learnt from (saved in the manifest's `extra.source`).
    pub fn source(&self) -> SignalSource {
        self.source
    }

    /// Record what the model learnt from; a [`SignalSource::Trades`] model
    /// must have trade-log feature names.
    pub fn set_source(&mut self, source: SignalSource) -> Result<()> {
        if source == SignalSource::Trades {
            crate::TradeFeatures::from_feature_names(&self.feature_names)?;
        }
        self.source = source;
        Ok(())
    }
}

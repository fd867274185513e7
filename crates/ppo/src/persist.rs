//! `rl_selector.zip`: the trained policy as one zip file holding
//!
//! - `policy.safetensors`: the weights in PyTorch/stable-baselines3 layout
//!   and names (see [`crate::policy::burn_net`]);
//! - `config.json`: format and versions, the policy shape, observation and
//!   action spaces, observation-normalisation statistics, hyperparameters,
//!   feature and action names, out-of-sample metrics, a training summary
//!   and the sha256 of the weights;
//! - `training_log.csv`: the per-update log (for people; not read back).
//!
//! Loading checks the format, the version and the weights' checksum, and
//! says clearly when a zip is not one of ours (a stable-baselines3 zip is
//! recognised by name). [`PpoModel`] also implements
//! [`agent_core::Persist`]: an artifact directory with `manifest.json`
//! (hyperparameters, data fingerprint, out-of-sample metrics, sha256)
//! around `rl_selector.zip`.

use crate::env::{Space, StrategyEnvRecord};
use crate::error::{PpoError, Result};
use crate::hyperparams::PpoValidParams;
use crate::log::TrainingLog;
use crate::model::{PpoModel, TrainingSummary};
use crate::normalize::ObsNormalizer;
use crate::policy::burn_net::ActorCritic;
use crate::policy::{ActionDist, PolicySpec};
use agent_core::persist::{MAX_FILE_BYTES, Symlinks, read_bounded, sha256_hex};
use agent_core::{ArtifactFiles, CoreError, Manifest, ModelInfo, Persist, write_atomic};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;

/// `format` value of `config.json`.
pub const ZIP_FORMAT: &str = "cointrainer-ppo/rl_selector";
/// Layout version of the zip; bump on incompatible changes.
pub const ZIP_FORMAT_VERSION: u32 = 1;
/// Default file name, as in the original suite.
pub const ZIP_FILE_NAME: &str = "rl_selector.zip";
/// The burn release the weights were written with.
pub const BURN_VERSION: &str = "0.22";

const CONFIG: &str = "config.json";
const WEIGHTS: &str = "policy.safetensors";
const LOG: &str = "training_log.csv";
/// A zip holding more entries than this is refused (we write three).
pub const MAX_ENTRIES: usize = 16;
/// Most bytes `config.json` may inflate to.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;
/// Most policy parameters a loaded model may have (1 GiB of f32).
pub const MAX_PARAMS: u64 = 1 << 28;
/// Room for the safetensors header (names, shapes, offsets) beyond the
/// weights themselves.
const SAFETENSORS_HEADER_ROOM: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Versions {
    cointrainer_ppo: String,
    burn: String,
    safetensors_layout: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ZipConfig {
    format: String,
    format_version: u32,
    versions: Versions,
    created_at: String,
    policy: PolicySpec,
    observation_space: Space,
    action_space: Space,
    obs_normalization: Option<ObsNormalizer>,
    hyperparameters: PpoValidParams,
    feature_names: Vec<String>,
    action_names: Vec<String>,
    metrics: BTreeMap<String, serde_json::Value>,
    data_fingerprint: Option<String>,
    /// Absent in files written before it was recorded.
    #[serde(default)]
    strategy_env: Option<StrategyEnvRecord>,
    training: TrainingSummary,
    weights_sha256: String,
}

/// Inflate entry `name`, at most `limit` bytes. The size an entry declares
/// is checked first, but a crafted entry may declare a few bytes and inflate
/// to gigabytes (a zip bomb), so the inflated stream itself is cut off one
/// byte past the limit.
fn read_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    origin: &str,
    limit: u64,
) -> Result<Vec<u8>> {
    let f = archive
        .by_name(name)
        .map_err(|e| PpoError::zip(origin, format!("cannot open entry `{name}`: {e}")))?;
    let too_big = || {
        PpoError::zip(
            origin,
            format!("entry `{name}` inflates to more than the {limit} bytes allowed"),
        )
    };
    if f.size() > limit {
        return Err(too_big());
    }
    let mut out = Vec::with_capacity(f.size() as usize);
    f.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| PpoError::zip(origin, format!("entry `{name}` is corrupted: {e}")))?;
    if out.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(out)
}

/// The number of parameters of `spec`, or why it is too large to load:
/// checked arithmetic, since the spec comes from the file.
fn checked_param_count(spec: &PolicySpec) -> std::result::Result<u64, String> {
    let overflow = || format!("the policy has more than {MAX_PARAMS} parameters");
    let dense = |n_in: usize, n_out: usize| -> Option<u64> {
        (n_in as u64)
            .checked_mul(n_out as u64)?
            .checked_add(n_out as u64)
    };
    let mut total = 0u64;
    for (hidden, head) in [(&spec.pi_hidden, spec.dist.width()), (&spec.vf_hidden, 1)] {
        let mut prev = spec.obs_dim;
        for &h in hidden.iter().chain(std::iter::once(&head)) {
            total = dense(prev, h)
                .and_then(|d| total.checked_add(d))
                .filter(|&t| t <= MAX_PARAMS)
                .ok_or_else(overflow)?;
            prev = h;
        }
    }
    if let ActionDist::Gaussian { dim } = spec.dist {
        total = total
            .checked_add(dim as u64)
            .filter(|&t| t <= MAX_PARAMS)
            .ok_or_else(overflow)?;
    }
    Ok(total)
}

impl PpoModel {
    /// The model as `rl_selector.zip` bytes.
    pub fn to_zip_bytes(&self) -> Result<Vec<u8>> {
        let weights = ActorCritic::from_flat(&self.spec, &self.params, &Device::flex())?
            .to_safetensors(&self.spec)?;
        let config = ZipConfig {
            format: ZIP_FORMAT.into(),
            format_version: ZIP_FORMAT_VERSION,
            versions: Versions {
                cointrainer_ppo: env!("CARGO_PKG_VERSION").into(),
                burn: BURN_VERSION.into(),
                safetensors_layout:
                    "stable-baselines3 ActorCriticPolicy state_dict (torch Linear [out, in])".into(),
            },
            created_at: agent_core::persist::now_rfc3339(),
            policy: self.spec.clone(),
            observation_space: self.observation_space.clone(),
            action_space: self.action_space.clone(),
            obs_normalization: self.obs_norm.clone(),
            hyperparameters: self.hyperparams.clone(),
            feature_names: self.feature_names.clone(),
            action_names: self.action_names.clone(),
            metrics: self.metrics.clone(),
            data_fingerprint: self.data_fingerprint.clone(),
            strategy_env: self.strategy_env.clone(),
            training: self.summary.clone(),
            weights_sha256: sha256_hex(&weights),
        };
        let json = serde_json::to_vec_pretty(&config).map_err(|source| CoreError::Json {
            what: "rl_selector config.json".into(),
            source,
        })?;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let zerr =
            |e: zip::result::ZipError| PpoError::zip("rl_selector.zip", format!("writing: {e}"));
        let ioerr = |e: std::io::Error| PpoError::zip("rl_selector.zip", format!("writing: {e}"));
        for (name, bytes) in [
            (CONFIG, json.as_slice()),
            (WEIGHTS, weights.as_slice()),
            (LOG, self.log.updates_csv().as_bytes()),
        ] {
            w.start_file(name, opts).map_err(zerr)?;
            w.write_all(bytes).map_err(ioerr)?;
        }
        Ok(w.finish().map_err(zerr)?.into_inner())
    }

    /// Read `rl_selector.zip` bytes; `origin` names them in errors.
    ///
    /// Every entry is bounded before it is inflated: `config.json` by
    /// [`MAX_CONFIG_BYTES`], the weights by the size the configured policy
    /// needs (at most [`MAX_PARAMS`] float32 values), so a hostile zip can
    /// neither inflate a bomb nor make the loader allocate for a policy its
    /// weights do not hold.
    pub fn from_zip_bytes(bytes: &[u8], origin: &str) -> Result<Self> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| PpoError::zip(origin, format!("not a zip archive ({e})")))?;
        if archive.len() > MAX_ENTRIES {
            return Err(PpoError::zip(
                origin,
                format!(
                    "{} entries, more than the {MAX_ENTRIES} an rl_selector.zip may hold",
                    archive.len()
                ),
            ));
        }
        let names: Vec<String> = archive.file_names().map(str::to_string).collect();
        if !names.iter().any(|n| n == CONFIG) {
            let sb3 = names.iter().any(|n| n == "policy.pth") && names.iter().any(|n| n == "data");
            return Err(PpoError::zip(
                origin,
                if sb3 {
                    "this is a stable-baselines3 model zip (data, policy.pth); cointrainer-ppo reads only rl_selector.zip files it wrote itself".to_string()
                } else {
                    format!("not an rl_selector.zip: no `{CONFIG}` (entries: {names:?})")
                },
            ));
        }
        let raw = read_entry(&mut archive, CONFIG, origin, MAX_CONFIG_BYTES)?;
        let header: serde_json::Value = serde_json::from_slice(&raw)
            .map_err(|e| PpoError::zip(origin, format!("`{CONFIG}` is not valid JSON: {e}")))?;
        let format = header.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != ZIP_FORMAT {
            return Err(PpoError::zip(
                origin,
                format!(
                    "`{CONFIG}` has format `{format}`, expected `{ZIP_FORMAT}`: not a cointrainer-ppo model"
                ),
            ));
        }
        let version = header
            .get("format_version")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if version != ZIP_FORMAT_VERSION as u64 {
            return Err(PpoError::zip(
                origin,
                format!("format version {version}, this build reads version {ZIP_FORMAT_VERSION}"),
            ));
        }
        let config: ZipConfig = serde_json::from_value(header).map_err(|e| {
            PpoError::zip(
                origin,
                format!("`{CONFIG}` is incomplete or malformed: {e}"),
            )
        })?;
        let n_params = checked_param_count(&config.policy)
            .map_err(|why| PpoError::zip(origin, format!("`{CONFIG}`: {why}")))?;
        let weights = read_entry(
            &mut archive,
            WEIGHTS,
            origin,
            n_params * 4 + SAFETENSORS_HEADER_ROOM,
        )?;
        if (weights.len() as u64) < n_params * 4 {
            return Err(PpoError::zip(
                origin,
                format!(
                    "`{WEIGHTS}` holds {} bytes, too few for the {n_params} float32 parameters of the policy in `{CONFIG}`",
                    weights.len()
                ),
            ));
        }
        let actual = sha256_hex(&weights);
        if actual != config.weights_sha256 {
            return Err(PpoError::zip(
                origin,
                format!(
                    "`{WEIGHTS}` is corrupted: sha256 {actual}, config.json records {}",
                    config.weights_sha256
                ),
            ));
        }
        let params = ActorCritic::from_safetensors(&weights, &config.policy, &Device::flex())
            .map_err(|e| PpoError::zip(origin, format!("`{WEIGHTS}`: {e}")))?
            .to_flat(&config.policy)?;
        let model = PpoModel::from_parts(
            config.policy,
            params,
            config.obs_normalization,
            config.observation_space,
            config.action_space,
            config.hyperparameters,
            config.training,
            TrainingLog::default(),
        )
        .map_err(|e| PpoError::zip(origin, format!("inconsistent model: {e}")))?;
        let mut model = model
            .with_feature_names(config.feature_names)
            .and_then(|m| m.with_action_names(config.action_names))
            .map_err(|e| PpoError::zip(origin, format!("inconsistent model: {e}")))?;
        model.metrics = config.metrics;
        model.data_fingerprint = config.data_fingerprint;
        if let Some(record) = config.strategy_env {
            model
                .set_strategy_env(record)
                .map_err(|e| PpoError::zip(origin, format!("inconsistent model: {e}")))?;
        }
        Ok(model)
    }

    /// Write `rl_selector.zip` to `path` atomically.
    pub fn save_zip(&self, path: &Path) -> Result<()> {
        write_atomic(path, &self.to_zip_bytes()?)?;
        Ok(())
    }

    /// Read a zip written by [`save_zip`](Self::save_zip).
    pub fn load_zip(path: &Path) -> Result<Self> {
        let bytes = read_bounded(path, MAX_FILE_BYTES, Symlinks::Follow)?;
        Self::from_zip_bytes(&bytes, &path.display().to_string())
    }
}

impl Persist for PpoModel {
    const AGENT: &'static str = "ppo";
    const FORMAT_VERSION: u32 = 1;
    const CRATE_VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Error = PpoError;

    fn model_info(&self) -> ModelInfo {
        ModelInfo {
            hyperparameters: serde_json::to_value(&self.hyperparams)
                .unwrap_or(serde_json::Value::Null),
            data_fingerprint: self.data_fingerprint.clone(),
            feature_names: self.feature_names.clone(),
            label_order: self.action_names.clone(),
            provenance: self.provenance.clone(),
            metrics: self.metrics.clone(),
            extra: serde_json::json!({
                "policy": self.spec,
                "training": self.summary,
                "burn": BURN_VERSION,
                "zip_format_version": ZIP_FORMAT_VERSION,
            }),
        }
    }

    fn to_files(&self) -> Result<ArtifactFiles> {
        let mut f = ArtifactFiles::new();
        f.insert(ZIP_FILE_NAME, self.to_zip_bytes()?)?;
        Ok(f)
    }

    fn from_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<Self> {
        let origin = files.origin().join(ZIP_FILE_NAME);
        let mut model =
            Self::from_zip_bytes(files.get(ZIP_FILE_NAME)?, &origin.display().to_string())?;
        model.provenance = manifest.provenance.clone();
        Ok(model)
    }
}

impl PpoModel {
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

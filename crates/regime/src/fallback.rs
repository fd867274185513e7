//! The fallback model compiled into the crate, so a classifier always
//! exists even with no store and no cache.
//!
//! It is a small LightGBM model (one num_leaves, few rounds) trained on the
//! T0 features of `market::SyntheticMarket::default()` (seed 42, 20,000
//! hourly bars), committed as a regular artifact under
//! `assets/fallback_regime/` (`model.txt` in LightGBM's text format plus
//! `manifest.json`). `cargo run -p cointrainer-regime --release --example
//! make_fallback` regenerates it bit for bit (single-threaded,
//! deterministic LightGBM, a fixed manifest timestamp); a test checks that
//! the committed files still match.
//!
//! It knows only synthetic volatility regimes: treat its calls as a coarse
//! guess until a real model arrives.

use crate::data::RegimeData;
use crate::error::{RegimeError, Result};
use crate::hyperparams::{GridParallelism, RegimeParams};
use crate::model::RegimeModel;
use agent_core::persist::{self, ArtifactFiles, Manifest};
use agent_core::{Fit, ParamGuard, Persist};
use market::SyntheticMarket;

/// `manifest.json` of the embedded artifact.
pub const FALLBACK_MANIFEST: &str = include_str!("../assets/fallback_regime/manifest.json");
/// `model.txt` of the embedded artifact (LightGBM text format).
pub const FALLBACK_MODEL: &str = include_str!("../assets/fallback_regime/model.txt");
/// The manifest's `created_at`, fixed so regeneration is byte-identical.
pub const FALLBACK_CREATED_AT: &str = "2023-01-01T00:00:00Z";

/// The hyperparameters the fallback is trained with: small and single-threaded.
pub fn fallback_params() -> RegimeParams {
    RegimeParams::new()
        .num_leaves(vec![7])
        .n_estimators(vec![30])
        .learning_rate(0.15)
        .early_stopping_rounds(10)
        .min_data_in_leaf(50)
        .num_threads(1)
        .grid_parallelism(GridParallelism::Sequential)
        .seed(0)
}

/// The fallback's training data: T0 features of the default synthetic market.
pub fn fallback_training_data() -> Result<RegimeData> {
    let run = SyntheticMarket::default().generate()?;
    let table = market::t0_features(&run.candles)?;
    RegimeData::from_feature_table(&table, "SYNTH")
}

/// Train the fallback model from scratch.
pub fn train_fallback() -> Result<RegimeModel> {
    fallback_params().check()?.fit(&fallback_training_data()?)
}

/// The artifact files of `model` with the fixed timestamp:
/// (`manifest.json` text, `model.txt` text).
pub fn fallback_artifact(model: &RegimeModel) -> Result<(String, String)> {
    let files = model.to_files()?;
    let mut manifest = model.manifest(&files);
    manifest.created_at = FALLBACK_CREATED_AT.to_string();
    let json =
        serde_json::to_string_pretty(&manifest).map_err(|source| agent_core::CoreError::Json {
            what: "fallback manifest".into(),
            source,
        })?;
    let text = std::str::from_utf8(files.get(crate::persist::MODEL_FILE)?)
        .map_err(|_| RegimeError::NotEnoughData("model text is not UTF-8".into()))?
        .to_string();
    Ok((json + "\n", text))
}

/// Parse and verify the embedded artifact.
pub fn fallback_model() -> Result<RegimeModel> {
    let manifest: Manifest =
        serde_json::from_str(FALLBACK_MANIFEST).map_err(|source| agent_core::CoreError::Json {
            what: "embedded fallback manifest".into(),
            source,
        })?;
    let mut files = ArtifactFiles::new();
    files.insert(
        crate::persist::MODEL_FILE,
        FALLBACK_MODEL.as_bytes().to_vec(),
    )?;
    persist::verify(
        &manifest,
        &files,
        RegimeModel::AGENT,
        RegimeModel::FORMAT_VERSION,
    )?;
    RegimeModel::from_files(&manifest, &files)
}

/// The embedded model for [`crate::RegimeClassifier`]. The artifact is
/// verified by a test, so failing here means a broken build.
pub(crate) fn embedded_model() -> RegimeModel {
    match fallback_model() {
        Ok(m) => m,
        Err(e) => panic!("the embedded fallback regime model is corrupt: {e}"),
    }
}

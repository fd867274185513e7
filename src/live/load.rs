//! Loading artifacts for live use: from a directory or from a registry's
//! `LATEST.json` pointer, verified (agent, format version, checksums: by
//! `agent_core::Persist`) and then checked against the live feature builder.

use crate::live::error::LiveError;
use agent_core::Persist;
use std::path::Path;
use store::{ArtifactStore, LatestPointer, ModelRegistry};

/// A model the live side can serve: its artifact loads through
/// [`Persist`] and it states what it needs from the live features.
pub trait LiveModel:
    Persist<Error: std::error::Error + Send + Sync + 'static> + Send + Sync + 'static
{
    /// Check a feature list (from a manifest or a `LATEST.json` pointer)
    /// against what live inference produces.
    fn check_features(names: &[String]) -> Result<(), LiveError>;

    /// Check a label list against the order live code interprets.
    fn check_labels(_labels: &[String]) -> Result<(), LiveError> {
        Ok(())
    }

    /// Everything about a loaded model that live serving relies on.
    fn check_live(&self) -> Result<(), LiveError> {
        let info = self.model_info();
        Self::check_features(&info.feature_names)?;
        Self::check_labels(&info.label_order)
    }
}

/// Load and check a model saved in directory `dir`.
pub fn load_dir<M: LiveModel>(dir: &Path) -> Result<M, LiveError> {
    let model = M::load(dir).map_err(|e| LiveError::Load {
        agent: M::AGENT,
        from: dir.display().to_string(),
        source: Box::new(e),
    })?;
    model.check_live()?;
    Ok(model)
}

/// Load and check a model from an artifact blob (`Persist::to_bytes`).
pub fn load_bytes<M: LiveModel>(bytes: &[u8], from: &str) -> Result<M, LiveError> {
    let model = M::from_bytes(bytes).map_err(|e| LiveError::Load {
        agent: M::AGENT,
        from: from.to_string(),
        source: Box::new(e),
    })?;
    model.check_live()?;
    Ok(model)
}

/// Check a pointer before fetching anything: agent, format version, features, labels.
pub fn check_pointer<M: LiveModel>(p: &LatestPointer) -> Result<(), LiveError> {
    if p.agent != M::AGENT {
        return Err(LiveError::Incompatible {
            agent: M::AGENT,
            why: format!("the pointer to `{}` names agent `{}`", p.key, p.agent),
        });
    }
    if p.format_version != M::FORMAT_VERSION {
        return Err(LiveError::Incompatible {
            agent: M::AGENT,
            why: format!(
                "`{}` has format version {}, this build reads version {} (written by {} {})",
                p.key,
                p.format_version,
                M::FORMAT_VERSION,
                p.agent,
                p.crate_version
            ),
        });
    }
    M::check_features(&p.feature_list)?;
    M::check_labels(&p.label_order)
}

/// The current pointer of `M`'s agent for `symbol`, or `None`.
pub fn latest_pointer<M: LiveModel, S: ArtifactStore>(
    registry: &ModelRegistry<S>,
    symbol: &str,
) -> Result<Option<LatestPointer>, LiveError> {
    Ok(registry.latest(M::AGENT, symbol)?)
}

/// Load a model by pointer: fetch the blob, match its hash against the
/// pointer, verify the artifact and check it for live use.
pub fn load_pointer<M: LiveModel, S: ArtifactStore>(
    registry: &ModelRegistry<S>,
    pointer: &LatestPointer,
) -> Result<M, LiveError> {
    check_pointer::<M>(pointer)?;
    let blob = registry.fetch(&pointer.key, Some(&pointer.hash))?;
    let from = format!("{} `{}`", registry.store().describe(), pointer.key);
    load_bytes(&blob, &from)
}

/// Load the model `LATEST.json` points at for `M`'s agent and `symbol`.
pub fn load_latest<M: LiveModel, S: ArtifactStore>(
    registry: &ModelRegistry<S>,
    symbol: &str,
) -> Result<(LatestPointer, M), LiveError> {
    let pointer = latest_pointer::<M, S>(registry, symbol)?.ok_or_else(|| LiveError::NoModel {
        agent: M::AGENT,
        symbol: symbol.to_string(),
        store: registry.store().describe(),
    })?;
    let model = load_pointer(registry, &pointer)?;
    Ok((pointer, model))
}

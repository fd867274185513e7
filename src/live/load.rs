//! Loading artifacts for live use: from a directory or from a registry's
//! `LATEST.json` pointer, verified (agent, format version, checksums: by
//! `agent_core::Persist`), checked for where its training data came from
//! ([`Loader`]) and then against the live feature builder.
//!
//! A model trained on the synthetic market is refused unless the bot opts
//! in with [`Loader::allow_synthetic`]. A model whose manifest records no
//! provenance (written before it was recorded, or trained in code without
//! `set_provenance`) loads with a warning in the log, or is refused under
//! [`Loader::require_provenance`].

use crate::live::error::LiveError;
use agent_core::{Persist, Provenance};
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

/// How models are loaded for serving: which training data a bot accepts.
/// The default (also what the free functions [`load_dir`], [`load_bytes`],
/// [`load_pointer`] and [`load_latest`] use) refuses synthetic models and
/// admits, with a warning, models of unknown provenance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loader {
    allow_synthetic: bool,
    require_provenance: bool,
}

impl Loader {
    /// The default policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve models trained on the synthetic market too (tests, demos,
    /// paper trading); never for real money.
    pub fn allow_synthetic(mut self, allow: bool) -> Self {
        self.allow_synthetic = allow;
        self
    }

    /// Refuse models whose manifest does not say where their data came from.
    pub fn require_provenance(mut self, require: bool) -> Self {
        self.require_provenance = require;
        self
    }

    /// Whether a model trained on data of `provenance` may serve.
    pub fn check_provenance(
        &self,
        agent: &'static str,
        provenance: Option<&Provenance>,
        from: &str,
    ) -> Result<(), LiveError> {
        match provenance {
            Some(p @ Provenance::Synthetic { .. }) if !self.allow_synthetic => {
                Err(LiveError::Provenance {
                    agent,
                    from: from.to_string(),
                    why: format!(
                        "it was trained on {p}, not on a market; a bot serves such a model \
                         only when it opts in with `Loader::allow_synthetic(true)`"
                    ),
                })
            }
            None if self.require_provenance => Err(LiveError::Provenance {
                agent,
                from: from.to_string(),
                why: "its manifest does not say where its training data came from (written \
                      before provenance was recorded); retrain it"
                    .into(),
            }),
            None => {
                tracing::warn!(
                    agent,
                    from,
                    "the model's manifest does not say where its training data came from \
                     (written before provenance was recorded): it may be synthetic"
                );
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    /// Load and check a model saved in directory `dir`.
    pub fn load_dir<M: LiveModel>(&self, dir: &Path) -> Result<M, LiveError> {
        let from = dir.display().to_string();
        let model = M::load(dir).map_err(|e| LiveError::Load {
            agent: M::AGENT,
            from: from.clone(),
            source: Box::new(e),
        })?;
        self.admit(model, &from)
    }

    /// Load and check a model from an artifact blob (`Persist::to_bytes`).
    pub fn load_bytes<M: LiveModel>(&self, bytes: &[u8], from: &str) -> Result<M, LiveError> {
        let model = M::from_bytes(bytes).map_err(|e| LiveError::Load {
            agent: M::AGENT,
            from: from.to_string(),
            source: Box::new(e),
        })?;
        self.admit(model, from)
    }

    fn admit<M: LiveModel>(&self, model: M, from: &str) -> Result<M, LiveError> {
        self.check_provenance(M::AGENT, model.model_info().provenance.as_ref(), from)?;
        model.check_live()?;
        Ok(model)
    }

    /// Load a model by pointer: fetch the blob, match its hash against the
    /// pointer, verify the artifact and check it for live use.
    pub fn load_pointer<M: LiveModel, S: ArtifactStore>(
        &self,
        registry: &ModelRegistry<S>,
        pointer: &LatestPointer,
    ) -> Result<M, LiveError> {
        check_pointer::<M>(pointer)?;
        let blob = registry.fetch(&pointer.key, Some(&pointer.hash))?;
        let from = format!("{} `{}`", registry.store().describe(), pointer.key);
        self.load_bytes(&blob, &from)
    }

    /// Load the model `LATEST.json` points at for `M`'s agent and `symbol`.
    pub fn load_latest<M: LiveModel, S: ArtifactStore>(
        &self,
        registry: &ModelRegistry<S>,
        symbol: &str,
    ) -> Result<(LatestPointer, M), LiveError> {
        let pointer =
            latest_pointer::<M, S>(registry, symbol)?.ok_or_else(|| LiveError::NoModel {
                agent: M::AGENT,
                symbol: symbol.to_string(),
                store: registry.store().describe(),
            })?;
        let model = self.load_pointer(registry, &pointer)?;
        Ok((pointer, model))
    }
}

/// Load and check a model saved in directory `dir` ([`Loader::new`]).
pub fn load_dir<M: LiveModel>(dir: &Path) -> Result<M, LiveError> {
    Loader::new().load_dir(dir)
}

/// Load and check a model from an artifact blob ([`Loader::new`]).
pub fn load_bytes<M: LiveModel>(bytes: &[u8], from: &str) -> Result<M, LiveError> {
    Loader::new().load_bytes(bytes, from)
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

/// Load a model by pointer ([`Loader::new`]).
pub fn load_pointer<M: LiveModel, S: ArtifactStore>(
    registry: &ModelRegistry<S>,
    pointer: &LatestPointer,
) -> Result<M, LiveError> {
    Loader::new().load_pointer(registry, pointer)
}

/// Load the model `LATEST.json` points at for `M`'s agent and `symbol`
/// ([`Loader::new`]).
pub fn load_latest<M: LiveModel, S: ArtifactStore>(
    registry: &ModelRegistry<S>,
    symbol: &str,
) -> Result<(LatestPointer, M), LiveError> {
    Loader::new().load_latest(registry, symbol)
}

//! The model registry on top of any store: versioned artifact blobs per agent
//! and symbol, a `LATEST.json` pointer (the original suite's layout and
//! fields, extended) and a history for rollback.
//!
//! Layout under the prefix (default `models`):
//! `<prefix>/<agent>/<symbol>/<version>.ctart`, `.../LATEST.json`, `.../HISTORY.json`.
//!
//! Models trained on generated prices live under one reserved symbol,
//! [`SYNTHETIC_SYMBOL`], and nowhere else: publishing, promoting and rolling
//! back all refuse a synthetic model under a market's symbol, and anything
//! but a synthetic model under the reserved one ([`check_symbol`]).

use crate::error::{StoreError, describe_json_error};
use crate::{ArtifactStore, validate_key};
use agent_core::persist::{Manifest, Provenance, from_blob, now_rfc3339, sha256_hex};
use agent_core::{Direction, Persist};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the `LATEST.json` layout.
pub const POINTER_SCHEMA: u32 = 1;

/// The symbol models trained on synthetic data are published under. Real
/// symbols never start with `_` ([`check_symbol`]), so no market can be
/// called this.
pub const SYNTHETIC_SYMBOL: &str = "_synthetic";

/// Whether a model whose data is synthetic (or not) may be published under
/// `symbol`: a valid single key segment; a symbol starting with `_` is
/// reserved, and [`SYNTHETIC_SYMBOL`] holds synthetic models only, which
/// go nowhere else. A model of unknown provenance (written before it was
/// recorded) counts as not synthetic.
pub fn check_symbol(symbol: &str, synthetic: bool) -> Result<(), StoreError> {
    let bad = |why: String| StoreError::Symbol {
        symbol: symbol.chars().take(64).collect(),
        why,
    };
    if symbol.contains('/') {
        return Err(bad("a symbol is one name, without `/`".into()));
    }
    validate_key(symbol)?;
    match (symbol == SYNTHETIC_SYMBOL, synthetic) {
        (true, true) => Ok(()),
        (false, true) => Err(bad(format!(
            "a model trained on synthetic data is published under `{SYNTHETIC_SYMBOL}` only, \
             never under a market's symbol"
        ))),
        (true, false) => Err(bad(format!(
            "`{SYNTHETIC_SYMBOL}` holds models trained on synthetic data only"
        ))),
        (false, false) if symbol.starts_with('_') => Err(bad(
            "symbols starting with `_` are reserved; a market's symbol starts with a letter, \
             digit, `-` or `.`"
                .into(),
        )),
        (false, false) => Ok(()),
    }
}

fn is_synthetic(p: Option<&Provenance>) -> bool {
    p.is_some_and(Provenance::is_synthetic)
}

/// What `LATEST.json` says: enough to validate a model before loading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestPointer {
    /// Store key of the artifact blob.
    pub key: String,
    pub schema_version: u32,
    pub agent: String,
    pub symbol: String,
    /// Inputs in order (the original's `feature_list`).
    pub feature_list: Vec<String>,
    pub label_order: Vec<String>,
    /// `sha256:<hex>` of the blob.
    pub hash: String,
    pub format_version: u32,
    pub crate_version: String,
    pub data_fingerprint: Option<String>,
    pub created_at: String,
    pub promoted_at: String,
    pub metrics: BTreeMap<String, serde_json::Value>,
    /// Where the model's training data came from (from its manifest);
    /// absent for models written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// How this model became current: the rule, the model it was compared
    /// with and the numbers of the comparison. Absent for pointers written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion: Option<PromotionRecord>,
}

/// Why a model became current, as its pointer (and later its history
/// entry) records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionRecord {
    /// `always` (forced), `manual` (promote/rollback by hand), `stored_metric`
    /// (the old rule: the metric each model stored when it was trained),
    /// `same_slice` (both models scored on the same data), `first` (no
    /// current model).
    pub rule: String,
    /// Store key of the model that was current when the decision was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
    /// The comparison's inputs and results (metric values, slice, paired
    /// test statistics), as the rule defines them.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl PromotionRecord {
    pub fn new(
        rule: impl Into<String>,
        against: Option<String>,
        details: serde_json::Value,
    ) -> Self {
        Self {
            rule: rule.into(),
            against,
            details,
        }
    }
}

/// Every current model of a registry: the pointers that read well, and one
/// problem per `LATEST.json` that did not, so one corrupt pointer does not
/// hide the others.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurrentModels {
    /// Readable pointers, ordered by agent then symbol.
    pub models: Vec<LatestPointer>,
    /// Pointers that could not be read.
    pub problems: Vec<ListingProblem>,
}

/// A `LATEST.json` that could not be read, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingProblem {
    /// Store key of the pointer.
    pub key: String,
    /// The error, naming store and key (never the file's content).
    pub error: String,
}

/// A stored version.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub key: String,
    pub pointer: LatestPointer,
    /// Whether `LATEST.json` now points at it.
    pub promoted: bool,
    /// Why it was not promoted, when it was not.
    pub reason: Option<String>,
}

/// When a newly published model becomes the current one.
#[derive(Debug, Clone, PartialEq)]
pub enum PromotePolicy {
    /// Always (forced).
    Always,
    /// Never: publish only; promote later by hand.
    Never,
    /// Only when `metric` is at least as good as the current model's (or there
    /// is no current model, or it lacks the metric).
    IfNotWorse {
        metric: String,
        direction: Direction,
    },
    /// The caller compared the candidate with the current model `against`
    /// (`None`: there was none) and decided. If the current model has
    /// changed since, nothing is promoted: the decision was about another
    /// model.
    Decided {
        promote: bool,
        against: Option<String>,
        /// Why not, when not promoted.
        reason: Option<String>,
        record: PromotionRecord,
    },
}

/// Versioned models in a store.
pub struct ModelRegistry<S> {
    store: S,
    prefix: String,
}

fn pointer_from_manifest(m: &Manifest, key: &str, symbol: &str, hash: String) -> LatestPointer {
    LatestPointer {
        key: key.to_string(),
        schema_version: POINTER_SCHEMA,
        agent: m.agent.clone(),
        symbol: symbol.to_string(),
        feature_list: m.feature_names.clone(),
        label_order: m.label_order.clone(),
        hash,
        format_version: m.format_version,
        crate_version: m.crate_version.clone(),
        data_fingerprint: m.data_fingerprint.clone(),
        created_at: m.created_at.clone(),
        promoted_at: now_rfc3339(),
        metrics: m.metrics.clone(),
        provenance: m.provenance.clone(),
        promotion: None,
    }
}

impl<S: ArtifactStore> ModelRegistry<S> {
    /// A registry under the default prefix `models`.
    pub fn new(store: S) -> Self {
        Self::with_prefix(store, "models")
    }

    pub fn with_prefix(store: S, prefix: impl Into<String>) -> Self {
        Self {
            store,
            prefix: prefix.into().trim_matches('/').to_string(),
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    fn dir(&self, agent: &str, symbol: &str) -> Result<String, StoreError> {
        let d = format!("{}/{agent}/{symbol}", self.prefix);
        validate_key(&d)?;
        Ok(d)
    }

    /// A JSON object of the store. A document that does not parse is
    /// `Corrupt`, described by the kind of error and its position only:
    /// serde's own text can quote the document.
    fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        match self.store.get(key)? {
            None => Ok(None),
            Some(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    store: self.store.describe(),
                    key: key.to_string(),
                    why: format!(
                        "not a valid {} ({})",
                        key.rsplit('/').next().unwrap_or(key),
                        describe_json_error(&e)
                    ),
                }),
        }
    }

    fn write_json<T: Serialize>(&self, key: &str, v: &T) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(v).map_err(|e| StoreError::Corrupt {
            store: self.store.describe(),
            key: key.to_string(),
            why: e.to_string(),
        })?;
        self.store.put(key, &bytes)
    }

    /// Store a model and promote it according to `policy`.
    pub fn publish<M: Persist>(
        &self,
        model: &M,
        symbol: &str,
        policy: PromotePolicy,
    ) -> Result<Published, StoreError>
    where
        StoreError: From<M::Error>,
    {
        let blob = model.to_bytes()?;
        self.publish_blob(&blob, symbol, policy)
    }

    /// Store an artifact blob (see `agent_core::persist::to_blob`).
    pub fn publish_blob(
        &self,
        blob: &[u8],
        symbol: &str,
        policy: PromotePolicy,
    ) -> Result<Published, StoreError> {
        let (manifest, _) = from_blob(blob)?;
        check_symbol(symbol, is_synthetic(manifest.provenance.as_ref()))?;
        let dir = self.dir(&manifest.agent, symbol)?;
        let digest = sha256_hex(blob);
        let stamp: String = manifest
            .created_at
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let key = format!("{dir}/{stamp}-{}.ctart", &digest[..12]);
        self.store.put(&key, blob)?;
        let mut pointer =
            pointer_from_manifest(&manifest, &key, symbol, format!("sha256:{digest}"));
        let current = self.latest(&manifest.agent, symbol)?;
        let current_key = current.as_ref().map(|c| c.key.clone());
        let (promote, reason, record) = match (&policy, &current) {
            (PromotePolicy::Always, _) => (
                true,
                None,
                Some(PromotionRecord::new(
                    "always",
                    current_key,
                    serde_json::Value::Null,
                )),
            ),
            (PromotePolicy::Never, _) => {
                (false, Some("promotion policy is `never`".to_string()), None)
            }
            (PromotePolicy::IfNotWorse { .. }, None) => (
                true,
                None,
                Some(PromotionRecord::new("first", None, serde_json::Value::Null)),
            ),
            (PromotePolicy::IfNotWorse { metric, direction }, Some(cur)) => {
                let new = pointer.metrics.get(metric).and_then(|v| v.as_f64());
                let old = cur.metrics.get(metric).and_then(|v| v.as_f64());
                let details = serde_json::json!({
                    "metric": metric, "candidate": new, "current": old,
                    "note": "each model's metric as stored when it was trained (different test periods)",
                });
                let rec = Some(PromotionRecord::new("stored_metric", current_key, details));
                match (new, old) {
                    (Some(n), Some(o)) => {
                        let ok = match direction {
                            Direction::Maximize => n >= o,
                            Direction::Minimize => n <= o,
                        };
                        if ok {
                            (true, None, rec)
                        } else {
                            (
                                false,
                                Some(format!(
                                    "{metric} {n} is worse than the current model's {o}"
                                )),
                                None,
                            )
                        }
                    }
                    (None, _) => (
                        false,
                        Some(format!("new model has no metric `{metric}`")),
                        None,
                    ),
                    (Some(_), None) => (true, None, rec),
                }
            }
            (
                PromotePolicy::Decided {
                    promote,
                    against,
                    reason,
                    record,
                },
                _,
            ) => {
                if *against != current_key {
                    (
                        false,
                        Some(
                            "the current model changed while the candidate was being compared \
                             with it; train again to compare with the new one"
                                .to_string(),
                        ),
                        None,
                    )
                } else if *promote {
                    (true, None, Some(record.clone()))
                } else {
                    (false, reason.clone(), None)
                }
            }
        };
        pointer.promotion = record;
        if promote {
            self.set_latest(&manifest.agent, symbol, &pointer, current)?;
        }
        Ok(Published {
            key,
            pointer,
            promoted: promote,
            reason,
        })
    }

    fn set_latest(
        &self,
        agent: &str,
        symbol: &str,
        pointer: &LatestPointer,
        previous: Option<LatestPointer>,
    ) -> Result<(), StoreError> {
        let dir = self.dir(agent, symbol)?;
        if let Some(prev) = previous {
            let hkey = format!("{dir}/HISTORY.json");
            let mut history: Vec<LatestPointer> = self.read_json(&hkey)?.unwrap_or_default();
            history.push(prev);
            self.write_json(&hkey, &history)?;
        }
        self.write_json(&format!("{dir}/LATEST.json"), pointer)
    }

    /// The current pointer, if any model was promoted.
    pub fn latest(&self, agent: &str, symbol: &str) -> Result<Option<LatestPointer>, StoreError> {
        let dir = self.dir(agent, symbol)?;
        self.read_json(&format!("{dir}/LATEST.json"))
    }

    /// The current model of every agent and symbol. A pointer that cannot
    /// be read, or that names another agent or symbol than its place in the
    /// store, becomes a problem of the listing, not its failure; only when
    /// the store cannot be listed at all is this an error.
    pub fn list_current(&self) -> Result<CurrentModels, StoreError> {
        let mut out = CurrentModels::default();
        let root = format!("{}/", self.prefix);
        for key in self.store.list(&root)? {
            let Some(rest) = key.strip_prefix(&root) else {
                continue;
            };
            let parts: Vec<&str> = rest.split('/').collect();
            let [agent, symbol, "LATEST.json"] = parts[..] else {
                continue;
            };
            let problem = |error: String| ListingProblem {
                key: key.clone(),
                error,
            };
            match self.latest(agent, symbol) {
                Ok(Some(p)) if p.agent == agent && p.symbol == symbol => out.models.push(p),
                Ok(Some(_)) => out.problems.push(problem(format!(
                    "{}: `{key}` is corrupt: the pointer names another agent or symbol than its place",
                    self.store.describe()
                ))),
                // Deleted between listing and reading.
                Ok(None) => {}
                Err(e) => out.problems.push(problem(e.to_string())),
            }
        }
        Ok(out)
    }

    /// Previously current pointers, oldest first.
    pub fn history(&self, agent: &str, symbol: &str) -> Result<Vec<LatestPointer>, StoreError> {
        let dir = self.dir(agent, symbol)?;
        Ok(self
            .read_json(&format!("{dir}/HISTORY.json"))?
            .unwrap_or_default())
    }

    /// Every stored version key of an agent and symbol, oldest first.
    pub fn versions(&self, agent: &str, symbol: &str) -> Result<Vec<String>, StoreError> {
        let dir = self.dir(agent, symbol)?;
        Ok(self
            .store
            .list(&format!("{dir}/"))?
            .into_iter()
            .filter(|k| k.ends_with(".ctart"))
            .collect())
    }

    /// Fetch a blob by key and check it against `expected_hash` and its own
    /// manifest checksums.
    pub fn fetch(&self, key: &str, expected_hash: Option<&str>) -> Result<Vec<u8>, StoreError> {
        let blob = self.store.get(key)?.ok_or_else(|| StoreError::NotFound {
            store: self.store.describe(),
            key: key.to_string(),
        })?;
        if let Some(h) = expected_hash {
            let actual = format!("sha256:{}", sha256_hex(&blob));
            if actual != h {
                return Err(StoreError::Corrupt {
                    store: self.store.describe(),
                    key: key.to_string(),
                    why: format!("hash {actual} does not match the pointer's {h}"),
                });
            }
        }
        from_blob(&blob).map_err(|e| StoreError::Corrupt {
            store: self.store.describe(),
            key: key.to_string(),
            why: e.to_string(),
        })?;
        Ok(blob)
    }

    /// The current model's pointer and verified blob.
    pub fn fetch_latest(
        &self,
        agent: &str,
        symbol: &str,
    ) -> Result<(LatestPointer, Vec<u8>), StoreError> {
        let pointer = self
            .latest(agent, symbol)?
            .ok_or_else(|| StoreError::NoModel {
                store: self.store.describe(),
                agent: agent.to_string(),
                symbol: symbol.to_string(),
            })?;
        let blob = self.fetch(&pointer.key, Some(&pointer.hash))?;
        Ok((pointer, blob))
    }

    /// Load the current model of type `M`, verified end to end.
    pub fn load_latest<M: Persist>(&self, symbol: &str) -> Result<(LatestPointer, M), StoreError>
    where
        StoreError: From<M::Error>,
    {
        let (p, blob) = self.fetch_latest(M::AGENT, symbol)?;
        Ok((p, M::from_bytes(&blob)?))
    }

    /// Point `LATEST.json` at a stored version (verifying it first).
    pub fn promote(&self, key: &str, symbol: &str) -> Result<LatestPointer, StoreError> {
        let blob = self.fetch(key, None)?;
        let (manifest, _) = from_blob(&blob)?;
        check_symbol(symbol, is_synthetic(manifest.provenance.as_ref()))?;
        let pointer = pointer_from_manifest(
            &manifest,
            key,
            symbol,
            format!("sha256:{}", sha256_hex(&blob)),
        );
        let mut pointer = pointer;
        let current = self.latest(&manifest.agent, symbol)?;
        pointer.promotion = Some(PromotionRecord::new(
            "manual",
            current.as_ref().map(|c| c.key.clone()),
            serde_json::Value::Null,
        ));
        self.set_latest(&manifest.agent, symbol, &pointer, current)?;
        Ok(pointer)
    }

    /// Make the previous current model current again.
    pub fn rollback(&self, agent: &str, symbol: &str) -> Result<LatestPointer, StoreError> {
        let dir = self.dir(agent, symbol)?;
        let hkey = format!("{dir}/HISTORY.json");
        let mut history: Vec<LatestPointer> = self.read_json(&hkey)?.unwrap_or_default();
        let mut prev = history.pop().ok_or_else(|| StoreError::NoHistory {
            agent: agent.to_string(),
            symbol: symbol.to_string(),
        })?;
        // Verify before switching: a rollback must not make a broken model
        // current, nor a synthetic one current for a market's symbol.
        let blob = self.fetch(&prev.key, Some(&prev.hash))?;
        let (manifest, _) = from_blob(&blob)?;
        check_symbol(symbol, is_synthetic(manifest.provenance.as_ref()))?;
        prev.promoted_at = now_rfc3339();
        self.write_json(&hkey, &history)?;
        self.write_json(&format!("{dir}/LATEST.json"), &prev)?;
        Ok(prev)
    }
}

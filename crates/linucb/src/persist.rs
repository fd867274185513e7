//! Artifacts: one NumPy `.npy` per array and bandit, plus `model.json` and
//! the checked `manifest.json` (see `agent_core::Persist`). The bandit of
//! regime `i` (or the single bandit, `r0`) is stored as:
//!
//! | file | shape | dtype |
//! |---|---|---|
//! | `r{i}_A.npy` | (K, d, d) | float64 |
//! | `r{i}_A_inv.npy` | (K, d, d) | float64 |
//! | `r{i}_b.npy` | (K, d) | float64 |
//! | `r{i}_theta.npy` | (K, d) | float64 (`A_inv @ b`) |
//! | `r{i}_counts.npy` | (K,) | int64 |
//!
//! Hybrid models add `r{i}_B.npy` (K, d, kz), `r{i}_A0.npy`,
//! `r{i}_A0_inv.npy` (kz, kz), `r{i}_b0.npy`, `r{i}_beta.npy` (kz,), and the
//! running sums `r{i}_zz.npy` (kz, kz) and `r{i}_rz.npy` (kz,).
//! `numpy.load(path)` reads every file (no pickle). The whole artifact also
//! travels as one base64 string ([`LinUcb::to_base64`]).

use crate::disjoint::{DisjointLinUcb, DisjointParts};
use crate::error::{LinUcbError, Result};
use crate::hybrid::{HybridLinUcb, HybridParts};
use crate::hyperparams::{LinUcbValidParams, RegimeMode, Variant};
use crate::model::{Engines, LinUcb};
use agent_core::npy;
use agent_core::{ArtifactFiles, CoreError, Manifest, ModelInfo, Persist, StandardScaler};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

const MODEL_FILE: &str = "model.json";

/// `model.json`: everything but the arrays.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ModelDoc {
    params: LinUcbValidParams,
    arm_names: Vec<String>,
    regime_names: Vec<String>,
    feature_names: Vec<String>,
    context_layout: Vec<String>,
    context_dim: usize,
    scaler: Option<StandardScaler>,
    bandits: Vec<BanditDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct BanditDoc {
    /// File name prefix, `r0`, `r1`, ...
    prefix: String,
    /// The regime this bandit serves (`per_regime`), else `null`.
    regime: Option<String>,
    /// Updates of each arm since its last exact re-inversion.
    since_reinvert: Vec<u64>,
}

fn malformed(files: &ArtifactFiles, why: String) -> LinUcbError {
    LinUcbError::Core(CoreError::Malformed {
        path: files.origin().to_path_buf(),
        why,
    })
}

/// Check the header of `.npy` file `name` against `shape` without decoding
/// it: its dtype, its shape, and that its data fill the file exactly.
fn check_npy(files: &ArtifactFiles, name: &str, descr: &str, shape: &[usize]) -> Result<()> {
    let h = npy::parse_header(files.get(name)?)?;
    if h.descr != descr || h.shape != shape {
        return Err(malformed(
            files,
            format!(
                "{name} holds {} with shape {:?}, expected {descr} with shape {shape:?}",
                h.descr, h.shape
            ),
        ));
    }
    Ok(())
}

/// The `.npy` files of bandit `prefix` with their dtype and shape.
fn bandit_files(
    prefix: &str,
    hybrid: bool,
    k: usize,
    d: usize,
    kz: usize,
) -> Vec<(String, &'static str, Vec<usize>)> {
    let f = |s: &str| format!("{prefix}_{s}.npy");
    let mut v = vec![
        (f("A"), "<f8", vec![k, d, d]),
        (f("A_inv"), "<f8", vec![k, d, d]),
        (f("b"), "<f8", vec![k, d]),
        (f("counts"), "<i8", vec![k]),
    ];
    if hybrid {
        v.extend([
            (f("B"), "<f8", vec![k, d, kz]),
            (f("zz"), "<f8", vec![kz, kz]),
            (f("rz"), "<f8", vec![kz]),
        ]);
    } else {
        v.push((f("theta"), "<f8", vec![k, d]));
    }
    v
}

fn get_f64(files: &ArtifactFiles, name: &str, shape: &[usize]) -> Result<Vec<f64>> {
    let (s, v) = npy::decode::<f64>(files.get(name)?)?;
    if s != shape {
        return Err(malformed(
            files,
            format!("{name} has shape {s:?}, expected {shape:?}"),
        ));
    }
    Ok(v)
}

fn counts_to_npy(c: &[u64]) -> Result<Vec<u8>> {
    let v: Vec<i64> = c
        .iter()
        .map(|&x| {
            i64::try_from(x)
                .map_err(|_| LinUcbError::InvalidData(format!("count {x} overflows int64")))
        })
        .collect::<Result<_>>()?;
    Ok(npy::encode(&[v.len()], &v)?)
}

fn get_counts(files: &ArtifactFiles, name: &str, k: usize) -> Result<Vec<u64>> {
    let (s, v) = npy::decode::<i64>(files.get(name)?)?;
    if s != [k] {
        return Err(malformed(
            files,
            format!("{name} has shape {s:?}, expected [{k}]"),
        ));
    }
    v.iter()
        .map(|&x| {
            u64::try_from(x)
                .map_err(|_| malformed(files, format!("{name} holds a negative count {x}")))
        })
        .collect()
}

impl Persist for LinUcb {
    const AGENT: &'static str = "linucb";
    const FORMAT_VERSION: u32 = 1;
    const CRATE_VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Error = LinUcbError;

    fn model_info(&self) -> ModelInfo {
        ModelInfo {
            hyperparameters: serde_json::to_value(&self.params).unwrap_or_default(),
            data_fingerprint: self.data_fingerprint.clone(),
            provenance: self.provenance.clone(),
            feature_names: self.feature_names.clone(),
            label_order: self.arm_names.clone(),
            metrics: self.metrics.clone(),
            extra: serde_json::json!({
                "regime_names": self.regime_names,
                "regime_mode": self.params.regime_mode,
                "context_layout": self.context_layout(),
                "n_bandits": self.n_bandits(),
            }),
        }
    }

    fn to_files(&self) -> Result<ArtifactFiles> {
        let mut f = ArtifactFiles::new();
        let (k, d) = (self.n_arms(), self.context_dim());
        let mut bandits = Vec::new();
        let regime_of = |i: usize| match self.params.regime_mode {
            RegimeMode::PerRegime => Some(self.regime_names[i].clone()),
            _ => None,
        };
        match &self.engines {
            Engines::Disjoint(v) => {
                for (i, b) in v.iter().enumerate() {
                    let p = format!("r{i}");
                    f.insert(format!("{p}_A.npy"), npy::encode(&[k, d, d], b.a_all())?)?;
                    f.insert(
                        format!("{p}_A_inv.npy"),
                        npy::encode(&[k, d, d], b.a_inv_all())?,
                    )?;
                    f.insert(format!("{p}_b.npy"), npy::encode(&[k, d], b.b_all())?)?;
                    f.insert(
                        format!("{p}_theta.npy"),
                        npy::encode(&[k, d], b.theta_all())?,
                    )?;
                    f.insert(format!("{p}_counts.npy"), counts_to_npy(b.counts())?)?;
                    bandits.push(BanditDoc {
                        prefix: p,
                        regime: regime_of(i),
                        since_reinvert: b.since_reinvert().to_vec(),
                    });
                }
            }
            Engines::Hybrid(v) => {
                for (i, b) in v.iter().enumerate() {
                    let p = format!("r{i}");
                    let kz = b.shared_dim();
                    f.insert(format!("{p}_A.npy"), npy::encode(&[k, d, d], b.a_all())?)?;
                    f.insert(
                        format!("{p}_A_inv.npy"),
                        npy::encode(&[k, d, d], b.a_inv_all())?,
                    )?;
                    f.insert(format!("{p}_b.npy"), npy::encode(&[k, d], b.b_all())?)?;
                    f.insert(format!("{p}_B.npy"), npy::encode(&[k, d, kz], b.bm_all())?)?;
                    f.insert(format!("{p}_counts.npy"), counts_to_npy(b.counts())?)?;
                    f.insert(format!("{p}_A0.npy"), npy::encode(&[kz, kz], b.a0())?)?;
                    f.insert(
                        format!("{p}_A0_inv.npy"),
                        npy::encode(&[kz, kz], b.a0_inv())?,
                    )?;
                    f.insert(format!("{p}_b0.npy"), npy::encode(&[kz], b.b0())?)?;
                    f.insert(format!("{p}_beta.npy"), npy::encode(&[kz], b.beta())?)?;
                    f.insert(format!("{p}_zz.npy"), npy::encode(&[kz, kz], b.zz())?)?;
                    f.insert(format!("{p}_rz.npy"), npy::encode(&[kz], b.rz())?)?;
                    bandits.push(BanditDoc {
                        prefix: p,
                        regime: regime_of(i),
                        since_reinvert: b.since_reinvert().to_vec(),
                    });
                }
            }
        }
        let doc = ModelDoc {
            params: self.params.clone(),
            arm_names: self.arm_names.clone(),
            regime_names: self.regime_names.clone(),
            feature_names: self.feature_names.clone(),
            context_layout: self.context_layout(),
            context_dim: d,
            scaler: self.scaler.clone(),
            bandits,
        };
        let json = serde_json::to_vec_pretty(&doc).map_err(|source| CoreError::Json {
            what: MODEL_FILE.into(),
            source,
        })?;
        f.insert(MODEL_FILE, json)?;
        Ok(f)
    }

    fn from_files(manifest: &Manifest, files: &ArtifactFiles) -> Result<Self> {
        let doc: ModelDoc = files.json(MODEL_FILE)?;
        // Re-validate the parameters as if a user had typed them.
        let params = {
            use agent_core::ParamGuard;
            let p = &doc.params;
            crate::LinUcbParams::new()
                .alpha(p.alpha)
                .lambda(p.lambda)
                .variant(p.variant.clone())
                .regime_mode(p.regime_mode)
                .intercept(p.intercept)
                .standardize(p.standardize)
                .reinvert_every(p.reinvert_every)
                .full_feedback_fit(p.full_feedback_fit)
                .check()?
        };
        // Everything that sizes the model is checked before it is built:
        // `LinUcb::new` allocates arms x context² values per bandit, and
        // model.json alone must not be able to ask for that. The `.npy`
        // headers must agree with model.json and their data must be present,
        // so what is allocated is bounded by the bytes actually read.
        let n_regimes = match (doc.regime_names.len(), params.regime_mode) {
            (0, RegimeMode::Ignore) => 1,
            (n, _) => n,
        };
        let (k, d) = (doc.arm_names.len(), doc.context_dim);
        if d != crate::model::context_dim(&params, n_regimes, doc.feature_names.len()) {
            return Err(malformed(
                files,
                format!(
                    "model.json says the context has {d} values, its names and parameters give {}",
                    crate::model::context_dim(&params, n_regimes, doc.feature_names.len())
                ),
            ));
        }
        crate::model::check_size(&params, k, n_regimes, doc.feature_names.len())?;
        let n_bandits = match params.regime_mode {
            RegimeMode::PerRegime => n_regimes,
            RegimeMode::Context | RegimeMode::Ignore => 1,
        };
        if doc.bandits.len() != n_bandits {
            return Err(malformed(
                files,
                format!(
                    "model.json lists {} bandits, the regime mode needs {n_bandits}",
                    doc.bandits.len(),
                ),
            ));
        }
        let hybrid = matches!(params.variant, Variant::Hybrid { .. });
        let kz = crate::model::shared_dim(&params, d);
        for bd in &doc.bandits {
            for (name, descr, shape) in bandit_files(&bd.prefix, hybrid, k, d, kz) {
                check_npy(files, &name, descr, &shape)?;
            }
        }
        let mut model = LinUcb::new(
            &params,
            doc.arm_names.clone(),
            doc.regime_names.clone(),
            doc.feature_names.clone(),
        )?;
        if model.context_dim() != doc.context_dim || model.context_layout() != doc.context_layout {
            return Err(malformed(
                files,
                format!(
                    "model.json says the context is {:?}, the parameters give {:?}",
                    doc.context_layout,
                    model.context_layout()
                ),
            ));
        }
        if let Some(s) = doc.scaler.clone() {
            model = model.with_scaler(s)?;
        }
        let p = &params;
        model.engines = match &p.variant {
            Variant::Disjoint => Engines::Disjoint(
                doc.bandits
                    .iter()
                    .map(|bd| {
                        let q = &bd.prefix;
                        DisjointLinUcb::from_parts(
                            d,
                            k,
                            p.alpha,
                            p.lambda,
                            p.reinvert_every,
                            DisjointParts {
                                a: get_f64(files, &format!("{q}_A.npy"), &[k, d, d])?,
                                a_inv: get_f64(files, &format!("{q}_A_inv.npy"), &[k, d, d])?,
                                b: get_f64(files, &format!("{q}_b.npy"), &[k, d])?,
                                theta: Some(get_f64(files, &format!("{q}_theta.npy"), &[k, d])?),
                                counts: get_counts(files, &format!("{q}_counts.npy"), k)?,
                                since_reinvert: bd.since_reinvert.clone(),
                            },
                        )
                    })
                    .collect::<Result<_>>()?,
            ),
            Variant::Hybrid { arm_attributes } => Engines::Hybrid(
                doc.bandits
                    .iter()
                    .map(|bd| {
                        let q = &bd.prefix;
                        let kz = model.hybrid(0).map_or(0, HybridLinUcb::shared_dim);
                        HybridLinUcb::from_parts(
                            d,
                            k,
                            arm_attributes.as_deref(),
                            p.alpha,
                            p.lambda,
                            p.reinvert_every,
                            HybridParts {
                                zz: get_f64(files, &format!("{q}_zz.npy"), &[kz, kz])?,
                                rz: get_f64(files, &format!("{q}_rz.npy"), &[kz])?,
                                a: get_f64(files, &format!("{q}_A.npy"), &[k, d, d])?,
                                a_inv: get_f64(files, &format!("{q}_A_inv.npy"), &[k, d, d])?,
                                bm: get_f64(files, &format!("{q}_B.npy"), &[k, d, kz])?,
                                b: get_f64(files, &format!("{q}_b.npy"), &[k, d])?,
                                counts: get_counts(files, &format!("{q}_counts.npy"), k)?,
                                since_reinvert: bd.since_reinvert.clone(),
                            },
                        )
                    })
                    .collect::<Result<_>>()?,
            ),
        };
        model.metrics = manifest.metrics.clone();
        model.data_fingerprint = manifest.data_fingerprint.clone();
        model.provenance = manifest.provenance.clone();
        Ok(model)
    }
}

impl LinUcb {
    /// The whole artifact (manifest and every file) as one base64 string,
    /// for embedding in a config or a database row.
    pub fn to_base64(&self) -> Result<String> {
        Ok(base64::engine::general_purpose::STANDARD.encode(self.to_bytes()?))
    }

    /// Load from [`LinUcb::to_base64`]'s string (checksums verified).
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| LinUcbError::InvalidData(format!("not valid base64: {e}")))?;
        Self::from_bytes(&bytes)
    }
}

impl LinUcb {
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

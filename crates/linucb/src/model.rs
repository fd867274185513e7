//! The trading-bot facing agent: a LinUCB strategy selector with named
//! strategies (arms), named market regimes and named market features.
//!
//! The context a bandit sees is built from what the bot passes, in this
//! order: `[1 (intercept)] ++ [one-hot regime (regime_mode = context)] ++
//! standardised features`. Regimes either pick one of several independent
//! bandits (`per_regime`), enter the context (`context`) or are ignored.

use crate::data::{AggregateTable, BanditData, Feedback};
use crate::disjoint::DisjointLinUcb;
use crate::error::{LinUcbError, Result};
use crate::hybrid::HybridLinUcb;
use crate::hyperparams::{FullFeedbackFit, LinUcbValidParams, RegimeMode, Variant};
use agent_core::{CoreError, Fit, StandardScaler};
use std::collections::BTreeMap;

/// One bandit per regime (or a single one).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Engines {
    Disjoint(Vec<DisjointLinUcb>),
    Hybrid(Vec<HybridLinUcb>),
}

/// (model arm of each data arm, data arm of each model arm, model regime of
/// each data regime).
pub(crate) type NameMaps = (Vec<usize>, Vec<Option<usize>>, Vec<usize>);

/// How [`LinUcb::replay`] learns while it evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learn {
    /// Frozen model: pure evaluation.
    Off,
    /// Learn what a live bandit would see: the chosen arm's reward only
    /// (for logged data: only events where the choice matches the log).
    Chosen,
    /// Learn every known reward (all arms of full-information data; every
    /// logged event of a trade log, matched or not).
    AllArms,
}

/// Most strategies (arms) a selector may have.
pub const MAX_ARMS: usize = 1024;
/// Most regimes a selector may have.
pub const MAX_REGIMES: usize = 1024;
/// Most market features a selector may take.
pub const MAX_FEATURES: usize = 4096;
/// Most f64 values the bandits' state and scratch may hold together (1 GiB):
/// a model's memory grows with arms x context², so names alone (say from a
/// hostile `model.json`) must not be able to ask for more.
pub const MAX_STATE_VALUES: u64 = 1 << 27;

/// A LinUCB strategy selector.
#[derive(Debug, Clone)]
pub struct LinUcb {
    pub(crate) params: LinUcbValidParams,
    pub(crate) arm_names: Vec<String>,
    pub(crate) regime_names: Vec<String>,
    pub(crate) feature_names: Vec<String>,
    pub(crate) scaler: Option<StandardScaler>,
    pub(crate) engines: Engines,
    /// Scratch for the assembled context (no allocation per decision).
    pub(crate) x: Vec<f64>,
    pub(crate) metrics: BTreeMap<String, serde_json::Value>,
    pub(crate) data_fingerprint: Option<String>,
    /// Where the training data came from (see `agent_core::provenance`).
    pub(crate) provenance: Option<agent_core::Provenance>,
}

impl PartialEq for LinUcb {
    /// Equal learnt state and configuration. Scratch buffers and the
    /// recorded metrics (reports, which JSON may round in the last digit)
    /// are not compared.
    fn eq(&self, o: &Self) -> bool {
        self.params == o.params
            && self.arm_names == o.arm_names
            && self.regime_names == o.regime_names
            && self.feature_names == o.feature_names
            && self.scaler == o.scaler
            && self.engines == o.engines
            && self.data_fingerprint == o.data_fingerprint
            && self.provenance == o.provenance
    }
}

impl LinUcb {
    /// A fresh selector. `regime_names` may be empty only with
    /// [`RegimeMode::Ignore`] (a single regime `all` is used).
    pub fn new(
        params: &LinUcbValidParams,
        arm_names: Vec<String>,
        regime_names: Vec<String>,
        feature_names: Vec<String>,
    ) -> Result<Self> {
        let regime_names = if regime_names.is_empty() && params.regime_mode == RegimeMode::Ignore {
            vec!["all".to_string()]
        } else {
            regime_names
        };
        check_size(
            params,
            arm_names.len(),
            regime_names.len(),
            feature_names.len(),
        )?;
        // Reuse the data checks on names (empty, duplicates).
        BanditData::new_full(
            arm_names.clone(),
            regime_names.clone(),
            feature_names.clone(),
            vec![],
            vec![],
            vec![],
        )?;
        let d = context_dim(params, regime_names.len(), feature_names.len());
        if d == 0 {
            return Err(LinUcbError::InvalidData(
                "the context is empty: enable the intercept, use regime_mode = context or pass features"
                    .into(),
            ));
        }
        let n_engines = match params.regime_mode {
            RegimeMode::PerRegime => regime_names.len(),
            RegimeMode::Context | RegimeMode::Ignore => 1,
        };
        let k = arm_names.len();
        let engines = match &params.variant {
            Variant::Disjoint => Engines::Disjoint(
                (0..n_engines)
                    .map(|_| {
                        DisjointLinUcb::new(
                            d,
                            k,
                            params.alpha,
                            params.lambda,
                            params.reinvert_every,
                        )
                    })
                    .collect::<Result<_>>()?,
            ),
            Variant::Hybrid { arm_attributes } => {
                if let Some(rows) = arm_attributes
                    && rows.len() != k
                {
                    return Err(LinUcbError::invalid_param(
                        "arm_attributes",
                        format!("{} rows", rows.len()),
                        "needs exactly one row per strategy",
                    ));
                }
                Engines::Hybrid(
                    (0..n_engines)
                        .map(|_| {
                            HybridLinUcb::new(
                                d,
                                k,
                                arm_attributes.as_deref(),
                                params.alpha,
                                params.lambda,
                                params.reinvert_every,
                            )
                        })
                        .collect::<Result<_>>()?,
                )
            }
        };
        Ok(Self {
            params: params.clone(),
            arm_names,
            regime_names,
            feature_names,
            scaler: None,
            engines,
            x: vec![0.0; d],
            metrics: BTreeMap::new(),
            data_fingerprint: None,
            provenance: None,
        })
    }

    /// Standardise features with `scaler` (fitted on training rows) before
    /// they enter the context.
    pub fn with_scaler(mut self, scaler: StandardScaler) -> Result<Self> {
        if scaler.n_features() != self.feature_names.len() {
            return Err(LinUcbError::Core(CoreError::Shape {
                what: "scaler features",
                expected: self.feature_names.len().to_string(),
                got: scaler.n_features().to_string(),
            }));
        }
        if scaler
            .mean
            .iter()
            .chain(&scaler.scale)
            .any(|v| !v.is_finite())
            || scaler.scale.iter().any(|&s| s <= 0.0)
        {
            return Err(LinUcbError::InvalidData(
                "scaler has a non-finite mean or a non-positive scale".into(),
            ));
        }
        self.scaler = Some(scaler);
        Ok(self)
    }

    pub fn params(&self) -> &LinUcbValidParams {
        &self.params
    }
    pub fn arm_names(&self) -> &[String] {
        &self.arm_names
    }
    pub fn arm_name(&self, arm: usize) -> Option<&str> {
        self.arm_names.get(arm).map(String::as_str)
    }
    pub fn regime_names(&self) -> &[String] {
        &self.regime_names
    }
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    pub fn scaler(&self) -> Option<&StandardScaler> {
        self.scaler.as_ref()
    }
    pub fn n_arms(&self) -> usize {
        self.arm_names.len()
    }
    /// Dimension of the assembled context.
    pub fn context_dim(&self) -> usize {
        self.x.len()
    }
    /// Names of the assembled context's entries, in order.
    pub fn context_layout(&self) -> Vec<String> {
        let mut v = Vec::with_capacity(self.x.len());
        if self.params.intercept {
            v.push("intercept".to_string());
        }
        if self.params.regime_mode == RegimeMode::Context {
            v.extend(self.regime_names.iter().map(|r| format!("regime={r}")));
        }
        v.extend(self.feature_names.iter().cloned());
        v
    }
    /// Number of underlying bandits (regimes with `per_regime`, else 1).
    pub fn n_bandits(&self) -> usize {
        match &self.engines {
            Engines::Disjoint(e) => e.len(),
            Engines::Hybrid(e) => e.len(),
        }
    }
    /// The disjoint bandit `i` (see [`LinUcb::n_bandits`]), if disjoint.
    pub fn disjoint(&self, i: usize) -> Option<&DisjointLinUcb> {
        match &self.engines {
            Engines::Disjoint(e) => e.get(i),
            Engines::Hybrid(_) => None,
        }
    }
    /// The hybrid bandit `i`, if hybrid.
    pub fn hybrid(&self, i: usize) -> Option<&HybridLinUcb> {
        match &self.engines {
            Engines::Hybrid(e) => e.get(i),
            Engines::Disjoint(_) => None,
        }
    }
    /// Out-of-sample metrics recorded with [`LinUcb::record_metrics`].
    pub fn metrics(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.metrics
    }
    pub fn data_fingerprint(&self) -> Option<&str> {
        self.data_fingerprint.as_deref()
    }

    /// Index of a strategy by name.
    pub fn arm_index(&self, name: &str) -> Result<usize> {
        self.arm_names
            .iter()
            .position(|a| a == name)
            .ok_or_else(|| LinUcbError::UnknownArm {
                name: name.to_string(),
                known: self.arm_names.clone(),
            })
    }
    /// Index of a regime by name.
    pub fn regime_index(&self, name: &str) -> Result<usize> {
        self.regime_names
            .iter()
            .position(|a| a == name)
            .ok_or_else(|| LinUcbError::UnknownRegime {
                name: name.to_string(),
                known: self.regime_names.clone(),
            })
    }

    /// Change the exploration width of every bandit (0 = greedy).
    pub fn set_alpha(&mut self, alpha: f64) -> Result<()> {
        match &mut self.engines {
            Engines::Disjoint(e) => e.iter_mut().try_for_each(|b| b.set_alpha(alpha))?,
            Engines::Hybrid(e) => e.iter_mut().try_for_each(|b| b.set_alpha(alpha))?,
        }
        self.params.alpha = alpha;
        Ok(())
    }

    /// Assemble the context into the scratch buffer; returns the bandit index.
    #[inline]
    fn build(&mut self, regime: usize, features: &[f64]) -> Result<usize> {
        let nr = self.regime_names.len();
        if regime >= nr {
            return Err(LinUcbError::RegimeOutOfRange {
                regime,
                n_regimes: nr,
            });
        }
        let p = self.feature_names.len();
        if features.len() != p {
            return Err(LinUcbError::ContextLength {
                what: "market features",
                expected: p,
                got: features.len(),
            });
        }
        let mut pos = 0;
        if self.params.intercept {
            self.x[0] = 1.0;
            pos = 1;
        }
        if self.params.regime_mode == RegimeMode::Context {
            self.x[pos..pos + nr].fill(0.0);
            self.x[pos + regime] = 1.0;
            pos += nr;
        }
        let dst = &mut self.x[pos..pos + p];
        match &self.scaler {
            Some(s) => {
                for (((o, v), m), sc) in dst.iter_mut().zip(features).zip(&s.mean).zip(&s.scale) {
                    *o = (v - m) / sc;
                }
            }
            None => dst.copy_from_slice(features),
        }
        if let Some(i) = dst.iter().position(|v| !v.is_finite()) {
            return Err(LinUcbError::NonFiniteContext {
                index: pos + i,
                value: features[i],
            });
        }
        Ok(match self.params.regime_mode {
            RegimeMode::PerRegime => regime,
            _ => 0,
        })
    }

    /// The assembled context the bandit sees for this regime and these raw
    /// features (see [`LinUcb::context_layout`]); for inspection and tests.
    pub fn context_vector(&mut self, regime: usize, features: &[f64]) -> Result<Vec<f64>> {
        self.build(regime, features)?;
        Ok(self.x.clone())
    }

    /// Choose a strategy for the current market: returns the strategy index
    /// and every strategy's upper confidence bound. No allocation.
    pub fn select(&mut self, regime: usize, features: &[f64]) -> Result<(usize, &[f64])> {
        let e = self.build(regime, features)?;
        Ok(match &mut self.engines {
            Engines::Disjoint(v) => {
                let b = &mut v[e];
                let a = b.select_unchecked(&self.x);
                (a, b.last_scores())
            }
            Engines::Hybrid(v) => {
                let b = &mut v[e];
                let a = b.select_unchecked(&self.x);
                (a, b.last_scores())
            }
        })
    }

    /// Learn the realised reward of `arm` (e.g. the strategy's PnL over the
    /// decision period) in this regime and market.
    pub fn update(
        &mut self,
        regime: usize,
        features: &[f64],
        arm: usize,
        reward: f64,
    ) -> Result<()> {
        self.update_weighted(regime, features, arm, reward, 1)
    }

    /// Learn `weight` identical observations at once.
    pub fn update_weighted(
        &mut self,
        regime: usize,
        features: &[f64],
        arm: usize,
        reward: f64,
        weight: u64,
    ) -> Result<()> {
        if arm >= self.arm_names.len() {
            return Err(LinUcbError::ArmOutOfRange {
                arm,
                n_arms: self.arm_names.len(),
            });
        }
        crate::disjoint::check_reward(reward)?;
        let e = self.build(regime, features)?;
        if weight == 0 {
            return Ok(());
        }
        self.update_engine(e, arm, reward, weight)
    }

    fn update_engine(&mut self, e: usize, arm: usize, reward: f64, weight: u64) -> Result<()> {
        match &mut self.engines {
            Engines::Disjoint(v) => v[e].update_unchecked(&self.x, arm, reward, weight),
            Engines::Hybrid(v) => v[e].update_unchecked(&self.x, arm, reward, weight),
        }
    }

    fn select_built(&mut self, e: usize) -> usize {
        match &mut self.engines {
            Engines::Disjoint(v) => v[e].select_unchecked(&self.x),
            Engines::Hybrid(v) => v[e].select_unchecked(&self.x),
        }
    }

    /// Warm start from aggregated statistics: each (regime, strategy) row
    /// adds `trades` pseudo-observations of reward `mean_pnl` in the
    /// regime's context, with every market feature at its training mean
    /// (0 after standardisation). Aggregates carry no market features, so
    /// this informs the intercept and regime terms only, not the slopes,
    /// and it overstates certainty when trades are correlated. Returns the
    /// number of pseudo-observations added.
    pub fn warm_start(&mut self, table: &AggregateTable) -> Result<u64> {
        if !self.params.intercept && self.params.regime_mode != RegimeMode::Context {
            return Err(LinUcbError::InvalidData(
                "aggregate rows carry no market features: a warm start needs intercept = true \
                 or regime_mode = context"
                    .into(),
            ));
        }
        let arm_map = map_names(&table.arm_names, &self.arm_names, |n| {
            LinUcbError::UnknownArm {
                name: n.to_string(),
                known: self.arm_names.clone(),
            }
        })?;
        let regime_map = map_names(&table.regime_names, &self.regime_names, |n| {
            LinUcbError::UnknownRegime {
                name: n.to_string(),
                known: self.regime_names.clone(),
            }
        })?;
        // Features at their mean: raw value = scaler mean (or 0 without a scaler).
        let neutral: Vec<f64> = match &self.scaler {
            Some(s) => s.mean.clone(),
            None => vec![0.0; self.feature_names.len()],
        };
        let mut added = 0;
        for r in &table.rows {
            if r.trades == 0 {
                continue;
            }
            self.update_weighted(
                regime_map[r.regime],
                &neutral,
                arm_map[r.arm],
                r.mean_pnl,
                r.trades,
            )?;
            added += r.trades;
        }
        Ok(added)
    }

    /// Continue training on a sequence of events, in order. Logged events
    /// update their logged strategy; full-information events update every
    /// strategy or replay as a bandit, per
    /// [`crate::LinUcbParams::full_feedback_fit`].
    pub fn partial_fit(&mut self, data: &BanditData) -> Result<()> {
        match (data.feedback(), self.params.full_feedback_fit) {
            (Feedback::Full { .. }, FullFeedbackFit::Bandit) => {
                self.replay(data, Learn::Chosen)?;
                Ok(())
            }
            _ => {
                self.replay(data, Learn::AllArms)?;
                Ok(())
            }
        }
    }

    /// Check that `data` speaks this model's language; returns
    /// (model arm of each data arm, data arm of each model arm, model regime
    /// of each data regime).
    pub(crate) fn mapping(&self, data: &BanditData) -> Result<NameMaps> {
        if data.feature_names() != self.feature_names.as_slice() {
            return Err(LinUcbError::Core(CoreError::FeatureMismatch {
                expected: self.feature_names.clone(),
                got: data.feature_names().to_vec(),
            }));
        }
        let to_model = map_names(data.arm_names(), &self.arm_names, |n| {
            LinUcbError::UnknownArm {
                name: n.to_string(),
                known: self.arm_names.clone(),
            }
        })?;
        let mut to_data = vec![None; self.arm_names.len()];
        for (d, &m) in to_model.iter().enumerate() {
            to_data[m] = Some(d);
        }
        let regimes = map_names(data.regime_names(), &self.regime_names, |n| {
            LinUcbError::UnknownRegime {
                name: n.to_string(),
                known: self.regime_names.clone(),
            }
        })?;
        Ok((to_model, to_data, regimes))
    }

    /// Offline evaluation by replay (Li et al. 2011), in time order.
    ///
    /// Full-information data: at every event the model chooses, earns the
    /// chosen strategy's reward, and is compared with the best fixed
    /// strategy in hindsight. Logged data: only events where the choice
    /// matches the logged strategy count (unbiased when the log was
    /// collected by a uniformly random policy). `learn` says what the model
    /// learns on the way; pass a clone to keep the model unchanged.
    pub fn replay(&mut self, data: &BanditData, learn: Learn) -> Result<crate::ReplayReport> {
        let (to_model, to_data, regime_map) = self.mapping(data)?;
        let k = self.arm_names.len();
        if data.is_full_information()
            && let Some(m) = to_data.iter().position(Option::is_none)
        {
            return Err(LinUcbError::InvalidData(format!(
                "the data has no returns for strategy `{}`, so choices of it cannot be scored",
                self.arm_names[m]
            )));
        }
        let mut rep = crate::replay::Recorder::new(
            self.arm_names.clone(),
            self.regime_names.clone(),
            data.is_full_information(),
            data.len(),
        );
        let mut row_rewards = vec![0.0; k];
        for i in 0..data.len() {
            let regime = regime_map[data.regime(i)];
            let e = self.build(regime, data.context(i))?;
            let choice = self.select_built(e);
            match data.feedback() {
                Feedback::Full { rewards } => {
                    let row = &rewards[i * data.n_arms()..(i + 1) * data.n_arms()];
                    for (m, r) in row_rewards.iter_mut().enumerate() {
                        // Every model arm has a data column (checked above).
                        *r = to_data[m].map_or(0.0, |d| row[d]);
                    }
                    rep.full(regime, choice, &row_rewards);
                    match learn {
                        Learn::Off => {}
                        Learn::Chosen => self.update_engine(e, choice, row_rewards[choice], 1)?,
                        Learn::AllArms => {
                            for (m, &r) in row_rewards.iter().enumerate() {
                                self.update_engine(e, m, r, 1)?;
                            }
                        }
                    }
                }
                Feedback::Logged { arms, rewards } => {
                    let logged = to_model[arms[i]];
                    let r = rewards[i];
                    rep.logged(regime, choice, logged, r);
                    let learn_now = match learn {
                        Learn::Off => false,
                        Learn::Chosen => choice == logged,
                        Learn::AllArms => true,
                    };
                    if learn_now {
                        self.update_engine(e, logged, r, 1)?;
                    }
                }
            }
        }
        Ok(rep.finish())
    }

    /// Store a replay's summary under `prefix` (e.g. `test`) in the metrics
    /// written to the manifest.
    pub fn record_metrics(&mut self, prefix: &str, report: &crate::ReplayReport) {
        for (k, v) in report.metrics() {
            self.metrics.insert(format!("{prefix}_{k}"), v);
        }
    }

    /// Re-invert every bandit's matrices exactly (also done periodically).
    pub fn reinvert(&mut self) -> Result<()> {
        match &mut self.engines {
            Engines::Disjoint(v) => v.iter_mut().try_for_each(DisjointLinUcb::reinvert_all),
            Engines::Hybrid(v) => v.iter_mut().try_for_each(HybridLinUcb::reinvert_all),
        }
    }
}

/// Refuse a selector whose name counts exceed the limits or whose bandits
/// would need more than [`MAX_STATE_VALUES`] values, before any of it is
/// allocated. Returns the number of values it needs.
pub(crate) fn check_size(
    params: &LinUcbValidParams,
    n_arms: usize,
    n_regimes: usize,
    n_features: usize,
) -> Result<u64> {
    for (what, n, max) in [
        ("strategies", n_arms, MAX_ARMS),
        ("regimes", n_regimes, MAX_REGIMES),
        ("features", n_features, MAX_FEATURES),
    ] {
        if n > max {
            return Err(LinUcbError::InvalidData(format!(
                "{n} {what}, more than the {max} a selector may have"
            )));
        }
    }
    let d = context_dim(params, n_regimes, n_features) as u64;
    let k = n_arms as u64;
    let engines = match params.regime_mode {
        RegimeMode::PerRegime => n_regimes as u64,
        RegimeMode::Context | RegimeMode::Ignore => 1,
    };
    // Per engine (the counts are at most 4096 + 2048, so nothing overflows):
    // disjoint: A, A_inv (k d²) and O(k d); hybrid adds B, W (k d kz), the
    // per-arm kz² blocks and the shared kz² matrices, kz = d x attributes.
    let per_engine = match &params.variant {
        Variant::Disjoint => 2 * k * d * d + 4 * k * d + d * d + 4 * d,
        Variant::Hybrid { .. } => {
            let kz = shared_dim(params, d as usize) as u64;
            let kz2 = kz.saturating_mul(kz);
            (2 * k * d * d + 4 * k * d + d * d)
                .saturating_add(2u64.saturating_mul(k).saturating_mul(d).saturating_mul(kz))
                .saturating_add(k.saturating_mul(kz2))
                .saturating_add(4u64.saturating_mul(kz2))
                .saturating_add(8u64.saturating_mul(kz))
        }
    };
    let total = per_engine.saturating_mul(engines);
    if total > MAX_STATE_VALUES {
        return Err(LinUcbError::InvalidData(format!(
            "{n_arms} strategies with a context of {d} values need {total} state values, more than the {MAX_STATE_VALUES} allowed"
        )));
    }
    Ok(total)
}

/// The shared-feature width of a hybrid model: the context times the arm
/// attributes' width (1 without attributes), saturating.
pub(crate) fn shared_dim(params: &LinUcbValidParams, d: usize) -> usize {
    let m = match &params.variant {
        Variant::Hybrid {
            arm_attributes: Some(rows),
        } => rows.first().map_or(0, Vec::len),
        _ => 1,
    };
    m.saturating_mul(d)
}

pub(crate) fn context_dim(
    params: &LinUcbValidParams,
    n_regimes: usize,
    n_features: usize,
) -> usize {
    usize::from(params.intercept)
        + if params.regime_mode == RegimeMode::Context {
            n_regimes
        } else {
            0
        }
        + n_features
}

fn map_names(
    from: &[String],
    to: &[String],
    err: impl Fn(&str) -> LinUcbError,
) -> Result<Vec<usize>> {
    from.iter()
        .map(|n| to.iter().position(|t| t == n).ok_or_else(|| err(n)))
        .collect()
}

impl Fit<BanditData> for LinUcbValidParams {
    type Model = LinUcb;
    type Error = LinUcbError;

    /// Train on all of `data` (split first: see [`BanditData::split`]).
    /// Features are standardised with `data`'s own mean and std when
    /// `standardize` is on.
    fn fit(&self, data: &BanditData) -> Result<LinUcb> {
        if data.is_empty() {
            return Err(LinUcbError::InvalidData("no events to fit on".into()));
        }
        let mut model = LinUcb::new(
            self,
            data.arm_names().to_vec(),
            data.regime_names().to_vec(),
            data.feature_names().to_vec(),
        )?;
        if self.standardize && data.n_features() > 0 {
            let x =
                ndarray::ArrayView2::from_shape((data.len(), data.n_features()), data.contexts())
                    .map_err(|e| LinUcbError::InvalidData(e.to_string()))?;
            model = model.with_scaler(StandardScaler::fit(x)?)?;
        }
        model.partial_fit(data)?;
        model.data_fingerprint = Some(data.fingerprint());
        Ok(model)
    }
}

impl Fit<AggregateTable> for LinUcbValidParams {
    type Model = LinUcb;
    type Error = LinUcbError;

    /// Warm start a model without market features from aggregates.
    fn fit(&self, table: &AggregateTable) -> Result<LinUcb> {
        let mut model = LinUcb::new(
            self,
            table.arm_names.clone(),
            table.regime_names.clone(),
            vec![],
        )?;
        model.warm_start(table)?;
        Ok(model)
    }
}

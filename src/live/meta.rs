//! Live meta-selector: ranks strategies by predicted next-window return from
//! their trailing window returns and the T0 context.

use crate::live::error::LiveError;
use crate::live::features::{LIVE_FEATURES, t0_column};
use crate::live::load::LiveModel;
use crate::live::slot::Origin;
use meta_selector::{META_FEATURES, MetaSelector, TRADE_FEATURES, TrailingStats};
use std::collections::VecDeque;

impl LiveModel for MetaSelector {
    /// Live ranking builds SPEC T2's 13 features (strategy id, trailing
    /// stats, `ctx_*` T0 context) in that order; other layouts are refused.
    fn check_features(names: &[String]) -> Result<(), LiveError> {
        for i in 0..names.len().max(META_FEATURES.len()) {
            let (m, l) = (
                names.get(i).map(String::as_str),
                META_FEATURES.get(i).copied(),
            );
            if m != l {
                return Err(LiveError::FeatureOrder {
                    agent: "meta-selector",
                    position: i,
                    model: m.unwrap_or("<nothing>").to_string(),
                    live: l.unwrap_or("<nothing>").to_string(),
                    model_list: names.join(", "),
                    live_list: META_FEATURES.join(", "),
                });
            }
        }
        Ok(())
    }
}

/// A strategy and its predicted next-window return.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub strategy: String,
    pub index: usize,
    pub predicted: f64,
}

/// Ranks the model's strategies each decision.
#[derive(Debug)]
pub struct LiveMetaSelector {
    model: MetaSelector,
    origin: Origin,
    lookback: usize,
    history: Vec<VecDeque<f64>>,
    ctx_cols: Vec<usize>,
    row: Vec<f64>,
}

impl LiveMetaSelector {
    /// Serve `model` with the trailing window count recorded at training
    /// (models trained on `MetaTable::from_strategy_returns` store it).
    /// A model of trade statistics (`inputs = "trades"`,
    /// `MetaTable::from_trades`) is refused: live ranking builds per-window
    /// features only.
    pub fn from_model(model: MetaSelector, origin: Origin) -> Result<Self, LiveError> {
        if model
            .feature_names()
            .iter()
            .map(String::as_str)
            .eq(TRADE_FEATURES)
        {
            return Err(LiveError::Incompatible {
                agent: "meta-selector",
                why: "the model was trained on trade statistics (inputs = \"trades\"); live \
                      ranking serves models of per-window strategy returns (inputs = \"returns\")"
                    .into(),
            });
        }
        let lookback = model.lookback().ok_or_else(|| LiveError::Incompatible {
            agent: "meta-selector",
            why: "the model records no lookback (trained on trade logs, imported, or \
                  written before artifacts carried it): pass it to LiveMetaSelector::new"
                .into(),
        })?;
        Self::new(model, origin, lookback)
    }

    /// Serve `model` with an explicit `lookback`: the trailing window count
    /// it was trained with (`MetaTable::from_strategy_returns(.., lookback)`,
    /// SPEC T2: 10). A model that records it refuses a different one.
    pub fn new(model: MetaSelector, origin: Origin, lookback: usize) -> Result<Self, LiveError> {
        model.check_live()?;
        if lookback == 0 {
            return Err(LiveError::InvalidInput(
                "lookback must be at least 1".into(),
            ));
        }
        if let Some(trained) = model.lookback()
            && trained != lookback
        {
            return Err(LiveError::Incompatible {
                agent: "meta-selector",
                why: format!(
                    "the model was trained on {trained}-window statistics, not {lookback}"
                ),
            });
        }
        let ctx_cols = META_FEATURES[6..]
            .iter()
            .map(|n| {
                t0_column(n).ok_or_else(|| LiveError::UnknownFeature {
                    agent: "meta-selector",
                    name: n.to_string(),
                    known: LIVE_FEATURES.join(", "),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let k = model.strategy_names().len();
        Ok(Self {
            model,
            origin,
            lookback,
            history: vec![VecDeque::with_capacity(lookback); k],
            ctx_cols,
            row: vec![0.0; META_FEATURES.len()],
        })
    }

    pub fn model(&self) -> &MetaSelector {
        &self.model
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Record one finished window's return of every strategy (model order).
    pub fn record_window(&mut self, returns: &[f64]) -> Result<(), LiveError> {
        if returns.len() != self.history.len() {
            return Err(LiveError::InvalidInput(format!(
                "{} returns for {} strategies ({})",
                returns.len(),
                self.history.len(),
                self.model.strategy_names().join(", ")
            )));
        }
        for (h, &r) in self.history.iter_mut().zip(returns) {
            if h.len() == self.lookback {
                h.pop_front();
            }
            h.push_back(r);
        }
        Ok(())
    }

    /// Windows recorded so far (at most `lookback`).
    pub fn windows(&self) -> usize {
        self.history.first().map_or(0, VecDeque::len)
    }

    /// Strategies by predicted next-window return, best first. Needs at
    /// least one recorded window.
    pub fn rank(&mut self, features: &[f64]) -> Result<Vec<Ranked>, LiveError> {
        let mut out = Vec::with_capacity(self.history.len());
        for (k, h) in self.history.iter_mut().enumerate() {
            let stats = TrailingStats::from_returns(h.make_contiguous())
                .map_err(|e| LiveError::agent("meta-selector", e))?;
            self.row[0] = k as f64;
            self.row[1..6].copy_from_slice(&stats.to_array());
            for (slot, &c) in self.row[6..].iter_mut().zip(&self.ctx_cols) {
                *slot = *features.get(c).ok_or_else(|| {
                    LiveError::InvalidInput(format!("feature row has {} values", features.len()))
                })?;
            }
            let predicted = self
                .model
                .predict_row(&self.row)
                .map_err(|e| LiveError::agent("meta-selector", e))?;
            out.push(Ranked {
                strategy: self.model.strategy_names()[k].clone(),
                index: k,
                predicted,
            });
        }
        out.sort_by(|a, b| b.predicted.total_cmp(&a.predicted));
        Ok(out)
    }
}

//! Trained agents as strategy hooks, each behind the agent's feature:
//! [`OuScorer`] (`ou-mean`) implements [`MeanReversionScorer`] for the
//! mean-reversion bot, [`LstmPredictor`] (`lstm`) implements
//! [`SequencePredictor`] for the LSTM bot, and [`RegimeAgentLabeler`]
//! (`regime`) labels each trade's regime at entry with the regime agent
//! instead of the volatility-tercile rule, and [`SignalStrategy`]
//! (`signal`) trades the signal agent's `P(up)`. The dependency points from
//! the backtester to the agents, never back.
//!
//! [`MeanReversionScorer`]: crate::MeanReversionScorer
//! [`SequencePredictor`]: crate::SequencePredictor

#[cfg(feature = "ou-mean")]
pub use ou::OuScorer;

#[cfg(feature = "lstm")]
pub use lstm_hook::LstmPredictor;

#[cfg(feature = "regime")]
pub use regime_hook::RegimeAgentLabeler;

#[cfg(feature = "signal")]
pub use signal_hook::SignalStrategy;

#[cfg(feature = "signal")]
mod signal_hook {
    use crate::error::{BacktestError, Result};
    use crate::strategy::{Position, Strategy, check_name};
    use crate::view::BarView;
    use market::FeatureStream;
    use signal::SignalModel;
    use std::sync::Arc;

    /// The signal bot: at the close of each bar, the signal agent's model
    /// gives `P(up)` from the 12 T0 features of that bar, computed bar by
    /// bar by `market::FeatureStream` as `cointrainer::live`'s candle buffer
    /// computes them (equal to `market::feature_matrix` over the history,
    /// never from a later bar); the position is long when `P(up) >= entry`
    /// and flat otherwise. Long-only: the model forecasts the next bar's
    /// direction, and shorting on `P(up)` alone would double the bet on a
    /// model calibrated for one side.
    #[derive(Debug, Clone)]
    pub struct SignalStrategy {
        model: Arc<SignalModel>,
        entry: f64,
        name: String,
        /// The features of the bars seen so far (restarted when a view is
        /// shorter than what was pushed: a new series or run).
        stream: FeatureStream,
        pushed: usize,
        last_ts: i64,
    }

    impl SignalStrategy {
        /// Named `signal`. The model must use the T0 features (by name);
        /// `entry` is a probability in (0, 1).
        pub fn new(model: SignalModel, entry: f64) -> Result<Self> {
            model
                .check_features(&signal::candles::t0_feature_names())
                .map_err(|e| BacktestError::Agent {
                    agent: "signal",
                    why: e.to_string(),
                })?;
            if !(entry > 0.0 && entry < 1.0) {
                return Err(BacktestError::invalid_param(
                    "entry",
                    entry,
                    "must be a probability in (0, 1)",
                ));
            }
            Ok(Self {
                model: Arc::new(model),
                entry,
                name: "signal".into(),
                stream: FeatureStream::new(),
                pushed: 0,
                last_ts: 0,
            })
        }

        /// Rename (for output files).
        pub fn named(mut self, name: impl Into<String>) -> Result<Self> {
            let name = name.into();
            check_name("name", &name)?;
            self.name = name;
            Ok(self)
        }

        /// `P(up)` at the last bar of `view`; `None` before the features
        /// are complete. Views are expected bar by bar in order; one that
        /// does not extend the bars seen restarts the features.
        pub fn p_up(&mut self, view: &BarView<'_>) -> Option<f64> {
            let n = view.len();
            if n < self.pushed
                || (self.pushed > 0 && view.ts().get(self.pushed - 1) != Some(&self.last_ts))
            {
                self.stream = FeatureStream::new();
                self.pushed = 0;
            }
            for i in self.pushed..n {
                if self
                    .stream
                    .push(
                        view.high()[i],
                        view.low()[i],
                        view.close()[i],
                        view.volume()[i],
                    )
                    .is_err()
                {
                    // A bad candle: start again after it.
                    self.stream = FeatureStream::new();
                }
            }
            self.pushed = n;
            self.last_ts = view.ts().last().copied().unwrap_or_default();
            if !self.stream.is_ready() {
                return None;
            }
            let row = self.stream.row();
            if row.iter().any(|v| !v.is_finite()) {
                return None;
            }
            let x = ndarray::Array2::from_shape_vec((1, row.len()), row.to_vec()).ok()?;
            self.model
                .predict_proba(x.view())
                .ok()
                .and_then(|p| p.first().copied())
        }
    }

    impl Strategy for SignalStrategy {
        fn name(&self) -> &str {
            &self.name
        }

        fn describe(&self) -> String {
            format!("{} entry_p_up={}", self.name, self.entry)
        }

        fn warmup(&self) -> usize {
            market::features::WARMUP_BARS + 1
        }

        fn on_bar(&mut self, view: &BarView<'_>) -> Position {
            match self.p_up(view) {
                Some(p) if p >= self.entry => Position::Long,
                _ => Position::Flat,
            }
        }
    }
}

#[cfg(feature = "regime")]
mod regime_hook {
    use crate::error::{BacktestError, Result};
    use crate::regime::{FittedRegime, RegimeLabeler};
    use crate::view::BarView;
    use market::Candles;
    use regime::{RegimeData, RegimeModel, RegimeValidParams};
    use std::sync::Arc;

    /// Bars of history handed to the model per label: the T0 recursions
    /// (RSI, ATR) have forgotten their start value well within this.
    const TAIL_BARS: usize = 512;

    /// The regime agent as the backtest's regime-at-entry labeller. Either
    /// a regime model is trained on each symbol's training span inside
    /// [`RegimeLabeler::fit`] (so walk-forward windows never label with a
    /// model that saw their test period), or one pre-trained model labels
    /// every symbol (it must not have been trained on the backtested period).
    #[derive(Debug, Clone)]
    pub struct RegimeAgentLabeler {
        how: How,
    }

    #[derive(Debug, Clone)]
    enum How {
        TrainPerSymbol(RegimeValidParams),
        Pretrained(Arc<RegimeModel>),
    }

    impl RegimeAgentLabeler {
        /// Train a regime model with `params` on each training span.
        pub fn train_per_symbol(params: RegimeValidParams) -> Self {
            Self {
                how: How::TrainPerSymbol(params),
            }
        }

        /// Label with one already-trained model.
        pub fn pretrained(model: Arc<RegimeModel>) -> Self {
            Self {
                how: How::Pretrained(model),
            }
        }
    }

    fn agent_err(e: impl std::fmt::Display) -> BacktestError {
        BacktestError::Agent {
            agent: "regime",
            why: e.to_string(),
        }
    }

    impl RegimeLabeler for RegimeAgentLabeler {
        fn name(&self) -> &str {
            "regime_agent"
        }

        fn min_history(&self) -> usize {
            market::features::WARMUP_BARS + 1
        }

        fn fit(&self, train: &Candles) -> Result<Box<dyn FittedRegime>> {
            let model = match &self.how {
                How::Pretrained(m) => m.clone(),
                How::TrainPerSymbol(params) => {
                    let data = RegimeData::from_candles(
                        &[("train", train)],
                        market::features::HORIZON_BARS,
                        params.fit_fraction,
                    )
                    .map_err(agent_err)?;
                    Arc::new(agent_core::Fit::fit(params, &data).map_err(agent_err)?)
                }
            };
            Ok(Box::new(Fitted(model)))
        }
    }

    struct Fitted(Arc<RegimeModel>);

    impl FittedRegime for Fitted {
        /// The model's most probable regime from the T0 features of the
        /// current bar (computed on the trailing bars only); medium when
        /// the model cannot answer, which the validated candles and
        /// `min_history` rule out in practice.
        fn label(&self, view: &BarView<'_>) -> u8 {
            let n = view.len();
            let from = n.saturating_sub(TAIL_BARS);
            let mut c = Candles::with_capacity(n - from);
            for i in from..n {
                c.push(
                    view.ts()[i],
                    view.open()[i],
                    view.high()[i],
                    view.low()[i],
                    view.close()[i],
                    view.volume()[i],
                );
            }
            self.0
                .classify_candles(&c)
                .map(|p| p.regime.index())
                .unwrap_or(1)
        }
    }
}

#[cfg(feature = "ou-mean")]
mod ou {
    use crate::error::{BacktestError, Result};
    use crate::strategies::{MeanReversionScorer, OuMeanReversion};
    use crate::strategy::Side;
    use ou_mean::{
        FitSummary, MeanReversionValidParams, Suggestion, Thresholds, analyze_window,
        score_log_price,
    };
    use std::cell::RefCell;

    /// The `ou-mean` agent scoring each bar: OU fit, ADF test and Hurst
    /// exponent on the trailing `window` log closes, refitted every
    /// `refit_every` bars (the last fit scores the bars in between), gated by
    /// the agent's stationarity and half-life thresholds.
    #[derive(Debug, Clone)]
    pub struct OuScorer {
        params: MeanReversionValidParams,
        /// The last fit and the bars scored since it (per strategy clone,
        /// which sees one series).
        cache: RefCell<Option<(FitSummary, usize)>>,
    }

    impl OuScorer {
        pub fn new(params: MeanReversionValidParams) -> Result<Self> {
            params.validate().map_err(|e| BacktestError::Agent {
                agent: "ou-mean",
                why: e.to_string(),
            })?;
            Ok(Self {
                params,
                cache: RefCell::new(None),
            })
        }

        /// The mean-reversion bot with the agent's own `entry_z` / `exit_z`.
        pub fn into_strategy(self) -> Result<OuMeanReversion<Self>> {
            let (entry, exit) = (self.params.entry_z, self.params.exit_z);
            OuMeanReversion::new(self, entry, exit)
        }

        pub fn params(&self) -> &MeanReversionValidParams {
            &self.params
        }
    }

    impl MeanReversionScorer for OuScorer {
        fn lookback(&self) -> usize {
            self.params.window
        }

        /// `|z|` and the side that profits from reversion, or `None` when the
        /// gate fails or the window cannot be fitted (e.g. a flat price).
        fn score(&self, log_prices: &[f64]) -> Option<(f64, Side)> {
            let last = *log_prices.last()?;
            let mut cache = self.cache.borrow_mut();
            let refit = match &*cache {
                Some((_, since)) => *since + 1 >= self.params.refit_every,
                None => true,
            };
            if refit {
                *cache = analyze_window(
                    log_prices,
                    &self.params.ou,
                    &self.params.adf,
                    &self.params.hurst,
                )
                .ok()
                .map(|wf| (FitSummary::from_fit(&wf, last), 0));
            } else if let Some((_, since)) = cache.as_mut() {
                *since += 1;
            }
            let (fit, _) = cache.as_ref()?;
            let s = score_log_price(fit, last, Suggestion::Flat, &Thresholds::from(&self.params));
            if !s.gate.passed() || !s.z.is_finite() {
                return None;
            }
            let side = if s.z < 0.0 { Side::Long } else { Side::Short };
            Some((s.z.abs(), side))
        }
    }
}

#[cfg(feature = "lstm")]
mod lstm_hook {
    use crate::error::{BacktestError, Result};
    use crate::strategies::{LSTM_FEATURES, LstmStrategy, SequencePredictor};
    use lstm::{LstmModel, WindowPredictor};

    /// A trained `lstm` model answering the LSTM bot's per-bar windows of
    /// [`LSTM_FEATURES`]; a model trained on other columns is rejected.
    #[derive(Debug, Clone)]
    pub struct LstmPredictor(WindowPredictor);

    impl LstmPredictor {
        pub fn new(model: LstmModel) -> Result<Self> {
            WindowPredictor::new(model, &LSTM_FEATURES)
                .map(Self)
                .map_err(|e| BacktestError::Agent {
                    agent: "lstm",
                    why: e.to_string(),
                })
        }

        /// The LSTM bot trading this model's forecasts beyond `threshold`.
        pub fn into_strategy(self, threshold: f64) -> Result<LstmStrategy<Self>> {
            LstmStrategy::new(self, threshold)
        }
    }

    impl SequencePredictor for LstmPredictor {
        fn seq_len(&self) -> usize {
            self.0.seq_len()
        }

        /// NaN (flat) when the window holds non-finite features.
        fn predict_next(&mut self, features: &[f64]) -> f64 {
            self.0.predict(features).unwrap_or(f64::NAN)
        }
    }
}

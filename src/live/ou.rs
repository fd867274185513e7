//! Live OU mean-reversion score per bar, with optional refits on the
//! rolling candle buffer.

use crate::live::error::LiveError;
use crate::live::features::CandleBuffer;
use crate::live::load::LiveModel;
use crate::live::slot::Origin;
use ou_mean::{MeanReversionModel, Score, Suggestion};

impl LiveModel for MeanReversionModel {
    fn check_features(names: &[String]) -> Result<(), LiveError> {
        if names.iter().map(String::as_str).ne(["log_close"]) {
            return Err(LiveError::UnknownFeature {
                agent: "ou-mean",
                name: names.join(", "),
                known: "log_close".into(),
            });
        }
        Ok(())
    }
}

/// Scores each close against the OU fit; tracks the suggested position.
#[derive(Debug, Clone)]
pub struct LiveOu {
    model: MeanReversionModel,
    origin: Origin,
    position: Suggestion,
    refit: bool,
    since_fit: usize,
}

impl LiveOu {
    /// Serve `model`. With `refit`, the fit is renewed every
    /// `params().refit_every` bars on the buffer's last `params().window`
    /// closes (as the backtest scorer does); a refit that fails keeps the
    /// previous fit.
    pub fn new(model: MeanReversionModel, origin: Origin, refit: bool) -> Result<Self, LiveError> {
        model.check_live()?;
        Ok(Self {
            model,
            origin,
            position: Suggestion::Flat,
            refit,
            since_fit: 0,
        })
    }

    pub fn model(&self) -> &MeanReversionModel {
        &self.model
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The position the score suggests holding now.
    pub fn position(&self) -> Suggestion {
        self.position
    }

    /// Score the buffer's newest close.
    pub fn score(&mut self, buffer: &CandleBuffer) -> Result<Score, LiveError> {
        let close = buffer
            .last()
            .ok_or_else(|| LiveError::NotReady { needed: 1, have: 0 })?
            .close;
        self.since_fit += 1;
        let p = self.model.params();
        if self.refit && self.since_fit >= p.refit_every.max(1) && buffer.len() >= p.window {
            self.since_fit = 0;
            match MeanReversionModel::fit_prices(p, buffer.closes()) {
                Ok(m) => self.model = m,
                Err(e) => {
                    tracing::debug!(reason = %e, "ou-mean: refit failed; keeping the previous fit")
                }
            }
        }
        let s = self
            .model
            .score_price(close, self.position)
            .map_err(|e| LiveError::agent("ou-mean", e))?;
        self.position = s.suggestion;
        Ok(s)
    }
}

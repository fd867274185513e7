//! Features from candles: the 12 T0 features of the `market` crate (the
//! default feature set), labelled with forward returns (see [`crate::labels`]),
//! and the latest bar's signal for live use.

use crate::error::{Result, SignalError};
use crate::labels::{LabelSpec, LabeledData, labeled_dataset};
use crate::model::SignalModel;
use crate::signal::Signal;
use market::{Candles, FEATURES, feature_matrix};

/// The T0 feature names, in matrix order.
pub fn t0_feature_names() -> Vec<String> {
    FEATURES.iter().map(|s| s.to_string()).collect()
}

/// A training set from candles: T0 features of every bar (data up to that
/// bar only), labels over `spec.horizon`. Indicator warm-up rows and the
/// unlabelled tail are dropped. Candles are validated first (errors name
/// the row).
pub fn t0_labeled(candles: &Candles, spec: &LabelSpec) -> Result<LabeledData> {
    candles
        .validate("candles")
        .map_err(|e| SignalError::InvalidData(e.to_string()))?;
    let x = feature_matrix(candles);
    labeled_dataset(
        x.view(),
        t0_feature_names(),
        Some(&candles.ts),
        &candles.close,
        spec,
    )
}

/// `P(up)` and the signal for the last bar of `candles`, from a model trained
/// on the T0 features (checked by name).
pub fn latest_signal(model: &SignalModel, candles: &Candles) -> Result<(f64, Signal)> {
    model.check_features(&t0_feature_names())?;
    candles
        .validate("candles")
        .map_err(|e| SignalError::InvalidData(e.to_string()))?;
    let x = feature_matrix(candles);
    let n = x.nrows();
    if n == 0 || x.row(n - 1).iter().any(|v| !v.is_finite()) {
        return Err(SignalError::InvalidData(format!(
            "the last of {n} candles has no complete T0 features; the longest indicator needs 73 bars"
        )));
    }
    let p = model.predict_proba(x.slice(ndarray::s![n - 1..n, ..]))?[0];
    Ok((p, model.signal(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperparams::LogisticParams;
    use agent_core::ParamGuard;

    fn candles(n: usize) -> Candles {
        let mut rng = agent_core::SplitMix64::new(3);
        let mut c = Candles::with_capacity(n);
        let mut price = 100.0f64;
        for i in 0..n {
            let open = price;
            price *= (0.01 * rng.next_normal()).exp();
            let (hi, lo) = (open.max(price) * 1.002, open.min(price) * 0.998);
            c.push(
                1_600_000_000_000 + i as i64 * 3_600_000,
                open,
                hi,
                lo,
                price,
                10.0 + rng.next_f64(),
            );
        }
        c
    }

    #[test]
    fn candle_dataset_drops_warmup_and_tail_and_serves_the_last_bar() {
        let c = candles(400);
        let ld = t0_labeled(&c, &LabelSpec::new(3, 0.0).unwrap()).unwrap();
        // vol_72 needs 72 returns: the first complete row is bar 72; the last 3 bars have no label.
        assert_eq!(ld.rows.first(), Some(&72));
        assert_eq!(ld.rows.last(), Some(&396));
        assert_eq!(ld.dataset.n_features(), 12);
        let p = LogisticParams::new().c(0.1).check().unwrap();
        let m = SignalModel::fit_fixed(&p, &ld.dataset).unwrap();
        let (p_up, s) = latest_signal(&m, &c).unwrap();
        assert!((0.0..=1.0).contains(&p_up));
        assert_eq!(s, m.signal(p_up));
        assert!(latest_signal(&m, &candles(50)).is_err());
    }
}

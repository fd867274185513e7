//! Training the agent: grid search over `C` x `l1_ratio` with forward-chaining
//! folds (agent-core's `TimeSeriesSplit` and parallel `GridSearch`), the
//! label horizon plus any embargo purged before every test block, every
//! fold standardised with a scaler fitted on that fold's training rows only,
//! scored by ROC-AUC; refit on all training rows; the decision threshold
//! tuned for F1 on the best point's out-of-fold predictions (never on test).

use crate::error::{Result, SignalError};
use crate::hyperparams::{LogisticValidParams, SignalValidParams};
use crate::model::{FitInfo, SignalModel, binary_labels};
use crate::solver::{self, Design, sigmoid};
use agent_core::{
    Dataset, Direction, Fit, Fold, GridSearch, Progress, StandardScaler, TimeSeriesSplit, metrics,
};
use ndarray::{ArrayView2, s};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One grid point's cross-validation result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridRecord {
    #[serde(rename = "C")]
    pub c: f64,
    pub l1_ratio: f64,
    /// ROC-AUC on each fold's test block, in fold order.
    pub fold_auc: Vec<f64>,
    pub mean_cv_auc: f64,
    /// Population std across folds (scikit-learn's `std_test_score`).
    pub std_cv_auc: f64,
    /// Most solver iterations any fold needed.
    pub max_n_iter: usize,
    /// Every fold's solve met the tolerance.
    pub converged: bool,
}

/// Row bounds of one fold (half-open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldBounds {
    pub train_start: usize,
    pub train_end: usize,
    pub test_start: usize,
    pub test_end: usize,
}

/// How the decision threshold was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChoice {
    pub threshold: f64,
    /// F1 of the up class on the out-of-fold predictions at `threshold`.
    pub oof_f1: f64,
    /// The same at 0.5, for comparison.
    pub oof_f1_at_half: f64,
    /// Out-of-fold predictions the choice was made on.
    pub n_oof: usize,
}

/// Everything the search saw: every combination, the folds, the choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchReport {
    /// The search configuration (grid, folds, thresholds).
    pub params: SignalValidParams,
    /// In search order (`C` outer, `l1_ratio` inner).
    pub grid: Vec<GridRecord>,
    /// Index of the best point (highest mean AUC, first on ties).
    pub best: usize,
    pub folds: Vec<FoldBounds>,
    /// Present when threshold tuning was on and possible.
    pub threshold: Option<ThresholdChoice>,
}

impl SearchReport {
    pub fn best_record(&self) -> &GridRecord {
        &self.grid[self.best]
    }
}

/// The per-fold inputs shared by every grid point.
struct FoldData {
    scaler: StandardScaler,
    design: Design,
    test: std::ops::Range<usize>,
}

/// A (point, fold) fit kept for the out-of-fold predictions.
struct FoldFit {
    coef: Vec<f64>,
    intercept: f64,
    n_iter: usize,
    converged: bool,
}

#[derive(Clone)]
struct Point {
    index: usize,
    params: LogisticValidParams,
}

/// `P(up)` for raw rows through a scaler and standardised coefficients.
fn proba(
    x: ArrayView2<'_, f64>,
    scaler: &StandardScaler,
    coef: &[f64],
    intercept: f64,
) -> Vec<f64> {
    x.rows()
        .into_iter()
        .map(|row| {
            let mut m = intercept;
            for (j, &v) in row.iter().enumerate() {
                m += coef[j] * ((v - scaler.mean[j]) / scaler.scale[j]);
            }
            sigmoid(m)
        })
        .collect()
}

impl SignalValidParams {
    /// Search, refit and tune, reporting grid progress to `progress`.
    pub fn fit_with_progress(
        &self,
        train: &Dataset,
        progress: Option<Progress<'_>>,
    ) -> Result<SignalModel> {
        let n = train.n_samples();
        let x = train.features();
        let y: Vec<f64> = train.targets().to_vec();
        binary_labels(&y)?;
        let folds = TimeSeriesSplit::new(self.n_splits())
            .purge(self.purge())
            .split(n)?;
        let cw = self.class_weight();
        let fold_data: Vec<FoldData> = folds
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let yt = &y[f.test.clone()];
                let pos = yt.iter().filter(|&&v| v == 1.0).count();
                if pos == 0 || pos == yt.len() {
                    return Err(SignalError::InvalidData(format!(
                        "the test block of fold {k} (rows {}..{}) contains only class {}, so its \
                         ROC-AUC is undefined; use fewer splits or more data",
                        f.test.start,
                        f.test.end,
                        u8::from(pos > 0)
                    )));
                }
                let xs = x.slice(s![f.train.clone(), ..]);
                let scaler = StandardScaler::fit(xs)?;
                let design = Design::new(xs, &y[f.train.clone()], Some(&scaler), cw)?;
                Ok(FoldData {
                    scaler,
                    design,
                    test: f.test.clone(),
                })
            })
            .collect::<Result<_>>()?;

        let points: Vec<Point> = self
            .grid()
            .into_iter()
            .enumerate()
            .map(|(index, params)| Point { index, params })
            .collect();
        let nf = folds.len();
        let slots: Vec<OnceLock<FoldFit>> =
            (0..points.len() * nf).map(|_| OnceLock::new()).collect();
        // Each (point, fold) fit checks it; fits run on pool threads, outside
        // this thread's cancel scope.
        let cancel = agent_core::cancel::current();
        let mut search = GridSearch::new(Direction::Maximize).n_threads(self.n_threads());
        if let Some(p) = progress {
            search = search.progress(p);
        }
        let result =
            search.run::<Point, SignalError, _>(&points, &folds, |pt: &Point, fold: &Fold| {
                cancel.check()?;
                let k = folds.iter().position(|f| f == fold).ok_or_else(|| {
                    SignalError::InvalidData("grid search passed an unknown fold".into())
                })?;
                let fd = &fold_data[k];
                let sol = solver::solve(&fd.design, &pt.params);
                let p = proba(
                    x.slice(s![fd.test.clone(), ..]),
                    &fd.scaler,
                    &sol.coef,
                    sol.intercept,
                );
                let auc = metrics::roc_auc(&y[fd.test.clone()], &p)?;
                let _ = slots[pt.index * nf + k].set(FoldFit {
                    coef: sol.coef,
                    intercept: sol.intercept,
                    n_iter: sol.n_iter,
                    converged: sol.converged,
                });
                Ok(auc)
            })?;

        let fit_of = |p: usize, k: usize| -> Result<&FoldFit> {
            slots[p * nf + k]
                .get()
                .ok_or_else(|| SignalError::InvalidData("grid search skipped a fit".into()))
        };
        let mut grid = Vec::with_capacity(points.len());
        for (p, e) in result.entries.iter().enumerate() {
            let fits: Vec<&FoldFit> = (0..nf).map(|k| fit_of(p, k)).collect::<Result<_>>()?;
            grid.push(GridRecord {
                c: e.params.params.c(),
                l1_ratio: e.params.params.l1_ratio(),
                fold_auc: e.fold_scores.clone(),
                mean_cv_auc: e.mean,
                std_cv_auc: e.std,
                max_n_iter: fits.iter().map(|f| f.n_iter).max().unwrap_or(0),
                converged: fits.iter().all(|f| f.converged),
            });
        }
        let best = result.best;
        let best_params = points[best].params.clone();

        // Out-of-fold predictions of the best point: validation data for the threshold.
        let threshold = if self.tune_threshold() {
            let mut p_oof = Vec::new();
            let mut y_oof = Vec::new();
            for (k, fd) in fold_data.iter().enumerate() {
                let f = fit_of(best, k)?;
                p_oof.extend(proba(
                    x.slice(s![fd.test.clone(), ..]),
                    &fd.scaler,
                    &f.coef,
                    f.intercept,
                ));
                y_oof.extend_from_slice(&y[fd.test.clone()]);
            }
            tune_f1_threshold(&y_oof, &p_oof)?
        } else {
            None
        };

        // Refit on every training row with the best point.
        let scaler = StandardScaler::fit(x)?;
        let design = Design::new(x, &y, Some(&scaler), cw)?;
        let sol = solver::solve(&design, &best_params);

        let report = SearchReport {
            params: self.clone(),
            grid,
            best,
            folds: folds
                .iter()
                .map(|f| FoldBounds {
                    train_start: f.train.start,
                    train_end: f.train.end,
                    test_start: f.test.start,
                    test_end: f.test.end,
                })
                .collect(),
            threshold,
        };
        let mut model = SignalModel {
            feature_names: train.feature_names().to_vec(),
            scaler,
            coef: sol.coef,
            intercept: sol.intercept,
            params: best_params,
            decision_threshold: report.threshold.as_ref().map_or(0.5, |t| t.threshold),
            thresholds: self.thresholds(),
            metrics: BTreeMap::new(),
            fit_info: FitInfo {
                n_train: n,
                n_iter: sol.n_iter,
                converged: sol.converged,
            },
            search: None,
            data_fingerprint: Some(train.fingerprint()),
            provenance: None,
            labels: None,
            source: crate::model::SignalSource::Candles,
        };
        let b = report.best_record();
        model.set_metric("cv_auc", b.mean_cv_auc);
        model.set_metric("cv_auc_std", b.std_cv_auc);
        if let Some(t) = &report.threshold {
            model.set_metric("cv_oof_f1_at_threshold", t.oof_f1);
            model.set_metric("cv_oof_f1_at_half", t.oof_f1_at_half);
        }
        model.set_metric("train_n", n as f64);
        model.set_metric("cv_label_horizon", self.label_horizon() as f64);
        model.set_metric("cv_purged_rows_per_fold", self.purge().gap() as f64);
        model.search = Some(report);
        Ok(model)
    }
}

impl Fit<Dataset> for SignalValidParams {
    type Model = SignalModel;
    type Error = SignalError;

    /// Grid search with time-series CV, refit on all of `train`, threshold tuning.
    fn fit(&self, train: &Dataset) -> Result<SignalModel> {
        self.fit_with_progress(train, None)
    }
}

/// The threshold `t` maximising F1 when predicting up iff `p > t`, among the
/// cut points that leave both classes predicted (midpoints between distinct
/// consecutive probabilities). `None` when all probabilities are equal.
pub fn tune_f1_threshold(y: &[f64], p: &[f64]) -> Result<Option<ThresholdChoice>> {
    let yl = binary_labels(y)?;
    if p.len() != yl.len() || p.iter().any(|v| !v.is_finite()) {
        return Err(SignalError::InvalidData(
            "threshold tuning needs one finite probability per label".into(),
        ));
    }
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_unstable_by(|&a, &b| p[b].total_cmp(&p[a]));
    let n_pos = yl.iter().filter(|&&v| v == 1).count();
    let mut tp = 0usize;
    let mut best: Option<(f64, f64)> = None;
    for k in 0..idx.len().saturating_sub(1) {
        tp += yl[idx[k]];
        let (hi, lo) = (p[idx[k]], p[idx[k + 1]]);
        if hi == lo {
            continue;
        }
        // The top k+1 rows are predicted up.
        let f1 = 2.0 * tp as f64 / ((k + 1) + n_pos) as f64;
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((lo + 0.5 * (hi - lo), f1));
        }
    }
    Ok(best.map(|(threshold, oof_f1)| {
        let at_half = metrics::f1_binary(&yl, &metrics::threshold_labels(p, 0.5)).unwrap_or(0.0);
        ThresholdChoice {
            threshold,
            oof_f1,
            oof_f1_at_half: at_half,
            n_oof: p.len(),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_threshold_splits_between_distinct_probabilities() {
        let y = [0.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        let p = [0.1, 0.2, 0.6, 0.7, 0.3, 0.65];
        let t = tune_f1_threshold(&y, &p).unwrap().unwrap();
        // Perfect separation between 0.3 and 0.6.
        assert!((t.threshold - 0.45).abs() < 1e-12, "{t:?}");
        assert!((t.oof_f1 - 1.0).abs() < 1e-12);
        assert!(
            tune_f1_threshold(&[0.0, 1.0], &[0.5, 0.5])
                .unwrap()
                .is_none()
        );
    }
}

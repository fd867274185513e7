//! Training: the label horizon (plus any embargo) purged before the
//! validation and test periods, pair selection / weighting from the purged
//! training rows, tercile labels
//! with training cut points, the num_leaves x n_estimators grid with early
//! stopping on the validation period only (never on test), and F1-macro,
//! one-vs-rest ROC-AUC and log-loss on the held-out test period.

use crate::data::{CutPoints, RegimeData};
use crate::error::{RegimeError, Result};
use crate::hyperparams::{GridParallelism, PairWeighting, RegimeValidParams};
use crate::model::{GridPointReport, PairReport, RegimeModel, SplitSizes, TrainReport};
use agent_core::{Fit, Progress, ProgressEvent, Purge, metrics, purge_by_label_end};
use lgbm::{self, Boosted, Grid, LgbBooster, Rows};
use market::features::quantile_linear;

/// `Auto` runs grid points in parallel (one LightGBM thread each) when there
/// are at least as many points as threads, or the data is small: OpenMP's
/// per-split synchronisation then costs more than it saves, and on a busy
/// machine its spin-waiting slows training several-fold. Above this many fit
/// cells each worker's own copy of the binned data is too costly in memory.
const AUTO_PARALLEL_MAX_CELLS: usize = 20_000_000;
/// Below this many fit cells points always run in parallel.
const AUTO_PARALLEL_SMALL_CELLS: usize = 1_000_000;

/// Early stopping replayed on a validation history with a smaller round
/// cap: (best iteration, best score, rounds trained). Same rule as
/// `lgbm::boost_with_early_stopping`.
fn replay(history: &[f64], cap: usize, patience: usize) -> (usize, f64, usize) {
    let mut best = (0usize, f64::INFINITY);
    let mut rounds = 0;
    for (i, &s) in history.iter().take(cap).enumerate() {
        let round = i + 1;
        rounds = round;
        if best.0 == 0 || s < best.1 {
            best = (round, s);
        } else if patience > 0 && round - best.0 >= patience {
            break;
        }
    }
    (best.0, best.1, rounds)
}

struct Prepared {
    fit: Vec<usize>,
    valid: Vec<usize>,
    test: Vec<usize>,
    labels: Vec<u8>,
    weight: Option<Vec<f32>>,
    cut_points: CutPoints,
    pairs: Vec<PairReport>,
    purge: Purge,
    purged_rows: usize,
}

fn prepare(p: &RegimeValidParams, data: &RegimeData) -> Result<Prepared> {
    // Purge: no training row whose forward-volatility label reaches into
    // the validation or test period (plus the embargo), in time steps so
    // that several pairs share one calendar boundary.
    let purge = Purge::new(data.horizon()).embargo(p.embargo);
    let steps = data.time_steps();
    let label_end = data.label_end_steps();
    let embargo = i64::try_from(purge.embargo).unwrap_or(i64::MAX);
    let n_train = data.n_train();
    let test_start = steps[n_train];
    let fit_end = data.fit_end(p.fit_fraction);
    let mut fit: Vec<usize> = (0..fit_end).collect();
    let mut valid: Vec<usize> = (fit_end..n_train).collect();
    if fit_end < n_train {
        purge_by_label_end(&mut fit, &label_end, steps[fit_end], embargo);
    }
    purge_by_label_end(&mut valid, &label_end, test_start, embargo);
    let train_rows: Vec<usize> = fit.iter().chain(&valid).copied().collect();
    let med = data.pair_median_vol(&train_rows);
    let kept: Vec<bool> = match p.pair_weighting {
        PairWeighting::MinVolatility { min_median_vol } => {
            med.iter().map(|&m| m >= min_median_vol).collect()
        }
        _ => med.iter().map(|m| !m.is_nan()).collect(),
    };
    if !kept.iter().any(|&k| k) {
        return Err(RegimeError::NotEnoughData(format!(
            "no pair passes the volatility filter {:?}; training medians: {}",
            p.pair_weighting,
            data.pairs()
                .iter()
                .zip(&med)
                .map(|(n, m)| format!("{n}={m:.6}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let keep = |i: &usize| kept[data.pair()[*i]];
    fit.retain(keep);
    valid.retain(keep);
    let test: Vec<usize> = (n_train..data.n_rows()).filter(keep).collect();
    let purged_rows = (0..n_train).filter(keep).count() - fit.len() - valid.len();
    if fit.is_empty() || valid.is_empty() {
        return Err(RegimeError::NotEnoughData(format!(
            "{} fit and {} validation rows after purging {} bars of label horizon and {} of \
             embargo before each later period: both are needed (fit_fraction {})",
            fit.len(),
            valid.len(),
            purge.label_horizon,
            purge.embargo,
            p.fit_fraction
        )));
    }
    // Cut points from the training period (fit + validation) only.
    let train_vol: Vec<f64> = fit
        .iter()
        .chain(&valid)
        .map(|&i| data.fwd_vol()[i])
        .collect();
    let cut_points = CutPoints::from_train(&train_vol)?;
    let labels: Vec<u8> = data
        .fwd_vol()
        .iter()
        .map(|&v| cut_points.label(v))
        .collect();
    let overall = quantile_linear(&train_vol, 0.5);
    let pair_weight: Vec<f64> = match p.pair_weighting {
        PairWeighting::RelativeVolatility if overall > 0.0 => med
            .iter()
            .map(|&m| if m.is_nan() { 1.0 } else { m / overall })
            .collect(),
        _ => vec![1.0; med.len()],
    };
    let weight = matches!(p.pair_weighting, PairWeighting::RelativeVolatility)
        .then(|| data.pair().iter().map(|&q| pair_weight[q] as f32).collect());
    let pairs = data
        .pairs()
        .iter()
        .enumerate()
        .map(|(q, name)| PairReport {
            name: name.clone(),
            train_median_vol: (!med[q].is_nan()).then_some(med[q]),
            weight: pair_weight[q],
            kept: kept[q],
        })
        .collect();
    Ok(Prepared {
        fit,
        valid,
        test,
        labels,
        weight,
        cut_points,
        pairs,
        purge,
        purged_rows,
    })
}

struct Gathered {
    x: Vec<f64>,
    y: Vec<f32>,
    w: Option<Vec<f32>>,
}

fn gather(data: &RegimeData, rows: &[usize], labels: &[u8], w: Option<&Vec<f32>>) -> Gathered {
    let f = data.features();
    let mut x = Vec::with_capacity(rows.len() * f.ncols());
    for &r in rows {
        x.extend(f.row(r).iter().copied());
    }
    Gathered {
        x,
        y: rows.iter().map(|&r| f32::from(labels[r])).collect(),
        w: w.map(|w| rows.iter().map(|&r| w[r]).collect()),
    }
}

/// A grid stopped by the caller's cancel token reports the core's
/// `Cancelled`, the one kind every agent stops with.
fn grid_error(e: lgbm::LgbError, cancel: &agent_core::cancel::CancelToken) -> RegimeError {
    if cancel.is_cancelled() {
        agent_core::CoreError::Cancelled.into()
    } else {
        e.into()
    }
}

impl RegimeValidParams {
    /// Train with a progress callback (one event per finished LightGBM run).
    pub fn fit_with_progress(
        &self,
        data: &RegimeData,
        progress: Option<Progress<'_>>,
    ) -> Result<RegimeModel> {
        // LightGBM polls it from its worker threads, outside this thread's scope.
        let cancel = agent_core::cancel::current();
        let prep = prepare(self, data)?;
        let nf = data.feature_names().len();
        let fit = gather(data, &prep.fit, &prep.labels, prep.weight.as_ref());
        let valid = gather(data, &prep.valid, &prep.labels, prep.weight.as_ref());

        // (num_leaves, round cap) of each LightGBM run.
        let max_ne = self.n_estimators.iter().copied().max().unwrap_or(1);
        let runs: Vec<(usize, usize)> = if self.share_rounds_across_n_estimators {
            self.num_leaves.iter().map(|&nl| (nl, max_ne)).collect()
        } else {
            self.num_leaves
                .iter()
                .flat_map(|&nl| self.n_estimators.iter().map(move |&ne| (nl, ne)))
                .collect()
        };
        let parallel = match self.grid_parallelism {
            GridParallelism::Sequential => false,
            GridParallelism::PointsInParallel => true,
            GridParallelism::Auto => {
                let cells = prep.fit.len() * nf;
                cells <= AUTO_PARALLEL_SMALL_CELLS
                    || (runs.len() >= self.num_threads && cells <= AUTO_PARALLEL_MAX_CELLS)
            }
        };
        let grid = Grid {
            n_features: nf,
            feature_names: data.feature_names(),
            fit: Rows {
                x: &fit.x,
                y: &fit.y,
                weight: fit.w.as_deref(),
            },
            valid: Rows {
                x: &valid.x,
                y: &valid.y,
                weight: valid.w.as_deref(),
            },
            dataset_params: self.dataset_params(self.num_threads),
            points: runs
                .iter()
                .map(|&(nl, _)| self.booster_params(nl, self.num_threads))
                .collect(),
            max_rounds: runs.iter().map(|&(_, ne)| ne).collect(),
            patience: self.early_stopping_rounds,
            threads: self.num_threads,
            points_in_parallel: parallel,
        };
        let n_runs = runs.len() as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        let boosted: Vec<Boosted> = lgbm::run_grid(&grid, &|| cancel.is_cancelled(), &|_, b| {
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if let Some(cb) = progress {
                cb(ProgressEvent::new("regime grid", d, n_runs)
                    .with_message(format!("val_logloss {:.6}", b.best_score)));
            }
        })
        .map_err(|e| grid_error(e, &cancel))?;

        // Grid points in grid order, each pointing at the run it came from.
        let mut reports = Vec::new();
        let mut source_run = Vec::new();
        for (li, &nl) in self.num_leaves.iter().enumerate() {
            for (ei, &ne) in self.n_estimators.iter().enumerate() {
                let run = if self.share_rounds_across_n_estimators {
                    li
                } else {
                    li * self.n_estimators.len() + ei
                };
                let (best_iteration, val_logloss, rounds_trained) =
                    replay(&boosted[run].history, ne, self.early_stopping_rounds);
                reports.push(GridPointReport {
                    num_leaves: nl,
                    n_estimators: ne,
                    best_iteration,
                    rounds_trained,
                    val_logloss,
                });
                source_run.push(run);
            }
        }
        // Lowest validation log-loss, first in grid order on ties.
        let best = reports.iter().enumerate().fold(0usize, |bi, (i, r)| {
            if r.val_logloss < reports[bi].val_logloss {
                i
            } else {
                bi
            }
        });
        let run = source_run[best];
        let mut boosted: Vec<Option<Boosted>> = boosted.into_iter().map(Some).collect();
        let from_run = boosted[run].take().map(|b| (b.best_iteration, b.booster));
        let booster: LgbBooster = match from_run {
            Some((it, b)) if it == reports[best].best_iteration => b,
            // A smaller cap ended this point before the shared run's best
            // round: train exactly this point (rare).
            _ => {
                let single = Grid {
                    points: vec![self.booster_params(reports[best].num_leaves, self.num_threads)],
                    max_rounds: vec![reports[best].n_estimators],
                    points_in_parallel: false,
                    ..grid
                };
                lgbm::run_grid(&single, &|| cancel.is_cancelled(), &|_, _| {})
                    .map_err(|e| grid_error(e, &cancel))?
                    .pop()
                    .map(|b| b.booster)
                    .ok_or_else(|| RegimeError::NotEnoughData("empty grid".into()))?
            }
        };
        let b = &reports[best];
        let mut report = TrainReport {
            best_num_leaves: b.num_leaves,
            best_n_estimators: b.n_estimators,
            best_iteration: b.best_iteration,
            val_logloss: b.val_logloss,
            grid: reports.clone(),
            test_f1_macro: None,
            test_roc_auc_ovr: None,
            test_logloss: None,
            test_accuracy: None,
            test_class_counts: [0; 3],
            split: SplitSizes {
                fit_rows: prep.fit.len(),
                valid_rows: prep.valid.len(),
                test_rows: prep.test.len(),
                label_horizon: prep.purge.label_horizon,
                embargo: prep.purge.embargo,
                purged_rows: prep.purged_rows,
            },
            pairs: prep.pairs.clone(),
        };
        if !prep.test.is_empty() {
            let t = gather(data, &prep.test, &prep.labels, None);
            let proba = booster.predict(&t.x, self.num_threads)?;
            let y: Vec<usize> = prep.test.iter().map(|&r| prep.labels[r] as usize).collect();
            let pred = metrics::argmax_rows(&proba, 3);
            for &c in &y {
                report.test_class_counts[c] += 1;
            }
            report.test_f1_macro = metrics::f1_macro(&y, &pred, 3).ok();
            report.test_roc_auc_ovr = metrics::roc_auc_ovr(&y, &proba, 3).ok();
            report.test_logloss = metrics::log_loss(&y, &proba, 3).ok();
            report.test_accuracy = metrics::accuracy(&y, &pred).ok();
        }
        Ok(RegimeModel {
            booster,
            feature_names: data.feature_names().to_vec(),
            cut_points: prep.cut_points,
            horizon: data.horizon(),
            params: self.clone(),
            report,
            data_fingerprint: Some(fingerprint(data, &prep)),
            provenance: None,
        })
    }
}

/// sha256 over the training rows' features and labels (what the manifest
/// records as the training data).
fn fingerprint(data: &RegimeData, prep: &Prepared) -> String {
    let rows: Vec<usize> = prep.fit.iter().chain(&prep.valid).copied().collect();
    let x = data.features().select(ndarray::Axis(0), &rows);
    let y: ndarray::Array1<f64> = rows.iter().map(|&r| f64::from(prep.labels[r])).collect();
    match agent_core::Dataset::new(x, y, data.feature_names().to_vec()) {
        Ok(ds) => ds.fingerprint(),
        Err(_) => String::new(),
    }
}

impl Fit<RegimeData> for RegimeValidParams {
    type Model = RegimeModel;
    type Error = RegimeError;

    fn fit(&self, data: &RegimeData) -> Result<RegimeModel> {
        self.fit_with_progress(data, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RegimeModel;
    use agent_core::{ParamGuard, SplitMix64};
    use ndarray::Array2;

    /// One pair, 600 bars, training period 0..500 (fit 0..400, validation
    /// 400..500), labels 24 bars ahead. Before the boundaries the volatility
    /// is noise; from the test period on it follows feature 0. `leaky`
    /// gives the 24 rows before each boundary (whose labels are made from
    /// bars after it) the later relation, otherwise noise.
    fn data(horizon: usize, leaky: bool) -> RegimeData {
        let (n, n_train, h) = (600usize, 500usize, 24usize);
        let mut rng = SplitMix64::new(11);
        let x = Array2::from_shape_fn((n, 2), |_| rng.next_f64());
        let mut noise = SplitMix64::new(12);
        let vol: Vec<f64> = (0..n)
            .map(|i| {
                let e = noise.next_f64();
                let straddles = (400 - h..400).contains(&i) || (n_train - h..n_train).contains(&i);
                if i >= n_train || (leaky && straddles) {
                    x[[i, 0]] + 0.05 * e
                } else {
                    e
                }
            })
            .collect();
        RegimeData::new(
            vec!["f0".into(), "f1".into()],
            x,
            vol,
            vec![0; n],
            vec!["P".into()],
            (0..n as i64).collect(),
            n_train,
            horizon,
        )
        .unwrap()
    }

    fn fit(d: &RegimeData) -> RegimeModel {
        RegimeModel::params()
            .num_leaves(vec![4])
            .n_estimators(vec![30])
            .num_threads(1)
            .check()
            .unwrap()
            .fit(d)
            .unwrap()
    }

    #[test]
    fn rows_whose_label_reaches_a_later_period_are_purged_and_change_nothing() {
        let (clean, leaky) = (data(24, false), data(24, true));
        let p = RegimeModel::params().check().unwrap();
        let prep = prepare(&p, &leaky).unwrap();
        assert_eq!(prep.fit, (0..376).collect::<Vec<_>>());
        assert_eq!(prep.valid, (400..476).collect::<Vec<_>>());
        assert_eq!(prep.test, (500..600).collect::<Vec<_>>());
        assert_eq!(prep.purged_rows, 48);

        // Purged, the straddling rows' labels cannot move the answer: the
        // model is the one a no-leak dataset gives, test metrics included.
        let (mc, ml) = (fit(&clean), fit(&leaky));
        assert_eq!(mc.report(), ml.report());
        assert_eq!(ml.report().split.label_horizon, 24);
        assert_eq!(ml.report().split.purged_rows, 48);

        // Declared as not looking ahead (no purge), the same straddling
        // rows train and hand the model the test relation: it scores
        // visibly better on test than the no-leak model.
        let (uc, ul) = (fit(&data(0, false)), fit(&data(0, true)));
        assert_eq!(ul.report().split.purged_rows, 0);
        let (rc, rl) = (uc.report(), ul.report());
        assert!(
            rl.test_f1_macro.unwrap() > rc.test_f1_macro.unwrap() + 0.1
                && rl.test_logloss.unwrap() < rc.test_logloss.unwrap(),
            "leaky {:?} / {:?} vs clean {:?} / {:?}",
            rl.test_f1_macro,
            rl.test_logloss,
            rc.test_f1_macro,
            rc.test_logloss
        );
    }

    #[test]
    fn embargo_adds_to_the_horizon() {
        let p = RegimeModel::params().embargo(6).check().unwrap();
        let prep = prepare(&p, &data(24, false)).unwrap();
        assert_eq!(prep.fit.last(), Some(&369));
        assert_eq!(prep.valid.last(), Some(&469));
        assert_eq!(prep.purged_rows, 60);
    }

    #[test]
    fn replay_matches_early_stopping_with_a_smaller_cap() {
        // Best at round 3, then 4 rounds without improvement.
        let h = [5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 3.0, 2.0];
        assert_eq!(replay(&h, 8, 4), (3, 3.0, 7));
        // A cap of 2 stops before the best round.
        assert_eq!(replay(&h, 2, 4), (2, 4.0, 2));
        // Without patience the whole capped history counts.
        assert_eq!(replay(&h, 8, 0), (8, 2.0, 8));
    }
}

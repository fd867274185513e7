//! Training: a chronological fit / validation / test split by decision
//! group (with purging of rows whose target overlaps the next period), the
//! learning_rate x num_leaves grid with early stopping on the validation
//! period only, and out-of-sample metrics on the test period.

use crate::error::{MetaSelectorError, Result};
use crate::features::MetaTable;
use crate::hyperparams::{GridParallelism, MetaSelectorValidParams};
use crate::model::{
    GridPointReport, MetaSelector, SelectionReport, SplitSizes, TrainReport, argmax_first,
};
use agent_core::{Fit, Progress, ProgressEvent, metrics, purge_by_label_end};
use lgbm::{self, Grid, LgbDataset, Rows};
use std::collections::BTreeMap;

/// Row indices of the three periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub fit: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
    pub sizes: SplitSizes,
}

fn n_groups(table: &MetaTable, rows: &[usize]) -> usize {
    let mut n = 0;
    let mut last = None;
    for &r in rows {
        let g = table.group()[r];
        if last != Some(g) {
            n += 1;
            last = Some(g);
        }
    }
    n
}

/// Drop rows of `earlier` whose target is only known after `later` starts
/// (less `embargo` decision-time units): agent-core's `purge_by_label_end`.
fn purge(table: &MetaTable, earlier: &mut Vec<usize>, later: &[usize], embargo: i64) -> usize {
    let Some(&first) = later.first() else {
        return 0;
    };
    purge_by_label_end(
        earlier,
        table.target_end(),
        table.decision_time()[first],
        embargo,
    )
}

/// The chronological split SPEC T2 prescribes: training rows are the
/// table's `is_train` rows; their decision groups, oldest first, are cut at
/// `floor(fit_fraction * groups)` into fit and validation; the rest is test.
/// Before the validation and the test period, rows whose target ends after
/// the period's first decision less `embargo` are purged.
pub fn split(table: &MetaTable, fit_fraction: f64, embargo: i64) -> Result<Split> {
    let n_train = table.n_train();
    let mut train: Vec<usize> = (0..n_train).collect();
    let test: Vec<usize> = (n_train..table.n_rows()).collect();
    let mut purged = purge(table, &mut train, &test, embargo);
    // Groups of the training rows in order.
    let mut groups: Vec<i64> = Vec::new();
    for &r in &train {
        let g = table.group()[r];
        if groups.last() != Some(&g) {
            groups.push(g);
        }
    }
    let n_fit_groups = (fit_fraction * groups.len() as f64).floor() as usize;
    if n_fit_groups == 0 || n_fit_groups >= groups.len() {
        return Err(MetaSelectorError::NotEnoughData(format!(
            "{} training groups cannot be split into fit and validation at fraction {fit_fraction}",
            groups.len()
        )));
    }
    let first_valid_group = groups[n_fit_groups];
    let cut = train
        .iter()
        .position(|&r| table.group()[r] == first_valid_group)
        .unwrap_or(train.len());
    let valid = train.split_off(cut);
    let mut fit = train;
    purged += purge(table, &mut fit, &valid, embargo);
    if fit.is_empty() || valid.is_empty() {
        return Err(MetaSelectorError::NotEnoughData(
            "the fit or validation period is empty after purging".into(),
        ));
    }
    let sizes = SplitSizes {
        fit_rows: fit.len(),
        valid_rows: valid.len(),
        test_rows: test.len(),
        purged_rows: purged,
        embargo,
        fit_groups: n_groups(table, &fit),
        valid_groups: n_groups(table, &valid),
        test_groups: n_groups(table, &test),
    };
    Ok(Split {
        fit,
        valid,
        test,
        sizes,
    })
}

struct Gathered {
    x: Vec<f64>,
    y: Vec<f32>,
    y64: Vec<f64>,
}

fn gather(table: &MetaTable, rows: &[usize]) -> Result<Gathered> {
    let f = table.features();
    let mut x = Vec::with_capacity(rows.len() * f.ncols());
    for &r in rows {
        x.extend(f.row(r).iter().copied());
    }
    let y64: Vec<f64> = rows.iter().map(|&r| table.target()[r]).collect();
    // LightGBM stores labels as float32, as in Python.
    let y = y64.iter().map(|&v| v as f32).collect();
    Ok(Gathered { x, y, y64 })
}

/// Evaluate the selection rule on `rows` with `pred` (aligned with `rows`).
pub fn selection_report(
    table: &MetaTable,
    rows: &[usize],
    pred: &[f64],
) -> Option<SelectionReport> {
    let k = table.strategy_names().len();
    // group -> (strategy -> (pred, realised)); first row per strategy kept.
    let mut groups: BTreeMap<i64, BTreeMap<usize, (f64, f64)>> = BTreeMap::new();
    for (i, &r) in rows.iter().enumerate() {
        groups
            .entry(table.group()[r])
            .or_default()
            .entry(table.strategy()[r])
            .or_insert((pred[i], table.target()[r]));
    }
    let complete: Vec<&BTreeMap<usize, (f64, f64)>> =
        groups.values().filter(|g| g.len() == k).collect();
    if complete.is_empty() || k == 0 {
        return None;
    }
    let n = complete.len() as f64;
    let mut sum_sel = 0.0;
    let mut cum_sel = 1.0;
    let mut sum_oracle = 0.0;
    let mut sum_uniform = 0.0;
    let mut hits = 0usize;
    let mut per_strategy = vec![0.0f64; k];
    let mut cum_per_strategy = vec![1.0f64; k];
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for g in &complete {
        let preds: Vec<f64> = g.values().map(|v| v.0).collect();
        let real: Vec<f64> = g.values().map(|v| v.1).collect();
        let pick = argmax_first(&preds);
        let best = argmax_first(&real);
        sum_sel += real[pick];
        cum_sel *= 1.0 + real[pick];
        sum_oracle += real[best];
        sum_uniform += real.iter().sum::<f64>() / k as f64;
        hits += usize::from(real[pick] == real[best]);
        for (s, r) in real.iter().enumerate() {
            per_strategy[s] += r;
            cum_per_strategy[s] *= 1.0 + r;
        }
        *counts
            .entry(table.strategy_names()[pick].clone())
            .or_default() += 1;
    }
    let best_fixed = argmax_first(&per_strategy);
    Some(SelectionReport {
        n_decisions: complete.len(),
        mean_selected: sum_sel / n,
        mean_best_fixed: per_strategy[best_fixed] / n,
        best_fixed_strategy: table.strategy_names()[best_fixed].clone(),
        mean_uniform: sum_uniform / n,
        mean_oracle: sum_oracle / n,
        cum_selected: cum_sel - 1.0,
        cum_best_fixed: cum_per_strategy[best_fixed] - 1.0,
        hit_rate: hits as f64 / n,
        selected_counts: counts,
    })
}

/// `Auto` runs grid points in parallel (one LightGBM thread each) when there
/// are at least as many points as threads, or the data is small: OpenMP's
/// per-split synchronisation then costs more than it saves, and on a busy
/// machine its spin-waiting slows training several-fold. Above this many fit
/// cells each worker's own copy of the binned data is too costly in memory.
const AUTO_PARALLEL_MAX_CELLS: usize = 20_000_000;
/// Below this many fit cells points always run in parallel.
const AUTO_PARALLEL_SMALL_CELLS: usize = 1_000_000;

/// A grid stopped by the caller's cancel token reports the core's
/// `Cancelled`, the one kind every agent stops with.
fn grid_error(e: lgbm::LgbError, cancel: &agent_core::cancel::CancelToken) -> MetaSelectorError {
    if cancel.is_cancelled() {
        agent_core::CoreError::Cancelled.into()
    } else {
        e.into()
    }
}

impl MetaSelectorValidParams {
    /// Train with a progress callback (one event per finished grid point).
    pub fn fit_with_progress(
        &self,
        table: &MetaTable,
        progress: Option<Progress<'_>>,
    ) -> Result<MetaSelector> {
        // LightGBM polls it from its worker threads, outside this thread's scope.
        let cancel = agent_core::cancel::current();
        let sp = split(table, self.fit_fraction, self.embargo)?;
        let nf = table.feature_names().len();
        let fit = gather(table, &sp.fit)?;
        let valid = gather(table, &sp.valid)?;
        let mut points = Vec::new();
        let mut grid_lr_nl = Vec::new();
        for &lr in &self.learning_rates {
            for &nl in &self.num_leaves {
                points.push(self.booster_params(lr, nl, self.num_threads));
                grid_lr_nl.push((lr, nl));
            }
        }
        let parallel = match self.grid_parallelism {
            GridParallelism::Sequential => false,
            GridParallelism::PointsInParallel => true,
            GridParallelism::Auto => {
                let cells = sp.fit.len() * nf;
                cells <= AUTO_PARALLEL_SMALL_CELLS
                    || (points.len() >= self.num_threads && cells <= AUTO_PARALLEL_MAX_CELLS)
            }
        };
        let n_points = points.len();
        let grid = Grid {
            n_features: nf,
            feature_names: table.feature_names(),
            fit: Rows {
                x: &fit.x,
                y: &fit.y,
                weight: None,
            },
            valid: Rows {
                x: &valid.x,
                y: &valid.y,
                weight: None,
            },
            dataset_params: self.dataset_params(self.num_threads),
            max_rounds: vec![self.max_rounds; n_points],
            points,
            patience: self.early_stopping_rounds,
            threads: self.num_threads,
            points_in_parallel: parallel,
        };
        let done = std::sync::atomic::AtomicU64::new(0);
        let boosted = lgbm::run_grid(&grid, &|| cancel.is_cancelled(), &|_, b| {
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if let Some(cb) = progress {
                cb(ProgressEvent::new("meta-selector grid", d, n_points as u64)
                    .with_message(format!("val_mse {:.6e}", b.best_score)));
            }
        })
        .map_err(|e| grid_error(e, &cancel))?;
        let reports: Vec<GridPointReport> = boosted
            .iter()
            .zip(&grid_lr_nl)
            .map(|(b, &(lr, nl))| GridPointReport {
                learning_rate: lr,
                num_leaves: nl,
                best_iteration: b.best_iteration,
                rounds_trained: b.history.len(),
                val_mse: b.best_score,
            })
            .collect();
        // Lowest validation MSE, first in grid order on ties.
        let best = reports.iter().enumerate().fold(0usize, |bi, (i, r)| {
            if r.val_mse < reports[bi].val_mse {
                i
            } else {
                bi
            }
        });
        let booster = boosted
            .into_iter()
            .nth(best)
            .map(|b| b.booster)
            .ok_or_else(|| MetaSelectorError::NotEnoughData("empty grid".into()))?;
        let (lr, nl) = grid_lr_nl[best];
        let mut model = MetaSelector {
            booster,
            feature_names: table.feature_names().to_vec(),
            strategy_names: table.strategy_names().to_vec(),
            params: self.clone(),
            report: TrainReport {
                best_learning_rate: lr,
                best_num_leaves: nl,
                best_iteration: reports[best].best_iteration,
                val_mse: Some(reports[best].val_mse),
                grid: reports,
                test_mse: None,
                test_r2: None,
                selection: None,
                split: sp.sizes.clone(),
            },
            data_fingerprint: table.dataset().ok().map(|d| d.fingerprint()),
            provenance: None,
            lookback: table.lookback(),
        };
        evaluate_test(&mut model, table, &sp.test)?;
        Ok(model)
    }

    /// Train one point for exactly `rounds` rounds on the fit rows, with no
    /// validation and no early stopping (SPEC T2's throughput measure), and
    /// evaluate it on the test period.
    pub fn fit_fixed_rounds(
        &self,
        table: &MetaTable,
        learning_rate: f64,
        num_leaves: usize,
        rounds: usize,
    ) -> Result<MetaSelector> {
        let sp = split(table, self.fit_fraction, self.embargo)?;
        let nf = table.feature_names().len();
        let fit = gather(table, &sp.fit)?;
        let mut ds = LgbDataset::from_rows(
            &fit.x,
            nf,
            &fit.y,
            None,
            &self.dataset_params(self.num_threads),
            None,
        )?;
        ds.set_feature_names(table.feature_names())?;
        let params = self.booster_params(learning_rate, num_leaves, self.num_threads);
        let b = lgbm::boost_with_early_stopping(&ds, None, &params, rounds, 0, &|_| false)?;
        let mut model = MetaSelector {
            booster: b.booster,
            feature_names: table.feature_names().to_vec(),
            strategy_names: table.strategy_names().to_vec(),
            params: self.clone(),
            report: TrainReport {
                grid: Vec::new(),
                best_learning_rate: learning_rate,
                best_num_leaves: num_leaves,
                best_iteration: b.best_iteration,
                val_mse: None,
                test_mse: None,
                test_r2: None,
                selection: None,
                split: sp.sizes.clone(),
            },
            data_fingerprint: None,
            provenance: None,
            lookback: table.lookback(),
        };
        evaluate_test(&mut model, table, &sp.test)?;
        Ok(model)
    }
}

fn evaluate_test(model: &mut MetaSelector, table: &MetaTable, test: &[usize]) -> Result<()> {
    if test.is_empty() {
        return Ok(());
    }
    let t = gather(table, test)?;
    let pred = model
        .booster
        .predict(&t.x, model.params.num_threads.max(1))?;
    model.report.test_mse = Some(metrics::mse(&t.y64, &pred)?);
    model.report.test_r2 = Some(metrics::r2(&t.y64, &pred)?);
    model.report.selection = selection_report(table, test, &pred);
    Ok(())
}

impl Fit<MetaTable> for MetaSelectorValidParams {
    type Model = MetaSelector;
    type Error = MetaSelectorError;

    fn fit(&self, table: &MetaTable) -> Result<MetaSelector> {
        self.fit_with_progress(table, None)
    }
}

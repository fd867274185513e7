//! Time-ordered model selection: scikit-learn's `TimeSeriesSplit` fold for
//! fold, and a grid search that scores every (point, fold) pair in parallel.
//! There is deliberately no shuffled K-fold here: on market data it leaks.

use crate::error::{CoreError, Result};
use crate::progress::{Progress, ProgressEvent};
use rayon::prelude::*;
use serde::Serialize;
use std::ops::Range;

/// One fold: contiguous train rows strictly before contiguous test rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fold {
    pub train: Range<usize>,
    pub test: Range<usize>,
}

/// Forward-chaining splits with scikit-learn's semantics: `n_splits` test
/// blocks of `test_size` (default `n // (n_splits + 1)`) at the end of the
/// data, training on everything before each block minus a `gap` (purge) and
/// optionally capped to the last `max_train_size` rows (rolling window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeSeriesSplit {
    pub n_splits: usize,
    pub max_train_size: Option<usize>,
    pub test_size: Option<usize>,
    pub gap: usize,
}

impl Default for TimeSeriesSplit {
    fn default() -> Self {
        Self::new(5)
    }
}

impl TimeSeriesSplit {
    pub fn new(n_splits: usize) -> Self {
        Self {
            n_splits,
            max_train_size: None,
            test_size: None,
            gap: 0,
        }
    }

    /// Rows dropped between each training block and its test block, so labels
    /// that look ahead cannot overlap the test period (purging).
    pub fn gap(mut self, gap: usize) -> Self {
        self.gap = gap;
        self
    }

    /// Keep at most this many training rows (a rolling walk-forward window).
    pub fn max_train_size(mut self, n: usize) -> Self {
        self.max_train_size = Some(n);
        self
    }

    pub fn test_size(mut self, n: usize) -> Self {
        self.test_size = Some(n);
        self
    }

    /// The folds for `n_samples` rows, identical to scikit-learn's
    /// `TimeSeriesSplit.split` (same errors for impossible configurations).
    pub fn split(&self, n_samples: usize) -> Result<Vec<Fold>> {
        if self.n_splits < 2 {
            return Err(CoreError::invalid_param(
                "n_splits",
                self.n_splits,
                "must be at least 2",
            ));
        }
        let n_folds = self.n_splits + 1;
        if n_folds > n_samples {
            return Err(CoreError::InvalidData(format!(
                "cannot make {} folds ({} splits) from {n_samples} samples",
                n_folds, self.n_splits
            )));
        }
        let test_size = self.test_size.unwrap_or(n_samples / n_folds);
        if test_size == 0 {
            return Err(CoreError::invalid_param("test_size", 0, "must be positive"));
        }
        let needed = self.gap + test_size * self.n_splits;
        if needed >= n_samples {
            return Err(CoreError::InvalidData(format!(
                "too many splits ({}) for {n_samples} samples with test_size {test_size} and gap {}",
                self.n_splits, self.gap
            )));
        }
        let first_test = n_samples - self.n_splits * test_size;
        Ok((0..self.n_splits)
            .map(|i| {
                let test_start = first_test + i * test_size;
                let train_end = test_start - self.gap;
                let train_start = match self.max_train_size {
                    Some(m) if m < train_end => train_end - m,
                    _ => 0,
                };
                Fold {
                    train: train_start..train_end,
                    test: test_start..test_start + test_size,
                }
            })
            .collect())
    }
}

/// Whether a score is better when higher (AUC, F1, R2) or lower (MSE, log-loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Direction {
    Maximize,
    Minimize,
}

/// The score of one grid point across the folds.
#[derive(Debug, Clone, Serialize)]
pub struct GridEntry<P> {
    pub params: P,
    pub fold_scores: Vec<f64>,
    pub mean: f64,
    /// Population standard deviation across folds (scikit-learn's `std_test_score`).
    pub std: f64,
}

/// Every grid point's scores and the index of the best one (ties go to the
/// first point in grid order).
#[derive(Debug, Clone, Serialize)]
pub struct GridResult<P> {
    pub entries: Vec<GridEntry<P>>,
    pub best: usize,
    pub direction: Direction,
}

impl<P> GridResult<P> {
    pub fn best_entry(&self) -> &GridEntry<P> {
        &self.entries[self.best]
    }
}

/// Grid search over `points` x `folds`.
#[derive(Clone, Copy)]
pub struct GridSearch<'a> {
    /// Worker threads; 0 means rayon's default (all cores).
    pub n_threads: usize,
    pub direction: Direction,
    pub progress: Option<Progress<'a>>,
}

impl<'a> GridSearch<'a> {
    pub fn new(direction: Direction) -> Self {
        Self {
            n_threads: 0,
            direction,
            progress: None,
        }
    }

    pub fn n_threads(mut self, n: usize) -> Self {
        self.n_threads = n;
        self
    }

    pub fn progress(mut self, p: Progress<'a>) -> Self {
        self.progress = Some(p);
        self
    }

    /// Score every (point, fold) pair with `score` in parallel and pick the
    /// best mean. The first error aborts the search.
    pub fn run<P, E, F>(&self, points: &[P], folds: &[Fold], score: F) -> Result<GridResult<P>, E>
    where
        P: Clone + Send + Sync,
        E: Send + From<CoreError>,
        F: Fn(&P, &Fold) -> Result<f64, E> + Sync,
    {
        if points.is_empty() || folds.is_empty() {
            return Err(CoreError::InvalidData("grid search needs points and folds".into()).into());
        }
        let total = (points.len() * folds.len()) as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        let jobs: Vec<(usize, usize)> = (0..points.len())
            .flat_map(|p| (0..folds.len()).map(move |f| (p, f)))
            .collect();
        let eval = || -> Result<Vec<f64>, E> {
            jobs.par_iter()
                .map(|&(p, f)| {
                    let s = score(&points[p], &folds[f]);
                    let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    if let Some(cb) = self.progress {
                        cb(ProgressEvent::new("grid search", d, total));
                    }
                    s
                })
                .collect()
        };
        let scores = if self.n_threads == 0 {
            eval()?
        } else {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(self.n_threads)
                .build()
                .map_err(|e| CoreError::InvalidData(format!("thread pool: {e}")))?;
            pool.install(eval)?
        };
        let entries: Vec<GridEntry<P>> = points
            .iter()
            .enumerate()
            .map(|(p, params)| {
                let fold_scores = scores[p * folds.len()..(p + 1) * folds.len()].to_vec();
                let (mean, std) = mean_std0(&fold_scores);
                GridEntry {
                    params: params.clone(),
                    fold_scores,
                    mean,
                    std,
                }
            })
            .collect();
        let best = best_index(entries.iter().map(|e| e.mean), self.direction);
        Ok(GridResult {
            entries,
            best,
            direction: self.direction,
        })
    }
}

/// Index of the best value (first on ties; NaN never wins).
pub fn best_index(values: impl Iterator<Item = f64>, direction: Direction) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.enumerate() {
        if v.is_nan() {
            continue;
        }
        let better = match (best, direction) {
            (None, _) => true,
            (Some((_, b)), Direction::Maximize) => v > b,
            (Some((_, b)), Direction::Minimize) => v < b,
        };
        if better {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i).unwrap_or(0)
}

fn mean_std0(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The cartesian product of two parameter lists, first list outer (the
/// iteration order scikit-learn's `ParameterGrid` uses for sorted keys).
pub fn product2<A: Clone, B: Clone>(a: &[A], b: &[B]) -> Vec<(A, B)> {
    a.iter()
        .flat_map(|x| b.iter().map(move |y| (x.clone(), y.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_split_matches_spec_t1_fold_bounds() {
        // SPEC T1: m = 46,658, ts = 7,776, fold 0 trains on the first 7,778 rows.
        let folds = TimeSeriesSplit::new(5).split(46_658).unwrap();
        assert_eq!(folds[0].train, 0..7_778);
        assert_eq!(folds[0].test, 7_778..15_554);
        assert_eq!(folds[4].test, 38_882..46_658);
    }

    #[test]
    fn ts_split_gap_and_max_train_size() {
        let folds = TimeSeriesSplit::new(3)
            .gap(2)
            .max_train_size(3)
            .split(10)
            .unwrap();
        // test_size = 10 // 4 = 2; tests start at 4, 6, 8.
        assert_eq!(folds[0].train, 0..2);
        assert_eq!(folds[1].train, 1..4);
        assert_eq!(folds[2].train, 3..6);
        assert_eq!(folds[2].test, 8..10);
    }

    #[test]
    fn ts_split_rejects_too_many_splits() {
        assert!(TimeSeriesSplit::new(5).split(5).is_err());
        assert!(TimeSeriesSplit::new(1).split(100).is_err());
    }

    #[test]
    fn grid_search_picks_first_best_and_reports_all() {
        let folds = TimeSeriesSplit::new(2).split(9).unwrap();
        let points = vec![1.0, 3.0, 3.0, 2.0];
        let res = GridSearch::new(Direction::Maximize)
            .n_threads(2)
            .run::<f64, CoreError, _>(&points, &folds, |p, f| Ok(*p + f.test.start as f64 * 0.0))
            .unwrap();
        assert_eq!(res.best, 1);
        assert_eq!(res.entries.len(), 4);
        assert_eq!(res.entries[3].fold_scores, vec![2.0, 2.0]);
    }
}

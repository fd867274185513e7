//! Time-ordered model selection: scikit-learn's `TimeSeriesSplit` fold for
//! fold, and a grid search that scores every (point, fold) pair in parallel.
//! There is deliberately no shuffled K-fold here: on market data it leaks.
//!
//! Labels that look ahead (a forward return over `h` bars, a reward paid out
//! over the next bars) make the last `h` rows before any boundary leak the
//! period after it. [`Purge`] is the one place that arithmetic lives: every
//! chronological split ([`purged_split`], [`TimeSeriesSplit::purge`],
//! [`purge_by_label_end`]) drops at least the label horizon before each
//! boundary, plus an optional embargo the caller may add (never subtract).

use crate::error::{CoreError, Result};
use crate::progress::{Progress, ProgressEvent};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// How far labels look ahead and how much more to drop at a boundary.
///
/// A row `i` whose label is known only at row `i + label_horizon` may train a
/// model evaluated from row `b` on only if `i + label_horizon + embargo < b`:
/// the `label_horizon + embargo` rows before each boundary are dropped from
/// the earlier period, and the later period keeps every row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purge {
    /// Rows (bars, windows) a label looks ahead; 0 only for labels that
    /// use nothing after their own row.
    pub label_horizon: usize,
    /// Extra rows dropped beyond the horizon (serial correlation of features).
    pub embargo: usize,
}

impl Purge {
    /// Purge exactly the label horizon, no embargo.
    pub fn new(label_horizon: usize) -> Self {
        Self {
            label_horizon,
            embargo: 0,
        }
    }

    /// Add `rows` of embargo on top of the horizon.
    pub fn embargo(mut self, rows: usize) -> Self {
        self.embargo = rows;
        self
    }

    /// Rows dropped before each boundary: `label_horizon + embargo`.
    pub fn gap(&self) -> usize {
        self.label_horizon.saturating_add(self.embargo)
    }
}

/// A chronological split into consecutive periods with the purge applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgedSplit {
    /// The purge used at every boundary.
    pub purge: Purge,
    /// Row ranges of the periods, oldest first; `periods[k].end + gap ==
    /// periods[k + 1].start`.
    pub periods: Vec<Range<usize>>,
    /// Rows dropped in all (`gap` per boundary).
    pub purged_rows: usize,
}

/// Row indices where periods start, from the shares of the leading periods:
/// cut `k` is `floor((fractions[0] + ... + fractions[k]) * n)`; the last
/// period takes the rest. Each share must be in (0, 1) and their sum < 1.
pub fn fraction_cuts(n: usize, fractions: &[f64]) -> Result<Vec<usize>> {
    let mut acc = 0.0;
    let mut cuts = Vec::with_capacity(fractions.len());
    for &f in fractions {
        if !(f > 0.0 && f < 1.0) {
            return Err(CoreError::invalid_param("fraction", f, "must be in (0, 1)"));
        }
        acc += f;
        if acc >= 1.0 {
            return Err(CoreError::invalid_param(
                "fraction",
                acc,
                "the shares of the leading periods must sum to less than 1",
            ));
        }
        cuts.push((acc * n as f64).floor() as usize);
    }
    Ok(cuts)
}

/// Split rows `0..n` at `cuts` (increasing row indices where a new period
/// starts), dropping `purge.gap()` rows at the end of every period but the
/// last. Errors when a period would be empty.
pub fn purged_split(n: usize, cuts: &[usize], purge: Purge) -> Result<PurgedSplit> {
    let gap = purge.gap();
    let mut periods = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0usize;
    for (k, &cut) in cuts.iter().enumerate() {
        if cut <= start || cut >= n {
            return Err(CoreError::InvalidData(format!(
                "cannot split {n} rows at {cuts:?}: cut {k} ({cut}) must lie strictly between \
                 the previous cut ({start}) and {n}"
            )));
        }
        let end = cut.saturating_sub(gap);
        if end <= start {
            return Err(CoreError::InvalidData(format!(
                "period {k} (rows {start}..{cut}) has {} rows, none left after purging {gap} \
                 (label horizon {} + embargo {}) before row {cut}; use more data or fewer periods",
                cut - start,
                purge.label_horizon,
                purge.embargo
            )));
        }
        periods.push(start..end);
        start = cut;
    }
    if start >= n {
        return Err(CoreError::InvalidData(format!(
            "cannot split {n} rows: the last period is empty"
        )));
    }
    periods.push(start..n);
    Ok(PurgedSplit {
        purge,
        periods,
        purged_rows: gap * cuts.len(),
    })
}

/// Purge by time for rows that do not sit on one bar grid (several pairs,
/// decision windows): keep the rows of `earlier` whose label is complete
/// (`label_end[r]`, exclusive, in the unit of `boundary`) at least `embargo`
/// before `boundary`, the start of the next period. Returns the number
/// dropped. A row-indexed label looking `h` rows ahead ends at `r + h + 1`,
/// which makes this drop the same `h + embargo` rows as [`purged_split`].
pub fn purge_by_label_end(
    earlier: &mut Vec<usize>,
    label_end: &[i64],
    boundary: i64,
    embargo: i64,
) -> usize {
    let before = earlier.len();
    let limit = boundary.saturating_sub(embargo.max(0));
    earlier.retain(|&r| label_end.get(r).is_some_and(|&e| e <= limit));
    before - earlier.len()
}

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

    /// Purge `purge.gap()` rows before each test block; an explicit
    /// [`gap`](Self::gap) can only make it larger.
    pub fn purge(mut self, purge: Purge) -> Self {
        self.gap = self.gap.max(purge.gap());
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
    fn ts_split_purge_never_shrinks_the_gap() {
        let folds = TimeSeriesSplit::new(3)
            .purge(Purge::new(2))
            .split(10)
            .unwrap();
        assert_eq!(folds[0].train, 0..2);
        assert_eq!(folds[0].test, 4..6);
        let folds = TimeSeriesSplit::new(3)
            .gap(3)
            .purge(Purge::new(1))
            .split(10)
            .unwrap();
        assert_eq!(folds[0].train, 0..1);
        let folds = TimeSeriesSplit::new(3)
            .purge(Purge::new(1).embargo(2))
            .split(10)
            .unwrap();
        assert_eq!(folds[1].train, 0..3);
        assert_eq!(folds[1].test, 6..8);
    }

    #[test]
    fn purged_split_drops_the_horizon_before_each_boundary() {
        // Horizon 0: a plain chronological split.
        let s = purged_split(10, &[6, 8], Purge::new(0)).unwrap();
        assert_eq!(s.periods, vec![0..6, 6..8, 8..10]);
        assert_eq!(s.purged_rows, 0);
        // Horizon 1: the row whose label is the first later row goes.
        let s = purged_split(10, &[6, 8], Purge::new(1)).unwrap();
        assert_eq!(s.periods, vec![0..5, 6..7, 8..10]);
        assert_eq!(s.purged_rows, 2);
        // Horizon h: no kept row's label window (i+1..=i+h) reaches a later period.
        let h = 3;
        let s = purged_split(20, &[10, 15], Purge::new(h)).unwrap();
        assert_eq!(s.periods, vec![0..7, 10..12, 15..20]);
        for w in s.periods.windows(2) {
            assert!(w[0].end - 1 + h < w[1].start);
            assert_eq!(w[0].end - 1 + h + 1, w[1].start);
        }
        // Embargo adds to the horizon.
        let s = purged_split(20, &[10], Purge::new(3).embargo(2)).unwrap();
        assert_eq!(s.periods, vec![0..5, 10..20]);
        assert_eq!(s.purged_rows, 5);
    }

    #[test]
    fn purged_split_errors_clearly_on_too_little_data() {
        let e = purged_split(10, &[3, 5], Purge::new(2))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("period 1") && e.contains("label horizon 2"),
            "{e}"
        );
        let e = purged_split(10, &[2], Purge::new(2))
            .unwrap_err()
            .to_string();
        assert!(e.contains("period 0") && e.contains("none left"), "{e}");
        assert!(purged_split(10, &[10], Purge::new(0)).is_err());
        assert!(purged_split(10, &[5, 5], Purge::new(0)).is_err());
        assert!(purged_split(0, &[], Purge::new(0)).is_err());
        assert_eq!(
            purged_split(1, &[], Purge::new(5)).unwrap().periods,
            vec![0..1]
        );
    }

    #[test]
    fn fraction_cuts_floor_the_cumulative_shares() {
        assert_eq!(fraction_cuts(10, &[0.6, 0.2]).unwrap(), vec![6, 8]);
        assert_eq!(fraction_cuts(7, &[0.5]).unwrap(), vec![3]);
        assert!(fraction_cuts(10, &[0.6, 0.4]).is_err());
        assert!(fraction_cuts(10, &[0.0]).is_err());
        assert!(fraction_cuts(10, &[f64::NAN]).is_err());
    }

    #[test]
    fn purge_by_label_end_matches_the_row_rule() {
        // Rows 0..10 with labels 2 rows ahead end (exclusive) at r + 3.
        let ends: Vec<i64> = (0..10).map(|r| r + 3).collect();
        let mut rows: Vec<usize> = (0..7).collect();
        assert_eq!(purge_by_label_end(&mut rows, &ends, 7, 0), 2);
        assert_eq!(
            rows,
            purged_split(10, &[7], Purge::new(2)).unwrap().periods[0]
                .clone()
                .collect::<Vec<_>>()
        );
        let mut rows: Vec<usize> = (0..7).collect();
        assert_eq!(purge_by_label_end(&mut rows, &ends, 7, 1), 3);
        // A row without a recorded label end is never kept.
        let mut rows = vec![0, 42];
        assert_eq!(purge_by_label_end(&mut rows, &ends, 100, 0), 1);
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

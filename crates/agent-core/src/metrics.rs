//! Classification and regression metrics with scikit-learn's definitions
//! (checked against it on committed fixtures). Undefined cases return an
//! error rather than a silent NaN.

use crate::error::{CoreError, Result};

fn check_len(what: &'static str, a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(CoreError::Shape {
            what,
            expected: a.to_string(),
            got: b.to_string(),
        });
    }
    if a == 0 {
        return Err(CoreError::InvalidData(format!("{what}: no samples")));
    }
    Ok(())
}

/// Binary ROC-AUC: the probability that a random positive scores above a
/// random negative, ties counting one half (scikit-learn's `roc_auc_score`).
/// Labels are positive when `> 0.5`.
pub fn roc_auc(y_true: &[f64], scores: &[f64]) -> Result<f64> {
    check_len("scores", y_true.len(), scores.len())?;
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(CoreError::InvalidData(format!(
            "roc_auc: score {i} is not finite"
        )));
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mann-Whitney U with average ranks for ties.
    let mut rank_sum_pos = 0.0;
    let mut n_pos = 0usize;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && scores[idx[j]] == scores[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0; // ranks i+1..=j
        for &k in &idx[i..j] {
            if y_true[k] > 0.5 {
                rank_sum_pos += avg_rank;
                n_pos += 1;
            }
        }
        i = j;
    }
    let n_neg = y_true.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err(CoreError::UndefinedMetric {
            metric: "roc_auc",
            why: "only one class present in y_true".into(),
        });
    }
    let u = rank_sum_pos - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Ok(u / (n_pos as f64 * n_neg as f64))
}

/// Confusion matrix `m[true][pred]` over classes `0..n_classes`.
pub fn confusion_matrix(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
) -> Result<Vec<Vec<u64>>> {
    check_len("y_pred", y_true.len(), y_pred.len())?;
    let mut m = vec![vec![0u64; n_classes]; n_classes];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        if t >= n_classes || p >= n_classes {
            return Err(CoreError::InvalidData(format!(
                "class label {} outside 0..{n_classes}",
                t.max(p)
            )));
        }
        m[t][p] += 1;
    }
    Ok(m)
}

/// Accuracy: the fraction of exact matches.
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    check_len("y_pred", y_true.len(), y_pred.len())?;
    let hits = y_true.iter().zip(y_pred).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / y_true.len() as f64)
}

fn f1_from_counts(tp: u64, fp: u64, fn_: u64) -> f64 {
    // scikit-learn's zero_division default: 0 when there is nothing to score.
    let denom = 2 * tp + fp + fn_;
    if denom == 0 {
        0.0
    } else {
        2.0 * tp as f64 / denom as f64
    }
}

/// F1 of the positive class (label 1) for binary labels.
pub fn f1_binary(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    let m = confusion_matrix(y_true, y_pred, 2)?;
    Ok(f1_from_counts(m[1][1], m[0][1], m[1][0]))
}

/// Per-class F1 over classes `0..n_classes`.
pub fn f1_per_class(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Vec<f64>> {
    let m = confusion_matrix(y_true, y_pred, n_classes)?;
    Ok((0..n_classes)
        .map(|c| {
            let tp = m[c][c];
            let fp: u64 = (0..n_classes).filter(|&r| r != c).map(|r| m[r][c]).sum();
            let fn_: u64 = (0..n_classes).filter(|&p| p != c).map(|p| m[c][p]).sum();
            f1_from_counts(tp, fp, fn_)
        })
        .collect())
}

/// Macro F1: the unweighted mean of per-class F1 over the classes present in
/// `y_true` or `y_pred` (scikit-learn's label set).
pub fn f1_macro(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<f64> {
    let per = f1_per_class(y_true, y_pred, n_classes)?;
    let present: Vec<usize> = (0..n_classes)
        .filter(|c| y_true.contains(c) || y_pred.contains(c))
        .collect();
    Ok(present.iter().map(|&c| per[c]).sum::<f64>() / present.len() as f64)
}

/// Macro one-vs-rest ROC-AUC for `proba` given row-major `n x n_classes`.
pub fn roc_auc_ovr(y_true: &[usize], proba: &[f64], n_classes: usize) -> Result<f64> {
    check_len("proba", y_true.len() * n_classes, proba.len())?;
    let mut total = 0.0;
    for c in 0..n_classes {
        let yc: Vec<f64> = y_true.iter().map(|&y| (y == c) as u8 as f64).collect();
        let sc: Vec<f64> = proba.iter().skip(c).step_by(n_classes).copied().collect();
        total += roc_auc(&yc, &sc)?;
    }
    Ok(total / n_classes as f64)
}

/// Log-loss for row-major probabilities `n x n_classes`, clipped like
/// scikit-learn to `[eps, 1 - eps]` with the float64 machine epsilon, rows
/// renormalised.
pub fn log_loss(y_true: &[usize], proba: &[f64], n_classes: usize) -> Result<f64> {
    check_len("proba", y_true.len() * n_classes, proba.len())?;
    let eps = f64::EPSILON;
    let mut total = 0.0;
    for (i, &y) in y_true.iter().enumerate() {
        if y >= n_classes {
            return Err(CoreError::InvalidData(format!(
                "class label {y} outside 0..{n_classes}"
            )));
        }
        let row = &proba[i * n_classes..(i + 1) * n_classes];
        let clipped: Vec<f64> = row.iter().map(|p| p.clamp(eps, 1.0 - eps)).collect();
        let s: f64 = clipped.iter().sum();
        total -= (clipped[y] / s).ln();
    }
    Ok(total / y_true.len() as f64)
}

/// Binary log-loss from P(class 1).
pub fn log_loss_binary(y_true: &[usize], p1: &[f64]) -> Result<f64> {
    let proba: Vec<f64> = p1.iter().flat_map(|&p| [1.0 - p, p]).collect();
    log_loss(y_true, &proba, 2)
}

/// Mean squared error.
pub fn mse(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_len("y_pred", y_true.len(), y_pred.len())?;
    Ok(y_true
        .iter()
        .zip(y_pred)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / y_true.len() as f64)
}

/// Coefficient of determination `1 - SSE/SST`, SST about the mean of `y_true`.
/// A constant `y_true` gives 1.0 for a perfect fit and 0.0 otherwise, as in
/// scikit-learn.
pub fn r2(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check_len("y_pred", y_true.len(), y_pred.len())?;
    let mean = y_true.iter().sum::<f64>() / y_true.len() as f64;
    let sst: f64 = y_true.iter().map(|y| (y - mean) * (y - mean)).sum();
    let sse: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(a, b)| (a - b) * (a - b))
        .sum();
    if sst == 0.0 {
        return Ok(if sse == 0.0 { 1.0 } else { 0.0 });
    }
    Ok(1.0 - sse / sst)
}

/// Threshold probabilities into labels: 1 iff `p > threshold`.
pub fn threshold_labels(p: &[f64], threshold: f64) -> Vec<usize> {
    p.iter().map(|&x| (x > threshold) as usize).collect()
}

/// Row-wise argmax of row-major `n x n_classes` (lowest index on ties).
pub fn argmax_rows(proba: &[f64], n_classes: usize) -> Vec<usize> {
    proba
        .chunks(n_classes)
        .map(|row| {
            let mut best = 0;
            for (i, v) in row.iter().enumerate() {
                if *v > row[best] {
                    best = i;
                }
            }
            best
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_auc_counts_ties_as_half() {
        // One positive tied with one negative: 0.5; others perfectly ordered.
        let y = [0.0, 1.0, 0.0, 1.0];
        let s = [0.1, 0.5, 0.5, 0.9];
        assert!((roc_auc(&y, &s).unwrap() - 0.875).abs() < 1e-12);
    }

    #[test]
    fn roc_auc_single_class_is_an_error() {
        assert!(roc_auc(&[1.0, 1.0], &[0.2, 0.3]).is_err());
    }

    #[test]
    fn r2_perfect_and_mean_predictor() {
        let y = [1.0, 2.0, 3.0];
        assert_eq!(r2(&y, &y).unwrap(), 1.0);
        assert!(r2(&y, &[2.0, 2.0, 2.0]).unwrap().abs() < 1e-12);
    }
}

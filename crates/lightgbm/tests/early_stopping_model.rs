//! Early stopping keeps the model at the best round: the booster it returns
//! must be the model that rolling the extra rounds back gives, byte for
//! byte in its text and value for value in its predictions.

use lgbm::{LgbDataset, LgbParams, LgbTraining, boost_with_early_stopping};

/// Deterministic values in [-1, 1) from a xorshift stream.
fn noise(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// Labels: a weak signal on feature 1 under much noise, so validation stops
/// improving after a few rounds.
fn labels(x: &[f64], f: usize, num_class: usize, seed: u64) -> Vec<f32> {
    let e = noise(x.len() / f, seed);
    (0..x.len() / f)
        .map(|r| {
            let v = 0.2 * x[r * f + 1] + e[r];
            if num_class > 1 {
                ((v + 1.2) / 2.4 * num_class as f64).clamp(0.0, num_class as f64 - 1.0) as u32
                    as f32
            } else {
                v as f32
            }
        })
        .collect()
}

fn check(objective: &str, num_class: usize, extra: &[(&str, &str)]) {
    let f = 5;
    let x_fit = noise(600 * f, 0x9E37_79B9_7F4A_7C15);
    let x_val = noise(200 * f, 0xD1B5_4A32_D192_ED03);
    let y_fit = labels(&x_fit, f, num_class, 7);
    let y_val = labels(&x_val, f, num_class, 11);
    let mut dp = LgbParams::new()
        .set("min_data_in_leaf", 5)
        .set("num_threads", 1);
    for (k, v) in extra {
        dp = dp.set(k, v);
    }
    let fit = LgbDataset::from_rows(&x_fit, f, &y_fit, None, &dp, None).expect("fit");
    let val = LgbDataset::from_rows(&x_val, f, &y_val, None, &dp, Some(&fit)).expect("valid");
    let mut p = dp
        .clone()
        .set("objective", objective)
        .set("num_leaves", 15)
        .set("learning_rate", 0.3)
        .set("deterministic", true)
        .set("force_row_wise", true);
    if num_class > 1 {
        p = p.set("num_class", num_class);
    }
    let patience = 5;
    let b = boost_with_early_stopping(&fit, Some(&val), &p, 200, patience, &|_| false)
        .expect("early stopping");
    assert!(
        b.history.len() > b.best_iteration && b.best_iteration > 0,
        "{objective}: the case must stop early ({} rounds, best {})",
        b.history.len(),
        b.best_iteration
    );
    assert_eq!(b.booster.n_iterations(), b.best_iteration, "{objective}");

    // The same training, rolled back round by round.
    let mut t = LgbTraining::new(&fit, Some(&val), &p).expect("training");
    for _ in 0..b.history.len() {
        t.update().expect("update");
    }
    for _ in b.best_iteration..b.history.len() {
        t.rollback().expect("rollback");
    }
    let rolled = t.finish();
    assert_eq!(rolled.n_iterations(), b.best_iteration, "{objective}");
    assert_eq!(
        b.booster.save_string().expect("save"),
        rolled.save_string().expect("save"),
        "{objective}: model text differs"
    );
    let got = b.booster.predict(&x_val, 1).expect("predict");
    let want = rolled.predict(&x_val, 1).expect("predict");
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{objective}: prediction {i}");
    }
}

#[test]
fn regression_best_round_equals_rollback() {
    check("regression", 1, &[]);
}

#[test]
fn multiclass_best_round_equals_rollback() {
    check("multiclass", 3, &[]);
}

#[test]
fn categorical_best_round_equals_rollback() {
    check("regression", 1, &[("categorical_feature", "0")]);
}

#[test]
fn linear_tree_best_round_equals_rollback() {
    check("regression", 1, &[("linear_tree", "true")]);
}

//! Numerical drift of the Sherman-Morrison inverse over a long run. The
//! project tests in release (`cargo test --release`), where the 10-million
//! update run takes about a second; an unoptimised debug build runs a
//! tenth of the updates so a plain `cargo test` stays quick.

use agent_core::SplitMix64;
use linucb::{DisjointLinUcb, linalg};

/// Max |X - Y| / max |Y|.
fn rel_err(x: &[f64], y: &[f64]) -> f64 {
    let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
        / scale
}

fn run(updates: usize, reinvert_every: u64) -> (f64, f64) {
    let (d, k) = (8, 2);
    let mut m = DisjointLinUcb::new(d, k, 1.0, 1.0, reinvert_every).unwrap();
    let mut rng = SplitMix64::new(7);
    let true_theta: Vec<f64> = (0..d).map(|i| (i as f64 - 3.5) / 4.0).collect();
    let mut x = vec![0.0; d];
    for t in 0..updates {
        // Correlated, non-centred contexts make A ill-conditioned, which is
        // where rank-1 updates drift.
        let common = rng.next_f64();
        for (i, xi) in x.iter_mut().enumerate() {
            *xi = 0.8 * common + 0.2 * (rng.next_f64() - 0.5) + if i == 0 { 1.0 } else { 0.0 };
        }
        let r = linalg::dot(&x, &true_theta) + 0.1 * (rng.next_f64() - 0.5);
        m.update(&x, t % k, r).unwrap();
    }
    let (mut inv_err, mut theta_err) = (0.0f64, 0.0f64);
    for arm in 0..k {
        let a = m.a(arm).to_vec();
        let mut fresh = vec![0.0; d * d];
        let mut work = vec![0.0; d * d];
        linalg::spd_inverse(&a, d, &mut fresh, &mut work).unwrap();
        inv_err = inv_err.max(rel_err(m.a_inv(arm), &fresh));
        let mut theta = m.b(arm).to_vec();
        let mut l = a.clone();
        linalg::cholesky_in_place(&mut l, d).unwrap();
        linalg::cholesky_solve(&l, d, &mut theta);
        theta_err = theta_err.max(rel_err(m.theta(arm), &theta));
    }
    (inv_err, theta_err)
}

/// Scale for unoptimised builds (see the module docs).
const SCALE: usize = if cfg!(debug_assertions) { 10 } else { 1 };

#[test]
fn inverse_stays_close_to_a_fresh_inverse_after_10_million_updates() {
    let n = 10_000_000 / SCALE;
    let (inv_err, theta_err) = run(n, 256);
    eprintln!("after {n} updates: rel. error of A^-1 {inv_err:.2e}, of theta {theta_err:.2e}");
    assert!(inv_err < 1e-8, "A^-1 drifted: {inv_err:e}");
    assert!(theta_err < 1e-6, "theta drifted: {theta_err:e}");
}

#[test]
fn periodic_reinversion_bounds_drift_better_than_pure_sherman_morrison() {
    let n = 1_000_000 / SCALE;
    let (with, _) = run(n, 256);
    let (without, _) = run(n, 0);
    eprintln!(
        "after {n} updates: with re-inversion {with:.2e}, pure Sherman-Morrison {without:.2e}"
    );
    assert!(with < 1e-8, "{with:e}");
    assert!(with <= without, "re-inversion {with:e} vs none {without:e}");
}

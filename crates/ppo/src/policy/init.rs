//! Parameter initialisation as stable-baselines3 does it: orthogonal
//! weights (`torch.nn.init.orthogonal_`: QR of a Gaussian matrix, signs fixed
//! by R's diagonal) with gain sqrt(2) for hidden layers, 0.01 for the action
//! head and 1 for the value head, zero biases; or PyTorch's default `Linear`
//! init (uniform +-1/sqrt(fan_in)) when orthogonal init is off.

use super::{Dense, Layout, PolicySpec};
use agent_core::SplitMix64;

/// An orthogonal `[rows x cols]` matrix (row-major) times `gain`.
pub(crate) fn orthogonal(rows: usize, cols: usize, gain: f64, rng: &mut SplitMix64) -> Vec<f64> {
    // Work on the tall orientation (r >= c), as torch does, then transpose back.
    let transpose = rows < cols;
    let (r, c) = if transpose {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let mut a: Vec<f64> = (0..r * c).map(|_| rng.next_normal()).collect();
    // Modified Gram-Schmidt on the columns: the Q of the QR factorisation
    // whose R has a positive diagonal, which is what torch's sign fix yields.
    for j in 0..c {
        for i in 0..j {
            let dot: f64 = (0..r).map(|k| a[k * c + i] * a[k * c + j]).sum();
            for k in 0..r {
                a[k * c + j] -= dot * a[k * c + i];
            }
        }
        let norm = (0..r)
            .map(|k| a[k * c + j] * a[k * c + j])
            .sum::<f64>()
            .sqrt();
        if norm > 1e-12 {
            for k in 0..r {
                a[k * c + j] /= norm;
            }
        }
    }
    let mut out = vec![0.0; rows * cols];
    for i in 0..rows {
        for j in 0..cols {
            out[i * cols + j] = gain
                * if transpose {
                    a[j * c + i]
                } else {
                    a[i * c + j]
                };
        }
    }
    out
}

fn fill_dense(params: &mut [f32], d: &Dense, gain: Option<f64>, rng: &mut SplitMix64) {
    match gain {
        Some(g) => {
            // torch weight is [out x in]; ours is [in x out].
            let wt = orthogonal(d.n_out, d.n_in, g, rng);
            for o in 0..d.n_out {
                for i in 0..d.n_in {
                    params[d.w + i * d.n_out + o] = wt[o * d.n_in + i] as f32;
                }
            }
            params[d.b..d.b + d.n_out].iter_mut().for_each(|x| *x = 0.0);
        }
        None => {
            let bound = 1.0 / (d.n_in as f64).sqrt();
            for x in &mut params[d.w..d.b + d.n_out] {
                *x = (bound * (2.0 * rng.next_f64() - 1.0)) as f32;
            }
        }
    }
}

/// Fresh parameters for `spec`.
pub(crate) fn init_params(
    spec: &PolicySpec,
    ortho: bool,
    log_std_init: f64,
    rng: &mut SplitMix64,
) -> Vec<f32> {
    let layout = Layout::new(spec);
    let mut p = vec![0.0f32; layout.total];
    let g = |gain: f64| if ortho { Some(gain) } else { None };
    for d in &layout.pi {
        fill_dense(&mut p, d, g(2f64.sqrt()), rng);
    }
    for d in &layout.vf {
        fill_dense(&mut p, d, g(2f64.sqrt()), rng);
    }
    fill_dense(&mut p, &layout.pi_head, g(0.01), rng);
    fill_dense(&mut p, &layout.vf_head, g(1.0), rng);
    if let Some(o) = layout.log_std {
        p[o..o + spec.dist.width()]
            .iter_mut()
            .for_each(|x| *x = log_std_init as f32);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_rows_or_columns_are_orthonormal_times_gain() {
        let mut rng = SplitMix64::new(7);
        for (r, c) in [(64, 12), (5, 64), (64, 64), (1, 64)] {
            let g = 2f64.sqrt();
            let w = orthogonal(r, c, g, &mut rng);
            // the smaller dimension's vectors are orthonormal (x gain^2)
            // vector v, component k of the smaller dimension's vectors
            let tall = r >= c;
            let (n, len) = if tall { (c, r) } else { (r, c) };
            let at = |v: usize, k: usize| if tall { w[k * c + v] } else { w[v * c + k] };
            for a in 0..n {
                for b in 0..n {
                    let dot: f64 = (0..len).map(|k| at(a, k) * at(b, k)).sum();
                    let want = if a == b { g * g } else { 0.0 };
                    assert!((dot - want).abs() < 1e-9, "{r}x{c}: <{a},{b}> = {dot}");
                }
            }
        }
    }
}

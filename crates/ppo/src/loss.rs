//! The arithmetic of PPO, on plain slices so it can be checked against
//! hand-computed values and stable-baselines3: GAE(lambda), advantage
//! normalisation, the clipped surrogate with entropy bonus (categorical and
//! diagonal Gaussian), the value loss (SB3 and CleanRL forms) and explained
//! variance. The loss functions also write the gradient of the total loss
//! with respect to the network outputs, with PyTorch's conventions at the
//! kinks (`min`/`max` split ties evenly, `clamp` passes the gradient at its
//! bounds), so the native engine matches autograd.

use crate::hyperparams::ValueLoss;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// GAE(lambda) over a rollout laid out `[n_steps][n_envs]`, exactly as
/// stable-baselines3's `RolloutBuffer.compute_returns_and_advantage` (in
/// `f32`): `episode_starts[t]` marks that the observation at `t` began an
/// episode, `last_dones` that the last step ended one (no bootstrap from
/// `last_values` then). Writes advantages and `returns = advantages + values`.
#[allow(clippy::too_many_arguments)]
pub fn compute_gae(
    n_steps: usize,
    n_envs: usize,
    rewards: &[f32],
    values: &[f32],
    episode_starts: &[f32],
    last_values: &[f32],
    last_dones: &[f32],
    gamma: f32,
    gae_lambda: f32,
    advantages: &mut [f32],
    returns: &mut [f32],
) {
    let n = n_steps * n_envs;
    assert!(
        rewards.len() == n
            && values.len() == n
            && episode_starts.len() == n
            && advantages.len() == n
            && returns.len() == n
            && last_values.len() == n_envs
            && last_dones.len() == n_envs,
        "compute_gae: buffers must hold n_steps * n_envs values"
    );
    for e in 0..n_envs {
        let mut last_gae = 0.0f32;
        for t in (0..n_steps).rev() {
            let i = t * n_envs + e;
            let (next_non_terminal, next_value) = if t == n_steps - 1 {
                (1.0 - last_dones[e], last_values[e])
            } else {
                (1.0 - episode_starts[i + n_envs], values[i + n_envs])
            };
            let delta = rewards[i] + gamma * next_value * next_non_terminal - values[i];
            last_gae = delta + gamma * gae_lambda * next_non_terminal * last_gae;
            advantages[i] = last_gae;
        }
    }
    for i in 0..n {
        returns[i] = advantages[i] + values[i];
    }
}

/// `(A - mean) / (std + 1e-8)` with the unbiased std (torch's `std()`), as
/// SB3 does per minibatch; a single value is left unchanged (SB3 skips it).
pub fn normalize_advantages(adv: &[f32], out: &mut [f32]) {
    let n = adv.len();
    out[..n].copy_from_slice(adv);
    if n < 2 {
        return;
    }
    let mean = adv.iter().map(|&a| a as f64).sum::<f64>() / n as f64;
    let var = adv.iter().map(|&a| (a as f64 - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let denom = var.sqrt() + 1e-8;
    for (o, &a) in out.iter_mut().zip(adv) {
        *o = ((a as f64 - mean) / denom) as f32;
    }
}

/// SB3's `explained_variance(y_pred, y_true)`: `1 - Var(y - y_pred) / Var(y)`,
/// NaN when `Var(y)` is 0.
pub fn explained_variance(y_pred: &[f32], y_true: &[f32]) -> f64 {
    let n = y_true.len().min(y_pred.len());
    if n == 0 {
        return f64::NAN;
    }
    let var = |f: &dyn Fn(usize) -> f64| {
        let m = (0..n).map(f).sum::<f64>() / n as f64;
        (0..n).map(|i| (f(i) - m).powi(2)).sum::<f64>() / n as f64
    };
    let vy = var(&|i| y_true[i] as f64);
    if vy == 0.0 {
        return f64::NAN;
    }
    1.0 - var(&|i| y_true[i] as f64 - y_pred[i] as f64) / vy
}

/// Statistics of the policy part of one minibatch (what SB3 logs).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PolicyTerms {
    /// `-mean(min(r A, clip(r) A))`.
    pub policy_loss: f64,
    /// Mean entropy of the action distribution (SB3 logs `-entropy` as
    /// `entropy_loss`).
    pub entropy: f64,
    /// `mean((r - 1) - ln r)`.
    pub approx_kl: f64,
    /// Share of samples with `|r - 1| > clip`.
    pub clip_fraction: f64,
}

/// Clipped surrogate of one sample: `(-min(rA, clip(r)A), d/dr)`, with
/// torch's tie rule for `min` and inclusive `clamp` bounds.
#[inline]
fn surrogate(ratio: f64, adv: f64, clip: f64) -> (f64, f64) {
    let lo = 1.0 - clip;
    let hi = 1.0 + clip;
    let rc = ratio.clamp(lo, hi);
    let s1 = ratio * adv;
    let s2 = rc * adv;
    let d1 = adv;
    let d2 = if ratio >= lo && ratio <= hi { adv } else { 0.0 };
    let dmin = if s1 < s2 {
        d1
    } else if s1 > s2 {
        d2
    } else {
        0.5 * (d1 + d2)
    };
    (-s1.min(s2), -dmin)
}

/// Log-softmax of one row into `out`.
#[inline]
pub fn log_softmax(logits: &[f32], out: &mut [f64]) {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x)) as f64;
    let sum: f64 = logits.iter().map(|&x| (x as f64 - max).exp()).sum();
    let lse = max + sum.ln();
    for (o, &x) in out.iter_mut().zip(logits) {
        *o = x as f64 - lse;
    }
}

/// Categorical policy loss plus `ent_coef * (-mean entropy)` over a
/// minibatch of `logits` (`[B x n]`); writes the gradient of that sum with
/// respect to the logits into `dlogits`. `adv` is already normalised.
/// Per-sample arithmetic is `f32` as in PyTorch; sums are `f64`.
#[allow(clippy::too_many_arguments)]
pub fn categorical_policy_loss(
    logits: &[f32],
    n: usize,
    actions: &[usize],
    old_logp: &[f32],
    adv: &[f32],
    clip: f64,
    ent_coef: f64,
    dlogits: &mut [f32],
) -> PolicyTerms {
    let b = actions.len();
    assert!(
        logits.len() >= b * n && dlogits.len() >= b * n && old_logp.len() >= b && adv.len() >= b
    );
    assert!(actions.iter().all(|&a| a < n), "action index out of range");
    let inv_b = 1.0 / b as f32;
    let ent_c = ent_coef as f32;
    let mut p = vec![0.0f32; n];
    let mut lp = vec![0.0f32; n];
    let mut t = PolicyTerms::default();
    for i in 0..b {
        let row = &logits[i * n..(i + 1) * n];
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        let mut sum = 0.0f32;
        for j in 0..n {
            p[j] = (row[j] - max).exp();
            sum += p[j];
        }
        let lse = max + sum.ln();
        let inv_sum = 1.0 / sum;
        let mut entropy = 0.0f32;
        for j in 0..n {
            lp[j] = row[j] - lse;
            p[j] *= inv_sum;
            entropy -= p[j] * lp[j];
        }
        let a = actions[i];
        let log_ratio = lp[a] as f64 - old_logp[i] as f64;
        let ratio = log_ratio.exp();
        let (loss, dr) = surrogate(ratio, adv[i] as f64, clip);
        let g_logp = (dr * ratio) as f32;
        let d = &mut dlogits[i * n..(i + 1) * n];
        for j in 0..n {
            let onehot = if j == a { 1.0 } else { 0.0 };
            d[j] = inv_b * (g_logp * (onehot - p[j]) + ent_c * p[j] * (lp[j] + entropy));
        }
        t.policy_loss += loss;
        t.entropy += entropy as f64;
        t.approx_kl += (ratio - 1.0) - log_ratio;
        if (ratio - 1.0).abs() > clip {
            t.clip_fraction += 1.0;
        }
    }
    let inv_b = 1.0 / b as f64;
    t.policy_loss *= inv_b;
    t.entropy *= inv_b;
    t.approx_kl *= inv_b;
    t.clip_fraction *= inv_b;
    t
}

/// Log-probability of `action` under a diagonal Gaussian.
#[inline]
pub fn gaussian_logp(mean: &[f32], log_std: &[f32], action: &[f32]) -> f64 {
    mean.iter()
        .zip(log_std)
        .zip(action)
        .map(|((&m, &ls), &a)| {
            let z = (a as f64 - m as f64) / (ls as f64).exp();
            -0.5 * z * z - ls as f64 - 0.5 * LN_2PI
        })
        .sum()
}

/// Entropy of a diagonal Gaussian with these log stds.
pub fn gaussian_entropy(log_std: &[f32]) -> f64 {
    log_std
        .iter()
        .map(|&ls| 0.5 + 0.5 * LN_2PI + ls as f64)
        .sum()
}

/// Diagonal-Gaussian counterpart of [`categorical_policy_loss`]: `means` is
/// `[B x dim]`, `actions` the unclipped samples; writes gradients for the
/// means and the (state-independent) log std.
#[allow(clippy::too_many_arguments)]
pub fn gaussian_policy_loss(
    means: &[f32],
    log_std: &[f32],
    actions: &[f32],
    old_logp: &[f32],
    adv: &[f32],
    clip: f64,
    ent_coef: f64,
    dmeans: &mut [f32],
    dlog_std: &mut [f32],
) -> PolicyTerms {
    let dim = log_std.len();
    let b = old_logp.len().min(adv.len());
    assert!(means.len() >= b * dim && actions.len() >= b * dim && dmeans.len() >= b * dim);
    let inv_b = 1.0 / b as f64;
    let mut dls = vec![0.0f64; dim];
    let mut t = PolicyTerms::default();
    let entropy = gaussian_entropy(log_std);
    for i in 0..b {
        let m = &means[i * dim..(i + 1) * dim];
        let a = &actions[i * dim..(i + 1) * dim];
        let logp = gaussian_logp(m, log_std, a);
        let log_ratio = logp - old_logp[i] as f64;
        let ratio = log_ratio.exp();
        let (loss, dr) = surrogate(ratio, adv[i] as f64, clip);
        let g_logp = dr * ratio * inv_b;
        for d in 0..dim {
            let sigma = (log_std[d] as f64).exp();
            let z = (a[d] as f64 - m[d] as f64) / sigma;
            dmeans[i * dim + d] = (g_logp * z / sigma) as f32;
            dls[d] += g_logp * (z * z - 1.0);
        }
        t.policy_loss += loss;
        t.approx_kl += (ratio - 1.0) - log_ratio;
        if (ratio - 1.0).abs() > clip {
            t.clip_fraction += 1.0;
        }
    }
    for d in 0..dim {
        // d(-ent_coef * mean entropy)/d log_std = -ent_coef.
        dlog_std[d] = (dls[d] - ent_coef) as f32;
    }
    t.policy_loss *= inv_b;
    t.entropy = entropy;
    t.approx_kl *= inv_b;
    t.clip_fraction *= inv_b;
    t
}

/// The value loss (as logged, before `vf_coef`) and the gradient of
/// `vf_coef * loss` with respect to the predicted values.
pub fn value_loss(
    values: &[f32],
    old_values: &[f32],
    returns: &[f32],
    clip_vf: Option<f64>,
    style: ValueLoss,
    vf_coef: f64,
    dvalues: &mut [f32],
) -> f64 {
    let b = values.len();
    assert!(old_values.len() >= b && returns.len() >= b && dvalues.len() >= b);
    let inv_b = 1.0 / b as f64;
    let mut loss = 0.0;
    for i in 0..b {
        let v = values[i] as f64;
        let r = returns[i] as f64;
        let old = old_values[i] as f64;
        let (vc, in_range) = match clip_vf {
            Some(c) => {
                let d = v - old;
                (old + d.clamp(-c, c), d >= -c && d <= c)
            }
            None => (v, true),
        };
        let dclip = if in_range { 1.0 } else { 0.0 };
        let g = match style {
            ValueLoss::Sb3 => {
                loss += (r - vc).powi(2);
                2.0 * (vc - r) * dclip * inv_b
            }
            ValueLoss::CleanRl => match clip_vf {
                None => {
                    loss += 0.5 * (v - r).powi(2);
                    (v - r) * inv_b
                }
                Some(_) => {
                    let vu = (v - r).powi(2);
                    let vcl = (vc - r).powi(2);
                    loss += 0.5 * vu.max(vcl);
                    let gu = 2.0 * (v - r);
                    let gc = 2.0 * (vc - r) * dclip;
                    let g = if vu > vcl {
                        gu
                    } else if vcl > vu {
                        gc
                    } else {
                        0.5 * (gu + gc)
                    };
                    0.5 * g * inv_b
                }
            },
        };
        dvalues[i] = (vf_coef * g) as f32;
    }
    loss * inv_b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gae_matches_hand_computed_values() {
        // One env, three steps, gamma 0.5, lambda 0.5; an episode starts at
        // step 2, so step 1 does not bootstrap from step 2.
        let r = [1.0, 2.0, 3.0];
        let v = [0.5, 1.0, 2.0];
        let starts = [1.0, 0.0, 1.0];
        let (mut adv, mut ret) = ([0.0; 3], [0.0; 3]);
        compute_gae(
            3,
            1,
            &r,
            &v,
            &starts,
            &[4.0],
            &[0.0],
            0.5,
            0.5,
            &mut adv,
            &mut ret,
        );
        // t=2: delta = 3 + 0.5*4 - 2 = 3; A2 = 3
        // t=1: next_non_terminal = 0: delta = 2 - 1 = 1; A1 = 1
        // t=0: delta = 1 + 0.5*1 - 0.5 = 1; A0 = 1 + 0.25*1 = 1.25
        assert_eq!(adv, [1.25, 1.0, 3.0]);
        assert_eq!(ret, [1.75, 2.0, 5.0]);
        // a done last step cuts the bootstrap
        compute_gae(
            3,
            1,
            &r,
            &v,
            &starts,
            &[4.0],
            &[1.0],
            0.5,
            0.5,
            &mut adv,
            &mut ret,
        );
        assert_eq!(adv[2], 1.0);
    }

    #[test]
    fn advantage_normalisation_uses_unbiased_std() {
        let mut out = [0.0; 3];
        normalize_advantages(&[1.0, 2.0, 3.0], &mut out);
        // mean 2, unbiased std 1
        assert!((out[0] + 1.0).abs() < 1e-6 && out[1].abs() < 1e-7 && (out[2] - 1.0).abs() < 1e-6);
        let mut one = [0.0];
        normalize_advantages(&[5.0], &mut one);
        assert_eq!(one, [5.0]);
    }

    #[test]
    fn clipped_surrogate_matches_hand_computed_values() {
        // two actions, logits equal -> p = 0.5 each; old logp ln(0.25) -> ratio 2
        let logits = [0.0f32, 0.0];
        let old = [(0.25f32).ln()];
        let mut d = [0.0f32; 2];
        let t = categorical_policy_loss(&logits, 2, &[0], &old, &[1.0], 0.2, 0.0, &mut d);
        // A > 0, ratio 2 > 1.2: loss = -1.2 * 1, clipped branch -> no gradient
        assert!((t.policy_loss + 1.2).abs() < 1e-6);
        assert_eq!(d, [0.0, 0.0]);
        assert!((t.clip_fraction - 1.0).abs() < 1e-12);
        assert!((t.approx_kl - (1.0 - 2f64.ln())).abs() < 1e-6);
        assert!((t.entropy - 2f64.ln()).abs() < 1e-6);
        // A < 0: min picks the unclipped -2: loss 2, d loss/d logp = -A r = 2
        let t = categorical_policy_loss(&logits, 2, &[0], &old, &[-1.0], 0.2, 0.0, &mut d);
        assert!((t.policy_loss - 2.0).abs() < 1e-6);
        // d logp_0 / d z = (1 - 0.5, -0.5)
        assert!((d[0] - 1.0).abs() < 1e-6 && (d[1] + 1.0).abs() < 1e-6);
    }

    #[test]
    fn entropy_gradient_pushes_towards_uniform() {
        // ratio 1 and zero advantage: only the entropy term acts.
        let logits = [1.0f32, 0.0];
        let mut lp = [0.0; 2];
        log_softmax(&logits, &mut lp);
        let mut d = [0.0f32; 2];
        categorical_policy_loss(&logits, 2, &[0], &[lp[0] as f32], &[0.0], 0.2, 0.5, &mut d);
        // minimising -entropy lowers the larger logit
        assert!(d[0] > 0.0 && d[1] < 0.0 && (d[0] + d[1]).abs() < 1e-7);
    }

    #[test]
    fn value_loss_forms_and_clipping() {
        let mut d = [0.0f32; 2];
        let l = value_loss(
            &[1.0, 3.0],
            &[1.0, 1.0],
            &[2.0, 2.0],
            None,
            ValueLoss::Sb3,
            0.5,
            &mut d,
        );
        assert!((l - 1.0).abs() < 1e-12);
        // d(0.5 * mean((V-R)^2))/dV = 0.5 * 2 (V - R) / 2
        assert_eq!(d, [-0.5, 0.5]);
        // clipped to old +- 0.5: V=3 -> 1.5 (outside, no gradient)
        let l = value_loss(
            &[1.0, 3.0],
            &[1.0, 1.0],
            &[2.0, 2.0],
            Some(0.5),
            ValueLoss::Sb3,
            1.0,
            &mut d,
        );
        assert!((l - (1.0 + 0.25) / 2.0).abs() < 1e-12);
        assert_eq!(d[1], 0.0);
        // CleanRL takes the max of clipped and unclipped errors, times 0.5
        let l = value_loss(
            &[1.0, 3.0],
            &[1.0, 1.0],
            &[2.0, 2.0],
            Some(0.5),
            ValueLoss::CleanRl,
            1.0,
            &mut d,
        );
        assert!((l - 0.5 * (1.0 + 1.0) / 2.0).abs() < 1e-12);
        assert_eq!(d, [-0.5, 0.5]);
    }

    #[test]
    fn gaussian_loss_matches_closed_forms() {
        let ls = [0.0f32];
        let lp = gaussian_logp(&[0.0], &ls, &[1.0]);
        assert!((lp - (-0.5 - 0.5 * LN_2PI)).abs() < 1e-12);
        assert!((gaussian_entropy(&ls) - (0.5 + 0.5 * LN_2PI)).abs() < 1e-12);
        let (mut dm, mut dls) = ([0.0f32], [0.0f32]);
        let t = gaussian_policy_loss(
            &[0.0],
            &ls,
            &[1.0],
            &[lp as f32],
            &[1.0],
            0.2,
            0.0,
            &mut dm,
            &mut dls,
        );
        assert!((t.policy_loss + 1.0).abs() < 1e-6);
        // d(-r A)/d mean = -(a - mu)/sigma^2 = -1; d/d log_std = -(z^2 - 1) = 0
        assert!((dm[0] + 1.0).abs() < 1e-6 && dls[0].abs() < 1e-6);
    }

    #[test]
    fn explained_variance_is_one_for_perfect_and_nan_for_constant_targets() {
        assert_eq!(explained_variance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 1.0);
        assert!(explained_variance(&[1.0, 2.0], &[2.0, 2.0]).is_nan());
        assert!((explained_variance(&[0.0, 0.0], &[1.0, -1.0]) - 0.0).abs() < 1e-12);
    }
}

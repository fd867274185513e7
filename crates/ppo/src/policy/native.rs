//! Hand-written `f32` forward and backward passes of the actor-critic MLPs
//! on the flat parameter vector, plus PyTorch's Adam and global-norm
//! gradient clipping. No autodiff graph and no allocation per call once the
//! workspace is sized: this is what makes a rollout step cost microseconds.
//! The tests check these gradients against burn's autodiff.

use super::{ActionDist, Dense, Layout, PolicySpec};
use crate::hyperparams::{Activation, ValueLoss};
use crate::linalg::{matmul, matmul_nt, matmul_tn};
use crate::loss::{self, PolicyTerms};

/// Activations of one tower (actor or critic) for a batch.
#[derive(Debug, Default, Clone)]
pub(crate) struct TowerWs {
    /// Post-activation output of each hidden layer, `[B x h_l]`.
    acts: Vec<Vec<f32>>,
    /// Head output, `[B x n_out]`.
    pub out: Vec<f32>,
    /// Gradient buffers for backward.
    dcur: Vec<f32>,
    dnext: Vec<f32>,
}

impl TowerWs {
    fn ensure(&mut self, layers: &[Dense], head: &Dense, b: usize) {
        self.acts.resize_with(layers.len(), Vec::new);
        let mut widest = head.n_out;
        for (a, d) in self.acts.iter_mut().zip(layers) {
            a.resize(b * d.n_out, 0.0);
            widest = widest.max(d.n_out);
        }
        self.out.resize(b * head.n_out, 0.0);
        self.dcur.resize(b * widest, 0.0);
        self.dnext.resize(b * widest, 0.0);
    }
}

/// Rows of `y` (`[b x d.n_out]`) = bias, then `y += x W`.
#[inline]
fn dense_forward(p: &[f32], d: &Dense, x: &[f32], b: usize, y: &mut [f32]) {
    let bias = &p[d.b..d.b + d.n_out];
    for row in y[..b * d.n_out].chunks_exact_mut(d.n_out) {
        row.copy_from_slice(bias);
    }
    matmul(
        b,
        d.n_in,
        d.n_out,
        x,
        &p[d.w..d.w + d.n_in * d.n_out],
        y,
        true,
    );
}

/// tanh as a [13/6] rational function on [-7.9, 7.9] (Eigen's
/// `generic_fast_tanh_float`): within a few ulp of `f32::tanh`, branch-free
/// so the loop vectorises; libm's `tanhf` costs ~30 ns a call and was the
/// single largest cost of a PPO step.
#[inline(always)]
pub(crate) fn fast_tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_672e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_6e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    let tiny = x.abs() < 4e-4;
    let xc = x.clamp(-CLAMP, CLAMP);
    let x2 = xc * xc;
    let mut p = x2 * A13 + A11;
    p = x2 * p + A9;
    p = x2 * p + A7;
    p = x2 * p + A5;
    p = x2 * p + A3;
    p = x2 * p + A1;
    p *= xc;
    let mut q = x2 * B6 + B4;
    q = x2 * q + B2;
    q = x2 * q + B0;
    if tiny { x } else { p / q }
}

fn tanh_slice_portable(y: &mut [f32]) {
    y.iter_mut().for_each(|v| *v = fast_tanh(*v));
}

fn tanh_grad_portable(g: &mut [f32], y: &[f32]) {
    for (g, &y) in g.iter_mut().zip(y) {
        *g *= 1.0 - y * y;
    }
}

// The same loops compiled for AVX2 (8 lanes instead of SSE2's 4); chosen at
// run time, so the binary still runs on any x86-64.
/// [`fast_tanh`] with fused multiply-adds (only compiled into the AVX2/FMA
/// path: without FMA hardware `mul_add` would be a slow libm call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn fast_tanh_fma(x: f32) -> f32 {
    let tiny = x.abs() < 4e-4;
    let xc = x.clamp(-7.905_311, 7.905_311);
    let x2 = xc * xc;
    let mut p = x2.mul_add(-2.760_768_5e-16, 2.000_188e-13);
    p = x2.mul_add(p, -8.604_672e-11);
    p = x2.mul_add(p, 5.122_297e-8);
    p = x2.mul_add(p, 1.485_722_4e-5);
    p = x2.mul_add(p, 6.372_619_3e-4);
    p = x2.mul_add(p, 4.893_524_6e-3);
    p *= xc;
    let mut q = x2.mul_add(1.198_258_4e-6, 1.185_347_1e-4);
    q = x2.mul_add(q, 2.268_434_6e-3);
    q = x2.mul_add(q, 4.893_525e-3);
    if tiny { x } else { p / q }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn tanh_slice_avx2(y: &mut [f32]) {
    y.iter_mut().for_each(|v| *v = fast_tanh_fma(*v));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn tanh_grad_avx2(g: &mut [f32], y: &[f32]) {
    tanh_grad_portable(g, y)
}

#[inline]
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `y = tanh(y)` elementwise.
pub(crate) fn tanh_slice(y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        unsafe { tanh_slice_avx2(y) };
        return;
    }
    tanh_slice_portable(y)
}

/// `g *= 1 - y^2` (backward through tanh, given its output `y`).
fn tanh_grad(g: &mut [f32], y: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        unsafe { tanh_grad_avx2(g, y) };
        return;
    }
    tanh_grad_portable(g, y)
}

#[inline]
fn activate(act: Activation, y: &mut [f32]) {
    match act {
        Activation::Tanh => tanh_slice(y),
        Activation::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
    }
}

/// Forward one tower on `x` (`[b x n_in]`); the result is in `ws.out`.
pub(crate) fn tower_forward(
    p: &[f32],
    layers: &[Dense],
    head: &Dense,
    act: Activation,
    x: &[f32],
    b: usize,
    ws: &mut TowerWs,
) {
    ws.ensure(layers, head, b);
    for l in 0..layers.len() {
        let (before, rest) = ws.acts.split_at_mut(l);
        let input: &[f32] = if l == 0 { x } else { &before[l - 1] };
        dense_forward(p, &layers[l], input, b, &mut rest[0]);
        activate(act, &mut rest[0]);
    }
    let last: &[f32] = if layers.is_empty() {
        x
    } else {
        &ws.acts[layers.len() - 1]
    };
    dense_forward(p, head, last, b, &mut ws.out);
}

/// Backward one tower given `dout = dL/d out` (`[b x n_out]`), writing the
/// parameter gradients into `grad` (which starts at flat offset `base`).
#[allow(clippy::too_many_arguments)]
fn tower_backward(
    p: &[f32],
    layers: &[Dense],
    head: &Dense,
    act: Activation,
    x: &[f32],
    b: usize,
    ws: &mut TowerWs,
    dout: &[f32],
    grad: &mut [f32],
    base: usize,
) {
    let TowerWs {
        acts, dcur, dnext, ..
    } = ws;
    let last: &[f32] = if layers.is_empty() {
        x
    } else {
        &acts[layers.len() - 1]
    };
    // head
    matmul_tn(
        head.n_in,
        b,
        head.n_out,
        last,
        dout,
        &mut grad[head.w - base..head.w - base + head.n_in * head.n_out],
        false,
    );
    col_sum(
        dout,
        b,
        head.n_out,
        &mut grad[head.b - base..head.b - base + head.n_out],
    );
    if layers.is_empty() {
        return;
    }
    // dL/d(last hidden activation)
    matmul_nt(
        b,
        head.n_out,
        head.n_in,
        dout,
        &p[head.w..head.w + head.n_in * head.n_out],
        dcur,
        false,
    );
    for l in (0..layers.len()).rev() {
        let d = &layers[l];
        let a = &acts[l];
        let dpre = &mut dcur[..b * d.n_out];
        match act {
            Activation::Tanh => tanh_grad(dpre, a),
            Activation::Relu => {
                for (g, &y) in dpre.iter_mut().zip(a.iter()) {
                    if y <= 0.0 {
                        *g = 0.0;
                    }
                }
            }
        }
        let input: &[f32] = if l == 0 { x } else { &acts[l - 1] };
        matmul_tn(
            d.n_in,
            b,
            d.n_out,
            input,
            dpre,
            &mut grad[d.w - base..d.w - base + d.n_in * d.n_out],
            false,
        );
        col_sum(
            dpre,
            b,
            d.n_out,
            &mut grad[d.b - base..d.b - base + d.n_out],
        );
        if l > 0 {
            matmul_nt(
                b,
                d.n_out,
                d.n_in,
                dpre,
                &p[d.w..d.w + d.n_in * d.n_out],
                dnext,
                false,
            );
            std::mem::swap(dcur, dnext);
        }
    }
}

#[inline]
fn col_sum(m: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    for row in m[..rows * cols].chunks_exact(cols) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// Workspace of a whole actor-critic pass.
#[derive(Debug, Default, Clone)]
pub(crate) struct Workspace {
    pub pi: TowerWs,
    pub vf: TowerWs,
    dhead: Vec<f32>,
    dvalues: Vec<f32>,
}

/// Forward both towers: head outputs in `ws.pi.out` (`[b x width]`), values
/// in `ws.vf.out` (`[b]`).
pub(crate) fn forward(
    spec: &PolicySpec,
    layout: &Layout,
    p: &[f32],
    obs: &[f32],
    b: usize,
    ws: &mut Workspace,
) {
    tower_forward(
        p,
        &layout.pi,
        &layout.pi_head,
        spec.activation,
        obs,
        b,
        &mut ws.pi,
    );
    tower_forward(
        p,
        &layout.vf,
        &layout.vf_head,
        spec.activation,
        obs,
        b,
        &mut ws.vf,
    );
}

/// One minibatch, gathered into contiguous buffers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Minibatch<'a> {
    pub b: usize,
    pub obs: &'a [f32],
    /// Discrete actions (categorical policies).
    pub actions_d: &'a [usize],
    /// Continuous actions, `[b x dim]` (Gaussian policies).
    pub actions_c: &'a [f32],
    pub old_logp: &'a [f32],
    /// Normalised (if enabled) advantages.
    pub adv: &'a [f32],
    pub returns: &'a [f32],
    pub old_values: &'a [f32],
}

/// Loss settings of one update.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LossHp {
    pub clip: f64,
    pub clip_vf: Option<f64>,
    pub ent_coef: f64,
    pub vf_coef: f64,
    pub value_loss: ValueLoss,
}

/// What one minibatch's loss evaluation reports.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MinibatchStats {
    pub policy: PolicyTerms,
    pub value_loss: f64,
    pub loss: f64,
}

#[allow(clippy::too_many_arguments)] // hot path: plain borrows, no bundling struct
fn actor_pass(
    spec: &PolicySpec,
    layout: &Layout,
    p: &[f32],
    mb: &Minibatch<'_>,
    hp: &LossHp,
    pi: &mut TowerWs,
    dhead: &mut Vec<f32>,
    grad: &mut [f32],
) -> PolicyTerms {
    let b = mb.b;
    tower_forward(
        p,
        &layout.pi,
        &layout.pi_head,
        spec.activation,
        mb.obs,
        b,
        pi,
    );
    let w = spec.dist.width();
    dhead.resize(b * w, 0.0);
    let terms = match spec.dist {
        ActionDist::Categorical { n } => loss::categorical_policy_loss(
            &pi.out,
            n,
            &mb.actions_d[..b],
            mb.old_logp,
            mb.adv,
            hp.clip,
            hp.ent_coef,
            dhead,
        ),
        ActionDist::Gaussian { dim } => {
            let o = layout.log_std.expect("Gaussian layout has log_std");
            let log_std = p[o..o + dim].to_vec();
            let mut dls = vec![0.0f32; dim];
            let t = loss::gaussian_policy_loss(
                &pi.out,
                &log_std,
                &mb.actions_c[..b * dim],
                &mb.old_logp[..b],
                &mb.adv[..b],
                hp.clip,
                hp.ent_coef,
                dhead,
                &mut dls,
            );
            grad[o..o + dim].copy_from_slice(&dls);
            t
        }
    };
    tower_backward(
        p,
        &layout.pi,
        &layout.pi_head,
        spec.activation,
        mb.obs,
        b,
        pi,
        dhead,
        grad,
        0,
    );
    terms
}

#[allow(clippy::too_many_arguments)]
fn critic_pass(
    spec: &PolicySpec,
    layout: &Layout,
    p: &[f32],
    mb: &Minibatch<'_>,
    hp: &LossHp,
    vf: &mut TowerWs,
    dvalues: &mut Vec<f32>,
    grad: &mut [f32],
) -> f64 {
    let b = mb.b;
    tower_forward(
        p,
        &layout.vf,
        &layout.vf_head,
        spec.activation,
        mb.obs,
        b,
        vf,
    );
    dvalues.resize(b, 0.0);
    let vl = loss::value_loss(
        &vf.out[..b],
        mb.old_values,
        mb.returns,
        hp.clip_vf,
        hp.value_loss,
        hp.vf_coef,
        dvalues,
    );
    tower_backward(
        p,
        &layout.vf,
        &layout.vf_head,
        spec.activation,
        mb.obs,
        b,
        vf,
        dvalues,
        grad,
        layout.actor_len,
    );
    vl
}

/// Loss and gradient of one minibatch; `grad` receives the full flat
/// gradient. With `parallel`, actor and critic run on two rayon threads
/// (they share no parameters).
#[allow(clippy::too_many_arguments)] // hot path: plain borrows, no bundling struct
pub(crate) fn loss_and_grad(
    spec: &PolicySpec,
    layout: &Layout,
    p: &[f32],
    mb: &Minibatch<'_>,
    hp: &LossHp,
    ws: &mut Workspace,
    grad: &mut [f32],
    parallel: bool,
) -> MinibatchStats {
    let (ga, gc) = grad.split_at_mut(layout.actor_len);
    let Workspace {
        pi,
        vf,
        dhead,
        dvalues,
        ..
    } = ws;
    let (terms, vl) = if parallel {
        rayon::join(
            || actor_pass(spec, layout, p, mb, hp, pi, dhead, ga),
            || critic_pass(spec, layout, p, mb, hp, vf, dvalues, gc),
        )
    } else {
        (
            actor_pass(spec, layout, p, mb, hp, pi, dhead, ga),
            critic_pass(spec, layout, p, mb, hp, vf, dvalues, gc),
        )
    };
    let entropy_loss = -terms.entropy;
    MinibatchStats {
        policy: terms,
        value_loss: vl,
        loss: terms.policy_loss + hp.ent_coef * entropy_loss + hp.vf_coef * vl,
    }
}

/// `torch.nn.utils.clip_grad_norm_` over the whole vector: scale by
/// `min(1, max_norm / (norm + 1e-6))`. Returns the norm before clipping.
pub(crate) fn clip_grad_norm(grad: &mut [f32], max_norm: f64) -> f64 {
    let norm = grad
        .iter()
        .map(|&g| (g as f64) * (g as f64))
        .sum::<f64>()
        .sqrt();
    let coef = (max_norm / (norm + 1e-6)).min(1.0) as f32;
    if coef < 1.0 {
        grad.iter_mut().for_each(|g| *g *= coef);
    }
    norm
}

/// PyTorch's `Adam` (no weight decay, no amsgrad).
#[derive(Debug, Clone)]
pub(crate) struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

impl Adam {
    pub fn new(n: usize, eps: f64) -> Self {
        Self {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            beta1: 0.9,
            beta2: 0.999,
            eps,
        }
    }

    pub fn step(&mut self, params: &mut [f32], grad: &[f32], lr: f64) {
        self.t += 1;
        let b1 = self.beta1 as f32;
        let b2 = self.beta2 as f32;
        let bc1 = 1.0 - self.beta1.powi(self.t);
        let bc2_sqrt = (1.0 - self.beta2.powi(self.t)).sqrt();
        let step_size = (lr / bc1) as f32;
        let inv_bc2_sqrt = (1.0 / bc2_sqrt) as f32;
        let eps = self.eps as f32;
        for (((p, &g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            *m += (g - *m) * (1.0 - b1);
            *v = *v * b2 + (1.0 - b2) * g * g;
            let denom = v.sqrt() * inv_bc2_sqrt + eps;
            *p -= step_size * *m / denom;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Space;
    use crate::hyperparams::NetArch;
    use crate::policy::init::init_params;
    use agent_core::SplitMix64;

    fn spec() -> PolicySpec {
        PolicySpec::new(
            &Space::unbounded(3),
            &Space::discrete(4),
            &NetArch {
                pi: vec![5, 6],
                vf: vec![7],
            },
            Activation::Tanh,
        )
        .unwrap()
    }

    /// Total loss of a minibatch at parameters `p` (for finite differences).
    fn total_loss(
        spec: &PolicySpec,
        layout: &Layout,
        p: &[f32],
        mb: &Minibatch<'_>,
        hp: &LossHp,
    ) -> f64 {
        let mut ws = Workspace::default();
        let mut g = vec![0.0; layout.total];
        loss_and_grad(spec, layout, p, mb, hp, &mut ws, &mut g, false).loss
    }

    #[test]
    fn native_gradient_matches_finite_differences() {
        let spec = spec();
        let layout = Layout::new(&spec);
        let mut rng = SplitMix64::new(3);
        // non-orthogonal init so the action head is not tiny
        let p = init_params(&spec, false, 0.0, &mut rng);
        let b = 6;
        let obs: Vec<f32> = (0..b * 3).map(|_| rng.next_normal() as f32).collect();
        let actions: Vec<usize> = (0..b).map(|i| i % 4).collect();
        let old_logp: Vec<f32> = (0..b).map(|i| -1.2 - 0.1 * i as f32).collect();
        let adv: Vec<f32> = (0..b).map(|_| rng.next_normal() as f32).collect();
        let returns: Vec<f32> = (0..b).map(|_| rng.next_normal() as f32).collect();
        let old_values: Vec<f32> = (0..b).map(|_| 0.1 * rng.next_normal() as f32).collect();
        let mb = Minibatch {
            b,
            obs: &obs,
            actions_d: &actions,
            actions_c: &[],
            old_logp: &old_logp,
            adv: &adv,
            returns: &returns,
            old_values: &old_values,
        };
        let hp = LossHp {
            clip: 0.3,
            clip_vf: None,
            ent_coef: 0.05,
            vf_coef: 0.5,
            value_loss: ValueLoss::Sb3,
        };
        let mut ws = Workspace::default();
        let mut g = vec![0.0; layout.total];
        loss_and_grad(&spec, &layout, &p, &mb, &hp, &mut ws, &mut g, true);
        let mut worst = 0.0f64;
        for i in (0..layout.total).step_by(7) {
            let h = 1e-3f32;
            let mut pp = p.clone();
            pp[i] += h;
            let up = total_loss(&spec, &layout, &pp, &mb, &hp);
            pp[i] -= 2.0 * h;
            let down = total_loss(&spec, &layout, &pp, &mb, &hp);
            let fd = (up - down) / (2.0 * h as f64);
            worst = worst.max((fd - g[i] as f64).abs() / (1e-2 + fd.abs()));
        }
        assert!(worst < 2e-2, "worst relative gradient error {worst}");
    }

    #[test]
    fn fast_tanh_agrees_with_libm() {
        let mut worst = 0.0f32;
        for i in -200_000..=200_000 {
            let x = i as f32 * 5e-5 * (1.0 + (i as f32).abs() * 1e-5);
            let e = (fast_tanh(x) - x.tanh()).abs();
            worst = worst.max(e);
        }
        assert!(worst < 1e-6, "max abs error {worst}");
        // the dispatched slice version (AVX2/FMA where available) agrees too
        let mut v: Vec<f32> = (-4000..4000).map(|i| i as f32 * 2.5e-3).collect();
        let want: Vec<f32> = v.iter().map(|x| x.tanh()).collect();
        tanh_slice(&mut v);
        for (a, b) in v.iter().zip(&want) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert_eq!(fast_tanh(50.0), 1.0);
        assert_eq!(fast_tanh(-50.0), -1.0);
        assert_eq!(fast_tanh(1e-6), 1e-6);
    }

    #[test]
    fn grad_norm_clip_scales_the_whole_vector() {
        let mut g = vec![3.0f32, 4.0];
        let n = clip_grad_norm(&mut g, 0.5);
        assert!((n - 5.0).abs() < 1e-12);
        let scaled = (g[0] * g[0] + g[1] * g[1]).sqrt();
        assert!((scaled - 0.5).abs() < 1e-6);
        let mut small = vec![0.1f32];
        clip_grad_norm(&mut small, 0.5);
        assert_eq!(small, [0.1]);
    }

    #[test]
    fn adam_first_step_moves_each_parameter_by_lr() {
        // bias-corrected first step: m_hat / sqrt(v_hat) = sign(g)
        let mut a = Adam::new(2, 1e-8);
        let mut p = vec![1.0f32, 1.0];
        a.step(&mut p, &[0.5, -2.0], 0.1);
        assert!((p[0] - 0.9).abs() < 1e-6 && (p[1] - 1.1).abs() < 1e-6);
    }
}

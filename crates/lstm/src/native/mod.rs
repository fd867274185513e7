//! The native CPU engine: forward/backward kernels in plain f32
//! ([`net`]), AdamW with PyTorch's update rule, and batch-parallel training
//! and inference over a rayon pool.
//!
//! A batch is cut into contiguous shards, one per thread; each shard runs the
//! full forward and backward pass on its samples and the shard gradients are
//! summed in shard order, so a run is bitwise reproducible for a given seed
//! and thread count.

pub(crate) mod kernels;
pub(crate) mod net;

use crate::data::SequenceDataset;
use crate::error::{LstmError, Result};
use crate::hyperparams::Task;
use crate::weights::LstmWeights;
use agent_core::SplitMix64;
use net::{DropoutRng, Workspace};
use rayon::prelude::*;

/// Mean loss and output gradient for one shard. `inv_n` is 1 / (samples in
/// the whole batch), so shard gradients add up to the batch-mean gradient.
/// Returns the shard's summed loss.
pub(crate) fn loss_and_grad(
    task: Task,
    y: &[f32],
    targets: &[f32],
    inv_n: f32,
    dy: &mut Vec<f32>,
) -> f64 {
    dy.clear();
    match task {
        Task::Regression => {
            let mut s = 0.0f64;
            for (p, t) in y.iter().zip(targets) {
                let d = p - t;
                s += (d as f64) * (d as f64);
                dy.push(2.0 * d * inv_n);
            }
            s
        }
        Task::Classification { n_classes } => {
            let mut s = 0.0f64;
            for (row, &t) in y.chunks_exact(n_classes).zip(targets) {
                let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                let z: f64 = row.iter().map(|&v| ((v - m) as f64).exp()).sum();
                let lz = z.ln();
                let t = t as usize;
                s += lz - (row[t] - m) as f64;
                for (k, &v) in row.iter().enumerate() {
                    let p = (((v - m) as f64).exp() / z) as f32;
                    dy.push((p - if k == t { 1.0 } else { 0.0 }) * inv_n);
                }
            }
            s
        }
    }
}

/// AdamW exactly as `torch.optim.AdamW` (non-amsgrad): decoupled decay
/// `p *= 1 - lr wd`, then `p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)`.
#[derive(Debug, Clone)]
pub(crate) struct AdamW {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
}

impl AdamW {
    pub fn new(n: usize, beta1: f64, beta2: f64, eps: f64, weight_decay: f64) -> Self {
        Self {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            beta1: beta1 as f32,
            beta2: beta2 as f32,
            eps: eps as f32,
            weight_decay: weight_decay as f32,
        }
    }

    pub fn step(&mut self, p: &mut [f32], g: &[f32], lr: f64) {
        self.t += 1;
        let bc1 = 1.0 - (self.beta1 as f64).powi(self.t);
        let bc2 = 1.0 - (self.beta2 as f64).powi(self.t);
        let step = (lr / bc1) as f32;
        let bc2_sqrt = bc2.sqrt() as f32;
        let decay = (1.0 - lr * self.weight_decay as f64) as f32;
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(&mut self.m).zip(&mut self.v) {
            *p *= decay;
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= step * *m / (v.sqrt() / bc2_sqrt + eps);
        }
    }
}

/// Scale `g` so its global L2 norm is at most `max_norm` (PyTorch
/// `clip_grad_norm_`, coefficient `max_norm / (norm + 1e-6)`). Returns the
/// norm before clipping.
pub(crate) fn clip_grad_norm(g: &mut [f32], max_norm: f64) -> f64 {
    let norm = g
        .iter()
        .map(|&v| (v as f64) * (v as f64))
        .sum::<f64>()
        .sqrt();
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        let c = coef as f32;
        g.iter_mut().for_each(|v| *v *= c);
    }
    norm
}

#[derive(Default)]
struct Shard {
    ws: Workspace,
    x: Vec<f32>,
    tgt: Vec<f32>,
    grad: Vec<f32>,
    loss: f64,
}

/// Split `n` items into `parts` contiguous, nearly equal ranges.
fn parts(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.max(1);
    let (q, r) = (n / parts, n % parts);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for i in 0..parts {
        let len = q + usize::from(i < r);
        out.push(start..start + len);
        start += len;
    }
    out
}

/// Native training state: weights, optimiser and per-thread buffers.
pub(crate) struct NativeEngine {
    pub w: LstmWeights,
    task: Task,
    adam: AdamW,
    pool: rayon::ThreadPool,
    threads: usize,
    shards: Vec<Shard>,
    grad: Vec<f32>,
    clip: Option<f64>,
    dropout: f32,
    seed: u64,
    steps: u64,
}

pub(crate) fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| LstmError::Burn(format!("cannot start {threads} worker threads: {e}")))
}

impl NativeEngine {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        w: LstmWeights,
        task: Task,
        adam: AdamW,
        threads: usize,
        clip: Option<f64>,
        dropout: f64,
        seed: u64,
    ) -> Result<Self> {
        let n = w.dims().n_params();
        Ok(Self {
            w,
            task,
            adam,
            pool: thread_pool(threads)?,
            threads: threads.max(1),
            shards: (0..threads.max(1)).map(|_| Shard::default()).collect(),
            grad: vec![0.0; n],
            clip,
            dropout: dropout as f32,
            seed,
            steps: 0,
        })
    }

    /// One optimiser step on `samples`; returns the summed loss of the batch.
    pub fn train_batch(&mut self, ds: &SequenceDataset, samples: &[usize], lr: f64) -> f64 {
        let n = samples.len();
        let n_shards = self.threads.min(n.div_ceil(16)).max(1);
        let ranges = parts(n, n_shards);
        let inv_n = 1.0 / n as f32;
        let (w, task, t_len) = (&self.w, self.task, ds.window());
        let n_params = w.dims().n_params();
        let (seed, step, p) = (self.seed, self.steps, self.dropout);
        self.pool.install(|| {
            self.shards[..n_shards]
                .par_iter_mut()
                .zip(ranges.par_iter())
                .enumerate()
                .for_each(|(k, (sh, r))| {
                    let idx = &samples[r.clone()];
                    ds.gather_time_major(idx, &mut sh.x);
                    sh.tgt.clear();
                    sh.tgt.extend(idx.iter().map(|&s| ds.target(s)));
                    let mut rng = SplitMix64::new(agent_core::rng::splitmix64_at(
                        seed ^ 0x5eed_d809_0000_0000,
                        step.wrapping_mul(1024).wrapping_add(k as u64),
                    ));
                    let drop = (p > 0.0).then_some(DropoutRng { p, rng: &mut rng });
                    let y = sh.ws.forward(w, &sh.x, t_len, idx.len(), drop).to_vec();
                    let mut dy = std::mem::take(&mut sh.ws.dy);
                    sh.loss = loss_and_grad(task, &y, &sh.tgt, inv_n, &mut dy);
                    sh.ws.dy = dy;
                    sh.grad.clear();
                    sh.grad.resize(n_params, 0.0);
                    sh.ws.backward(w, &mut sh.grad);
                });
        });
        self.grad.copy_from_slice(&self.shards[0].grad);
        let mut loss = self.shards[0].loss;
        for sh in &self.shards[1..n_shards] {
            for (a, b) in self.grad.iter_mut().zip(&sh.grad) {
                *a += b;
            }
            loss += sh.loss;
        }
        if let Some(c) = self.clip {
            clip_grad_norm(&mut self.grad, c);
        }
        self.adam.step(self.w.as_mut_slice(), &self.grad, lr);
        self.steps += 1;
        loss
    }

    /// Head outputs for `samples` (`[n, K]`), no dropout.
    pub fn outputs(&mut self, ds: &SequenceDataset, samples: &[usize]) -> Vec<f32> {
        predict_samples(&self.w, ds, samples, &self.pool, self.threads)
    }
}

/// Head outputs of `samples` (`[n, K]`, row-major), computed in parallel
/// chunks on `pool`; independent of the thread count.
pub(crate) fn predict_samples(
    w: &LstmWeights,
    ds: &SequenceDataset,
    samples: &[usize],
    pool: &rayon::ThreadPool,
    threads: usize,
) -> Vec<f32> {
    const CHUNK: usize = 512;
    let k = w.dims().n_outputs;
    let n_chunks = samples
        .len()
        .div_ceil(CHUNK)
        .max(threads.min(samples.len()).max(1));
    let ranges = parts(samples.len(), n_chunks);
    let mut outs: Vec<Vec<f32>> = vec![Vec::new(); ranges.len()];
    pool.install(|| {
        outs.par_iter_mut().zip(ranges.par_iter()).for_each_init(
            || (Workspace::default(), Vec::new()),
            |(ws, x), (out, r)| {
                let idx = &samples[r.clone()];
                if idx.is_empty() {
                    return;
                }
                ds.gather_time_major(idx, x);
                *out = ws.forward(w, x, ds.window(), idx.len(), None).to_vec();
            },
        );
    });
    let mut y = Vec::with_capacity(samples.len() * k);
    for o in outs {
        y.extend(o);
    }
    y
}

/// One time step for a single sequence, carrying `(h, c)` per layer
/// (`[L, H]` each). Returns the head outputs after the step in `y`.
/// `scratch` holds the gate buffer between calls.
pub(crate) fn step_one(
    w: &LstmWeights,
    x: &[f32],
    h: &mut [f32],
    c: &mut [f32],
    scratch: &mut Vec<f32>,
    y: &mut Vec<f32>,
) {
    use kernels::{Mat, cell_forward, gemm};
    let d = w.dims();
    let hs = d.hidden_size;
    let g4 = 4 * hs;
    scratch.resize(g4 + 3 * hs, 0.0);
    let (gates, rest) = scratch.split_at_mut(g4);
    let (c_new, rest) = rest.split_at_mut(hs);
    let (tc, h_new) = rest.split_at_mut(hs);
    for l in 0..d.num_layers {
        let n_in = d.layer_input(l);
        for ((g, a), b) in gates.iter_mut().zip(w.bias_ih(l)).zip(w.bias_hh(l)) {
            *g = a + b;
        }
        // Input: the raw step for layer 0, the new hidden state of the layer below otherwise.
        let input: Vec<f32> = if l == 0 {
            x.to_vec()
        } else {
            h[(l - 1) * hs..l * hs].to_vec()
        };
        gemm(
            1,
            g4,
            n_in,
            gates,
            g4,
            true,
            Mat::rows(&input, n_in),
            Mat::t(w.weight_ih(l), n_in),
        );
        let hl = &mut h[l * hs..(l + 1) * hs];
        gemm(
            1,
            g4,
            hs,
            gates,
            g4,
            true,
            Mat::rows(hl, hs),
            Mat::t(w.weight_hh(l), hs),
        );
        let cl = &mut c[l * hs..(l + 1) * hs];
        cell_forward(gates, cl, c_new, tc, h_new, hs, hs);
        cl.copy_from_slice(c_new);
        hl.copy_from_slice(h_new);
    }
    let k = d.n_outputs;
    y.clear();
    y.extend_from_slice(w.head_bias());
    let top = &h[(d.num_layers - 1) * hs..];
    gemm(
        1,
        k,
        hs,
        y,
        k,
        true,
        Mat::rows(top, hs),
        Mat::t(w.head_weight(), hs),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::Dims;

    /// Finite-difference check of every parameter's gradient on a tiny
    /// 2-layer network, for both losses.
    #[test]
    fn backward_matches_finite_differences() {
        for task in [Task::Regression, Task::Classification { n_classes: 3 }] {
            let dims = Dims {
                input_size: 3,
                hidden_size: 4,
                num_layers: 2,
                n_outputs: task.n_outputs(),
            };
            let w = LstmWeights::init(dims, 3).unwrap();
            let (t, b) = (5, 3);
            let mut rng = SplitMix64::new(11);
            let x: Vec<f32> = (0..t * b * 3).map(|_| rng.next_normal() as f32).collect();
            let tgt: Vec<f32> = match task {
                Task::Regression => vec![0.3, -0.7, 1.1],
                _ => vec![0.0, 2.0, 1.0],
            };
            let loss_of = |w: &LstmWeights| {
                let mut ws = Workspace::default();
                let y = ws.forward(w, &x, t, b, None).to_vec();
                let mut dy = Vec::new();
                loss_and_grad(task, &y, &tgt, 1.0 / b as f32, &mut dy) / b as f64
            };
            let mut ws = Workspace::default();
            let y = ws.forward(&w, &x, t, b, None).to_vec();
            let mut dy = Vec::new();
            loss_and_grad(task, &y, &tgt, 1.0 / b as f32, &mut dy);
            ws.dy = dy;
            let mut g = vec![0.0; dims.n_params()];
            ws.backward(&w, &mut g);
            let h = 1e-2f32;
            let mut worst = 0.0f64;
            for (i, &gi) in g.iter().enumerate() {
                let mut wp = w.clone();
                wp.as_mut_slice()[i] += h;
                let mut wm = w.clone();
                wm.as_mut_slice()[i] -= h;
                let fd = (loss_of(&wp) - loss_of(&wm)) / (2.0 * h as f64);
                worst = worst.max((fd - gi as f64).abs() / (1e-3 + fd.abs()));
            }
            assert!(
                worst < 2e-2,
                "{task:?}: worst relative gradient error {worst}"
            );
        }
    }

    /// The same check through inter-layer dropout: every evaluation draws
    /// the same mask from the same seed, so the loss is a smooth function of
    /// the weights and back-propagation must scale by that mask.
    #[test]
    fn backward_through_dropout_matches_finite_differences() {
        let dims = Dims {
            input_size: 3,
            hidden_size: 8,
            num_layers: 3,
            n_outputs: 1,
        };
        let w = LstmWeights::init(dims, 4).unwrap();
        let (t, b) = (4, 5);
        let mut rng = SplitMix64::new(12);
        let x: Vec<f32> = (0..t * b * 3).map(|_| rng.next_normal() as f32).collect();
        let tgt: Vec<f32> = (0..b).map(|_| rng.next_normal() as f32).collect();
        let run = |w: &LstmWeights, ws: &mut Workspace| {
            let mut mask_rng = SplitMix64::new(77);
            let drop = Some(DropoutRng {
                p: 0.4,
                rng: &mut mask_rng,
            });
            let y = ws.forward(w, &x, t, b, drop).to_vec();
            let mut dy = Vec::new();
            let loss = loss_and_grad(Task::Regression, &y, &tgt, 1.0 / b as f32, &mut dy);
            (loss / b as f64, dy)
        };
        let mut ws = Workspace::default();
        let (_, dy) = run(&w, &mut ws);
        ws.dy = dy;
        let mut g = vec![0.0; dims.n_params()];
        ws.backward(&w, &mut g);
        let h = 1e-2f32;
        let mut worst = 0.0f64;
        for (i, &gi) in g.iter().enumerate() {
            let mut wp = w.clone();
            wp.as_mut_slice()[i] += h;
            let mut wm = w.clone();
            wm.as_mut_slice()[i] -= h;
            let fd = (run(&wp, &mut Workspace::default()).0
                - run(&wm, &mut Workspace::default()).0)
                / (2.0 * h as f64);
            worst = worst.max((fd - gi as f64).abs() / (1e-3 + fd.abs()));
        }
        assert!(worst < 2e-2, "worst relative gradient error {worst}");
    }

    #[test]
    fn adamw_matches_pytorch_first_steps() {
        // torch.optim.AdamW([p], lr=0.1, weight_decay=0.1) on p=[1.0, -2.0]
        // with grads [0.5, 0.25] then [-1.0, 0.5]; values from torch 2.9.
        let mut p = vec![1.0f32, -2.0];
        let mut a = AdamW::new(2, 0.9, 0.999, 1e-8, 0.1);
        a.step(&mut p, &[0.5, 0.25], 0.1);
        a.step(&mut p, &[-1.0, 0.5], 0.1);
        let want = [0.917_710_4f32, -2.155_718_3];
        for (g, w) in p.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{p:?} vs {want:?}");
        }
    }

    #[test]
    fn clip_grad_norm_scales_to_max_norm() {
        let mut g = vec![3.0f32, 4.0];
        let n = clip_grad_norm(&mut g, 1.0);
        assert!((n - 5.0).abs() < 1e-12);
        assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
    }
}

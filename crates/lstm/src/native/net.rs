//! Forward pass and back-propagation through time for the LSTM + linear head,
//! in plain f32 on the CPU.
//!
//! Layout is time-major (`[T, B, features]`), so every time step is one
//! contiguous `B x n` block. Per layer the input projection of all steps is
//! one matrix product (`X W_ih^T + b`); inside the recurrence only the fused
//! four-gate product `h_{t-1} W_hh^T` remains. Backward mirrors that: one
//! `dG_t W_hh` product per step, then the weight gradients of all steps in
//! one product each (`dG^T H_prev`, `dG^T X`).

use super::kernels::{Mat, cell_backward, cell_forward, gemm, gemm_rb};
use crate::weights::{Dims, LstmWeights};
use agent_core::SplitMix64;

/// Activations of one layer kept for the backward pass.
#[derive(Default, Debug, Clone)]
struct LayerCache {
    /// The layer's input, `[T, B, in]` (after dropout for layers above 0).
    x: Vec<f32>,
    /// Dropout mask (already scaled by `1/(1-p)`) applied to `x`, if any.
    mask: Vec<f32>,
    /// Gate activations `[T, B, 4H]`; gradients after `backward`.
    gates: Vec<f32>,
    /// Cell states `[T+1, B, H]`, entry 0 the zero initial state.
    c: Vec<f32>,
    /// `tanh(c_t)`, `[T, B, H]`.
    tc: Vec<f32>,
    /// Hidden states `[T+1, B, H]`, entry 0 the zero initial state.
    h: Vec<f32>,
}

/// Reusable buffers for one shard of a batch; sized on first use.
#[derive(Default, Debug, Clone)]
pub(crate) struct Workspace {
    layers: Vec<LayerCache>,
    t: usize,
    b: usize,
    /// Head outputs `[B, K]`.
    pub y: Vec<f32>,
    /// Gradient of the loss w.r.t. the head outputs `[B, K]`.
    pub dy: Vec<f32>,
    dh: Vec<f32>,
    dc: Vec<f32>,
    dseq: Vec<f32>,
    /// `W^T` of the current layer, packed row-major once per pass.
    packed_ih: Vec<f32>,
    packed_hh: Vec<f32>,
}

/// Row-major transpose of a row-major `rows x cols` matrix into `out`.
fn transpose_into(src: &[f32], rows: usize, cols: usize, out: &mut Vec<f32>) {
    out.clear();
    out.resize(rows * cols, 0.0);
    for (r, row) in src.chunks_exact(cols).enumerate().take(rows) {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
}

fn resize(v: &mut Vec<f32>, n: usize) {
    if v.len() != n {
        v.resize(n, 0.0);
    }
}

/// Dropout between stacked layers during training, PyTorch semantics
/// (inverted dropout on every layer's output except the last).
pub(crate) struct DropoutRng<'a> {
    pub p: f32,
    pub rng: &'a mut SplitMix64,
}

impl Workspace {
    /// Forward pass over `x` (`[T, B, in]`, time-major). Keeps what backward
    /// needs and returns the head outputs `[B, K]`.
    pub fn forward(
        &mut self,
        w: &LstmWeights,
        x: &[f32],
        t: usize,
        b: usize,
        mut dropout: Option<DropoutRng<'_>>,
    ) -> &[f32] {
        let d = w.dims();
        let hs = d.hidden_size;
        let g4 = 4 * hs;
        assert_eq!(x.len(), t * b * d.input_size, "forward: input size");
        self.t = t;
        self.b = b;
        self.layers.resize_with(d.num_layers, LayerCache::default);
        for l in 0..d.num_layers {
            let n_in = d.layer_input(l);
            // Layer input: the batch for layer 0, the previous layer's output
            // (hidden states 1..=T) after dropout otherwise.
            let (done, rest) = self.layers.split_at_mut(l);
            let cache = &mut rest[0];
            resize(&mut cache.x, t * b * n_in);
            if l == 0 {
                cache.x.copy_from_slice(x);
                cache.mask.clear();
            } else {
                let below = &done[l - 1].h[b * hs..];
                cache.x.copy_from_slice(below);
                match dropout.as_mut() {
                    Some(dr) if dr.p > 0.0 => {
                        resize(&mut cache.mask, t * b * n_in);
                        let keep = 1.0 - dr.p;
                        let scale = 1.0 / keep;
                        for (m, v) in cache.mask.iter_mut().zip(cache.x.iter_mut()) {
                            *m = if (dr.rng.next_f64() as f32) < keep {
                                scale
                            } else {
                                0.0
                            };
                            *v *= *m;
                        }
                    }
                    _ => cache.mask.clear(),
                }
            }
            resize(&mut cache.gates, t * b * g4);
            resize(&mut cache.c, (t + 1) * b * hs);
            resize(&mut cache.tc, t * b * hs);
            resize(&mut cache.h, (t + 1) * b * hs);
            // Per step, everything stays in L2: gates = b + x_t W_ih^T +
            // h_{t-1} W_hh^T with both weights packed (transposed) once per pass.
            transpose_into(w.weight_ih(l), g4, n_in, &mut self.packed_ih);
            transpose_into(w.weight_hh(l), g4, hs, &mut self.packed_hh);
            let (bi, bh) = (w.bias_ih(l), w.bias_hh(l));
            let bias: Vec<f32> = bi.iter().zip(bh).map(|(a, b)| a + b).collect();
            cache.c[..b * hs].fill(0.0);
            cache.h[..b * hs].fill(0.0);
            for s in 0..t {
                let g = &mut cache.gates[s * b * g4..(s + 1) * b * g4];
                for row in g.chunks_exact_mut(g4) {
                    row.copy_from_slice(&bias);
                }
                let x_t = &cache.x[s * b * n_in..(s + 1) * b * n_in];
                gemm_rb(
                    b,
                    g4,
                    n_in,
                    g,
                    g4,
                    true,
                    Mat::rows(x_t, n_in),
                    &self.packed_ih,
                    g4,
                );
                let (h_prev, h_next) = cache.h.split_at_mut((s + 1) * b * hs);
                let h_prev = &h_prev[s * b * hs..];
                if s > 0 {
                    gemm_rb(
                        b,
                        g4,
                        hs,
                        g,
                        g4,
                        true,
                        Mat::rows(h_prev, hs),
                        &self.packed_hh,
                        g4,
                    );
                }
                let (c_prev, c_next) = cache.c.split_at_mut((s + 1) * b * hs);
                cell_forward(
                    g,
                    &c_prev[s * b * hs..],
                    &mut c_next[..b * hs],
                    &mut cache.tc[s * b * hs..(s + 1) * b * hs],
                    &mut h_next[..b * hs],
                    hs,
                );
            }
        }
        // Head on the last step's hidden state of the top layer.
        let k = d.n_outputs;
        resize(&mut self.y, b * k);
        for row in self.y.chunks_exact_mut(k) {
            row.copy_from_slice(w.head_bias());
        }
        let top = &self.layers[d.num_layers - 1].h[t * b * hs..];
        gemm(
            b,
            k,
            hs,
            &mut self.y,
            k,
            true,
            Mat::rows(top, hs),
            Mat::t(w.head_weight(), hs),
        );
        &self.y
    }

    /// Back-propagate `self.dy` (set by the caller after `forward`) and add
    /// the parameter gradients into `grad` (flat, state-dict order).
    pub fn backward(&mut self, w: &LstmWeights, grad: &mut [f32]) {
        let d: Dims = w.dims();
        let (t, b) = (self.t, self.b);
        let hs = d.hidden_size;
        let g4 = 4 * hs;
        let k = d.n_outputs;
        assert_eq!(grad.len(), d.n_params(), "backward: gradient size");
        assert_eq!(self.dy.len(), b * k, "backward: dy size");
        let head = LstmWeights::head_offset(&d);
        let top = &self.layers[d.num_layers - 1].h[t * b * hs..];
        {
            let (gw, gb) = grad[head..].split_at_mut(k * hs);
            gemm(
                k,
                hs,
                b,
                gw,
                hs,
                true,
                Mat::t(&self.dy, k),
                Mat::rows(top, hs),
            );
            for row in self.dy.chunks_exact(k) {
                for (g, v) in gb.iter_mut().zip(row) {
                    *g += v;
                }
            }
        }
        resize(&mut self.dh, b * hs);
        resize(&mut self.dc, b * hs);
        gemm(
            b,
            hs,
            k,
            &mut self.dh,
            hs,
            false,
            Mat::rows(&self.dy, k),
            Mat::rows(w.head_weight(), hs),
        );
        for l in (0..d.num_layers).rev() {
            let n_in = d.layer_input(l);
            let off = LstmWeights::layer_offsets(&d, l);
            let cache = &mut self.layers[l];
            let has_seq = l + 1 < d.num_layers;
            if has_seq {
                self.dh.fill(0.0);
            }
            self.dc.fill(0.0);
            let w_hh = w.weight_hh(l);
            for s in (0..t).rev() {
                if has_seq {
                    for (a, v) in self
                        .dh
                        .iter_mut()
                        .zip(&self.dseq[s * b * hs..(s + 1) * b * hs])
                    {
                        *a += v;
                    }
                }
                let g = &mut cache.gates[s * b * g4..(s + 1) * b * g4];
                cell_backward(
                    g,
                    &cache.c[s * b * hs..(s + 1) * b * hs],
                    &cache.tc[s * b * hs..(s + 1) * b * hs],
                    &self.dh,
                    &mut self.dc,
                    hs,
                );
                // While dG_t is hot: bias gradients (both biases enter the
                // gates identically) and dW_hh += dG_t^T h_{t-1}.
                {
                    let (gbi, gbh) = grad[off.b_ih..off.end].split_at_mut(g4);
                    for row in g.chunks_exact(g4) {
                        for ((a, c), v) in gbi.iter_mut().zip(gbh.iter_mut()).zip(row) {
                            *a += v;
                            *c += v;
                        }
                    }
                }
                if s > 0 {
                    let h_prev = &cache.h[s * b * hs..(s + 1) * b * hs];
                    gemm_rb(
                        g4,
                        hs,
                        b,
                        &mut grad[off.w_hh..off.b_ih],
                        hs,
                        true,
                        Mat::t(g, g4),
                        h_prev,
                        hs,
                    );
                    gemm_rb(
                        b,
                        hs,
                        g4,
                        &mut self.dh,
                        hs,
                        false,
                        Mat::rows(g, g4),
                        w_hh,
                        hs,
                    );
                }
            }
            let dg = &cache.gates;
            gemm(
                g4,
                n_in,
                t * b,
                &mut grad[off.w_ih..off.w_hh],
                n_in,
                true,
                Mat::t(dg, g4),
                Mat::rows(&cache.x, n_in),
            );
            if l > 0 {
                // Gradient w.r.t. this layer's input = the layer below's outputs.
                resize(&mut self.dseq, t * b * n_in);
                gemm_rb(
                    t * b,
                    n_in,
                    g4,
                    &mut self.dseq,
                    n_in,
                    false,
                    Mat::rows(dg, g4),
                    w.weight_ih(l),
                    n_in,
                );
                if !cache.mask.is_empty() {
                    for (a, m) in self.dseq.iter_mut().zip(&cache.mask) {
                        *a *= m;
                    }
                }
            }
        }
    }
}

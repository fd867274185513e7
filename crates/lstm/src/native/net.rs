//! Forward pass and back-propagation through time for the LSTM + linear head,
//! in plain f32 on the CPU.
//!
//! Layout is time-major: step `s` of a layer is one contiguous `B x kz` block
//! of `z`, each row `[x_s, 1, h_{s-1}]` (`kz = in + 1 + H`). The weights are
//! packed once per pass into one `kz x 4H` matrix `[W_ih^T; b_ih + b_hh;
//! W_hh^T]`, so each step's gate pre-activations are a single product
//! `z_s Wz` (the constant 1 carries the bias). Backward mirrors that: per step
//! one `dG_s W_hh` product for the recurrence and one `z_s^T dG_s` that
//! accumulates the gradients of `W_ih`, both biases and `W_hh` at once.

use super::kernels::{Mat, cell_backward, cell_forward, gemm, gemm_rb};
use crate::weights::{Dims, LstmWeights};
use agent_core::SplitMix64;

/// Activations of one layer kept for the backward pass.
#[derive(Default, Debug, Clone)]
struct LayerCache {
    /// `[T+1, B, kz]`: rows `[x_s, 1, h_{s-1}]` for steps `s < T` (the input
    /// after dropout for layers above 0; `h_{-1} = 0`), and `h_{T-1}` in the
    /// hidden part of block `T`.
    z: Vec<f32>,
    /// Dropout mask (already scaled by `1/(1-p)`) applied to the input, if any.
    mask: Vec<f32>,
    /// Gate activations `[T, B, 4H]`; gradients after `backward`.
    gates: Vec<f32>,
    /// Cell states `[T+1, B, H]`, entry 0 the zero initial state.
    c: Vec<f32>,
    /// `tanh(c_t)`, `[T, B, H]`.
    tc: Vec<f32>,
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
    /// The current layer's `[W_ih^T; b_ih + b_hh; W_hh^T]`, row-major
    /// `kz x 4H`, packed once per pass.
    packed: Vec<f32>,
    /// Gradient of the packed matrix, `kz x 4H`, during backward.
    dpacked: Vec<f32>,
}

/// Width of a layer's `z` rows: input, the constant 1, hidden state.
fn z_width(n_in: usize, hs: usize) -> usize {
    n_in + 1 + hs
}

/// `out += src^T` for a row-major `rows x cols` `src` (`out` is `cols x rows`).
fn transpose_add(src: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    for (r, row) in src.chunks_exact(cols).enumerate().take(rows) {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] += v;
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
            let kz = z_width(n_in, hs);
            let (done, rest) = self.layers.split_at_mut(l);
            let cache = &mut rest[0];
            resize(&mut cache.z, (t + 1) * b * kz);
            // Layer input: the batch for layer 0, the previous layer's output
            // (hidden states of steps 0..T) after dropout otherwise.
            if l == 0 {
                for (row, xr) in cache.z.chunks_exact_mut(kz).zip(x.chunks_exact(n_in)) {
                    row[..n_in].copy_from_slice(xr);
                }
                cache.mask.clear();
            } else {
                let kb = z_width(d.layer_input(l - 1), hs);
                let below = &done[l - 1].z[b * kb..];
                for (row, br) in cache.z.chunks_exact_mut(kz).zip(below.chunks_exact(kb)) {
                    row[..n_in].copy_from_slice(&br[kb - hs..]);
                }
                match dropout.as_mut() {
                    Some(dr) if dr.p > 0.0 => {
                        resize(&mut cache.mask, t * b * n_in);
                        let keep = 1.0 - dr.p;
                        let scale = 1.0 / keep;
                        for (m, v) in cache
                            .mask
                            .chunks_exact_mut(n_in)
                            .zip(cache.z.chunks_exact_mut(kz))
                        {
                            for (m, v) in m.iter_mut().zip(&mut v[..n_in]) {
                                *m = if (dr.rng.next_f64() as f32) < keep {
                                    scale
                                } else {
                                    0.0
                                };
                                *v *= *m;
                            }
                        }
                    }
                    _ => cache.mask.clear(),
                }
            }
            for row in cache.z.chunks_exact_mut(kz) {
                row[n_in] = 1.0;
            }
            cache.z[n_in + 1..b * kz]
                .chunks_mut(kz)
                .for_each(|h0| h0[..hs].fill(0.0));
            resize(&mut cache.gates, t * b * g4);
            resize(&mut cache.c, (t + 1) * b * hs);
            resize(&mut cache.tc, t * b * hs);
            pack_layer(w, l, n_in, &mut self.packed);
            cache.c[..b * hs].fill(0.0);
            for s in 0..t {
                let g = &mut cache.gates[s * b * g4..(s + 1) * b * g4];
                let (z_done, z_next) = cache.z.split_at_mut((s + 1) * b * kz);
                // Step 0's hidden state is zero: only the input and bias rows count.
                let k = if s == 0 { n_in + 1 } else { kz };
                gemm_rb(
                    b,
                    g4,
                    k,
                    g,
                    g4,
                    false,
                    Mat::rows(&z_done[s * b * kz..], kz),
                    &self.packed,
                    g4,
                );
                let (c_prev, c_next) = cache.c.split_at_mut((s + 1) * b * hs);
                cell_forward(
                    g,
                    &c_prev[s * b * hs..],
                    &mut c_next[..b * hs],
                    &mut cache.tc[s * b * hs..(s + 1) * b * hs],
                    &mut z_next[n_in + 1..b * kz],
                    kz,
                    hs,
                );
            }
        }
        // Head on the last step's hidden state of the top layer.
        let k = d.n_outputs;
        let mut y = std::mem::take(&mut self.y);
        resize(&mut y, b * k);
        for row in y.chunks_exact_mut(k) {
            row.copy_from_slice(w.head_bias());
        }
        gemm(
            b,
            k,
            hs,
            &mut y,
            k,
            true,
            self.top(&d),
            Mat::t(w.head_weight(), hs),
        );
        self.y = y;
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
        {
            let top = self.top(&d);
            let (gw, gb) = grad[head..].split_at_mut(k * hs);
            gemm(k, hs, b, gw, hs, true, Mat::t(&self.dy, k), top);
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
            let kz = z_width(n_in, hs);
            let off = LstmWeights::layer_offsets(&d, l);
            let cache = &mut self.layers[l];
            let has_seq = l + 1 < d.num_layers;
            if has_seq {
                self.dh.fill(0.0);
            }
            self.dc.fill(0.0);
            self.dpacked.clear();
            self.dpacked.resize(kz * g4, 0.0);
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
                // While dG_s is hot: d[W_ih^T; b; W_hh^T] += z_s^T dG_s (the
                // hidden rows only where h_{s-1} is not the zero state).
                let m = if s == 0 { n_in + 1 } else { kz };
                gemm_rb(
                    m,
                    g4,
                    b,
                    &mut self.dpacked,
                    g4,
                    true,
                    Mat::t(&cache.z[s * b * kz..(s + 1) * b * kz], kz),
                    g,
                    g4,
                );
                if s > 0 {
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
            unpack_layer_grad(&self.dpacked, n_in, hs, &mut grad[off.w_ih..off.end]);
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
                    Mat::rows(&cache.gates, g4),
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

    /// The top layer's last hidden state, `[B, H]` with row stride `kz`.
    fn top(&self, d: &Dims) -> Mat<'_> {
        let l = d.num_layers - 1;
        let kz = z_width(d.layer_input(l), d.hidden_size);
        Mat {
            data: &self.layers[l].z[self.t * self.b * kz + kz - d.hidden_size..],
            rs: kz,
            cs: 1,
        }
    }
}

/// `[W_ih^T; b_ih + b_hh; W_hh^T]` of layer `l`, row-major `kz x 4H`.
fn pack_layer(w: &LstmWeights, l: usize, n_in: usize, out: &mut Vec<f32>) {
    let hs = w.dims().hidden_size;
    let g4 = 4 * hs;
    out.clear();
    out.resize(z_width(n_in, hs) * g4, 0.0);
    let (wih, rest) = out.split_at_mut(n_in * g4);
    let (bias, whh) = rest.split_at_mut(g4);
    transpose_add(w.weight_ih(l), g4, n_in, wih);
    transpose_add(w.weight_hh(l), g4, hs, whh);
    for ((o, a), b) in bias.iter_mut().zip(w.bias_ih(l)).zip(w.bias_hh(l)) {
        *o = a + b;
    }
}

/// Add the gradient of the packed `kz x 4H` matrix into a layer's flat
/// gradient (`W_ih, W_hh, b_ih, b_hh`, state-dict order); both biases get
/// the bias row.
fn unpack_layer_grad(dp: &[f32], n_in: usize, hs: usize, grad: &mut [f32]) {
    let g4 = 4 * hs;
    let (gih, rest) = grad.split_at_mut(g4 * n_in);
    let (ghh, rest) = rest.split_at_mut(g4 * hs);
    let (gbi, gbh) = rest.split_at_mut(g4);
    let (dih, rest) = dp.split_at(n_in * g4);
    let (db, dhh) = rest.split_at(g4);
    transpose_add(dih, n_in, g4, gih);
    transpose_add(dhh, hs, g4, ghh);
    for ((a, c), v) in gbi.iter_mut().zip(gbh.iter_mut()).zip(db) {
        *a += v;
        *c += v;
    }
}

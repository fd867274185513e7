//! The network as a burn module, for any burn backend (GPU included).
//!
//! Parameters carry PyTorch's names and layout (`lstm.<k>.weight_ih` is
//! `weight_ih_l{k}`, `[4H, in]`, gates `i, f, g, o`), so converting from and
//! to [`LstmWeights`] is a copy. The forward pass is written for speed on
//! burn too: one input-projection matmul for all time steps per layer and one
//! fused four-gate `h W_hh^T` matmul per step.

use crate::data::SequenceDataset;
use crate::error::{LstmError, Result};
use crate::hyperparams::Task;
use crate::weights::{Dims, LstmWeights};
use burn::module::{Module, Param, ParamId};
use burn::nn::{Dropout, DropoutConfig};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::{log_softmax, sigmoid};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// One LSTM layer with PyTorch's parameter layout.
#[derive(Module, Debug)]
pub struct LstmLayer {
    /// `weight_ih_l{k}`, `[4H, in]`.
    pub weight_ih: Param<Tensor<2>>,
    /// `weight_hh_l{k}`, `[4H, H]`.
    pub weight_hh: Param<Tensor<2>>,
    /// `bias_ih_l{k}`, `[4H]`.
    pub bias_ih: Param<Tensor<1>>,
    /// `bias_hh_l{k}`, `[4H]`.
    pub bias_hh: Param<Tensor<1>>,
}

/// Stacked LSTM + linear head on the last step (`nn.LSTM` + `nn.Linear`).
#[derive(Module, Debug)]
pub struct LstmNet {
    /// The layers, bottom first.
    pub lstm: Vec<LstmLayer>,
    /// `fc.weight`, `[K, H]`.
    pub fc_weight: Param<Tensor<2>>,
    /// `fc.bias`, `[K]`.
    pub fc_bias: Param<Tensor<1>>,
    /// Dropout between layers (active only when training with autodiff).
    pub dropout: Dropout,
}

fn param<const D: usize>(v: &[f32], shape: [usize; D], device: &Device) -> Param<Tensor<D>> {
    Param::from_data(TensorData::new(v.to_vec(), shape), device)
}

fn read(t: Tensor<1>) -> Result<Vec<f32>> {
    t.try_into_data()
        .map_err(|e| LstmError::Burn(format!("reading a tensor back: {e:?}")))?
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| LstmError::Burn(format!("reading a tensor back: {e:?}")))
}

fn flat<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    let n = t.shape().num_elements();
    read(t.reshape([n]))
}

impl LstmNet {
    /// Build the module on `device` from weights.
    pub fn from_weights(w: &LstmWeights, dropout: f64, device: &Device) -> Self {
        let d = w.dims();
        let g = 4 * d.hidden_size;
        let lstm = (0..d.num_layers)
            .map(|l| LstmLayer {
                weight_ih: param(w.weight_ih(l), [g, d.layer_input(l)], device),
                weight_hh: param(w.weight_hh(l), [g, d.hidden_size], device),
                bias_ih: param(w.bias_ih(l), [g], device),
                bias_hh: param(w.bias_hh(l), [g], device),
            })
            .collect();
        Self {
            lstm,
            fc_weight: param(w.head_weight(), [d.n_outputs, d.hidden_size], device),
            fc_bias: param(w.head_bias(), [d.n_outputs], device),
            dropout: DropoutConfig::new(dropout).init(),
        }
    }

    /// The network's shape.
    pub fn dims(&self) -> Dims {
        let [k, h] = self.fc_weight.dims();
        Dims {
            input_size: self.lstm.first().map_or(0, |l| l.weight_ih.dims()[1]),
            hidden_size: h,
            num_layers: self.lstm.len(),
            n_outputs: k,
        }
    }

    /// Copy the parameters back into [`LstmWeights`].
    pub fn to_weights(&self) -> Result<LstmWeights> {
        let mut data = Vec::with_capacity(self.dims().n_params());
        for l in &self.lstm {
            data.extend(flat(l.weight_ih.val())?);
            data.extend(flat(l.weight_hh.val())?);
            data.extend(read(l.bias_ih.val())?);
            data.extend(read(l.bias_hh.val())?);
        }
        data.extend(flat(self.fc_weight.val())?);
        data.extend(read(self.fc_bias.val())?);
        LstmWeights::from_flat(self.dims(), data)
    }

    /// Head outputs `[B, K]` for a batch-first input `[B, T, in]` (zero
    /// initial state, like PyTorch with `batch_first=True`).
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        self.forward_time_major(x.swap_dims(0, 1))
    }

    /// Head outputs `[B, K]` for a time-major input `[T, B, in]`.
    pub fn forward_time_major(&self, x: Tensor<3>) -> Tensor<2> {
        let [t, b, _] = x.dims();
        let device = x.device();
        let n_layers = self.lstm.len();
        let mut next = Some(x);
        let mut last = None;
        for (l, layer) in self.lstm.iter().enumerate() {
            let Some(mut input) = next.take() else { break };
            if l > 0 {
                input = self.dropout.forward(input);
            }
            let [g4, hs] = layer.weight_hh.dims();
            let n_in = input.dims()[2];
            let bias = (layer.bias_ih.val() + layer.bias_hh.val()).unsqueeze_dim::<2>(0);
            // Input projection of every step in one product.
            let xp = (input
                .reshape([t * b, n_in])
                .matmul(layer.weight_ih.val().transpose())
                + bias)
                .reshape([t, b, g4]);
            let w_hh_t = layer.weight_hh.val().transpose();
            let mut h: Tensor<2> = Tensor::zeros([b, hs], &device);
            let mut c: Tensor<2> = Tensor::zeros([b, hs], &device);
            let mut outs = Vec::with_capacity(if l + 1 < n_layers { t } else { 0 });
            for s in 0..t {
                let mut g = xp.clone().narrow(0, s, 1).reshape([b, g4]);
                if s > 0 {
                    g = g + h.clone().matmul(w_hh_t.clone());
                }
                let i = sigmoid(g.clone().narrow(1, 0, hs));
                let f = sigmoid(g.clone().narrow(1, hs, hs));
                let gg = g.clone().narrow(1, 2 * hs, hs).tanh();
                let o = sigmoid(g.narrow(1, 3 * hs, hs));
                c = f * c + i * gg;
                h = o * c.clone().tanh();
                if l + 1 < n_layers {
                    outs.push(h.clone());
                }
            }
            if l + 1 < n_layers {
                next = Some(Tensor::stack(outs, 0));
            }
            last = Some(h);
        }
        let last = last.unwrap_or_else(|| Tensor::zeros([b, self.dims().hidden_size], &device));
        last.matmul(self.fc_weight.val().transpose()) + self.fc_bias.val().unsqueeze_dim::<2>(0)
    }

    fn param_ids(&self) -> (Vec<ParamId>, Vec<ParamId>) {
        let mut two = vec![self.fc_weight.id];
        let mut one = vec![self.fc_bias.id];
        for l in &self.lstm {
            two.extend([l.weight_ih.id, l.weight_hh.id]);
            one.extend([l.bias_ih.id, l.bias_hh.id]);
        }
        (two, one)
    }
}

/// Training state of the burn path.
pub(crate) struct BurnEngine {
    net: Option<LstmNet>,
    optim: ModuleOptimizer,
    device: Device,
    task: Task,
    clip: Option<f64>,
    buf: Vec<f32>,
}

impl BurnEngine {
    pub fn new(
        w: &LstmWeights,
        p: &crate::hyperparams::LstmValidParams,
        device: Device,
    ) -> Result<Self> {
        let device = device.autodiff();
        device.seed(p.seed);
        let net = LstmNet::from_weights(w, p.dropout, &device);
        let optim = AdamWConfig::new()
            .with_beta_1(p.beta1 as f32)
            .with_beta_2(p.beta2 as f32)
            .with_epsilon(p.eps as f32)
            .with_weight_decay(p.weight_decay as f32)
            .init();
        Ok(Self {
            net: Some(net),
            optim,
            device,
            task: p.task,
            clip: p.grad_clip_norm,
            buf: Vec::new(),
        })
    }

    fn input(&mut self, ds: &SequenceDataset, samples: &[usize], device: &Device) -> Tensor<3> {
        ds.gather_time_major(samples, &mut self.buf);
        Tensor::from_data(
            TensorData::new(
                self.buf.clone(),
                [ds.window(), samples.len(), ds.n_features()],
            ),
            device,
        )
    }

    fn loss(&self, y: Tensor<2>, targets: &[f32], device: &Device) -> Tensor<1> {
        let b = targets.len();
        match self.task {
            Task::Regression => {
                let t: Tensor<1> =
                    Tensor::from_data(TensorData::new(targets.to_vec(), [b]), device);
                (y.reshape([b]) - t).square().mean()
            }
            Task::Classification { .. } => {
                let idx: Vec<i64> = targets.iter().map(|&v| v as i64).collect();
                let t: Tensor<2, Int> = Tensor::from_data(TensorData::new(idx, [b, 1]), device);
                log_softmax(y, 1).gather(1, t).mean().neg()
            }
        }
    }

    /// One optimiser step; returns the summed loss of the batch.
    pub fn train_batch(&mut self, ds: &SequenceDataset, samples: &[usize], lr: f64) -> Result<f64> {
        let device = self.device.clone();
        let x = self.input(ds, samples, &device);
        let targets: Vec<f32> = samples.iter().map(|&s| ds.target(s)).collect();
        let net = self
            .net
            .take()
            .ok_or_else(|| LstmError::Burn("training state lost after an earlier error".into()))?;
        let loss = self.loss(net.forward_time_major(x), &targets, &device);
        let loss_val = read(loss.clone().detach())?[0] as f64;
        let mut grads = GradientsParams::from_grads(loss.backward(), &net);
        if let Some(max_norm) = self.clip {
            clip_global(&mut grads, &net, max_norm)?;
        }
        self.net = Some(self.optim.step(lr, net, grads));
        Ok(loss_val * samples.len() as f64)
    }

    /// Head outputs `[n, K]` of `samples`, evaluated without autodiff.
    pub fn outputs(&mut self, ds: &SequenceDataset, samples: &[usize]) -> Result<Vec<f32>> {
        let net = self
            .net
            .as_ref()
            .ok_or_else(|| LstmError::Burn("training state lost after an earlier error".into()))?
            .valid();
        predict_with_net(&net, ds, samples, &mut self.buf)
    }

    pub fn weights(&self) -> Result<LstmWeights> {
        self.net
            .as_ref()
            .ok_or_else(|| LstmError::Burn("training state lost after an earlier error".into()))?
            .to_weights()
    }
}

/// Head outputs `[n, K]` of `samples` with an inference-mode module, in
/// chunks, on the module's device.
pub(crate) fn predict_with_net(
    net: &LstmNet,
    ds: &SequenceDataset,
    samples: &[usize],
    buf: &mut Vec<f32>,
) -> Result<Vec<f32>> {
    const CHUNK: usize = 4096;
    let device = net.fc_bias.val().device();
    let mut out = Vec::with_capacity(samples.len() * net.dims().n_outputs);
    for idx in samples.chunks(CHUNK) {
        ds.gather_time_major(idx, buf);
        let x: Tensor<3> = Tensor::from_data(
            TensorData::new(buf.clone(), [ds.window(), idx.len(), ds.n_features()]),
            &device,
        );
        out.extend(flat(net.forward_time_major(x))?);
    }
    Ok(out)
}

/// Global-norm clipping (PyTorch `clip_grad_norm_`); burn's own clipping
/// works per tensor.
fn clip_global(grads: &mut GradientsParams, net: &LstmNet, max_norm: f64) -> Result<()> {
    let (two, one) = net.param_ids();
    let mut sq = 0.0f64;
    for &id in &two {
        if let Some(g) = grads.get::<2>(id) {
            sq += read(g.square().sum())?[0] as f64;
        }
    }
    for &id in &one {
        if let Some(g) = grads.get::<1>(id) {
            sq += read(g.square().sum())?[0] as f64;
        }
    }
    let coef = max_norm / (sq.sqrt() + 1e-6);
    if coef < 1.0 {
        for &id in &two {
            if let Some(g) = grads.remove::<2>(id) {
                grads.register(id, g.mul_scalar(coef));
            }
        }
        for &id in &one {
            if let Some(g) = grads.remove::<1>(id) {
                grads.register(id, g.mul_scalar(coef));
            }
        }
    }
    Ok(())
}

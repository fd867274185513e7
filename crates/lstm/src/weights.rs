//! The network's parameters in PyTorch's `nn.LSTM` layout, held in one flat
//! `f32` vector so the optimiser, gradient clipping and checkpoints work on a
//! single slice.
//!
//! Per layer `k` (in this order): `weight_ih_l{k}` `[4H, in_k]`,
//! `weight_hh_l{k}` `[4H, H]`, `bias_ih_l{k}` `[4H]`, `bias_hh_l{k}` `[4H]`,
//! with the gate rows stacked as PyTorch does: input, forget, cell, output
//! (`i, f, g, o`). Then the head `fc.weight` `[K, H]` and `fc.bias` `[K]`.
//! This is exactly a `state_dict` of
//! `nn.LSTM(in, H, num_layers, batch_first=True)` named `lstm` followed by
//! `nn.Linear(H, K)` named `fc`.

use crate::error::LstmError;
use agent_core::SplitMix64;

/// Named tensors of a state dict: `name -> (shape, values)`, values row-major.
pub type StateDict = std::collections::BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Shape of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dims {
    /// Features per time step.
    pub input_size: usize,
    /// Hidden units per layer (`H`).
    pub hidden_size: usize,
    /// Stacked LSTM layers.
    pub num_layers: usize,
    /// Head outputs: 1 for regression, the number of classes otherwise.
    pub n_outputs: usize,
}

impl Dims {
    /// Inputs of layer `l`.
    pub fn layer_input(&self, l: usize) -> usize {
        if l == 0 {
            self.input_size
        } else {
            self.hidden_size
        }
    }

    fn layer_len(&self, l: usize) -> usize {
        let g = 4 * self.hidden_size;
        g * self.layer_input(l) + g * self.hidden_size + 2 * g
    }

    /// Total number of parameters (T6: 18,241).
    pub fn n_params(&self) -> usize {
        (0..self.num_layers)
            .map(|l| self.layer_len(l))
            .sum::<usize>()
            + self.n_outputs * self.hidden_size
            + self.n_outputs
    }

    fn layer_offset(&self, l: usize) -> usize {
        (0..l).map(|k| self.layer_len(k)).sum()
    }

    /// `(name, shape, offset)` of every tensor in state-dict order.
    pub fn tensors(&self) -> Vec<(String, Vec<usize>, usize)> {
        let g = 4 * self.hidden_size;
        let h = self.hidden_size;
        let mut out = Vec::with_capacity(4 * self.num_layers + 2);
        let mut off = 0;
        for l in 0..self.num_layers {
            let i = self.layer_input(l);
            for (name, shape) in [
                (format!("lstm.weight_ih_l{l}"), vec![g, i]),
                (format!("lstm.weight_hh_l{l}"), vec![g, h]),
                (format!("lstm.bias_ih_l{l}"), vec![g]),
                (format!("lstm.bias_hh_l{l}"), vec![g]),
            ] {
                let n: usize = shape.iter().product();
                out.push((name, shape, off));
                off += n;
            }
        }
        out.push(("fc.weight".into(), vec![self.n_outputs, h], off));
        off += self.n_outputs * h;
        out.push(("fc.bias".into(), vec![self.n_outputs], off));
        out
    }
}

/// Byte ranges of one layer's four tensors inside the flat vector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerOffsets {
    pub w_ih: usize,
    pub w_hh: usize,
    pub b_ih: usize,
    pub b_hh: usize,
    pub end: usize,
}

/// All parameters of the network, flat, in state-dict order.
#[derive(Debug, Clone, PartialEq)]
pub struct LstmWeights {
    dims: Dims,
    data: Vec<f32>,
}

impl LstmWeights {
    /// Wrap a flat parameter vector, checking its length against `dims`.
    pub fn from_flat(dims: Dims, data: Vec<f32>) -> Result<Self, LstmError> {
        check_dims(&dims)?;
        if data.len() != dims.n_params() {
            return Err(agent_core::CoreError::Shape {
                what: "flat LSTM parameter vector",
                expected: dims.n_params().to_string(),
                got: data.len().to_string(),
            }
            .into());
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(LstmError::NonFinite(format!(
                "parameter {i} is {}",
                data[i]
            )));
        }
        Ok(Self { dims, data })
    }

    /// PyTorch's default initialisation: every LSTM weight and bias
    /// `U(-1/sqrt(H), 1/sqrt(H))`; `nn.Linear`'s weight and bias
    /// `U(-1/sqrt(H), 1/sqrt(H))` (its Kaiming-uniform with `a = sqrt(5)`).
    /// The stream is ours (SplitMix64), not torch's, so values differ from a
    /// torch run with the same seed; the distribution is the same.
    pub fn init(dims: Dims, seed: u64) -> Result<Self, LstmError> {
        check_dims(&dims)?;
        let mut rng = SplitMix64::new(seed);
        let k = 1.0 / (dims.hidden_size as f64).sqrt();
        let data = (0..dims.n_params())
            .map(|_| ((2.0 * rng.next_f64() - 1.0) * k) as f32)
            .collect();
        Ok(Self { dims, data })
    }

    pub fn dims(&self) -> Dims {
        self.dims
    }

    /// The flat parameter vector.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    pub(crate) fn layer_offsets(dims: &Dims, l: usize) -> LayerOffsets {
        let g = 4 * dims.hidden_size;
        let w_ih = dims.layer_offset(l);
        let w_hh = w_ih + g * dims.layer_input(l);
        let b_ih = w_hh + g * dims.hidden_size;
        let b_hh = b_ih + g;
        LayerOffsets {
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            end: b_hh + g,
        }
    }

    pub(crate) fn head_offset(dims: &Dims) -> usize {
        dims.layer_offset(dims.num_layers)
    }

    /// `weight_ih_l{l}`, row-major `[4H, in]`.
    pub fn weight_ih(&self, l: usize) -> &[f32] {
        let o = Self::layer_offsets(&self.dims, l);
        &self.data[o.w_ih..o.w_hh]
    }

    /// `weight_hh_l{l}`, row-major `[4H, H]`.
    pub fn weight_hh(&self, l: usize) -> &[f32] {
        let o = Self::layer_offsets(&self.dims, l);
        &self.data[o.w_hh..o.b_ih]
    }

    /// `bias_ih_l{l}`, `[4H]`.
    pub fn bias_ih(&self, l: usize) -> &[f32] {
        let o = Self::layer_offsets(&self.dims, l);
        &self.data[o.b_ih..o.b_hh]
    }

    /// `bias_hh_l{l}`, `[4H]`.
    pub fn bias_hh(&self, l: usize) -> &[f32] {
        let o = Self::layer_offsets(&self.dims, l);
        &self.data[o.b_hh..o.end]
    }

    /// `fc.weight`, row-major `[K, H]`.
    pub fn head_weight(&self) -> &[f32] {
        let o = Self::head_offset(&self.dims);
        &self.data[o..o + self.dims.n_outputs * self.dims.hidden_size]
    }

    /// `fc.bias`, `[K]`.
    pub fn head_bias(&self) -> &[f32] {
        let o = Self::head_offset(&self.dims) + self.dims.n_outputs * self.dims.hidden_size;
        &self.data[o..]
    }

    /// The tensors by PyTorch name, with shapes, in state-dict order.
    pub fn named_tensors(&self) -> Vec<(String, Vec<usize>, &[f32])> {
        self.dims
            .tensors()
            .into_iter()
            .map(|(name, shape, off)| {
                let n: usize = shape.iter().product();
                (name, shape, &self.data[off..off + n])
            })
            .collect()
    }

    /// Serialise as safetensors with PyTorch's `nn.LSTM` / `nn.Linear` names
    /// (`lstm.weight_ih_l0`, ..., `fc.weight`, `fc.bias`), float32.
    pub fn to_safetensors(&self) -> Vec<u8> {
        let named = self.named_tensors();
        crate::safetensors::write_f32(
            named
                .iter()
                .map(|(n, s, d)| (n.as_str(), s.as_slice(), *d))
                .collect::<Vec<_>>()
                .as_slice(),
            &[("format", "pt"), ("producer", "cointrainer-lstm")],
        )
    }

    /// Read weights from a PyTorch-style state dict in safetensors form.
    ///
    /// The LSTM tensors are found by their `weight_ih_l{k}` suffix under any
    /// prefix (`lstm.`, `model.lstm.`, ...); the head is the one remaining
    /// `<name>.weight` of shape `[K, H]` with its `<name>.bias`. float32,
    /// float64, float16 and bfloat16 are accepted (converted to f32).
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, LstmError> {
        let tensors = crate::safetensors::read_f32(bytes)?;
        Self::from_state_dict(tensors)
    }

    /// Build weights from named tensors (`name -> (shape, values)`), as read
    /// from a safetensors file or a `.pth` state dict.
    pub fn from_state_dict(mut tensors: StateDict) -> Result<Self, LstmError> {
        let bad = |why: String| LstmError::Import(why);
        // Find the LSTM prefix from `weight_ih_l0`.
        let key0 = tensors
            .keys()
            .find(|k| k.ends_with("weight_ih_l0"))
            .cloned()
            .ok_or_else(|| {
                bad(format!(
                    "no `weight_ih_l0` tensor; keys are {:?}",
                    tensors.keys().collect::<Vec<_>>()
                ))
            })?;
        let prefix = key0.trim_end_matches("weight_ih_l0").to_string();
        if tensors
            .keys()
            .any(|k| k.starts_with(&prefix) && k.ends_with("_reverse"))
        {
            return Err(bad("bidirectional LSTMs are not supported".into()));
        }
        if tensors
            .keys()
            .any(|k| k.starts_with(&prefix) && k.contains("weight_hr_l"))
        {
            return Err(bad(
                "LSTMs with projections (proj_size > 0) are not supported".into(),
            ));
        }
        let mut num_layers = 0;
        while tensors.contains_key(&format!("{prefix}weight_ih_l{num_layers}")) {
            num_layers += 1;
        }
        let (s_ih0, _) = &tensors[&key0];
        if s_ih0.len() != 2 || s_ih0[0] % 4 != 0 || s_ih0[0] == 0 {
            return Err(bad(format!(
                "`{key0}` has shape {s_ih0:?}, expected [4H, in]"
            )));
        }
        let hidden = s_ih0[0] / 4;
        let input_size = s_ih0[1];
        fn take(
            tensors: &mut StateDict,
            name: String,
            shape: &[usize],
        ) -> Result<Vec<f32>, LstmError> {
            match tensors.remove(&name) {
                None => Err(LstmError::Import(format!("missing tensor `{name}`"))),
                Some((s, _)) if s != shape => Err(LstmError::Import(format!(
                    "tensor `{name}` has shape {s:?}, expected {shape:?}"
                ))),
                Some((_, v)) => Ok(v),
            }
        }
        let mut data = Vec::new();
        let g = 4 * hidden;
        for l in 0..num_layers {
            let i = if l == 0 { input_size } else { hidden };
            data.extend(take(
                &mut tensors,
                format!("{prefix}weight_ih_l{l}"),
                &[g, i],
            )?);
            data.extend(take(
                &mut tensors,
                format!("{prefix}weight_hh_l{l}"),
                &[g, hidden],
            )?);
            // PyTorch allows bias=False; zeros are the same network.
            for b in ["bias_ih", "bias_hh"] {
                let name = format!("{prefix}{b}_l{l}");
                if tensors.contains_key(&name) {
                    data.extend(take(&mut tensors, name, &[g])?);
                } else {
                    data.extend(std::iter::repeat_n(0.0, g));
                }
            }
        }
        // The head: a `.weight` of shape [K, H] outside the LSTM prefix.
        let heads: Vec<String> = tensors
            .iter()
            .filter(|(k, (s, _))| {
                k.ends_with(".weight") && !k.starts_with(&prefix) && s.len() == 2 && s[1] == hidden
            })
            .map(|(k, _)| k.clone())
            .collect();
        let head = match heads.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(bad(format!(
                    "no head `<name>.weight` of shape [K, {hidden}] found"
                )));
            }
            many => {
                return Err(bad(format!(
                    "ambiguous head: several [K, {hidden}] weights {many:?}"
                )));
            }
        };
        let k = tensors[&head].0[0];
        data.extend(take(&mut tensors, head.clone(), &[k, hidden])?);
        let bias_name = format!("{}bias", head.trim_end_matches("weight"));
        if tensors.contains_key(&bias_name) {
            data.extend(take(&mut tensors, bias_name, &[k])?);
        } else {
            data.extend(std::iter::repeat_n(0.0, k));
        }
        let dims = Dims {
            input_size,
            hidden_size: hidden,
            num_layers,
            n_outputs: k,
        };
        Self::from_flat(dims, data)
    }

    /// Import a PyTorch `.pth` state dict (`torch.save(model.state_dict())`)
    /// through burn's pickle reader. Needs the crate feature `pth`.
    #[cfg(feature = "pth")]
    pub fn from_pth(path: &std::path::Path) -> Result<Self, LstmError> {
        use burn::store::pytorch::PytorchReader;
        let reader = PytorchReader::new(path)
            .map_err(|e| LstmError::Import(format!("{}: {e}", path.display())))?;
        let mut map = std::collections::BTreeMap::new();
        for (name, t) in reader.tensors() {
            let bytes = t
                .read()
                .map_err(|e| LstmError::Import(format!("{}: {e}", path.display())))?;
            let dtype = format!("{:?}", t.dtype()).to_ascii_uppercase();
            let values = crate::safetensors::decode_values(&dtype, &bytes)
                .map_err(|e| LstmError::Import(format!("tensor `{name}`: {e}")))?;
            map.insert(name.clone(), (t.shape().to_vec(), values));
        }
        Self::from_state_dict(map)
    }
}

fn check_dims(d: &Dims) -> Result<(), LstmError> {
    use agent_core::CoreError;
    for (name, v) in [
        ("input_size", d.input_size),
        ("hidden_size", d.hidden_size),
        ("num_layers", d.num_layers),
        ("n_outputs", d.n_outputs),
    ] {
        if v == 0 {
            return Err(CoreError::invalid_param(name, v, "must be >= 1").into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t6_dims() -> Dims {
        Dims {
            input_size: 5,
            hidden_size: 64,
            num_layers: 1,
            n_outputs: 1,
        }
    }

    #[test]
    fn t6_network_has_18241_parameters() {
        assert_eq!(t6_dims().n_params(), 18_241);
    }

    #[test]
    fn safetensors_round_trip_keeps_every_value_and_pytorch_names() {
        let d = Dims {
            num_layers: 2,
            ..t6_dims()
        };
        let w = LstmWeights::init(d, 7).unwrap();
        let bytes = w.to_safetensors();
        let back = LstmWeights::from_safetensors(&bytes).unwrap();
        assert_eq!(back, w);
        let names: Vec<String> = w.named_tensors().into_iter().map(|t| t.0).collect();
        assert_eq!(names[0], "lstm.weight_ih_l0");
        assert_eq!(names[5], "lstm.weight_hh_l1");
        assert_eq!(names.last().unwrap(), "fc.bias");
    }

    #[test]
    fn init_is_seeded_and_within_pytorch_bounds() {
        let a = LstmWeights::init(t6_dims(), 0).unwrap();
        let b = LstmWeights::init(t6_dims(), 0).unwrap();
        assert_eq!(a, b);
        assert!(a.as_slice().iter().all(|v| v.abs() <= 0.125));
    }
}

//! The actor-critic as a burn module, named like stable-baselines3's
//! `ActorCriticPolicy` state dict (`mlp_extractor.policy_net.*`,
//! `mlp_extractor.value_net.*`, `action_net`, `value_net`, `log_std`), plus
//! the burn update engine: autodiff loss, global gradient-norm clipping and
//! burn's Adam on any [`Device`]. Weights move between this module and the
//! flat vector of [`super::Layout`] with [`ActorCritic::from_flat`] /
//! [`ActorCritic::to_flat`].
//!
//! Safetensors files written here use PyTorch's layout (`Linear` weights
//! `[out, in]`, Sequential indices 0, 2, 4 ... as SB3's `mlp_extractor` has
//! them), so `policy.load_state_dict(safetensors.torch.load_file(..),
//! strict=False)` works on an SB3 `MlpPolicy` of the same sizes.

use super::{ActionDist, Dense, Layout, PolicySpec};
use crate::error::{PpoError, Result};
use crate::hyperparams::{Activation, ValueLoss};
use crate::policy::native::{LossHp, Minibatch, MinibatchStats};
use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use burn::tensor::{Device, Int, Tensor, TensorData, activation};

/// The hidden layers of actor and critic (SB3's `MlpExtractor`).
#[derive(Module, Debug)]
pub struct MlpExtractor {
    pub policy_net: Vec<Linear>,
    pub value_net: Vec<Linear>,
    #[module(skip)]
    pub activation: Activation,
}

/// Actor-critic policy as a burn module.
#[derive(Module, Debug)]
pub struct ActorCritic {
    pub mlp_extractor: MlpExtractor,
    /// Logits (categorical) or means (Gaussian).
    pub action_net: Linear,
    pub value_net: Linear,
    /// State-independent log std of Gaussian policies.
    pub log_std: Option<Param<Tensor<1>>>,
}

fn linear_from(p: &[f32], d: &Dense, device: &Device) -> Linear {
    Linear {
        weight: Param::from_data(
            TensorData::new(p[d.w..d.w + d.n_in * d.n_out].to_vec(), [d.n_in, d.n_out]),
            device,
        ),
        bias: Some(Param::from_data(
            TensorData::new(p[d.b..d.b + d.n_out].to_vec(), [d.n_out]),
            device,
        )),
    }
}

fn read_f32<const D: usize>(t: Tensor<D>, what: &str) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| PpoError::Burn(format!("reading {what}: {e:?}")))
}

fn linear_into(l: &Linear, d: &Dense, out: &mut [f32], what: &str) -> Result<()> {
    let w = read_f32(l.weight.val(), what)?;
    let [i, o] = l.weight.val().dims();
    if (i, o) != (d.n_in, d.n_out) {
        return Err(PpoError::Burn(format!(
            "{what} weight has shape [{i}, {o}], the policy needs [{}, {}]",
            d.n_in, d.n_out
        )));
    }
    out[d.w..d.w + w.len()].copy_from_slice(&w);
    match &l.bias {
        Some(b) => {
            let b = read_f32(b.val(), what)?;
            out[d.b..d.b + b.len()].copy_from_slice(&b);
        }
        None => out[d.b..d.b + d.n_out].iter_mut().for_each(|x| *x = 0.0),
    }
    Ok(())
}

fn act(a: Activation, x: Tensor<2>) -> Tensor<2> {
    match a {
        Activation::Tanh => activation::tanh(x),
        Activation::Relu => activation::relu(x),
    }
}

impl ActorCritic {
    /// Build the module on `device` from flat parameters.
    pub fn from_flat(spec: &PolicySpec, params: &[f32], device: &Device) -> Result<Self> {
        let layout = Layout::new(spec);
        if params.len() != layout.total {
            return Err(PpoError::Burn(format!(
                "{} parameters given, the policy has {}",
                params.len(),
                layout.total
            )));
        }
        Ok(Self {
            mlp_extractor: MlpExtractor {
                policy_net: layout
                    .pi
                    .iter()
                    .map(|d| linear_from(params, d, device))
                    .collect(),
                value_net: layout
                    .vf
                    .iter()
                    .map(|d| linear_from(params, d, device))
                    .collect(),
                activation: spec.activation,
            },
            action_net: linear_from(params, &layout.pi_head, device),
            value_net: linear_from(params, &layout.vf_head, device),
            log_std: layout.log_std.map(|o| {
                let w = spec.dist.width();
                Param::from_data(TensorData::new(params[o..o + w].to_vec(), [w]), device)
            }),
        })
    }

    /// The flat parameters of this module (shapes checked against `spec`).
    pub fn to_flat(&self, spec: &PolicySpec) -> Result<Vec<f32>> {
        let layout = Layout::new(spec);
        let mut out = vec![0.0f32; layout.total];
        let ex = &self.mlp_extractor;
        if ex.policy_net.len() != layout.pi.len() || ex.value_net.len() != layout.vf.len() {
            return Err(PpoError::Burn(format!(
                "module has {} actor and {} critic hidden layers, the policy {} and {}",
                ex.policy_net.len(),
                ex.value_net.len(),
                layout.pi.len(),
                layout.vf.len()
            )));
        }
        for (l, d) in ex.policy_net.iter().zip(&layout.pi) {
            linear_into(l, d, &mut out, "policy_net")?;
        }
        for (l, d) in ex.value_net.iter().zip(&layout.vf) {
            linear_into(l, d, &mut out, "value_net")?;
        }
        linear_into(&self.action_net, &layout.pi_head, &mut out, "action_net")?;
        linear_into(&self.value_net, &layout.vf_head, &mut out, "value_net head")?;
        match (&self.log_std, layout.log_std) {
            (Some(p), Some(o)) => {
                let v = read_f32(p.val(), "log_std")?;
                if v.len() != spec.dist.width() {
                    return Err(PpoError::Burn(format!(
                        "log_std has {} values, the policy {}",
                        v.len(),
                        spec.dist.width()
                    )));
                }
                out[o..o + v.len()].copy_from_slice(&v);
            }
            (None, None) => {}
            _ => {
                return Err(PpoError::Burn(
                    "log_std presence does not match the action distribution".into(),
                ));
            }
        }
        Ok(out)
    }

    /// Head outputs (`[B, width]`) and values (`[B, 1]`).
    pub fn forward(&self, obs: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let a = self.mlp_extractor.activation;
        let mut h = obs.clone();
        for l in &self.mlp_extractor.policy_net {
            h = act(a, l.forward(h));
        }
        let mut v = obs;
        for l in &self.mlp_extractor.value_net {
            v = act(a, l.forward(v));
        }
        (self.action_net.forward(h), self.value_net.forward(v))
    }

    fn sb3_names(spec: &PolicySpec) -> Vec<(String, String)> {
        // burn Vec indices 0, 1, 2 -> torch Sequential indices 0, 2, 4 (the
        // activations sit in between). A marker keeps the rules from chaining.
        let mut rules = Vec::new();
        for (net, n) in [
            ("policy_net", spec.pi_hidden.len()),
            ("value_net", spec.vf_hidden.len()),
        ] {
            for i in 0..n {
                rules.push((
                    format!(r"^mlp_extractor\.{net}\.{i}\."),
                    format!("mlp_extractor.{net}.@{}.", 2 * i),
                ));
            }
        }
        rules.push((r"\.@".to_string(), ".".to_string()));
        rules
    }

    fn burn_names(spec: &PolicySpec) -> Vec<(String, String)> {
        let mut rules = Vec::new();
        for (net, n) in [
            ("policy_net", spec.pi_hidden.len()),
            ("value_net", spec.vf_hidden.len()),
        ] {
            for i in 0..n {
                rules.push((
                    format!(r"^mlp_extractor\.{net}\.{}\.", 2 * i),
                    format!("mlp_extractor.{net}.@{i}."),
                ));
            }
        }
        rules.push((r"\.@".to_string(), ".".to_string()));
        rules
    }

    /// The weights as a safetensors file in PyTorch/SB3 layout and names.
    pub fn to_safetensors(&self, spec: &PolicySpec) -> Result<Vec<u8>> {
        let mut store = SafetensorsStore::from_bytes(None)
            .with_to_adapter(BurnToPyTorchAdapter)
            .metadata("producer", "cointrainer-ppo")
            .metadata("layout", "stable-baselines3 ActorCriticPolicy state_dict");
        for (from, to) in Self::sb3_names(spec) {
            store = store.with_key_remapping(from, to);
        }
        self.save_into(&mut store)
            .map_err(|e| PpoError::Burn(format!("writing safetensors: {e}")))?;
        store
            .get_bytes()
            .map_err(|e| PpoError::Burn(format!("writing safetensors: {e}")))
    }

    /// Load weights written by [`to_safetensors`](Self::to_safetensors) for
    /// the policy `spec`; missing or misshapen tensors are an error.
    pub fn from_safetensors(bytes: &[u8], spec: &PolicySpec, device: &Device) -> Result<Self> {
        let zeros = vec![0.0f32; Layout::new(spec).total];
        let mut model = Self::from_flat(spec, &zeros, device)?;
        let mut store = SafetensorsStore::from_bytes(Some(bytes.to_vec()))
            .with_from_adapter(PyTorchToBurnAdapter)
            .allow_partial(false)
            .validate(true);
        for (from, to) in Self::burn_names(spec) {
            store = store.with_key_remapping(from, to);
        }
        let result = model
            .load_from(&mut store)
            .map_err(|e| PpoError::Burn(format!("reading safetensors: {e}")))?;
        if !result.errors.is_empty() || !result.missing.is_empty() {
            return Err(PpoError::Burn(format!(
                "safetensors do not fit the policy: missing {:?}, errors {:?}",
                result.missing, result.errors
            )));
        }
        Ok(model)
    }
}

/// Collects parameter ids (to walk the gradients of every parameter).
struct ParamIds(Vec<(ParamId, usize)>);

impl ModuleVisitor for ParamIds {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push((param.id, D));
    }
}

fn grad_sq_norm<const D: usize>(g: &GradientsParams, id: ParamId) -> Result<f64> {
    match g.get::<D>(id) {
        Some(t) => Ok(read_f32(t.square().sum(), "gradient")?[0] as f64),
        None => Ok(0.0),
    }
}

fn scale_grad<const D: usize>(g: &mut GradientsParams, id: ParamId, c: f32) {
    if let Some(t) = g.remove::<D>(id) {
        g.register(id, t.mul_scalar(c));
    }
}

/// The PPO update on a burn device: autodiff loss, SB3's global-norm clip,
/// burn's Adam (same formula as PyTorch's).
pub(crate) struct BurnEngine {
    spec: PolicySpec,
    device: Device,
    model: Option<ActorCritic>,
    optim: ModuleOptimizer,
    ids: Vec<(ParamId, usize)>,
}

impl BurnEngine {
    pub fn new(spec: &PolicySpec, params: &[f32], device: Device, adam_eps: f64) -> Result<Self> {
        let device = device.autodiff();
        let model = ActorCritic::from_flat(spec, params, &device)?;
        let mut ids = ParamIds(Vec::new());
        model.visit(&mut ids);
        Ok(Self {
            spec: spec.clone(),
            optim: AdamConfig::new().with_epsilon(adam_eps as f32).init(),
            model: Some(model),
            device,
            ids: ids.0,
        })
    }

    /// Current weights as a flat vector (for the native rollout forward).
    pub fn params(&self) -> Result<Vec<f32>> {
        self.model
            .as_ref()
            .ok_or_else(|| PpoError::Burn("engine lost its model".into()))?
            .to_flat(&self.spec)
    }

    /// Loss, statistics and gradient of one minibatch; the gradient is
    /// applied only when `apply` says so after seeing the statistics
    /// (target-KL early stop checks before the step, as SB3 does).
    pub fn minibatch(
        &mut self,
        mb: &Minibatch<'_>,
        hp: &LossHp,
        lr: f64,
        max_grad_norm: Option<f64>,
        apply: impl FnOnce(&MinibatchStats) -> bool,
    ) -> Result<MinibatchStats> {
        let model = self
            .model
            .take()
            .ok_or_else(|| PpoError::Burn("engine lost its model".into()))?;
        let (stats, loss) = match self.loss(&model, mb, hp) {
            Ok(v) => v,
            Err(e) => {
                self.model = Some(model);
                return Err(e);
            }
        };
        if !apply(&stats) {
            self.model = Some(model);
            return Ok(stats);
        }
        let grads = loss.backward();
        let mut gp = GradientsParams::from_grads(grads, &model);
        if let Some(max) = max_grad_norm {
            let mut sq = 0.0;
            for &(id, d) in &self.ids {
                sq += match d {
                    1 => grad_sq_norm::<1>(&gp, id)?,
                    2 => grad_sq_norm::<2>(&gp, id)?,
                    _ => 0.0,
                };
            }
            let coef = (max / (sq.sqrt() + 1e-6)).min(1.0) as f32;
            if coef < 1.0 {
                for &(id, d) in &self.ids {
                    match d {
                        1 => scale_grad::<1>(&mut gp, id, coef),
                        2 => scale_grad::<2>(&mut gp, id, coef),
                        _ => {}
                    }
                }
            }
        }
        self.model = Some(self.optim.step(lr, model, gp));
        Ok(stats)
    }

    fn loss(
        &self,
        model: &ActorCritic,
        mb: &Minibatch<'_>,
        hp: &LossHp,
    ) -> Result<(MinibatchStats, Tensor<1>)> {
        let b = mb.b;
        let dev = &self.device;
        let d = self.spec.obs_dim;
        let t1 = |v: &[f32]| Tensor::<1>::from_data(TensorData::new(v[..b].to_vec(), [b]), dev);
        let obs = Tensor::<2>::from_data(TensorData::new(mb.obs[..b * d].to_vec(), [b, d]), dev);
        let old_logp = t1(mb.old_logp);
        let adv = t1(mb.adv);
        let returns = t1(mb.returns);
        let old_values = t1(mb.old_values);
        let (head, values) = model.forward(obs);
        let (logp, entropy) = match self.spec.dist {
            ActionDist::Categorical { .. } => {
                let idx: Vec<i64> = mb.actions_d[..b].iter().map(|&a| a as i64).collect();
                let idx = Tensor::<2, Int>::from_data(TensorData::new(idx, [b, 1]), dev);
                let lp_all = activation::log_softmax(head, 1);
                let logp = lp_all.clone().gather(1, idx).reshape([b]);
                let entropy = (lp_all.clone().exp() * lp_all)
                    .sum_dim(1)
                    .reshape([b])
                    .neg();
                (logp, entropy)
            }
            ActionDist::Gaussian { dim } => {
                let log_std = model
                    .log_std
                    .as_ref()
                    .ok_or_else(|| PpoError::Burn("Gaussian policy without log_std".into()))?
                    .val();
                let actions = Tensor::<2>::from_data(
                    TensorData::new(mb.actions_c[..b * dim].to_vec(), [b, dim]),
                    dev,
                );
                let ls = log_std.clone().reshape([1, dim]);
                let z = (actions - head) / ls.clone().exp();
                let ln_2pi = (2.0 * std::f64::consts::PI).ln();
                let logp = (z.square().mul_scalar(-0.5) - ls)
                    .add_scalar(-0.5 * ln_2pi)
                    .sum_dim(1)
                    .reshape([b]);
                let ent = log_std.add_scalar(0.5 + 0.5 * ln_2pi).sum();
                let entropy = ent.reshape([1]).repeat_dim(0, b);
                (logp, entropy)
            }
        };
        let log_ratio = logp - old_logp;
        let ratio = log_ratio.clone().exp();
        let s1 = ratio.clone() * adv.clone();
        let s2 = ratio.clone().clamp(1.0 - hp.clip, 1.0 + hp.clip) * adv;
        let policy_loss = s1.min_pair(s2).mean().neg();
        let entropy_mean = entropy.mean();
        let values = values.reshape([b]);
        let value_loss = match (hp.value_loss, hp.clip_vf) {
            (ValueLoss::Sb3, None) => (returns - values).square().mean(),
            (ValueLoss::Sb3, Some(c)) => {
                let vp = old_values.clone() + (values - old_values).clamp(-c, c);
                (returns - vp).square().mean()
            }
            (ValueLoss::CleanRl, None) => (values - returns).square().mean().mul_scalar(0.5),
            (ValueLoss::CleanRl, Some(c)) => {
                let vu = (values.clone() - returns.clone()).square();
                let vp = old_values.clone() + (values - old_values).clamp(-c, c);
                let vc = (vp - returns).square();
                vu.max_pair(vc).mean().mul_scalar(0.5)
            }
        };
        let loss = policy_loss.clone() - entropy_mean.clone().mul_scalar(hp.ent_coef)
            + value_loss.clone().mul_scalar(hp.vf_coef);
        // Statistics from detached values, one readback.
        let r = read_f32(ratio.clone().detach(), "ratio")?;
        let lr_v = read_f32(log_ratio.detach(), "log ratio")?;
        let approx_kl = r
            .iter()
            .zip(&lr_v)
            .map(|(&r, &l)| (r as f64 - 1.0) - l as f64)
            .sum::<f64>()
            / b as f64;
        let clip_fraction = r
            .iter()
            .filter(|&&r| (r as f64 - 1.0).abs() > hp.clip)
            .count() as f64
            / b as f64;
        let scalars = read_f32(
            Tensor::cat(
                vec![
                    policy_loss.detach().reshape([1]),
                    entropy_mean.detach().reshape([1]),
                    value_loss.detach().reshape([1]),
                    loss.clone().detach().reshape([1]),
                ],
                0,
            ),
            "losses",
        )?;
        let stats = MinibatchStats {
            policy: crate::loss::PolicyTerms {
                policy_loss: scalars[0] as f64,
                entropy: scalars[1] as f64,
                approx_kl,
                clip_fraction,
            },
            value_loss: scalars[2] as f64,
            loss: scalars[3] as f64,
        };
        Ok((stats, loss))
    }
}

/// Gradient of the loss at `params` computed by burn autodiff, as a flat
/// vector (used by the tests to check the native backward pass).
#[cfg(test)]
pub(crate) fn autodiff_gradient(
    spec: &PolicySpec,
    params: &[f32],
    mb: &Minibatch<'_>,
    hp: &LossHp,
) -> Result<(Vec<f32>, MinibatchStats)> {
    let device = Device::flex().autodiff();
    let engine = BurnEngine::new(spec, params, device, 1e-5)?;
    let model = engine.model.as_ref().expect("fresh engine has a model");
    let (stats, loss) = engine.loss(model, mb, hp)?;
    let grads = loss.backward();
    let layout = Layout::new(spec);
    let mut out = vec![0.0f32; layout.total];
    let put = |l: &Linear, d: &Dense, out: &mut [f32]| -> Result<()> {
        if let Some(g) = l.weight.val().grad(&grads) {
            let v = read_f32(g, "grad")?;
            out[d.w..d.w + v.len()].copy_from_slice(&v);
        }
        if let Some(b) = &l.bias
            && let Some(g) = b.val().grad(&grads)
        {
            let v = read_f32(g, "grad")?;
            out[d.b..d.b + v.len()].copy_from_slice(&v);
        }
        Ok(())
    };
    for (l, d) in model.mlp_extractor.policy_net.iter().zip(&layout.pi) {
        put(l, d, &mut out)?;
    }
    for (l, d) in model.mlp_extractor.value_net.iter().zip(&layout.vf) {
        put(l, d, &mut out)?;
    }
    put(&model.action_net, &layout.pi_head, &mut out)?;
    put(&model.value_net, &layout.vf_head, &mut out)?;
    if let (Some(p), Some(o)) = (&model.log_std, layout.log_std)
        && let Some(g) = p.val().grad(&grads)
    {
        let v = read_f32(g, "grad")?;
        out[o..o + v.len()].copy_from_slice(&v);
    }
    Ok((out, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Space;
    use crate::hyperparams::NetArch;
    use crate::policy::init::init_params;
    use crate::policy::native::{Workspace, loss_and_grad};
    use agent_core::SplitMix64;

    fn check_against_autodiff(action_space: Space, clip_vf: Option<f64>, style: ValueLoss) {
        let spec = PolicySpec::new(
            &Space::unbounded(4),
            &action_space,
            &NetArch {
                pi: vec![8, 6],
                vf: vec![7],
            },
            Activation::Tanh,
        )
        .unwrap();
        let layout = Layout::new(&spec);
        let mut rng = SplitMix64::new(11);
        let params = init_params(&spec, false, -0.3, &mut rng);
        let b = 16;
        let obs: Vec<f32> = (0..b * 4).map(|_| rng.next_normal() as f32).collect();
        let actions_d: Vec<usize> = (0..b).map(|i| i % 3).collect();
        let actions_c: Vec<f32> = (0..b * spec.dist.width())
            .map(|_| rng.next_normal() as f32)
            .collect();
        // old log-probs spread so some ratios fall outside the clip range
        let old_logp: Vec<f32> = (0..b).map(|i| -1.1 - 0.15 * (i % 5) as f32).collect();
        let adv: Vec<f32> = (0..b).map(|_| rng.next_normal() as f32).collect();
        let returns: Vec<f32> = (0..b).map(|_| rng.next_normal() as f32).collect();
        let old_values: Vec<f32> = (0..b).map(|_| 0.2 * rng.next_normal() as f32).collect();
        let mb = Minibatch {
            b,
            obs: &obs,
            actions_d: &actions_d,
            actions_c: &actions_c,
            old_logp: &old_logp,
            adv: &adv,
            returns: &returns,
            old_values: &old_values,
        };
        let hp = LossHp {
            clip: 0.2,
            clip_vf,
            ent_coef: 0.01,
            vf_coef: 0.5,
            value_loss: style,
        };
        let (g_burn, s_burn) = autodiff_gradient(&spec, &params, &mb, &hp).unwrap();
        let mut g = vec![0.0; layout.total];
        let s = loss_and_grad(
            &spec,
            &layout,
            &params,
            &mb,
            &hp,
            &mut Workspace::default(),
            &mut g,
            false,
        );
        assert!(
            (s.loss - s_burn.loss).abs() < 1e-5 * (1.0 + s.loss.abs()),
            "{} vs {}",
            s.loss,
            s_burn.loss
        );
        assert!((s.policy.approx_kl - s_burn.policy.approx_kl).abs() < 1e-5);
        assert!((s.policy.entropy - s_burn.policy.entropy).abs() < 1e-5);
        let scale = g_burn.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        for (i, (a, bb)) in g.iter().zip(&g_burn).enumerate() {
            assert!(
                (a - bb).abs() <= 1e-4 * scale + 1e-6,
                "param {i}: native {a} burn {bb}"
            );
        }
    }

    #[test]
    fn native_gradient_matches_burn_autodiff_categorical() {
        check_against_autodiff(Space::discrete(3), None, ValueLoss::Sb3);
        check_against_autodiff(Space::discrete(3), Some(0.1), ValueLoss::Sb3);
        check_against_autodiff(Space::discrete(3), Some(0.1), ValueLoss::CleanRl);
    }

    #[test]
    fn native_gradient_matches_burn_autodiff_gaussian() {
        let space = Space::bounded(vec![-1.0; 2], vec![1.0; 2]).unwrap();
        check_against_autodiff(space, None, ValueLoss::Sb3);
    }

    #[test]
    fn flat_weights_survive_burn_module_and_safetensors() {
        let spec = PolicySpec::new(
            &Space::unbounded(5),
            &Space::bounded(vec![-1.0], vec![1.0]).unwrap(),
            &NetArch {
                pi: vec![4, 3],
                vf: vec![6],
            },
            Activation::Relu,
        )
        .unwrap();
        let p = init_params(&spec, true, 0.5, &mut SplitMix64::new(1));
        let dev = Device::flex();
        let m = ActorCritic::from_flat(&spec, &p, &dev).unwrap();
        assert_eq!(m.to_flat(&spec).unwrap(), p);
        let st = m.to_safetensors(&spec).unwrap();
        let text = String::from_utf8_lossy(&st[..st.len().min(2000)]).to_string();
        for name in [
            "mlp_extractor.policy_net.0.weight",
            "mlp_extractor.policy_net.2.bias",
            "mlp_extractor.value_net.0.weight",
            "action_net.weight",
            "value_net.bias",
            "log_std",
        ] {
            assert!(text.contains(name), "{name} missing in {text}");
        }
        let back = ActorCritic::from_safetensors(&st, &spec, &dev).unwrap();
        assert_eq!(back.to_flat(&spec).unwrap(), p);
        // the same bytes do not fit a policy of other sizes
        let other = PolicySpec {
            pi_hidden: vec![4, 4],
            ..spec.clone()
        };
        assert!(ActorCritic::from_safetensors(&st, &other, &dev).is_err());
    }
}

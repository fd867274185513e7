//! The burn update on every backend of this build trains the same policy as
//! the native engine; a policy trained on one backend acts identically on
//! every other after a save and load.
//!
//! Backends: every CPU backend compiled in (`flex`; `tch` with the `tch`
//! feature, libtorch on the CPU; `ndarray`), plus the accelerators named in
//! `COINTRAINER_TEST_BACKENDS` (`tch-cuda:0`, `cuda:0`, ...), which the GPU
//! check sets. Each test prints the backends it ran on.

use agent_core::SplitMix64;
use burn::tensor::{Tensor, TensorData};
use ppo::{
    Backend, ContextualBandit, Engine, NetArch, ParamGuard, Persist, PpoModel, PpoParams, Schedule,
    VecEnv,
};

fn bandit_envs(n: usize) -> VecEnv<ContextualBandit> {
    VecEnv::new(
        (0..n)
            .map(|_| ContextualBandit::new(4, 4, 8).unwrap())
            .collect(),
    )
    .unwrap()
}

/// 8 updates of 4 epochs of 2 minibatches: 64 optimizer steps.
fn params() -> PpoParams {
    PpoParams::new()
        .n_steps(32)
        .batch_size(64)
        .n_epochs(4)
        .learning_rate(Schedule::constant(3e-3))
        .ent_coef(0.01)
        .net_arch(NetArch {
            pi: vec![32, 32],
            vf: vec![32],
        })
        .total_timesteps(1024)
        .seed(3)
}

fn learn(engine: Engine) -> PpoModel {
    params()
        .engine(engine)
        .check()
        .unwrap()
        .learn(&mut bandit_envs(4), None)
        .unwrap()
}

fn backends() -> Vec<Backend> {
    let v = Backend::under_test().unwrap();
    let names: Vec<String> = v.iter().map(|b| b.to_string()).collect();
    eprintln!("backends under test: {}", names.join(", "));
    v
}

fn worst(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[cfg(feature = "tch")]
#[test]
fn the_tch_feature_puts_libtorch_under_test() {
    assert!(backends().contains(&Backend::Tch));
}

#[test]
fn every_backend_trains_the_native_policy() {
    let native = learn(Engine::Native);
    for b in backends() {
        let m = learn(Engine::Burn { backend: b });
        assert_eq!(m.summary().engine, format!("burn-{b}"));
        let diff = worst(m.params(), native.params());
        assert!(diff < 1e-4, "{b}: parameters differ from native by {diff}");
        let (a, n) = (&m.training_log().updates, &native.training_log().updates);
        assert_eq!(a.len(), n.len(), "{b}");
        for (i, (x, y)) in a.iter().zip(n).enumerate() {
            assert!(
                (x.value_loss - y.value_loss).abs() <= 1e-4 * y.value_loss.abs().max(1.0),
                "{b} update {i}: value loss {} vs {}",
                x.value_loss,
                y.value_loss
            );
        }
    }
}

#[test]
fn a_policy_trained_on_one_backend_acts_identically_on_every_other() {
    let all = backends();
    let mut rng = SplitMix64::new(5);
    let rows = 16;
    let obs: Vec<f32> = (0..rows * 4).map(|_| rng.next_normal() as f32).collect();
    for trained_on in &all {
        let m = learn(Engine::Burn {
            backend: *trained_on,
        });
        let dir = tempfile::tempdir().unwrap();
        m.save(dir.path()).unwrap();
        let back = PpoModel::load(dir.path()).unwrap();
        assert_eq!(back.params(), m.params(), "{trained_on}: reload");
        for on in &all {
            let dev = on.device();
            let net = back.to_burn(&dev).unwrap();
            let x = Tensor::<2>::from_data(TensorData::new(obs.clone(), [rows, 4]), &dev);
            let (logits, values) = net.forward(x);
            let logits: Vec<f32> = logits
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .unwrap();
            let values: Vec<f32> = values
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .unwrap();
            for r in 0..rows {
                let o = &obs[r * 4..(r + 1) * 4];
                let want = back.action_probabilities(o).unwrap();
                let l = &logits[r * 4..(r + 1) * 4];
                let max = l.iter().copied().fold(f32::MIN, f32::max);
                let z: f64 = l.iter().map(|&v| ((v - max) as f64).exp()).sum();
                for (k, w) in want.iter().enumerate() {
                    let p = ((l[k] - max) as f64).exp() / z;
                    assert!(
                        (p - w).abs() < 1e-5,
                        "trained on {trained_on}, run on {on}: row {r} action {k}: {p} vs {w}"
                    );
                }
                let v = back.value(o).unwrap();
                assert!(
                    (values[r] as f64 - v).abs() < 1e-5,
                    "trained on {trained_on}, run on {on}: row {r} value {} vs {v}",
                    values[r]
                );
            }
        }
    }
}

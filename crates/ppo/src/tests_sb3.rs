//! Checks against golden values from stable-baselines3 itself
//! (`fixtures/ppo/make_fixtures.py`): GAE of its `RolloutBuffer`, and one
//! `PPO.train()` call (two epochs of one full-batch minibatch) through both
//! update engines: gradients after clipping, parameters after Adam, logs.

use crate::env::Space;
use crate::hyperparams::{Activation, NetArch, ValueLoss};
use crate::loss::{compute_gae, normalize_advantages};
use crate::policy::burn_net::BurnEngine;
use crate::policy::native::{Adam, LossHp, Minibatch, Workspace, clip_grad_norm, loss_and_grad};
use crate::policy::{Layout, PolicySpec};
use serde_json::Value;

fn fixture() -> Value {
    let p = test_support::fixtures_dir().join("ppo/sb3_fixtures.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).expect("fixture JSON")
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn close(a: &[f32], b: &[f32], rel: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0.0f32, |m, x| m.max(x.abs())).max(1e-6);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= rel * scale,
            "{what}[{i}]: ours {x}, sb3 {y} (scale {scale})"
        );
    }
}

#[test]
fn gae_matches_stable_baselines3_rollout_buffer() {
    let f = fixture();
    let g = &f["gae"];
    let n_steps = g["n_steps"].as_u64().unwrap() as usize;
    let n_envs = g["n_envs"].as_u64().unwrap() as usize;
    let mut adv = vec![0.0; n_steps * n_envs];
    let mut ret = vec![0.0; n_steps * n_envs];
    compute_gae(
        n_steps,
        n_envs,
        &f32s(&g["rewards"]),
        &f32s(&g["values"]),
        &f32s(&g["episode_starts"]),
        &f32s(&g["last_values"]),
        &f32s(&g["last_dones"]),
        g["gamma"].as_f64().unwrap() as f32,
        g["gae_lambda"].as_f64().unwrap() as f32,
        &mut adv,
        &mut ret,
    );
    close(&adv, &f32s(&g["advantages"]), 1e-6, "advantages");
    close(&ret, &f32s(&g["returns"]), 1e-6, "returns");
}

struct Case {
    spec: PolicySpec,
    params0: Vec<f32>,
    obs: Vec<f32>,
    actions: Vec<usize>,
    old_logp: Vec<f32>,
    old_values: Vec<f32>,
    adv: Vec<f32>,
    returns: Vec<f32>,
    hp: LossHp,
    lr: f64,
    max_grad_norm: f64,
    u: Value,
}

fn case() -> Case {
    let f = fixture();
    let u = f["update"].clone();
    let arch = NetArch {
        pi: u["net_arch"]["pi"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect(),
        vf: u["net_arch"]["vf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect(),
    };
    let spec = PolicySpec::new(
        &Space::unbounded(u["obs_dim"].as_u64().unwrap() as usize),
        &Space::discrete(u["n_actions"].as_u64().unwrap() as usize),
        &arch,
        Activation::Tanh,
    )
    .unwrap();
    let mut adv = f32s(&u["advantages"]);
    let raw = adv.clone();
    normalize_advantages(&raw, &mut adv);
    Case {
        params0: f32s(&u["params0"]),
        obs: f32s(&u["obs"]),
        actions: u["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect(),
        old_logp: f32s(&u["old_log_prob"]),
        old_values: f32s(&u["old_values"]),
        returns: f32s(&u["returns"]),
        adv,
        hp: LossHp {
            clip: u["clip_range"].as_f64().unwrap(),
            clip_vf: None,
            ent_coef: u["ent_coef"].as_f64().unwrap(),
            vf_coef: u["vf_coef"].as_f64().unwrap(),
            value_loss: ValueLoss::Sb3,
        },
        lr: u["learning_rate"].as_f64().unwrap(),
        max_grad_norm: u["max_grad_norm"].as_f64().unwrap(),
        spec,
        u,
    }
}

impl Case {
    fn minibatch(&self) -> Minibatch<'_> {
        Minibatch {
            b: self.actions.len(),
            obs: &self.obs,
            actions_d: &self.actions,
            actions_c: &[],
            old_logp: &self.old_logp,
            adv: &self.adv,
            returns: &self.returns,
            old_values: &self.old_values,
        }
    }

    fn check_logs(
        &self,
        pg: &[f64],
        vl: &[f64],
        ent: &[f64],
        kl_last: f64,
        cf: &[f64],
        loss_last: f64,
    ) {
        let log = &self.u["log"];
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let want = |k: &str| log[k].as_f64().unwrap();
        let near = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() < 2e-5 * (1.0 + b.abs()),
                "{what}: ours {a}, sb3 {b}"
            )
        };
        near(
            mean(pg),
            want("policy_gradient_loss"),
            "policy_gradient_loss",
        );
        near(mean(vl), want("value_loss"), "value_loss");
        near(-mean(ent), want("entropy_loss"), "entropy_loss");
        near(kl_last, want("approx_kl"), "approx_kl");
        near(mean(cf), want("clip_fraction"), "clip_fraction");
        near(loss_last, want("loss"), "loss");
    }
}

#[test]
fn native_update_matches_stable_baselines3_train() {
    let c = case();
    assert_eq!(c.params0.len(), Layout::new(&c.spec).total);
    let layout = Layout::new(&c.spec);
    let mut params = c.params0.clone();
    let mut adam = Adam::new(layout.total, c.u["adam_eps"].as_f64().unwrap());
    let mut ws = Workspace::default();
    let mut grad = vec![0.0; layout.total];
    let (mut pg, mut vl, mut ent, mut cf) = (vec![], vec![], vec![], vec![]);
    let (mut kl, mut loss) = (0.0, 0.0);
    for step in ["grads_step1", "grads_step2"] {
        let s = loss_and_grad(
            &c.spec,
            &layout,
            &params,
            &c.minibatch(),
            &c.hp,
            &mut ws,
            &mut grad,
            false,
        );
        clip_grad_norm(&mut grad, c.max_grad_norm);
        close(&grad, &f32s(&c.u[step]), 2e-5, step);
        adam.step(&mut params, &grad, c.lr);
        pg.push(s.policy.policy_loss);
        vl.push(s.value_loss);
        ent.push(s.policy.entropy);
        cf.push(s.policy.clip_fraction);
        kl = s.policy.approx_kl;
        loss = s.loss;
    }
    close(&params, &f32s(&c.u["params_after"]), 1e-5, "params_after");
    c.check_logs(&pg, &vl, &ent, kl, &cf, loss);
}

/// The burn module on every backend under test (flex; libtorch with `tch`).
#[test]
fn burn_update_matches_stable_baselines3_train() {
    let c = case();
    for backend in crate::Backend::under_test().unwrap() {
        let mut engine = BurnEngine::new(
            &c.spec,
            &c.params0,
            backend.device(),
            c.u["adam_eps"].as_f64().unwrap(),
        )
        .unwrap();
        let (mut pg, mut vl, mut ent, mut cf) = (vec![], vec![], vec![], vec![]);
        let (mut kl, mut loss) = (0.0, 0.0);
        for _ in 0..2 {
            let s = engine
                .minibatch(&c.minibatch(), &c.hp, c.lr, Some(c.max_grad_norm), |_| true)
                .unwrap();
            pg.push(s.policy.policy_loss);
            vl.push(s.value_loss);
            ent.push(s.policy.entropy);
            cf.push(s.policy.clip_fraction);
            kl = s.policy.approx_kl;
            loss = s.loss;
        }
        close(
            &engine.params().unwrap(),
            &f32s(&c.u["params_after"]),
            1e-5,
            &format!("params_after (burn on {backend})"),
        );
        c.check_logs(&pg, &vl, &ent, kl, &cf, loss);
    }
}

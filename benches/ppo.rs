//! PPO at SPEC T4 sizes: one PPO iteration (a rollout of 8 envs x 256 steps
//! = 2,048 samples, then 10 epochs of 8 minibatches of 256 through the
//! 12 -> 64 -> 64 actor and critic) on the native engine and on burn's flex
//! backend; environment stepping alone (8 copies of the strategy
//! environment, 256 steps); and greedy inference for the 487 test windows.
//!
//! The strategy table is synthetic with T4's shape (2,431 windows x 5
//! strategies, 7 context columns, 1,944 training windows): timings do not
//! depend on the values.
//!
//! `cargo bench --bench ppo`

use criterion::{Criterion, criterion_group, criterion_main};
use ppo::{
    Backend, Engine, ParamGuard, PpoParams, StrategyData, StrategyEnv, StrategyEnvConfig,
    VecActions, VecEnv,
};
use std::hint::black_box;
use std::sync::Arc;

fn t4_shaped_data() -> Arc<StrategyData> {
    let (w, k, c) = (2_431usize, 5usize, 7usize);
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        // xorshift: cheap deterministic noise, values are irrelevant here
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let returns = (0..w * k).map(|_| 0.02 * next()).collect();
    let context = (0..w * c).map(|_| next()).collect();
    Arc::new(
        StrategyData::new(
            (0..k).map(|i| format!("s{i}")).collect(),
            (0..c).map(|i| format!("ctx_{i}")).collect(),
            returns,
            context,
            None,
            1_944,
        )
        .expect("synthetic T4 table"),
    )
}

fn one_iteration(c: &mut Criterion) {
    let data = t4_shaped_data();
    let config = StrategyEnvConfig::default();
    let mut g = c.benchmark_group("ppo_t4_iteration_2048_samples");
    g.sample_size(10);
    for (name, engine, threads) in [
        ("native_1_thread", Engine::Native, 1),
        ("native_2_threads", Engine::Native, 2),
        (
            "burn_flex",
            Engine::Burn {
                backend: Backend::Flex,
            },
            1,
        ),
    ] {
        let params = PpoParams::t4()
            .total_timesteps(2_048)
            .engine(engine)
            .n_threads(threads)
            .check()
            .expect("valid parameters");
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut venv = params.strategy_envs(&data, &config).expect("envs");
                black_box(params.learn(&mut venv, None).expect("one iteration"))
            })
        });
    }
    g.finish();
}

fn env_stepping(c: &mut Criterion) {
    let data = t4_shaped_data();
    let envs = (0..8)
        .map(|_| StrategyEnv::new(data.clone(), StrategyEnvConfig::default()).expect("env"))
        .collect();
    let mut venv = VecEnv::new(envs).expect("vec env");
    venv.reset(Some(0)).expect("reset");
    let actions: Vec<Vec<usize>> = (0..256)
        .map(|t| (0..8).map(|e| (t + e) % 5).collect())
        .collect();
    c.bench_function("vec_env_8x256_strategy_steps", |b| {
        b.iter(|| {
            for a in &actions {
                venv.step(VecActions::Discrete(a)).expect("step");
            }
            black_box(venv.obs()[0])
        })
    });
}

fn greedy_inference(c: &mut Criterion) {
    let data = t4_shaped_data();
    let config = StrategyEnvConfig::default();
    let params = PpoParams::t4()
        .total_timesteps(2_048)
        .check()
        .expect("valid parameters");
    let mut venv = params.strategy_envs(&data, &config).expect("envs");
    let model = params.learn(&mut venv, None).expect("model");
    let (first, n) = data.test_decisions();
    c.bench_function("greedy_walk_487_test_windows", |b| {
        b.iter(|| {
            black_box(
                data.evaluate(&config, first, n, |obs| model.act_greedy(obs))
                    .expect("evaluation"),
            )
        })
    });
}

criterion_group!(benches, one_iteration, env_stepping, greedy_inference);
criterion_main!(benches);

//! The accelerated paths of the neural and tree agents on one device, named
//! by `COINTRAINER_BENCH_DEVICE` (a burn backend: `flex`, the default, on
//! the CPU; `tch`, libtorch on the CPU; `tch-cuda:0`, libtorch on GPU 0;
//! `cuda:0`, `rocm:0` and `wgpu` with burn's CubeCL backends). Build the
//! backend's feature in: `cargo bench --bench devices --features tch`.
//!
//! - `lstm/forward/b256`, `lstm/train_step/b256`: LSTM(5->64), window 32, one
//!   batch of 256 (SPEC T6's shape): head outputs, and forward + MSE +
//!   back-propagation through time + AdamW. `.../b4096`: the same at batch
//!   4096, where a GPU has work enough to pay for its launches.
//! - `ppo/iteration/envs8`: one PPO iteration at SPEC T4's shape (8 envs x
//!   256 steps, 10 epochs of minibatches of 256, 12 -> 64 -> 64 actor and
//!   critic) with the update on the device; `envs64`: 64 envs x 256 steps in
//!   minibatches of 2,048.
//! - `lightgbm/regime_fit_t3/<device_type>`: one regime fit on 58k bars of
//!   synthetic features (SPEC T3's size) with LightGBM's `device_type`
//!   `cuda` when the device is a CUDA one and the build has the learner
//!   (`--features lightgbm-cuda`), `cpu` otherwise.
//!
//! The device names every benchmark id, so runs on several devices sit side
//! by side in criterion's report.

use agent_core::{Fit, ParamGuard, SplitMix64};
use criterion::{Criterion, criterion_group, criterion_main};
use lstm::{Engine, LstmModel, SequenceDataset, Trainer};
use market::{SyntheticMarket, t0_features};
use ppo::{PpoParams, StrategyData, StrategyEnvConfig};
use regime::{RegimeData, RegimeModel};
use std::hint::black_box;
use std::sync::Arc;

fn device_name() -> String {
    std::env::var("COINTRAINER_BENCH_DEVICE").unwrap_or_else(|_| "flex".into())
}

fn lstm_on_device(c: &mut Criterion) {
    let name = device_name();
    let backend: lstm::Backend = name
        .parse()
        .unwrap_or_else(|e| panic!("COINTRAINER_BENCH_DEVICE: {e}"));
    let (features, window, rows) = (5, 32, 16_384);
    let mut rng = SplitMix64::new(0);
    let x: Vec<f32> = (0..rows * features)
        .map(|_| rng.next_normal() as f32)
        .collect();
    let y: Vec<f32> = (0..rows).map(|_| rng.next_normal() as f32).collect();
    let ds = SequenceDataset::new(x, features, y, window).expect("synthetic sequences");
    let p = LstmModel::params()
        .hidden_size(64)
        .window(window)
        .engine(Engine::Burn)
        .backend(backend)
        .check()
        .expect("valid params");
    let mut tr = Trainer::new(&p, &ds).expect("trainer");
    let mut g = c.benchmark_group(format!("lstm/{name}"));
    g.sample_size(10);
    for batch in [256usize, 4096] {
        let samples: Vec<usize> = (0..batch)
            .map(|_| rng.next_below(ds.n_samples() as u64) as usize)
            .collect();
        g.bench_function(format!("forward/b{batch}"), |b| {
            b.iter(|| black_box(tr.outputs(&ds, &samples).expect("forward")))
        });
        g.bench_function(format!("train_step/b{batch}"), |b| {
            b.iter(|| black_box(tr.train_batch(&ds, &samples, 1e-3).expect("step")))
        });
    }
    g.finish();
}

/// A strategy table of T4's shape (2,431 windows x 5 strategies, 7 context
/// columns, 1,944 training windows); the values do not change the timings.
fn t4_shaped_data() -> Arc<StrategyData> {
    let (w, k, c) = (2_431usize, 5usize, 7usize);
    let mut rng = SplitMix64::new(4);
    let returns = (0..w * k).map(|_| 0.01 * rng.next_normal()).collect();
    let context = (0..w * c).map(|_| rng.next_normal()).collect();
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

fn ppo_on_device(c: &mut Criterion) {
    let name = device_name();
    let backend: ppo::Backend = name
        .parse()
        .unwrap_or_else(|e| panic!("COINTRAINER_BENCH_DEVICE: {e}"));
    let data = t4_shaped_data();
    let config = StrategyEnvConfig::default();
    let mut g = c.benchmark_group(format!("ppo/{name}"));
    g.sample_size(10);
    for (envs, batch) in [(8usize, 256usize), (64, 2_048)] {
        let params = PpoParams::t4()
            .n_envs(envs)
            .batch_size(batch)
            .total_timesteps((envs * 256) as u64)
            .engine(ppo::Engine::Burn { backend })
            .check()
            .expect("valid parameters");
        g.bench_function(format!("iteration/envs{envs}"), |b| {
            b.iter(|| {
                let mut venv = params.strategy_envs(&data, &config).expect("envs");
                black_box(params.learn(&mut venv, None).expect("one iteration"))
            })
        });
    }
    g.finish();
}

fn lightgbm_on_device(c: &mut Criterion) {
    let name = device_name();
    let cuda = regime::Device::Cuda;
    let device = if name.contains("cuda") && cuda.is_compiled() {
        cuda
    } else {
        regime::Device::Cpu
    };
    let run = SyntheticMarket::new()
        .seed(3)
        .bars(58_419)
        .generate()
        .expect("synthetic market");
    let table = t0_features(&run.candles).expect("features");
    let data = RegimeData::from_feature_table(&table, "SYNTH").expect("data");
    let params = RegimeModel::params()
        .num_leaves(vec![15])
        .n_estimators(vec![100])
        .device(device)
        .check()
        .expect("valid parameters");
    let mut g = c.benchmark_group("lightgbm");
    g.sample_size(10);
    g.bench_function(format!("regime_fit_t3/{}", device.as_str()), |b| {
        b.iter(|| black_box(params.fit(&data).expect("fit")))
    });
    g.finish();
}

criterion_group!(benches, lstm_on_device, ppo_on_device, lightgbm_on_device);
criterion_main!(benches);

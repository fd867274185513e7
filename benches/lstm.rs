//! Criterion benches of the LSTM agent's kernels at SPEC T6 sizes: batch 256,
//! window 32, 5 inputs, 1 layer of 64 units, linear head.
//!
//! - `forward_b256/<engine>`: head outputs of one batch (inference);
//! - `train_step_b256/<engine>`: forward + MSE + back-propagation through
//!   time + AdamW update of one batch (one optimiser step).
//!
//! `native` is the crate's CPU engine, `burn` the burn module on the backend
//! named by `LSTM_BENCH_BACKEND` (default `flex`; e.g. `cuda:0` with
//! `--features lstm/cuda` to time the same kernels on a GPU). Threads:
//! `LSTM_BENCH_THREADS` (default 2, as SPEC T6 allows).
//!
//! Needs: criterion, agent-core, lstm (`cointrainer-lstm`).

use agent_core::{ParamGuard, SplitMix64};
use criterion::{Criterion, criterion_group, criterion_main};
use lstm::{Backend, Engine, LstmModel, SequenceDataset, Trainer};
use std::hint::black_box;

const ROWS: usize = 8_192;
const FEATURES: usize = 5;
const WINDOW: usize = 32;
const BATCH: usize = 256;

fn dataset() -> SequenceDataset {
    let mut rng = SplitMix64::new(0);
    let x: Vec<f32> = (0..ROWS * FEATURES)
        .map(|_| rng.next_normal() as f32)
        .collect();
    let y: Vec<f32> = (0..ROWS).map(|_| rng.next_normal() as f32).collect();
    SequenceDataset::new(x, FEATURES, y, WINDOW).expect("valid synthetic dataset")
}

fn bench_lstm(c: &mut Criterion) {
    let ds = dataset();
    let mut rng = SplitMix64::new(1);
    let batch: Vec<usize> = (0..BATCH)
        .map(|_| rng.next_below(ds.n_samples() as u64) as usize)
        .collect();
    let backend: Backend = std::env::var("LSTM_BENCH_BACKEND")
        .ok()
        .map(|s| s.parse().expect("LSTM_BENCH_BACKEND"))
        .unwrap_or_default();
    let threads: usize = std::env::var("LSTM_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let mut g = c.benchmark_group("lstm_t6");
    g.sample_size(20);
    for (name, engine) in [("native", Engine::Native), ("burn", Engine::Burn)] {
        let p = LstmModel::params()
            .threads(threads)
            .engine(engine)
            .backend(backend)
            .check()
            .expect("valid params");
        let mut tr = Trainer::new(&p, &ds).expect("trainer");
        g.bench_function(format!("forward_b256/{name}"), |b| {
            b.iter(|| black_box(tr.outputs(&ds, &batch).expect("forward")))
        });
        g.bench_function(format!("train_step_b256/{name}"), |b| {
            b.iter(|| black_box(tr.train_batch(&ds, &batch, 1e-3).expect("step")))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_lstm);
criterion_main!(benches);

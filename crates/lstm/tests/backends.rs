//! The burn module on every backend of this build trains the same model as
//! the native kernels and predicts the same values; a model trained on one
//! backend predicts identically on every other after a save and load.
//!
//! Backends: every CPU backend compiled in (`flex`; `tch` with the `tch`
//! feature, libtorch on the CPU; `ndarray`), plus the accelerators named in
//! `COINTRAINER_TEST_BACKENDS` (`tch-cuda:0`, `cuda:0`, ...), which the GPU
//! check sets. Each test prints the backends it ran on.

use agent_core::{Dataset, Fit, ParamGuard, Persist, SplitMix64};
use lstm::{Backend, Engine, LstmModel, LstmParams};
use ndarray::{Array1, Array2};

fn toy(n: usize, seed: u64) -> Dataset {
    let mut rng = SplitMix64::new(seed);
    let mut x = Array2::zeros((n, 3));
    let mut a = 0.0;
    for t in 0..n {
        a = 0.7 * a + rng.next_normal();
        x[[t, 0]] = a;
        x[[t, 1]] = 10.0 + 3.0 * rng.next_normal();
        x[[t, 2]] = rng.next_normal();
    }
    let y = Array1::from_shape_fn(n, |t| {
        if t < 3 {
            0.0
        } else {
            0.8 * x[[t - 1, 0]] - 0.5 * x[[t - 3, 0]] + 0.1 * rng.next_normal()
        }
    });
    Dataset::new(x, y, vec!["a".into(), "level".into(), "noise".into()]).unwrap()
}

/// Two stacked layers, clipping and weight decay: every part of the step.
fn params() -> LstmParams {
    LstmModel::params()
        .hidden_size(16)
        .num_layers(2)
        .window(8)
        .batch_size(32)
        .max_epochs(2)
        .patience(2)
        .learning_rate(5e-3)
        .weight_decay(1e-2)
        .grad_clip_norm(Some(0.5))
        .threads(1)
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

fn worst_out(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    (a - b).mapv(f64::abs).fold(0.0, |m, &v| m.max(v))
}

#[cfg(feature = "tch")]
#[test]
fn the_tch_feature_puts_libtorch_under_test() {
    assert!(backends().contains(&Backend::Tch));
}

#[test]
fn every_backend_trains_the_native_model() {
    let d = toy(400, 21);
    let native = params()
        .engine(Engine::Native)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    let want = native.report().unwrap();
    assert_eq!(want.engine, "native");
    for b in backends() {
        let m = params()
            .engine(Engine::Burn)
            .backend(b)
            .check()
            .unwrap()
            .fit(&d)
            .unwrap();
        let got = m.report().unwrap();
        assert_eq!(got.engine, "burn", "{b}");
        assert_eq!(got.epochs.len(), want.epochs.len(), "{b}");
        for (e, (g, w)) in got.epochs.iter().zip(&want.epochs).enumerate() {
            let rel = |x: f64, y: f64| (x - y).abs() / y.abs().max(1e-12);
            assert!(
                rel(g.train_loss, w.train_loss) < 1e-4 && rel(g.val_loss, w.val_loss) < 1e-4,
                "{b} epoch {e}: train {} vs {}, val {} vs {}",
                g.train_loss,
                w.train_loss,
                g.val_loss,
                w.val_loss
            );
        }
        let diff = worst(m.weights().as_slice(), native.weights().as_slice());
        assert!(diff < 1e-4, "{b}: weights differ from native by {diff}");
    }
}

#[test]
fn a_model_trained_on_one_backend_predicts_identically_on_every_other() {
    let d = toy(300, 22);
    let all = backends();
    for trained_on in &all {
        let m = params()
            .max_epochs(1)
            .engine(Engine::Burn)
            .backend(*trained_on)
            .check()
            .unwrap()
            .fit(&d)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        m.save(dir.path()).unwrap();
        let back = LstmModel::load(dir.path()).unwrap();
        assert_eq!(back.weights(), m.weights(), "{trained_on}: reload");
        let native = back.outputs(d.features()).unwrap();
        for on in &all {
            let out = back.outputs_on(d.features(), *on).unwrap();
            let diff = worst_out(&out, &native);
            assert!(
                diff < 1e-5,
                "trained on {trained_on}, predicted on {on}: {diff} from native"
            );
        }
    }
}

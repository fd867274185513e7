//! Checks against PyTorch on the committed fixtures in `fixtures/lstm/`
//! (made by `fixtures/lstm/make_fixture.py`): forward pass, gradients, one
//! AdamW step of both engines, and weights we export loading into torch.

use crate::burn_net::{BurnEngine, LstmNet};
use crate::data::SequenceDataset;
use crate::hyperparams::{LstmParams, Task};
use crate::native::{AdamW, NativeEngine, net::Workspace};
use crate::weights::{Dims, LstmWeights};
use agent_core::ParamGuard;
use burn::tensor::{Tensor, TensorData};
use std::collections::BTreeMap;
use std::path::PathBuf;

type Tensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

fn dir() -> PathBuf {
    test_support::fixtures_dir().join("lstm")
}

fn load(name: &str) -> Tensors {
    let bytes = std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    crate::safetensors::read_f32(&bytes).unwrap()
}

fn get<'a>(t: &'a Tensors, k: &str) -> &'a [f32] {
    &t.get(k).unwrap_or_else(|| panic!("fixture lacks {k}")).1
}

fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst <= tol, "{what}: max abs diff {worst} > {tol}");
}

/// `[B, T, F]` batch-first to `[T, B, F]` time-major.
fn time_major(x: &[f32], b: usize, t: usize, f: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len());
    for s in 0..t {
        for i in 0..b {
            out.extend_from_slice(&x[(i * t + s) * f..(i * t + s + 1) * f]);
        }
    }
    out
}

const B: usize = 7;
const T: usize = 12;
const F: usize = 5;

#[test]
fn native_forward_matches_pytorch_for_stacked_regressor_and_prefixed_classifier() {
    let data = load("data.safetensors");
    let x = time_major(get(&data, "x"), B, T, F);
    for (state, key, k) in [
        ("reg_state.safetensors", "reg.pred", 1),
        ("cls_state.safetensors", "cls.logits", 3),
    ] {
        let w = LstmWeights::from_safetensors(&std::fs::read(dir().join(state)).unwrap()).unwrap();
        assert_eq!(w.dims().n_outputs, k);
        let mut ws = Workspace::default();
        let y = ws.forward(&w, &x, T, B, None).to_vec();
        close(&y, get(&data, key), 1e-5, key);
    }
    // Batch of one keeps its batch axis (the original's `.squeeze()` bug).
    let w =
        LstmWeights::from_safetensors(&std::fs::read(dir().join("reg_state.safetensors")).unwrap())
            .unwrap();
    let mut ws = Workspace::default();
    let y = ws.forward(&w, get(&data, "x1"), T, 1, None).to_vec();
    close(&y, get(&data, "reg.pred1"), 1e-5, "reg.pred1");
}

#[test]
fn burn_module_forward_matches_pytorch_on_every_backend() {
    let data = load("data.safetensors");
    let w =
        LstmWeights::from_safetensors(&std::fs::read(dir().join("reg_state.safetensors")).unwrap())
            .unwrap();
    for b in crate::Backend::under_test().unwrap() {
        let dev = b.device();
        let net = LstmNet::from_weights(&w, 0.0, &dev);
        let x: Tensor<3> =
            Tensor::from_data(TensorData::new(get(&data, "x").to_vec(), [B, T, F]), &dev);
        let y = net
            .forward(x)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap();
        close(
            &y,
            get(&data, "reg.pred"),
            1e-5,
            &format!("burn reg.pred on {b}"),
        );
        assert_eq!(net.to_weights().unwrap(), w, "{b}");
    }
}

#[test]
fn native_gradients_match_pytorch_autograd() {
    let data = load("data.safetensors");
    let w =
        LstmWeights::from_safetensors(&std::fs::read(dir().join("reg_state.safetensors")).unwrap())
            .unwrap();
    let x = time_major(get(&data, "x"), B, T, F);
    let mut ws = Workspace::default();
    let y = ws.forward(&w, &x, T, B, None).to_vec();
    let mut dy = Vec::new();
    let loss = crate::native::loss_and_grad(
        Task::Regression,
        &y,
        get(&data, "reg.y"),
        1.0 / B as f32,
        &mut dy,
    );
    assert!((loss / B as f64 - get(&data, "reg.loss")[0] as f64).abs() < 1e-6);
    ws.dy = dy;
    let mut g = vec![0.0; w.dims().n_params()];
    ws.backward(&w, &mut g);
    for (name, _, off) in w.dims().tensors() {
        let want = get(&data, &format!("reg.grad.{name}"));
        close(&g[off..off + want.len()], want, 1e-6, &name);
    }
}

/// The fixture's 7 sequences laid end to end, so samples 0, 12, 24, ...
/// are exactly the fixture's batch.
fn fixture_dataset(data: &Tensors) -> (SequenceDataset, Vec<usize>) {
    let mut targets = vec![f32::NAN; B * T];
    for (i, &y) in get(data, "reg.y").iter().enumerate() {
        targets[i * T + T - 1] = y;
    }
    let ds = SequenceDataset::new(get(data, "x").to_vec(), F, targets, T).unwrap();
    (ds, (0..B).map(|i| i * T).collect())
}

#[test]
fn one_training_step_of_both_engines_matches_pytorch_adamw_with_clipping() {
    let data = load("data.safetensors");
    let w =
        LstmWeights::from_safetensors(&std::fs::read(dir().join("reg_state.safetensors")).unwrap())
            .unwrap();
    let (ds, samples) = fixture_dataset(&data);
    let want: Vec<f32> = w
        .dims()
        .tensors()
        .iter()
        .flat_map(|(name, _, _)| get(&data, &format!("reg.adamw.{name}")).to_vec())
        .collect();
    for threads in [1, 2] {
        let adam = AdamW::new(w.dims().n_params(), 0.9, 0.999, 1e-8, 1e-2);
        let mut e = NativeEngine::new(
            w.clone(),
            Task::Regression,
            adam,
            threads,
            Some(0.5),
            0.0,
            0,
        )
        .unwrap();
        e.train_batch(&ds, &samples, 1e-2);
        close(
            e.w.as_slice(),
            &want,
            1e-5,
            &format!("native step, {threads} threads"),
        );
    }
    let p = LstmParams::new()
        .hidden_size(16)
        .num_layers(2)
        .learning_rate(1e-2)
        .grad_clip_norm(Some(0.5))
        .check()
        .unwrap();
    // The burn module on every backend under test (flex; libtorch with `tch`).
    for b in crate::Backend::under_test().unwrap() {
        let mut e = BurnEngine::new(&w, &p, b.device()).unwrap();
        e.train_batch(&ds, &samples, 1e-2).unwrap();
        close(
            e.weights().unwrap().as_slice(),
            &want,
            1e-5,
            &format!("burn step on {b}"),
        );
    }
}

#[test]
fn exported_weights_are_the_committed_ones_torch_loaded() {
    // `rust_export_check.json` records that torch loaded these files strictly
    // and reproduced our predictions (make_fixture.py --check-rust). Here we
    // check the committed files are still what this code writes.
    let dims = Dims {
        input_size: F,
        hidden_size: 16,
        num_layers: 2,
        n_outputs: 1,
    };
    let w = LstmWeights::init(dims, 42).unwrap();
    let data = load("data.safetensors");
    let x = get(&data, "x");
    let mut ws = Workspace::default();
    let pred = ws.forward(&w, &time_major(x, B, T, F), T, B, None).to_vec();
    let bytes = w.to_safetensors();
    if std::env::var_os("LSTM_WRITE_FIXTURE").is_some() {
        std::fs::write(dir().join("rust_export.safetensors"), &bytes).unwrap();
        let p =
            crate::safetensors::write_f32(&[("x", &[B, T, F], x), ("pred", &[B, 1], &pred)], &[]);
        std::fs::write(dir().join("rust_export_pred.safetensors"), p).unwrap();
        return;
    }
    assert_eq!(
        std::fs::read(dir().join("rust_export.safetensors")).unwrap(),
        bytes
    );
    let committed = load("rust_export_pred.safetensors");
    close(get(&committed, "pred"), &pred, 1e-6, "rust_export_pred");
    let check: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("rust_export_check.json")).unwrap())
            .unwrap();
    assert_eq!(check["ok"], serde_json::json!(true), "{check}");
}

#[cfg(feature = "pth")]
#[test]
fn pth_state_dicts_import_like_safetensors() {
    for name in ["reg_state", "cls_state"] {
        let a = LstmWeights::from_pth(&dir().join(format!("{name}.pth"))).unwrap();
        let b = LstmWeights::from_safetensors(
            &std::fs::read(dir().join(format!("{name}.safetensors"))).unwrap(),
        )
        .unwrap();
        assert_eq!(a, b, "{name}");
    }
}

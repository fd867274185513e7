//! LSTM artifacts from a store an attacker can write to: shapes in the
//! safetensors header and the window in the manifest must not be able to
//! size allocations or loops beyond what the file holds.

use agent_core::Persist;
use agent_core::persist::{MANIFEST_FILE, Manifest, sha256_hex};
use lstm::{Dims, ImportSpec, LstmModel, LstmWeights, Task};

/// A safetensors file whose tensors declare shapes with no data behind them.
fn safetensors_with(shapes: &[(&str, Vec<u64>)]) -> Vec<u8> {
    let header: serde_json::Map<String, serde_json::Value> = shapes
        .iter()
        .map(|(n, s)| {
            (
                n.to_string(),
                serde_json::json!({"dtype": "F32", "shape": s, "data_offsets": [0, 0]}),
            )
        })
        .collect();
    let mut json = serde_json::Value::Object(header).to_string().into_bytes();
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    out
}

/// Shapes whose element counts wrap to 0 in unchecked arithmetic matched
/// the empty data and sent a hidden size of 2^60 on to the importer, which
/// then tried to allocate 2^62 zero biases.
#[test]
fn shapes_whose_product_overflows_are_an_error_not_a_panic() {
    let bytes = safetensors_with(&[
        ("lstm.weight_ih_l0", vec![1 << 62, 4]),
        ("lstm.weight_hh_l0", vec![1 << 62, 1 << 60]),
    ]);
    let r = std::panic::catch_unwind(|| LstmWeights::from_safetensors(&bytes).map(|w| w.dims()));
    let err = r.expect("importing panicked").unwrap_err().to_string();
    assert!(err.contains("too large to hold"), "{err}");
}

#[test]
fn a_window_beyond_the_limit_is_refused_on_load() {
    let dims = Dims {
        input_size: 2,
        hidden_size: 4,
        num_layers: 1,
        n_outputs: 1,
    };
    let model = LstmModel::from_weights(
        LstmWeights::init(dims, 1).unwrap(),
        ImportSpec {
            window: 8,
            horizon: 1,
            task: Some(Task::Regression),
            feature_names: vec!["a".into(), "b".into()],
            scaler: None,
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    LstmModel::load(dir.path()).unwrap();
    // The window lives in the manifest, which the attacker rewrites freely.
    let mp = dir.path().join(MANIFEST_FILE);
    let mut m: Manifest = serde_json::from_slice(&std::fs::read(&mp).unwrap()).unwrap();
    m.extra["window"] = serde_json::json!(u64::MAX / 2);
    std::fs::write(&mp, serde_json::to_vec(&m).unwrap()).unwrap();
    let err = LstmModel::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is not in 1..="), "{err}");
    // Checksums are not what stops it: the files are untouched.
    let w = std::fs::read(dir.path().join("weights.safetensors")).unwrap();
    assert_eq!(m.files["weights.safetensors"].sha256, sha256_hex(&w));
}

//! A LinUCB artifact from a store an attacker can write to, with the
//! manifest checksums recomputed: `model.json` must not be able to size the
//! model beyond what the limits and the `.npy` files actually hold. A
//! counting allocator measures the peak a load allocates, so the tests fail
//! on a loader that builds the model first and checks the shapes later.

use agent_core::ArtifactFiles;
use agent_core::persist::{ModelInfo, from_blob, make_manifest, to_blob};
use linucb::{LinUcb, LinUcbParams, ParamGuard, Persist, RegimeMode};

#[path = "../../agent-core/tests/support/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::{MIB, SERIAL, peak_of};

fn small_model() -> LinUcb {
    let p = LinUcbParams::new()
        .regime_mode(RegimeMode::Ignore)
        .check()
        .unwrap();
    LinUcb::new(
        &p,
        vec!["trend".into(), "revert".into(), "flat".into()],
        vec![],
        vec!["rsi".into()],
    )
    .unwrap()
}

/// The artifact blob of `model` with `model.json` edited by `edit` and
/// every checksum recomputed, as an attacker with store access would.
fn tampered(model: &LinUcb, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let (manifest, files) = from_blob(&model.to_bytes().unwrap()).unwrap();
    let mut doc: serde_json::Value = files.json("model.json").unwrap();
    edit(&mut doc);
    let mut out = ArtifactFiles::new();
    for name in files.names() {
        let bytes = if name == "model.json" {
            serde_json::to_vec(&doc).unwrap()
        } else {
            files.get(name).unwrap().to_vec()
        };
        out.insert(name, bytes).unwrap();
    }
    let info = ModelInfo {
        hyperparameters: manifest.hyperparameters.clone(),
        feature_names: manifest.feature_names.clone(),
        label_order: manifest.label_order.clone(),
        extra: manifest.extra.clone(),
        ..Default::default()
    };
    let m = make_manifest(
        &manifest.agent,
        &manifest.crate_version,
        manifest.format_version,
        info,
        &out,
    );
    to_blob(&m, &out).unwrap()
}

fn with_features(doc: &mut serde_json::Value, n: usize) {
    let names: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    let mut layout = vec!["intercept".to_string()];
    layout.extend(names.iter().cloned());
    doc["feature_names"] = serde_json::json!(names);
    doc["context_layout"] = serde_json::json!(layout);
    doc["context_dim"] = serde_json::json!(n + 1);
    doc["scaler"] = serde_json::Value::Null;
}

#[test]
fn untampered_artifact_loads() {
    let m = small_model();
    assert_eq!(LinUcb::from_bytes(&m.to_bytes().unwrap()).unwrap(), m);
}

/// 3000 feature names in a few KiB of JSON asked the old loader for
/// 3 arms x 3001² x 2 matrices (over 400 MiB) before it looked at the files.
#[test]
fn names_that_disagree_with_the_npy_shapes_are_refused_before_allocating() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = small_model();
    let blob = tampered(&m, |doc| with_features(doc, 3000));
    let (r, peak) = peak_of(|| LinUcb::from_bytes(&blob));
    let err = r.unwrap_err().to_string();
    assert!(peak < 16 * MIB, "loading allocated {} MiB", peak / MIB);
    assert!(
        err.contains("r0_A.npy") && err.contains("expected <f8 with shape [3, 3001, 3001]"),
        "{err}"
    );
}

/// 20,000 names needed a 16 GB allocation and aborted the process.
#[test]
fn feature_counts_over_the_limit_are_refused_with_a_clear_error() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = small_model();
    let blob = tampered(&m, |doc| with_features(doc, 20_000));
    let (r, peak) = peak_of(|| LinUcb::from_bytes(&blob));
    let err = r.unwrap_err().to_string();
    assert!(peak < 32 * MIB, "loading allocated {} MiB", peak / MIB);
    assert!(err.contains("20000 features, more than the 4096"), "{err}");
    // Within the count limits, arms x context² is bounded too.
    let blob = tampered(&m, |doc| {
        with_features(doc, 4000);
        doc["arm_names"] = serde_json::json!((0..500).map(|i| format!("s{i}")).collect::<Vec<_>>());
    });
    let err = LinUcb::from_bytes(&blob).unwrap_err().to_string();
    assert!(err.contains("state values, more than the"), "{err}");
}

#[test]
fn bandit_count_and_context_size_must_agree_before_building() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let m = small_model();
    // 1000 regimes x 3 arms x 101² x 2 values is under the limit but over
    // 400 MiB, for a model whose files hold one bandit.
    let blob = tampered(&m, |doc| {
        with_features(doc, 100);
        doc["params"]["regime_mode"] = serde_json::json!("per_regime");
        doc["regime_names"] =
            serde_json::json!((0..1000).map(|i| format!("r{i}")).collect::<Vec<_>>());
    });
    let (r, peak) = peak_of(|| LinUcb::from_bytes(&blob));
    let err = r.unwrap_err().to_string();
    assert!(peak < 16 * MIB, "loading allocated {} MiB", peak / MIB);
    assert!(
        err.contains("lists 1 bandits, the regime mode needs 1000"),
        "{err}"
    );

    let blob = tampered(&m, |doc| doc["context_dim"] = serde_json::json!(7));
    let err = LinUcb::from_bytes(&blob).unwrap_err().to_string();
    assert!(err.contains("context has 7 values"), "{err}");
}

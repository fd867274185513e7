//! Models trained on synthetic data live under the reserved symbol only:
//! publishing, promoting and rolling back never make one current for a
//! market's symbol, and the reserved symbol holds nothing else.

use agent_core::persist::{
    ArtifactFiles, CandleFile, ModelInfo, Provenance, make_manifest, to_blob,
};
use store::{
    ArtifactStore, LatestPointer, LocalStore, ModelRegistry, PromotePolicy, SYNTHETIC_SYMBOL,
    StoreError,
};

fn synthetic() -> Provenance {
    Provenance::Synthetic {
        generator: "cointrainer-market SyntheticMarket 0.1.0".into(),
        seed: 42,
        params: serde_json::json!({"bars": 2000}),
    }
}

fn real() -> Provenance {
    Provenance::CandleFiles {
        files: vec![CandleFile {
            name: "BTCUSDT-1h.csv".into(),
            sha256: "0".repeat(64),
            bytes: 100,
            symbol: "BTCUSDT".into(),
            timeframe: Some("1h".into()),
            first_ts: 1_600_000_000_000,
            last_ts: 1_600_003_600_000,
            bars: 2,
        }],
    }
}

fn blob(payload: u8, provenance: Option<Provenance>) -> Vec<u8> {
    let mut files = ArtifactFiles::new();
    files.insert("weights.bin", vec![payload; 32]).unwrap();
    let info = ModelInfo {
        provenance,
        ..Default::default()
    };
    let mut m = make_manifest("linucb", "0.1.0", 1, info, &files);
    m.created_at = format!("2026-11-25T10:00:{payload:02}Z");
    to_blob(&m, &files).unwrap()
}

fn is_symbol_error(r: Result<impl std::fmt::Debug, StoreError>) -> String {
    match r {
        Err(e @ StoreError::Symbol { .. }) => e.to_string(),
        other => panic!("expected a symbol error, got {other:?}"),
    }
}

#[test]
fn a_synthetic_model_is_published_under_the_reserved_symbol_only() {
    let dir = tempfile::tempdir().unwrap();
    let reg = ModelRegistry::new(LocalStore::new(dir.path()));
    let e = is_symbol_error(reg.publish_blob(
        &blob(1, Some(synthetic())),
        "GLOBAL",
        PromotePolicy::Always,
    ));
    assert!(e.contains(SYNTHETIC_SYMBOL), "{e}");
    // Refused before anything was stored.
    assert!(reg.versions("linucb", "GLOBAL").unwrap().is_empty());

    let p = reg
        .publish_blob(
            &blob(2, Some(synthetic())),
            SYNTHETIC_SYMBOL,
            PromotePolicy::Always,
        )
        .unwrap();
    assert!(p.promoted);
    let cur = reg.latest("linucb", SYNTHETIC_SYMBOL).unwrap().unwrap();
    assert_eq!(cur.provenance, Some(synthetic()));

    // Real data, unknown provenance and other `_` names stay out of it.
    for (prov, sym) in [
        (Some(real()), SYNTHETIC_SYMBOL),
        (None, SYNTHETIC_SYMBOL),
        (Some(real()), "_other"),
    ] {
        is_symbol_error(reg.publish_blob(&blob(3, prov), sym, PromotePolicy::Always));
    }
}

#[test]
fn a_synthetic_model_never_replaces_a_real_symbols_current_model() {
    let dir = tempfile::tempdir().unwrap();
    let reg = ModelRegistry::new(LocalStore::new(dir.path()));
    let real_v = reg
        .publish_blob(&blob(1, Some(real())), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    let synth_v = reg
        .publish_blob(
            &blob(2, Some(synthetic())),
            SYNTHETIC_SYMBOL,
            PromotePolicy::Always,
        )
        .unwrap();
    // Promoting the synthetic version under the market's symbol by key.
    is_symbol_error(reg.promote(&synth_v.key, "BTCUSDT"));
    assert_eq!(
        reg.latest("linucb", "BTCUSDT").unwrap().unwrap().key,
        real_v.key
    );

    // A history planted with the synthetic version: rollback refuses it.
    let store = reg.store();
    let mut planted: LatestPointer = reg.latest("linucb", SYNTHETIC_SYMBOL).unwrap().unwrap();
    planted.symbol = "BTCUSDT".into();
    store
        .put(
            "models/linucb/BTCUSDT/HISTORY.json",
            &serde_json::to_vec(&vec![planted]).unwrap(),
        )
        .unwrap();
    is_symbol_error(reg.rollback("linucb", "BTCUSDT"));
    assert_eq!(
        reg.latest("linucb", "BTCUSDT").unwrap().unwrap().key,
        real_v.key
    );

    // A model of unknown provenance (written before it was recorded) is
    // still published under a market's symbol.
    reg.publish_blob(&blob(4, None), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
}

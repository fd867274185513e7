//! Paths and checks shared by the integration tests.
#![allow(dead_code)]

use market::{Candles, FEATURES, FeatureStream, FeatureTable, feature_matrix};
use std::path::PathBuf;

/// A file under `fixtures/market/` of the workspace.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/market")
        .join(rel)
}

/// `|a - b| <= tol * (1 + |b|)`, the SPEC's T0 rule; NaN equals NaN.
pub fn close_enough(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * (1.0 + b.abs())
}

/// Every row, feature and label of `got` against `want`, SPEC T0 rules.
pub fn assert_tables_match(got: &FeatureTable, want: &FeatureTable, tol: f64) {
    assert_eq!(got.bar, want.bar, "rows (bar column) differ");
    assert_eq!(got.timestamp, want.timestamp);
    assert_eq!(got.close, want.close);
    assert_eq!(got.n_train, want.n_train);
    let mut worst = (0.0f64, String::new());
    for i in 0..got.len() {
        for (j, name) in FEATURES.iter().enumerate() {
            let (a, b) = (got.features[[i, j]], want.features[[i, j]]);
            assert!(
                close_enough(a, b, tol),
                "bar {} {name}: {a} vs {b}",
                got.bar[i]
            );
            let rel = (a - b).abs() / (1.0 + b.abs());
            if rel > worst.0 {
                worst = (rel, format!("bar {} {name}", got.bar[i]));
            }
        }
        for (name, a, b) in [
            ("fwd_ret_1", got.fwd_ret_1[i], want.fwd_ret_1[i]),
            ("fwd_vol_24", got.fwd_vol_24[i], want.fwd_vol_24[i]),
        ] {
            assert!(
                close_enough(a, b, tol),
                "bar {} {name}: {a} vs {b}",
                got.bar[i]
            );
        }
    }
    assert_eq!(got.y_dir, want.y_dir, "y_dir differs");
    assert_eq!(got.y_regime, want.y_regime, "y_regime differs");
    eprintln!("largest |a-b|/(1+|b|) = {:e} at {}", worst.0, worst.1);
}

/// `FeatureStream`, bar by bar, against `feature_matrix` on every bar of `c`.
pub fn assert_stream_matches_matrix(c: &Candles) {
    let m = feature_matrix(c);
    let mut stream = FeatureStream::new();
    let mut worst = 0.0f64;
    for t in 0..c.len() {
        stream
            .push(c.high[t], c.low[t], c.close[t], c.volume[t])
            .unwrap();
        let row = stream.row();
        for (j, &v) in row.iter().enumerate() {
            let want = m[[t, j]];
            if want.is_nan() {
                assert!(v.is_nan(), "bar {t} feature {j}: {v}, matrix NaN");
                continue;
            }
            let rel = (v - want).abs() / (1.0 + want.abs());
            worst = worst.max(rel);
            assert!(rel <= 1e-12, "bar {t} feature {j}: {v} vs {want}");
        }
    }
    assert_eq!(stream.bars(), c.len());
    assert!(stream.is_ready());
    eprintln!("worst relative difference {worst:e} over {} bars", c.len());
}

//! Paths shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A file under the workspace's sibling `shared/` directory, or `None` (with
/// a message saying the test is skipped) when that file is absent, as in a
/// user's clone.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} not found (shared/ benchmark data is not part of the repository)",
            p.display()
        );
        None
    }
}

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

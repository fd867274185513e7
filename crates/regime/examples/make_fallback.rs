//! Regenerate the embedded fallback model deterministically:
//!
//! ```text
//! cargo run -p cointrainer-regime --release --example make_fallback
//! ```
//!
//! Trains on the T0 features of `market::SyntheticMarket::default()` with
//! `regime::fallback::fallback_params()` (single-threaded, deterministic)
//! and writes `crates/regime/assets/fallback_regime/{manifest.json,model.txt}`.

use regime::fallback::{fallback_artifact, train_fallback};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = train_fallback()?;
    let (manifest, text) = fallback_artifact(&model)?;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/fallback_regime");
    std::fs::create_dir_all(&dir)?;
    agent_core::write_atomic(&dir.join("model.txt"), text.as_bytes())?;
    agent_core::write_atomic(&dir.join("manifest.json"), manifest.as_bytes())?;
    let r = model.report();
    println!(
        "fallback: {} rounds x 3 trees, {} bytes; val_logloss {:.4}, test F1-macro {:.4}, ROC-AUC {:.4}",
        model.n_iterations(),
        text.len(),
        r.val_logloss,
        r.test_f1_macro.unwrap_or(f64::NAN),
        r.test_roc_auc_ovr.unwrap_or(f64::NAN),
    );
    println!("wrote {}", dir.display());
    Ok(())
}

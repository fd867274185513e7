//! Train the PPO strategy selector of SPEC T4 on a strategy-returns CSV,
//! report out-of-sample results, and save `rl_selector.zip` plus curves.
//!
//! ```text
//! cargo run --release -p cointrainer-ppo --example strategy_selector -- \
//!     [path/to/strategy_returns_btc_1h.csv] [out_dir] [--burn] [--seed=N] [--threads=N]
//! ```

use ppo::{Engine, ParamGuard, PpoParams, StrategyData, StrategyEnvConfig, TerminalProgress};
use std::path::PathBuf;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let burn = args.iter().any(|a| a == "--burn");
    let opt = |name: &str| -> Option<u64> {
        args.iter()
            .find_map(|a| a.strip_prefix(name).and_then(|v| v.parse().ok()))
    };
    let seed = opt("--seed=").unwrap_or(0);
    let threads = opt("--threads=").unwrap_or(2) as usize;
    let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let csv = pos.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/bench/datasets/strategy_returns_btc_1h.csv")
    });
    let out = pos
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/rl_selector"));
    let data = Arc::new(StrategyData::read_csv(&csv)?);
    let mut params = PpoParams::t4().n_threads(threads).seed(seed);
    if burn {
        params = params.engine(Engine::Burn {
            backend: ppo::Backend::Flex,
        });
    }
    let params = params.check()?;
    let bar = TerminalProgress::new();
    let t = std::time::Instant::now();
    let model = params.fit_strategy(
        &data,
        &StrategyEnvConfig::default(),
        Some(&|e| bar.draw(&e)),
    )?;
    let wall = t.elapsed().as_secs_f64();
    let s = model.summary();
    println!(
        "trained {} steps in {:.2} s ({:.0} steps/s, training only {:.2} s), engine {}",
        s.timesteps,
        wall,
        s.timesteps as f64 / s.wall_s,
        s.wall_s,
        s.engine
    );
    for (k, v) in model.metrics() {
        println!("  {k}: {v}");
    }
    std::fs::create_dir_all(&out)?;
    model.save_zip(&out.join(ppo::ZIP_FILE_NAME))?;
    model.training_log().write_csv(&out)?;
    #[cfg(feature = "plot")]
    model.training_log().write_png(&out)?;
    println!("wrote {}", out.display());
    Ok(())
}

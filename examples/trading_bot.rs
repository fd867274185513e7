//! A minimal trading bot on the `cointrainer` facade (features `regime`,
//! `linucb`, `signal` only): it replays candles bar by bar as if they arrived
//! live, asks the regime agent for the volatility regime, lets a LinUCB
//! bandit pick one of five strategies per 24-bar window, gates entries with
//! the signal agent (no entry while it expects a down bar), credits the
//! bandit with each window's realised PnL, and prints its decisions and a
//! PnL summary.
//!
//! ```text
//! cargo run --release --example trading_bot                 # synthetic market
//! cargo run --release --example trading_bot -- BTCUSDT-1h.csv --store cointrainer-data/models
//! ```
//!
//! Models come from the registry `cointrainer train` publishes to (default
//! `cointrainer-data/models`) under the symbol of the replayed candles: the
//! file's symbol (`BTCUSDT-1h.csv` -> `BTCUSDT`, or `--symbol`), and
//! `_synthetic` for the synthetic market. Models trained on the synthetic
//! market are served only when the synthetic market is replayed or with
//! `--allow-synthetic`, never silently for a real one. Without trained models
//! it still runs, and says so: the regime agent uses its embedded fallback,
//! the bandit starts untrained, and the signal gate is off.
//!
//! The five strategies are small long-only versions of the backtest's
//! shipped ones (same names, so a bandit trained by `cointrainer train`
//! maps onto them); they are illustrations, not the backtest's rules.

use cointrainer::linucb::{LinUcb, LinUcbParams, ParamGuard};
use cointrainer::live::{
    Bar, CandleBuffer, LiveLinUcb, LiveRegime, LiveSignal, Loader, LocalStore, ModelRegistry,
    ModelSlot, Origin, SYNTHETIC_SYMBOL,
};
use cointrainer::market::{Candles, SyntheticMarket, read_candles, symbol_of};
use cointrainer::regime::RegimeModel;
use cointrainer::signal::{Signal, SignalModel};
use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const STRATEGIES: [&str; 5] = [
    "buy_hold",
    "sma_cross",
    "zscore_mr",
    "breakout_24",
    "rsi_rev",
];
/// The bandit's context: T0 features as the strategy-returns tables name them.
const CONTEXT: [&str; 7] = [
    "ctx_lr_24",
    "ctx_vol_24",
    "ctx_vol_72",
    "ctx_rsi_14",
    "ctx_zscore_20",
    "ctx_vol_z_20",
    "ctx_atr_14_rel",
];
const WINDOW: usize = 24;
const FEE: f64 = 0.001;
// Columns of the T0 row (market::FEATURES order).
const LR_24: usize = 4;
const RSI_14: usize = 8;
const ZSCORE_20: usize = 9;

struct Args {
    file: Option<PathBuf>,
    store: PathBuf,
    /// `None`: the replayed candles' symbol.
    symbol: Option<String>,
    allow_synthetic: bool,
    seed: u64,
    bars: usize,
    quiet: bool,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        file: None,
        store: PathBuf::from("cointrainer-data/models"),
        symbol: None,
        allow_synthetic: false,
        seed: 7,
        bars: 3_000,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--store" => a.store = PathBuf::from(value("--store")?),
            "--symbol" => a.symbol = Some(value("--symbol")?),
            "--allow-synthetic" => a.allow_synthetic = true,
            "--seed" => {
                a.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed needs an integer")?
            }
            "--bars" => {
                a.bars = value("--bars")?
                    .parse()
                    .map_err(|_| "--bars needs an integer")?
            }
            "--quiet" | "-q" => a.quiet = true,
            "-h" | "--help" => {
                println!(
                    "usage: trading_bot [CANDLES.csv] [--store DIR] [--symbol S] [--allow-synthetic] [--seed N] [--bars N] [--quiet]\n\
                     Without a CSV it replays the synthetic market (seed, bars) with the models\n\
                     trained on it (symbol _synthetic). With a CSV it uses the models of the\n\
                     file's symbol (BTCUSDT-1h.csv -> BTCUSDT) or --symbol; --allow-synthetic\n\
                     also serves models trained on the synthetic market (never for real money)."
                );
                std::process::exit(0);
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}").into()),
            s => a.file = Some(PathBuf::from(s)),
        }
    }
    Ok(a)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Long (1) or flat (0) for strategy `name`, given its current position.
fn target(name: &str, row: &[f64], closes: &[f64], held: bool) -> f64 {
    let n = closes.len();
    let last = closes[n - 1];
    let prev = &closes[n.saturating_sub(WINDOW + 1)..n - 1];
    let on = match name {
        "buy_hold" => true,
        "sma_cross" => last > prev.iter().sum::<f64>() / prev.len() as f64,
        "zscore_mr" if held => row[ZSCORE_20] < 0.0,
        "zscore_mr" => row[ZSCORE_20] < -1.5,
        "breakout_24" if held => row[LR_24] > 0.0,
        "breakout_24" => prev.iter().all(|&c| last > c),
        "rsi_rev" if held => row[RSI_14] < 50.0,
        "rsi_rev" => row[RSI_14] < 30.0,
        _ => false,
    };
    if on { 1.0 } else { 0.0 }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let candles: Candles = match &args.file {
        Some(f) => read_candles(f)?,
        None => {
            SyntheticMarket::new()
                .seed(args.seed)
                .bars(args.bars)
                .generate()?
                .candles
        }
    };
    let source = args.file.as_ref().map_or_else(
        || format!("synthetic market (seed {})", args.seed),
        |f| f.display().to_string(),
    );
    println!("replaying {} bars of {source}", candles.len());

    // --- models -----------------------------------------------------------
    let registry = ModelRegistry::new(LocalStore::new(&args.store));
    // The models of the market replayed: a real file's own symbol, or the
    // synthetic market's models for a synthetic replay (which is the one
    // case synthetic models may serve without --allow-synthetic).
    let symbol = match (&args.symbol, &args.file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => symbol_of(f),
        (None, None) => SYNTHETIC_SYMBOL.to_string(),
    };
    let loader = Loader::new().allow_synthetic(args.allow_synthetic || args.file.is_none());
    println!(
        "registry: {} (symbol {symbol}{})",
        args.store.display(),
        if args.allow_synthetic || args.file.is_none() {
            ", synthetic models allowed"
        } else {
            ""
        }
    );
    let regime_slot = Arc::new(ModelSlot::<RegimeModel>::with_loader(loader));
    regime_slot.refresh(&registry, &symbol);
    if !regime_slot.is_loaded() {
        let why = regime_slot
            .last_error()
            .unwrap_or_else(|| "none promoted".into());
        regime_slot.install_fallback()?;
        println!("  regime : EMBEDDED FALLBACK (trained on synthetic data only): {why}");
    } else if let Some(o) = regime_slot.origin() {
        println!("  regime : {o}");
    }
    let signal_slot = Arc::new(ModelSlot::<SignalModel>::with_loader(loader));
    signal_slot.refresh(&registry, &symbol);
    match signal_slot.origin() {
        Some(o) => println!("  signal : {o}"),
        None => println!(
            "  signal : no model ({}) -> entry gate DISABLED",
            signal_slot
                .last_error()
                .unwrap_or_else(|| "none promoted".into())
        ),
    }
    let params = LinUcbParams::new().alpha(0.5).check()?;
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let untrained = || {
        LiveLinUcb::untrained(
            &params,
            names(&STRATEGIES),
            names(&["low", "medium", "high"]),
            names(&CONTEXT),
        )
    };
    let mut bandit = match loader.load_latest::<LinUcb, _>(&registry, &symbol) {
        Ok((p, model))
            if model
                .arm_names()
                .iter()
                .all(|a| STRATEGIES.contains(&a.as_str())) =>
        {
            let origin = Origin::Registry {
                key: p.key,
                hash: p.hash,
            };
            println!("  linucb : {origin}");
            LiveLinUcb::new(model, origin)?
        }
        Ok((p, model)) => {
            println!(
                "  linucb : `{}` has strategies {:?} this bot cannot run -> starting UNTRAINED",
                p.key,
                model.arm_names()
            );
            untrained()?
        }
        Err(e) => {
            println!("  linucb : no model ({e}) -> starting UNTRAINED, learning online");
            untrained()?
        }
    };
    // Polls LATEST.json so a model promoted while the bot runs is swapped in.
    let registry = Arc::new(registry);
    let _refresh_regime =
        regime_slot.spawn_refresher(registry.clone(), symbol.clone(), Duration::from_secs(30))?;
    let _refresh_signal =
        signal_slot.spawn_refresher(registry.clone(), symbol.clone(), Duration::from_secs(30))?;
    let regime = LiveRegime::new(regime_slot);
    let signal = LiveSignal::new(signal_slot);

    // --- replay -----------------------------------------------------------
    let mut buf = CandleBuffer::with_default_capacity();
    let (mut equity, mut pos) = (1.0f64, 0.0f64);
    let (mut window_growth, mut window_left) = (1.0f64, 0usize);
    let mut strategy = STRATEGIES[0].to_string();
    let (mut trades, mut blocked, mut decisions) = (0usize, 0usize, 0usize);
    let mut picks: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    let mut regimes = [0usize; 3];
    let mut fallback_calls = 0usize;
    let mut busy = Duration::ZERO;
    let (mut first_close, mut last_close) = (None, 0.0);
    for t in 0..candles.len() {
        let bar = Bar::of(&candles, t).ok_or("bar out of range")?;
        // Mark to market the position held over the bar that just closed.
        if let Some(prev) = buf.last() {
            let r = bar.close / prev.close - 1.0;
            equity *= 1.0 + pos * r;
            window_growth *= 1.0 + pos * r;
        }
        let started = Instant::now();
        buf.push(bar)?;
        if !buf.is_ready() {
            continue;
        }
        first_close.get_or_insert(bar.close);
        last_close = bar.close;
        let row = *buf.features()?;

        if window_left == 0 {
            // Close the window: credit the bandit, then decide the next one.
            if decisions > 0 {
                let pnl_pct = 100.0 * (window_growth - 1.0);
                bandit.update(pnl_pct)?;
                if let Some(p) = picks.get_mut(&strategy) {
                    p.1 += pnl_pct;
                }
            }
            let call = regime.predict(&row)?;
            fallback_calls += usize::from(call.fallback);
            regimes[call.prediction.regime.index() as usize] += 1;
            let choice = bandit.select(call.prediction.regime, &row)?;
            strategy = choice.name.clone();
            picks.entry(strategy.clone()).or_default().0 += 1;
            decisions += 1;
            window_growth = 1.0;
            window_left = WINDOW;
            if !args.quiet {
                println!(
                    "{}  regime {:<6} p={:.2}{}  -> {:<11} (ucb {:+.3})  equity {:.4}",
                    cointrainer::market::format_ts_utc(bar.ts),
                    call.prediction.regime.name(),
                    call.prediction.confidence(),
                    if call.fallback { " [fallback]" } else { "" },
                    strategy,
                    choice.score,
                    equity
                );
            }
        }
        window_left -= 1;

        let held = pos > 0.0;
        let mut want = target(&strategy, &row, buf.closes(), held);
        if want > 0.0 && !held {
            // Entry gate: no entry when the signal agent expects a down bar.
            if let Some(s) = signal.predict(&row)?
                && (s.action == Signal::Sell || s.p_up < 0.5)
            {
                want = 0.0;
                blocked += 1;
            }
        }
        if want != pos {
            equity *= 1.0 - FEE * (want - pos).abs();
            window_growth *= 1.0 - FEE * (want - pos).abs();
            trades += usize::from(want > 0.0);
            pos = want;
        }
        busy += started.elapsed();
    }

    // --- summary ----------------------------------------------------------
    let served = candles
        .len()
        .saturating_sub(cointrainer::live::MIN_CAPACITY - 1);
    let hold = first_close.map_or(0.0, |f| last_close / f - 1.0);
    println!("\nsummary");
    println!("  bars served        {served}");
    println!(
        "  decisions          {decisions} (every {WINDOW} bars), {fallback_calls} on the fallback regime model"
    );
    println!(
        "  regimes            low {} / medium {} / high {}",
        regimes[0], regimes[1], regimes[2]
    );
    println!("  entries            {trades} ({blocked} blocked by the signal gate)");
    println!("  bandit updates     {}", bandit.updates());
    for (name, (n, pnl)) in &picks {
        println!("  {name:<12}       picked {n:>4}x, realised {pnl:+.2}% in total");
    }
    println!("  bot return         {:+.2}%", 100.0 * (equity - 1.0));
    println!("  buy & hold return  {:+.2}%", 100.0 * hold);
    if served > 0 {
        println!(
            "  mean time per bar  {:.1} us (features + models + bookkeeping)",
            busy.as_secs_f64() * 1e6 / served as f64
        );
    }
    Ok(())
}

//! The commands behind the CLI and the menu. Each writes its human or JSON
//! output to a writer, so the menu and the tests can drive them.

use crate::agents;
use crate::cli::{BacktestArgs, DataArgs, EvaluateArgs, ModelsCommand, TrainArgs};
use crate::config::Config;
use crate::error::TrainError;
use crate::jobs::{DataSpec, JobSpec};
use crate::orchestrator::{ModelRef, Orchestrator, TrainOutcome, load_data};
use crate::promotion::PromoteRule;
use agent_core::Persist;
use backtest::agents::{LstmPredictor, OuScorer};
use backtest::{
    Backtest, BacktestParams, BacktestReport, BuyHold, DonchianBreakout, Instrument, Momentum,
    RsiReversal, SmaCross, Strategy, StrategyReturns, WindowSpec, ZScoreReversion,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value, json};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The loaded config and the orchestrator built from it.
pub struct App {
    pub config: Config,
    pub orch: Arc<Orchestrator>,
    /// The remote store's cache layer, when the store is remote.
    pub cached: Option<store::CachedStore>,
}

impl App {
    pub fn new(config: Config) -> Result<Self, TrainError> {
        let (store, cached) = config.build_store()?;
        let orch = Arc::new(Orchestrator::new(crate::orchestrator::OrchestratorConfig {
            store,
            reports_dir: config.store.reports_dir.clone(),
            agent_params: config.agent_params(),
        }));
        Ok(Self {
            config,
            orch,
            cached,
        })
    }

    /// For long-running commands on a remote store: a background loop that
    /// uploads what was saved while the remote was unreachable.
    pub fn start_recovery(&self) -> Option<store::RecoveryLoop> {
        self.cached.clone().map(|c| {
            store::RecoveryLoop::start(
                c,
                store::RetryPolicy::default(),
                std::time::Duration::from_secs(30),
            )
        })
    }

    /// The data a command uses: `--data` files, else the config's `[data]`
    /// (with `--seed`/`--bars` overriding the synthetic market).
    pub fn data_spec(&self, d: &DataArgs) -> DataSpec {
        if !d.data.is_empty() {
            return DataSpec::CsvFiles {
                paths: d.data.clone(),
            };
        }
        match self.config.data.spec() {
            DataSpec::Synthetic { seed, bars } => DataSpec::Synthetic {
                seed: d.seed.unwrap_or(seed),
                bars: d.bars.unwrap_or(bars),
            },
            other => other,
        }
    }
}

fn w(out: &mut dyn Write, s: impl AsRef<str>) -> Result<(), TrainError> {
    writeln!(out, "{}", s.as_ref()).map_err(|e| TrainError::io("<stdout>", e))
}

/// A progress bar on stderr, hidden when stderr is not a terminal or when
/// the output is JSON.
pub fn progress_bar(hidden: bool, len: u64, label: &str) -> ProgressBar {
    let target = if hidden || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let pb = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix:>14} [{elapsed_precise}] {wide_bar} {percent:>3}% {msg}",
    ) {
        pb.set_style(style);
    }
    pb.set_prefix(label.to_string());
    pb
}

/// Parse `--params`/`--params-file` into a JSON object.
pub fn read_params(args: &TrainArgs) -> Result<Map<String, Value>, TrainError> {
    let (text, origin) = match (&args.params, &args.params_file) {
        (Some(t), _) => (t.clone(), "--params".to_string()),
        (None, Some(p)) => (
            std::fs::read_to_string(p).map_err(|e| TrainError::io(p, e))?,
            p.display().to_string(),
        ),
        (None, None) => return Ok(Map::new()),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(TrainError::Params {
            agent: args.agent.clone(),
            why: format!("{origin} must be a JSON object, got {other}"),
        }),
        Err(e) => Err(TrainError::Params {
            agent: args.agent.clone(),
            why: format!("{origin} is not valid JSON: {e}"),
        }),
    }
}

/// `train <agent>|all`. Returns the outcomes; every agent of `all` is tried
/// even when one fails, and the error lists the failures.
pub fn train(
    app: &App,
    args: &TrainArgs,
    out: &mut dyn Write,
) -> Result<Vec<TrainOutcome>, TrainError> {
    let params = read_params(args)?;
    let names: Vec<String> = if args.agent == "all" {
        agents::names()
    } else {
        vec![agents::get(&args.agent)?.name().to_string()]
    };
    if args.agent == "all" {
        for k in params.keys() {
            if !names.contains(k) {
                return Err(TrainError::Params {
                    agent: "all".into(),
                    why: format!(
                        "with `all`, --params is an object keyed by agent name; `{k}` is not one of {}",
                        names.join(", ")
                    ),
                });
            }
        }
    }
    let data = app.data_spec(&args.data);
    let symbol = args
        .symbol
        .clone()
        .or_else(|| app.config.data.symbol.clone());
    let mut outcomes = Vec::new();
    let mut failed: Vec<TrainError> = Vec::new();
    for name in &names {
        let p = if args.agent == "all" {
            params.get(name).cloned().unwrap_or(json!({}))
        } else {
            Value::Object(params.clone())
        };
        let spec = JobSpec {
            agent: name.clone(),
            data: data.clone(),
            params: p,
            symbol: symbol.clone(),
            force: args.force,
            promote: args.promote,
            per_symbol: args.per_symbol,
            device: args.device,
        };
        let pb = progress_bar(args.json, 1000, name);
        let tick = |f: f64| pb.set_position((f.clamp(0.0, 1.0) * 1000.0) as u64);
        let result = app.orch.train(&spec, &tick);
        pb.finish_and_clear();
        match result {
            Ok(published) => {
                for o in published {
                    print_outcome(out, &o, args.json)?;
                    outcomes.push(o);
                }
            }
            Err(e) => {
                if args.json {
                    w(
                        out,
                        json!({"agent": name, "error": e.to_string()}).to_string(),
                    )?;
                } else {
                    w(out, format!("{name:<14} FAILED: {e}"))?;
                }
                failed.push(e);
            }
        }
    }
    if failed.is_empty() {
        Ok(outcomes)
    } else if names.len() == 1 {
        Err(failed.remove(0))
    } else {
        let failed: Vec<String> = failed.iter().map(|e| e.to_string()).collect();
        Err(TrainError::Agent {
            agent: "all".into(),
            why: format!(
                "{} of {} agents failed: {}",
                failed.len(),
                names.len(),
                failed.join("; ")
            ),
        })
    }
}

/// One published model, as `train` prints it.
fn print_outcome(out: &mut dyn Write, o: &TrainOutcome, json: bool) -> Result<(), TrainError> {
    if json {
        return w(
            out,
            serde_json::to_string(o).unwrap_or_else(|e| e.to_string()),
        );
    }
    let status = if o.promoted {
        format!("promoted ({})", o.promote_rule.as_str())
    } else {
        format!(
            "kept the current model ({})",
            o.reason.as_deref().unwrap_or("not promoted")
        )
    };
    w(out, format!("{:<14} {}", o.agent, o.summary))?;
    w(
        out,
        format!("{:<14} published under {} ({})", "", o.symbol, o.provenance),
    )?;
    w(
        out,
        format!(
            "{:<14} {status}; {} = {}; report {}",
            "",
            o.promote_metric,
            o.metrics
                .get(&o.promote_metric)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into()),
            o.report_dir.display()
        ),
    )
}

/// The symbol jobs with no `--data` and no `--symbol` publish under:
/// `[data] symbol`, else the one the configured data is of (`_synthetic`
/// for the synthetic market).
pub fn default_symbol(app: &App) -> Result<String, TrainError> {
    crate::orchestrator::job_symbol(&JobSpec {
        agent: String::new(),
        data: app.config.data.spec(),
        params: json!({}),
        symbol: app.config.data.symbol.clone(),
        force: false,
        promote: None,
        per_symbol: false,
        device: Default::default(),
    })
}

/// `evaluate <agent>`.
pub fn evaluate(app: &App, args: &EvaluateArgs, out: &mut dyn Write) -> Result<(), TrainError> {
    let data = app.data_spec(&args.data);
    let model = match &args.model {
        Some(dir) => ModelRef::Dir(dir.clone()),
        // By default the current model of the symbol the data is of.
        None => ModelRef::Current {
            symbol: crate::orchestrator::job_symbol(&JobSpec {
                agent: args.agent.clone(),
                data: data.clone(),
                params: json!({}),
                symbol: args
                    .symbol
                    .clone()
                    .or_else(|| app.config.data.symbol.clone()),
                force: false,
                promote: None,
                per_symbol: false,
                device: Default::default(),
            })?,
        },
    };
    let metrics = app.orch.evaluate(&args.agent, &model, &data)?;
    if args.json {
        return w(
            out,
            json!({"agent": args.agent, "metrics": metrics}).to_string(),
        );
    }
    w(out, format!("{} on {}", args.agent, describe_data(&data)))?;
    for (k, v) in metrics.iter().filter(|(_, v)| !v.is_object()) {
        w(out, format!("  {k:<32} {v}"))?;
    }
    for (k, what) in [
        (
            "in_sample",
            "in-sample rows (the model's training data before its test span)",
        ),
        (
            "out_of_sample",
            "out-of-sample rows (from the model's test span on)",
        ),
    ] {
        let Some(part) = metrics.get(k) else { continue };
        let day = |key: &str| {
            part[key]
                .as_i64()
                .map(market::format_ts_utc)
                .unwrap_or_default()
        };
        w(
            out,
            format!("  {what}, {} to {}:", day("from_ts"), day("to_ts")),
        )?;
        if let Some(e) = part["error"].as_str() {
            w(out, format!("    not scored: {e}"))?;
        }
        if let Some(m) = part["metrics"].as_object() {
            for (k, v) in m {
                w(out, format!("    {k:<30} {v}"))?;
            }
        }
    }
    match metrics
        .get("eval_bars_in_training_data")
        .and_then(Value::as_u64)
    {
        Some(0) => w(out, "  all bars lie outside the model's training data")?,
        Some(n) => w(
            out,
            format!(
                "  warning: {n} of {} bars lie inside the span of the data the model was \
                 trained on: these scores are partly in-sample",
                metrics.get("eval_bars").cloned().unwrap_or_default()
            ),
        )?,
        None => w(
            out,
            "  note: the model does not record its training data; the scores may be in-sample",
        )?,
    }
    Ok(())
}

fn describe_data(d: &DataSpec) -> String {
    match d {
        DataSpec::Synthetic { seed, bars } => {
            format!("the synthetic market (seed {seed}, {bars} bars)")
        }
        DataSpec::Csv { path } => path.display().to_string(),
        DataSpec::Upload { bytes } => format!("an uploaded candle file ({bytes} bytes)"),
        DataSpec::CsvFiles { paths } => paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `models list|show|promote|rollback`.
pub fn models(app: &App, cmd: &ModelsCommand, out: &mut dyn Write) -> Result<(), TrainError> {
    match cmd {
        ModelsCommand::List { json } => {
            // One unreadable pointer is a warning, not the end of the list.
            let listing = app.orch.registry().list_current()?;
            let list = listing.models;
            if *json {
                for p in &listing.problems {
                    eprintln!("warning: skipped {}: {}", p.key, p.error);
                }
                return w(out, serde_json::to_string(&list).unwrap_or_default());
            }
            for p in &listing.problems {
                w(out, format!("warning: skipped {}: {}", p.key, p.error))?;
            }
            if list.is_empty() {
                return w(out, "no models yet; run `cointrainer train all`");
            }
            w(
                out,
                format!("{:<14} {:<10} {:<26} key", "agent", "symbol", "promoted at"),
            )?;
            for p in list {
                w(
                    out,
                    format!(
                        "{:<14} {:<10} {:<26} {}",
                        p.agent, p.symbol, p.promoted_at, p.key
                    ),
                )?;
                w(
                    out,
                    format!(
                        "{:<14} data: {}",
                        "",
                        agent_core::provenance::describe(p.provenance.as_ref())
                    ),
                )?;
            }
            Ok(())
        }
        ModelsCommand::Show { agent, symbol } => {
            let v = app.orch.show(agent, symbol)?;
            w(out, serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        ModelsCommand::Promote { key, symbol } => {
            let p = app.orch.promote(key, symbol)?;
            w(out, format!("{} {} now uses {}", p.agent, p.symbol, p.key))
        }
        ModelsCommand::Rollback { agent, symbol } => {
            let p = app.orch.rollback(agent, symbol)?;
            w(
                out,
                format!("{} {} rolled back to {}", p.agent, p.symbol, p.key),
            )
        }
    }
}

/// A strategy by name (the names `--help` lists).
pub fn strategy_by_name(name: &str) -> Result<Box<dyn Strategy>, TrainError> {
    let s: Box<dyn Strategy> = match name.trim() {
        "buy_hold" => Box::new(BuyHold::new()),
        "sma_cross" => Box::new(SmaCross::default()),
        "ema_cross" => Box::new(SmaCross::ema(12, 26)?),
        "zscore_mr" => Box::new(ZScoreReversion::default()),
        "breakout_24" => Box::new(DonchianBreakout::default()),
        "rsi_rev" => Box::new(RsiReversal::default()),
        "momentum_24" => Box::new(Momentum::new(24, 0.0)?),
        other => {
            return Err(TrainError::Data(format!(
                "unknown strategy `{other}`; known: buy_hold, sma_cross, ema_cross, zscore_mr, breakout_24, rsi_rev, momentum_24, ou_mean_rev, lstm"
            )));
        }
    };
    Ok(s)
}

/// A strategy driven by a published agent model: `ou_mean_rev` (the ou-mean
/// model's window and thresholds, refitted every bar as in live use; the
/// agent's defaults when none is published) or `lstm` (the current lstm
/// model; an error when there is none).
fn agent_strategy(
    app: &App,
    name: &str,
    args: &BacktestArgs,
    out: &mut dyn Write,
) -> Result<Box<dyn Strategy>, TrainError> {
    let agent_err = |agent: &str, why: String| TrainError::Agent {
        agent: agent.into(),
        why,
    };
    // The models of the market being backtested, unless named: a model of
    // another market (or of the synthetic one) must be asked for.
    let model_symbol = match &args.model_symbol {
        Some(s) => s.clone(),
        None => crate::orchestrator::job_symbol(&JobSpec {
            agent: String::new(),
            data: app.data_spec(&args.data),
            params: json!({}),
            symbol: app.config.data.symbol.clone(),
            force: false,
            promote: None,
            per_symbol: false,
            device: Default::default(),
        })?,
    };
    match name {
        "ou_mean_rev" => {
            let params = match app.orch.current_blob("ou-mean", &model_symbol) {
                Ok(blob) => {
                    let m = ou_mean::MeanReversionModel::from_bytes(&blob)
                        .map_err(|e| agent_err("ou-mean", e.to_string()))?;
                    m.params().clone()
                }
                Err(_) => {
                    if !args.json {
                        w(
                            out,
                            format!(
                                "note: no ou-mean model published for {model_symbol}; ou_mean_rev uses the agent's defaults"
                            ),
                        )?;
                    }
                    ou_mean::MeanReversionValidParams::default()
                }
            };
            Ok(Box::new(OuScorer::new(params)?.into_strategy()?))
        }
        _ => {
            let blob = app
                .orch
                .current_blob("lstm", &model_symbol)
                .map_err(|e| {
                    agent_err(
                        "lstm",
                        format!(
                            "no usable lstm model for {model_symbol} ({e}); train one with `cointrainer train lstm`"
                        ),
                    )
                })?;
            let model =
                lstm::LstmModel::from_bytes(&blob).map_err(|e| agent_err("lstm", e.to_string()))?;
            Ok(Box::new(
                LstmPredictor::new(model)?.into_strategy(args.lstm_threshold)?,
            ))
        }
    }
}

/// `backtest`: writes into `args.out` the trade log, `strategy_pnl.csv`,
/// `summary.csv`, equity curves, per-window returns per symbol
/// (`strategy_returns_<SYMBOL>.csv`) and `equity.png`; prints a summary
/// table (or JSON).
pub fn backtest(
    app: &App,
    args: &BacktestArgs,
    out: &mut dyn Write,
) -> Result<BacktestReport, TrainError> {
    let names: Vec<String> = if args.strategies.is_empty() {
        backtest::spec_t2_strategies()
            .iter()
            .map(|s| s.name().to_string())
            .collect()
    } else {
        args.strategies.clone()
    };
    let strategies = names
        .iter()
        .map(|n| match n.trim() {
            "ou_mean_rev" | "lstm" => agent_strategy(app, n.trim(), args, out),
            _ => strategy_by_name(n),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let data = load_data(&app.data_spec(&args.data))?;
    let bt = Backtest::new(
        BacktestParams::new()
            .fee_bps(args.fee_bps)
            .slippage_bps(args.slippage_bps)
            .position_fraction(args.fraction)
            .stop_loss(args.stop_loss)
            .take_profit(args.take_profit),
    )?;
    let instruments: Vec<Instrument<'_>> = data
        .series
        .iter()
        .map(|(s, c)| Instrument::new(s, c))
        .collect();
    let labeler: Box<dyn backtest::RegimeLabeler> = if args.regime_agent {
        Box::new(backtest::agents::RegimeAgentLabeler::train_per_symbol(
            regime::RegimeValidParams::default(),
        ))
    } else {
        Box::new(backtest::VolTercileLabeler::default())
    };
    // One strategy at a time (each has its own account), so the bar can move.
    let pb = progress_bar(args.json, strategies.len() as u64 + 1, "backtest");
    let mut report = BacktestReport {
        strategies: Vec::new(),
        trades: Vec::new(),
        equity: Vec::new(),
        regime_labeler: String::new(),
    };
    for s in &strategies {
        pb.set_message(s.name().to_string());
        let r = bt.run_with_labeler(&instruments, std::slice::from_ref(s), labeler.as_ref())?;
        report.strategies.extend(r.strategies);
        report.trades.extend(r.trades);
        report.equity.extend(r.equity);
        report.regime_labeler = r.regime_labeler;
        pb.inc(1);
    }
    pb.set_message("writing outputs");
    std::fs::create_dir_all(&args.out).map_err(|e| TrainError::io(&args.out, e))?;
    report.write_dir(&args.out)?;
    let spec = WindowSpec {
        window_bars: args.window_bars,
        ..WindowSpec::spec_t2()
    };
    for (sym, c) in &data.series {
        let r = StrategyReturns::compute(c, &strategies, &spec)?;
        r.write_csv(&args.out.join(format!("strategy_returns_{sym}.csv")))?;
    }
    let series: Vec<agent_core::plot::Series> = report
        .equity
        .iter()
        .map(|e| agent_core::plot::Series::from_values(e.strategy.clone(), &e.equity))
        .collect();
    agent_core::plot::line_chart(
        &args.out.join("equity.png"),
        "Equity by strategy",
        "bar",
        "equity",
        &series,
    )?;
    pb.inc(1);
    pb.finish_and_clear();
    if args.json {
        let rows: Vec<Value> = report
            .strategies
            .iter()
            .map(|s| {
                json!({
                    "strategy": s.strategy, "total_return": s.total_return, "sharpe": s.sharpe,
                    "max_drawdown": s.max_drawdown, "trades": s.trades, "win_rate": s.win_rate,
                    "fees": s.fees, "exposure": s.exposure,
                })
            })
            .collect();
        w(
            out,
            json!({"data": data.source, "out": args.out.display().to_string(), "strategies": rows})
                .to_string(),
        )?;
    } else {
        w(
            out,
            format!("Backtest of {} on {}", names.join(", "), data.source),
        )?;
        w(
            out,
            format!(
                "{:<14} {:>10} {:>9} {:>8} {:>7} {:>8} {:>10}",
                "strategy", "return", "sharpe", "max dd", "trades", "win", "fees"
            ),
        )?;
        for s in &report.strategies {
            w(
                out,
                format!(
                    "{:<14} {:>+9.2}% {:>9.4} {:>7.2}% {:>7} {:>7.1}% {:>10.2}",
                    s.strategy,
                    100.0 * s.total_return,
                    s.sharpe,
                    100.0 * s.max_drawdown,
                    s.trades,
                    100.0 * s.win_rate,
                    s.fees
                ),
            )?;
        }
        w(out, format!("Wrote {}", args.out.display()))?;
    }
    Ok(report)
}

/// Train `agents` (names or `all`) for a scheduled job or new tokens; one
/// line per published model.
pub fn run_agents(
    orch: &Orchestrator,
    agent_names: &[String],
    data: &DataSpec,
    symbol: Option<&str>,
    force: bool,
    promote: Option<PromoteRule>,
    device: crate::device::Device,
) -> String {
    let names: Vec<String> = if agent_names.iter().any(|a| a == "all") {
        agents::names()
    } else {
        agent_names.to_vec()
    };
    let mut lines = Vec::new();
    for a in names {
        let spec = JobSpec {
            agent: a.clone(),
            data: data.clone(),
            params: json!({}),
            symbol: symbol.map(str::to_string),
            force,
            promote,
            per_symbol: false,
            device,
        };
        match orch.train(&spec, &|_| {}) {
            Ok(published) => {
                for o in published {
                    lines.push(format!(
                        "{a} {}: {} ({})",
                        o.symbol,
                        o.summary,
                        if o.promoted {
                            "promoted".to_string()
                        } else {
                            format!("kept current: {}", o.reason.as_deref().unwrap_or("-"))
                        }
                    ))
                }
            }
            Err(e) => lines.push(format!("{a}: FAILED: {e}")),
        }
    }
    lines.join("; ")
}

/// Where the token watcher looks, if configured.
pub fn token_source(cfg: &Config) -> Option<crate::tokens::TokenSource> {
    use crate::tokens::TokenSource;
    if let Some(f) = &cfg.tokens.symbols_file {
        return Some(TokenSource::SymbolsFile(f.clone()));
    }
    cfg.tokens
        .watch_dir
        .clone()
        .or_else(|| cfg.data.candles_dir.clone())
        .map(TokenSource::CandleDir)
}

/// Start the token watcher: each new token retrains the configured agents
/// on its own candle files in the watched directory, published under its
/// symbol (a symbols file: on the configured data).
pub fn start_token_watcher(
    app: &App,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Option<std::thread::JoinHandle<()>>, TrainError> {
    let Some(source) = token_source(&app.config) else {
        return Ok(None);
    };
    let t = &app.config.tokens;
    let watcher = crate::tokens::TokenWatcher::new(
        source.clone(),
        t.registry_file.clone(),
        std::time::Duration::from_secs_f64(t.debounce_s.max(0.0)),
    )?;
    let orch = app.orch.clone();
    let agents = t.agents.clone();
    let fallback = app.config.data.spec();
    let symbol = app.config.data.symbol.clone();
    let on_new = Arc::new(move |tokens: Vec<String>| {
        eprintln!(
            "tokens: new {}; retraining {}",
            tokens.join(", "),
            agents.join(", ")
        );
        let files = source.candle_files();
        if files.is_empty() {
            // A symbols file brings no candles: retrain on the configured
            // data, under its symbol, as `schedule` does.
            let line = run_agents(
                &orch,
                &agents,
                &fallback,
                symbol.as_deref(),
                false,
                None,
                Default::default(),
            );
            eprintln!("tokens: {line}");
            return;
        }
        // Each new market trains on its own candle files (every timeframe
        // of it) and publishes under its own symbol.
        for token in &tokens {
            let paths: Vec<PathBuf> = files
                .iter()
                .filter(|p| crate::orchestrator::symbol_of(p) == *token)
                .cloned()
                .collect();
            if paths.is_empty() {
                continue;
            }
            let data = DataSpec::CsvFiles { paths };
            let line = run_agents(
                &orch,
                &agents,
                &data,
                Some(token),
                false,
                None,
                Default::default(),
            );
            eprintln!("tokens: {token}: {line}");
        }
    });
    Ok(Some(crate::tokens::watch(
        watcher,
        std::time::Duration::from_secs_f64(t.poll_s.max(0.05)),
        stop,
        on_new,
    )))
}

/// Ensure a directory exists (for `--out`).
pub fn ensure_dir(p: &Path) -> Result<(), TrainError> {
    std::fs::create_dir_all(p).map_err(|e| TrainError::io(p, e))
}

/// The walk-forward run the fold flags describe.
fn fold_config(args: &crate::cli::FoldArgs) -> crate::walk_forward::WalkForwardConfig {
    crate::walk_forward::WalkForwardConfig {
        train_days: args.train_days,
        test_days: args.test_days,
        step_days: args.step_days,
        from: args.from.clone(),
        to: args.to.clone(),
        agents: args.agents.clone(),
        fee: args.fee,
        slippage: args.slippage,
        strategies: args.strategies.clone(),
        random_seed: args.random_seed,
        per_symbol: args.per_symbol,
    }
}

/// The walk-forward options of `args` (agent parameters from the config).
pub fn fold_options(
    app: &App,
    args: &crate::cli::FoldArgs,
) -> Result<crate::walk_forward::WalkForwardOptions, TrainError> {
    fold_config(args).options(&app.orch.config().agent_params)
}

/// `walk-forward`.
pub fn walk_forward(
    app: &App,
    args: &crate::cli::WalkForwardArgs,
    out: &mut dyn Write,
) -> Result<(), TrainError> {
    use crate::walk_forward as wf;
    let opts = fold_options(app, &args.folds)?;
    let data = load_data(&app.data_spec(&args.folds.data))?;
    let folds = wf::plan(&data, &opts)?;
    let pb = progress_bar(args.json, folds.len() as u64, "walk-forward");
    pb.set_message(format!(
        "{} folds x {} series",
        folds.len(),
        data.series.len()
    ));
    let run = wf::run(&data, &opts, &args.out.join("work"), &|done, _| {
        pb.set_position(done as u64)
    });
    pb.finish_and_clear();
    let run = run?;
    let report = wf::report::report(&run)?;
    let files = wf::report::write(&report, &run, &args.out)?;
    if args.json {
        return w(out, wf::report::summary_json(&report, &run).to_string());
    }
    w(out, wf::report::table(&report))?;
    w(
        out,
        format!(
            "wrote {} files to {} (windows.csv, folds.csv, summary.csv, paired.csv, summary.json, PNGs)",
            files.len(),
            args.out.display()
        ),
    )
}

/// `sweep plan|run-shard|merge`.
pub fn sweep(
    app: &App,
    cmd: &crate::cli::SweepCommand,
    config: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> Result<(), TrainError> {
    use crate::cli::SweepCommand;
    use crate::sweep;
    // Shard results go to the remote store itself, or the shard fails and
    // its engine retries it: a result queued in this machine's cache would
    // count as done while no other machine can read it.
    let shard_store = || match &app.cached {
        Some(c) => c.remote(),
        None => app.orch.config().store.clone(),
    };
    match cmd {
        SweepCommand::Plan { folds, plan } => {
            let spec = app.data_spec(&folds.data);
            let sweep_config = match &app.config.sweep {
                Some(c) => c.clone(),
                None => sweep::SweepConfig {
                    walk_forward: Some(fold_config(folds)),
                    ..Default::default()
                },
            };
            let shards = sweep::plan(&spec, &sweep_config, &app.orch.config().agent_params)?;
            sweep::write_plan(&shards, plan)?;
            w(
                out,
                format!(
                    "wrote {} shards of plan {} to {}",
                    shards.len(),
                    shards[0].plan,
                    plan.display()
                ),
            )
        }
        SweepCommand::RunShard { plan, index } => {
            let shards = sweep::read_plan(plan)?;
            let shard = shards.get(*index).ok_or_else(|| {
                TrainError::Data(format!(
                    "the plan has {} shards; there is no shard {index}",
                    shards.len()
                ))
            })?;
            let store = shard_store();
            let work = app.orch.config().reports_dir.join("sweeps").join(&shard.id);
            let key = sweep::run_shard(shard, store.as_ref(), &work)?;
            w(out, format!("shard {index}: {} -> {key}", shard.id))
        }
        SweepCommand::Run { plan } => {
            let shards = sweep::read_plan(plan)?;
            let store = shard_store();
            let work = app.orch.config().reports_dir.join("sweeps");
            let pb = progress_bar(false, shards.len() as u64, "sweep");
            let failed = sweep::run_all(&shards, store.as_ref(), &work, &|n| {
                pb.set_position(n as u64)
            });
            pb.finish_and_clear();
            for (i, e) in &failed {
                w(out, format!("shard {i} FAILED: {e}"))?;
            }
            if failed.is_empty() {
                w(
                    out,
                    format!("ran {} shards; now `sweep merge`", shards.len()),
                )
            } else {
                Err(TrainError::Data(format!(
                    "{} of {} shards failed",
                    failed.len(),
                    shards.len()
                )))
            }
        }
        SweepCommand::Ray {
            plan,
            address,
            cpus_per_shard,
            gpus_per_shard,
            max_retries,
            timeout,
            python,
        } => {
            let python = python
                .clone()
                .or_else(|| std::env::var_os("COINTRAINER_PYTHON").map(Into::into))
                .unwrap_or_else(|| "python3".into());
            let run = sweep::RayRun {
                address: address.clone(),
                plan: plan.clone(),
                config: config.map(std::path::Path::to_path_buf),
                cpus_per_shard: *cpus_per_shard,
                gpus_per_shard: *gpus_per_shard,
                max_retries: *max_retries,
                timeout_s: *timeout,
                python,
            };
            let work = app.orch.config().reports_dir.join("sweeps");
            let mut lines = Vec::new();
            let result = sweep::run_on_ray(&run, &work, &mut |l| lines.push(l.to_string()));
            for l in &lines {
                w(out, l)?;
            }
            result
        }
        SweepCommand::Merge {
            plan,
            out: dir,
            no_publish,
            json,
        } => {
            let shards = sweep::read_plan(plan)?;
            let report = sweep::merge_report(&app.orch, &shards, dir, !no_publish)?;
            if *json {
                return w(out, report.json().to_string());
            }
            w(out, report.table())
        }
    }
}

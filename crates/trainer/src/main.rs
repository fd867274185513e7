//! `cointrainer`: see `cointrainer --help`.

use clap::Parser;
use cointrainer_trainer::bench::compare::{self, CompareOptions, parse_tasks};
use cointrainer_trainer::bench::{BenchContext, run_task};
use cointrainer_trainer::cli::{
    BenchArgs, Cli, Command, MarketCommand, ScheduleArgs, ServeArgs, TokensCommand,
};
use cointrainer_trainer::commands::{self, App};
use cointrainer_trainer::config::Config;
use cointrainer_trainer::market_cmd;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Market(MarketCommand::Synth(a)) => market_cmd::synth(a).map(|s| println!("{s}")),
        Command::Market(MarketCommand::Check(a)) => market_cmd::check(a).map(|s| println!("{s}")),
        Command::Bench(a) => bench(a),
        other => run_app(cli.config.as_deref(), other).map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_app(
    config: Option<&std::path::Path>,
    cmd: &Command,
) -> Result<(), cointrainer_trainer::error::TrainError> {
    let app = App::new(Config::load(config)?)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cmd {
        Command::Train(a) => commands::train(&app, a, &mut out).map(|_| ()),
        Command::Evaluate(a) => commands::evaluate(&app, a, &mut out),
        Command::Models(m) => commands::models(&app, m, &mut out),
        Command::Backtest(a) => commands::backtest(&app, a, &mut out).map(|_| ()),
        Command::WalkForward(a) => commands::walk_forward(&app, a, &mut out),
        Command::Sweep(c) => commands::sweep(&app, c, config, &mut out),
        Command::Serve(a) => serve_cmd(&app, a),
        Command::Schedule(a) => schedule_cmd(&app, a),
        Command::Menu => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            cointrainer_trainer::menu::run(&app, &mut input, &mut out)
        }
        Command::Tokens(TokensCommand::List) => {
            let reg =
                cointrainer_trainer::tokens::TokenRegistry::load(&app.config.tokens.registry_file)?;
            if reg.tokens.is_empty() {
                println!(
                    "no tokens recorded in {}",
                    app.config.tokens.registry_file.display()
                );
            }
            for (sym, r) in &reg.tokens {
                println!("{sym:<12} first seen {}  from {}", r.first_seen, r.source);
            }
            Ok(())
        }
        Command::Tokens(TokensCommand::Watch) => {
            let stop = Arc::new(AtomicBool::new(false));
            match commands::start_token_watcher(&app, stop)? {
                Some(h) => {
                    eprintln!("tokens: watching; Ctrl-C to stop");
                    let _ = h.join();
                    Ok(())
                }
                None => Err(cointrainer_trainer::error::TrainError::Config(
                    "no token source: set [tokens] watch_dir or symbols_file, or [data] candles_dir".into(),
                )),
            }
        }
        Command::Market(_) | Command::Bench(_) => Ok(()),
    }
}

fn serve_cmd(app: &App, a: &ServeArgs) -> Result<(), cointrainer_trainer::error::TrainError> {
    use cointrainer_trainer::error::TrainError;
    use cointrainer_trainer::jobs::DataRoots;
    use cointrainer_trainer::server::{ApiToken, ServerConfig, serve};
    let s = &app.config.server;
    let addr_text = a.addr.clone().unwrap_or_else(|| s.addr.clone());
    let addr = addr_text
        .parse()
        .map_err(|e| TrainError::Config(format!("server address `{addr_text}`: {e}")))?;
    let env_token = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|t| !t.is_empty())
            .map(ApiToken::new)
    };
    let token = env_token(&s.token_env);
    let read_token = env_token(&s.read_token_env);
    if token.is_none() && read_token.is_some() {
        return Err(TrainError::Config(format!(
            "${} (read-only token) is set but ${} is not: the read-only token needs the service token beside it",
            s.read_token_env, s.token_env
        )));
    }
    if token.is_none() && std::env::var_os("COINTRAINER_API_TOKEN").is_some() {
        eprintln!(
            "note: COINTRAINER_API_TOKEN is set but not read; the service's token variable is ${}",
            s.token_env
        );
    }
    let config = ServerConfig {
        addr,
        token,
        read_token,
        insecure_no_auth: a.insecure_no_auth,
        max_concurrent: a.max_concurrent.unwrap_or(s.max_concurrent),
        max_queue: s.max_queue,
        body_limit: s.body_limit_mb.saturating_mul(1024 * 1024),
        upload_dir: s.upload_dir.clone(),
        upload_cap: s.upload_cap_mb.saturating_mul(1024 * 1024),
        data_roots: DataRoots::new(app.config.data.candles_dir.iter().cloned().collect()),
        jobs_file: Some(
            s.jobs_file
                .clone()
                .unwrap_or_else(|| app.config.store.reports_dir.join("jobs.json")),
        ),
        grace: std::time::Duration::from_secs(s.grace_s),
    };
    let _recovery = app.start_recovery();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| TrainError::io("tokio runtime", e))?;
    let runner: Arc<dyn cointrainer_trainer::jobs::JobRunner> = app.orch.clone();
    let result = runtime.block_on(serve(runner, config));
    // Jobs cancelled at shutdown may still be inside a training step on a
    // blocking thread; they publish nothing, and the process does not wait.
    runtime.shutdown_background();
    result.map_err(TrainError::Config)
}

fn schedule_cmd(app: &App, a: &ScheduleArgs) -> Result<(), cointrainer_trainer::error::TrainError> {
    use cointrainer_trainer::error::TrainError;
    use cointrainer_trainer::schedule::{Scheduler, read_state, run_forever};
    let sc = &app.config.schedule;
    let state_file = sc
        .state_file
        .clone()
        .unwrap_or_else(|| app.config.store.reports_dir.join("schedule-state.json"));
    let now = chrono::Utc::now();
    let scheduler = Scheduler::new(&sc.jobs, sc.missed, &read_state(&state_file), now)
        .map_err(TrainError::Config)?;
    if a.list || sc.jobs.is_empty() {
        if sc.jobs.is_empty() {
            println!(
                "no [[schedule.jobs]] in the config; example:\n[[schedule.jobs]]\nname = \"nightly\"\ncron = \"0 3 * * *\"\nagents = [\"all\"]"
            );
        }
        for (job, next) in scheduler.jobs() {
            println!(
                "{:<16} {:<16} agents {:<30} next {}",
                job.name,
                job.cron,
                job.agents.join(","),
                next.map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "never".into())
            );
        }
        return Ok(());
    }
    let _recovery = app.start_recovery();
    let stop = Arc::new(AtomicBool::new(false));
    let _watcher = commands::start_token_watcher(app, stop.clone())?;
    let orch = app.orch.clone();
    let data = app.config.data.spec();
    let default_symbol = app.config.data.symbol.clone();
    let run_job = Arc::new(move |job: &cointrainer_trainer::config::ScheduledJob| {
        let symbol = job.symbol.clone().or_else(|| default_symbol.clone());
        commands::run_agents(
            &orch,
            &job.agents,
            &data,
            symbol.as_deref(),
            job.force,
            job.promote,
            job.device,
        )
    });
    run_forever(scheduler, state_file, stop, run_job);
    Ok(())
}

fn bench(args: &BenchArgs) -> Result<(), String> {
    let tasks = parse_tasks(&args.task).map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    if let Some(python) = &args.compare {
        let opts = CompareOptions {
            python: python.clone(),
            exe,
            peer_dir: args.peer_dir.clone(),
            data_dir: args.data_dir.clone(),
            raw_dir: args.raw_dir.clone(),
            threads: args.threads,
            seed: args.seed,
            device: args.device,
            tasks,
            pairs: args.pairs as usize,
            reruns: args.reruns as usize,
            idle_wait: std::time::Duration::from_secs(60),
            json: args.json,
            out: args.out.clone(),
        };
        let results =
            compare::run(&opts, &mut std::io::stdout().lock()).map_err(|e| e.to_string())?;
        let failed: Vec<&str> = results
            .iter()
            .filter(|c| matches!(c.outcome, compare::TaskOutcome::Failed(_)))
            .map(|c| c.task)
            .collect();
        return if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("comparison failed for {}", failed.join(", ")))
        };
    }
    let ctx = BenchContext {
        data_dir: args.data_dir.clone(),
        raw_dir: args.raw_dir.clone(),
        threads: args.threads,
        seed: args.seed,
        device: args.device,
    };
    if let [task] = tasks[..]
        && !args.task.is_empty()
    {
        let line = run_task(task, &ctx).map_err(|e| e.to_string())?;
        println!("{line}");
        return Ok(());
    }
    // SPEC 0.1: each task in its own process, one after the other.
    let mut failed = Vec::new();
    for task in tasks {
        let status = std::process::Command::new(&exe)
            .arg("bench")
            .arg("--task")
            .arg(task)
            .arg("--data-dir")
            .arg(&args.data_dir)
            .arg("--raw-dir")
            .arg(&args.raw_dir)
            .arg("--threads")
            .arg(args.threads.to_string())
            .arg("--seed")
            .arg(args.seed.to_string())
            .arg("--device")
            .arg(args.device.to_string())
            .status()
            .map_err(|e| format!("cannot start task {task}: {e}"))?;
        if !status.success() {
            failed.push(task);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("tasks failed: {}", failed.join(", ")))
    }
}

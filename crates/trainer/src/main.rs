//! `cointrainer`: see `cointrainer --help`.

use clap::Parser;
use cointrainer_trainer::bench::{BenchContext, TASKS, run_task};
use cointrainer_trainer::cli::{BenchArgs, Cli, Command, MarketCommand};
use cointrainer_trainer::market_cmd;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Market(MarketCommand::Synth(a)) => market_cmd::synth(a).map(|s| println!("{s}")),
        Command::Market(MarketCommand::Check(a)) => market_cmd::check(a).map(|s| println!("{s}")),
        Command::Bench(a) => bench(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &BenchArgs) -> Result<(), String> {
    let ctx = BenchContext {
        data_dir: args.data_dir.clone(),
        raw_dir: args.raw_dir.clone(),
        threads: args.threads,
    };
    if let Some(task) = &args.task {
        let task = task.to_ascii_uppercase();
        let line = run_task(&task, &ctx).map_err(|e| e.to_string())?;
        println!("{line}");
        return Ok(());
    }
    // SPEC 0.1: each task in its own process, one after the other.
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    let mut failed = Vec::new();
    for task in TASKS {
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

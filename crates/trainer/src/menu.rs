//! The interactive console menu: numbered choices read one per line, so it
//! works in a terminal and with piped input (`printf '1\n2\n0\n' | cointrainer menu`).

use crate::agents;
use crate::cli::{BacktestArgs, DataArgs, ModelsCommand, TrainArgs};
use crate::commands::{self, App};
use crate::error::TrainError;
use std::io::{BufRead, Write};

fn say(out: &mut dyn Write, s: impl AsRef<str>) -> Result<(), TrainError> {
    writeln!(out, "{}", s.as_ref()).map_err(|e| TrainError::io("<stdout>", e))
}

/// Read one trimmed line; `None` at end of input.
fn ask(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    prompt: &str,
) -> Result<Option<String>, TrainError> {
    write!(out, "{prompt}").map_err(|e| TrainError::io("<stdout>", e))?;
    out.flush().map_err(|e| TrainError::io("<stdout>", e))?;
    let mut line = String::new();
    let n = input
        .read_line(&mut line)
        .map_err(|e| TrainError::io("<stdin>", e))?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim().to_string()))
}

/// Pick an agent by number or name.
fn pick_agent(input: &mut dyn BufRead, out: &mut dyn Write) -> Result<Option<String>, TrainError> {
    let names = agents::names();
    for (i, a) in agents::all().iter().enumerate() {
        say(
            out,
            format!("  {}) {:<14} {}", i + 1, a.name(), a.describe()),
        )?;
    }
    loop {
        let Some(line) = ask(input, out, "agent number (empty to go back): ")? else {
            return Ok(None);
        };
        if line.is_empty() {
            return Ok(None);
        }
        if let Ok(k) = line.parse::<usize>()
            && (1..=names.len()).contains(&k)
        {
            return Ok(Some(names[k - 1].clone()));
        }
        if names.contains(&line) {
            return Ok(Some(line));
        }
        say(
            out,
            format!("`{line}` is not a choice; type 1 to {}", names.len()),
        )?;
    }
}

const MENU: &str = "\
cointrainer menu
  1) Train one agent
  2) Train all agents
  3) List current models
  4) Roll back a model
  5) Backtest the strategies
  0) Quit";

/// Run the menu until `0`, `q` or end of input.
pub fn run(app: &App, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), TrainError> {
    let no_data = DataArgs {
        data: Vec::new(),
        seed: None,
        bars: None,
    };
    loop {
        say(out, MENU)?;
        let Some(choice) = ask(input, out, "choice: ")? else {
            return Ok(());
        };
        let result = match choice.as_str() {
            "0" | "q" | "quit" | "exit" => return Ok(()),
            "1" | "2" => {
                let agent = if choice == "1" {
                    match pick_agent(input, out)? {
                        Some(a) => a,
                        None => continue,
                    }
                } else {
                    "all".to_string()
                };
                let args = TrainArgs {
                    agent,
                    data: no_data.clone(),
                    symbol: None,
                    params: None,
                    params_file: None,
                    force: false,
                    promote: None,
                    per_symbol: false,
                    device: Default::default(),
                    json: false,
                };
                commands::train(app, &args, out).map(|_| ())
            }
            "3" => commands::models(app, &ModelsCommand::List { json: false }, out),
            "4" => match pick_agent(input, out)? {
                Some(agent) => commands::default_symbol(app).and_then(|symbol| {
                    commands::models(app, &ModelsCommand::Rollback { agent, symbol }, out)
                }),
                None => continue,
            },
            "5" => {
                let args = BacktestArgs {
                    data: no_data.clone(),
                    strategies: Vec::new(),
                    out: app.config.store.reports_dir.join("backtest"),
                    fee_bps: 10.0,
                    slippage_bps: 0.0,
                    fraction: 1.0,
                    stop_loss: None,
                    take_profit: None,
                    window_bars: 24,
                    json: false,
                    model_symbol: None,
                    lstm_threshold: 0.0,
                    regime_agent: false,
                };
                commands::backtest(app, &args, out).map(|_| ())
            }
            "" => continue,
            other => {
                say(out, format!("`{other}` is not a choice"))?;
                continue;
            }
        };
        // A failed action is reported and the menu goes on.
        if let Err(e) = result {
            say(out, format!("error: {e}"))?;
        }
    }
}

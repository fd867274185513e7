//! Command-line interface of `cointrainer`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// cointrainer trains, persists and serves the machine-learning agents of a
/// crypto trading bot. Every command runs with zero setup on the embedded
/// synthetic market; point it at your own candle CSVs
/// (`timestamp,open,high,low,close,volume`, epoch ms) when you are ready.
#[derive(Debug, Parser)]
#[command(name = "cointrainer", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Candle data: generate the synthetic market or validate a CSV.
    #[command(subcommand)]
    Market(MarketCommand),
    /// Run the side-by-side benchmark suite (shared/bench/SPEC.md), one JSON line per task.
    Bench(BenchArgs),
}

#[derive(Debug, Subcommand)]
pub enum MarketCommand {
    /// Generate the seeded synthetic market (regime-switching volatility), print a
    /// summary and write it as a candle CSV.
    Synth(SynthArgs),
    /// Validate a candle CSV: report its span, bar interval and gaps, or the exact
    /// line and column of the first problem.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Random seed: the same seed always gives the same candles.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of bars to generate.
    #[arg(long, default_value_t = 20_000)]
    pub bars: usize,
    /// Bar interval, e.g. 5m, 15m, 1h, 4h, 1d.
    #[arg(long, default_value = "1h")]
    pub interval: String,
    /// Where to write the CSV.
    #[arg(long, short, default_value = "synthetic-market.csv")]
    pub out: PathBuf,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The candle CSV to validate.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Run only this task (T0..T7); without it every task runs, each in its own process.
    #[arg(long)]
    pub task: Option<String>,
    /// The prepared benchmark datasets.
    #[arg(long, default_value = "../shared/bench/datasets")]
    pub data_dir: PathBuf,
    /// The raw candle files (BTCUSDT-1h.csv).
    #[arg(long, default_value = "../shared/data")]
    pub raw_dir: PathBuf,
    /// Compute threads per task (the SPEC allows at most 2).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// Parse a bar interval like `5m`, `1h`, `1d` into milliseconds.
pub fn parse_interval(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("interval `{s}`: expected a number followed by s, m, h or d"))?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("interval `{s}`: unit must be s, m, h or d")),
    };
    if n <= 0 {
        return Err(format!("interval `{s}` must be positive"));
    }
    Ok(n * unit_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_and_bad_ones_explain() {
        assert_eq!(parse_interval("5m"), Ok(300_000));
        assert_eq!(parse_interval("1h"), Ok(3_600_000));
        assert!(parse_interval("h").unwrap_err().contains("number"));
        assert!(parse_interval("3w").unwrap_err().contains("unit"));
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

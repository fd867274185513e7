//! Command-line interface of `cointrainer`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// cointrainer trains, persists and serves the machine-learning agents of a
/// crypto trading bot. Every command runs with zero setup on the embedded
/// synthetic market; point it at your own candle CSVs
/// (`timestamp,open,high,low,close,volume`, epoch ms) when you are ready.
///
/// Settings come from `cointrainer.toml` (or `--config FILE`, or
/// `$COINTRAINER_CONFIG`); a missing file means defaults. Models go to
/// `cointrainer-data/models`, training reports to `cointrainer-data/reports`
/// unless configured otherwise. See docs/cli.md.
#[derive(Debug, Parser)]
#[command(name = "cointrainer", version, propagate_version = true)]
pub struct Cli {
    /// Config file (TOML). Default: ./cointrainer.toml when it exists.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train an agent (or `all`): load candles, run the backtest bootstrap
    /// when the agent needs strategy returns, train on the first part of the
    /// data, score on the held-out rest, save the artifact and a report, then
    /// publish it and make it current unless it scores worse than the
    /// current model (override with --force).
    Train(TrainArgs),
    /// Score a saved model (the current one of a symbol, or an artifact
    /// directory) on candle data, without changing anything.
    Evaluate(EvaluateArgs),
    /// Inspect and manage published models: list, show, promote, rollback.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Backtest the rule-based strategies on candle CSVs (or the synthetic
    /// market): summary table, trade log, strategy_pnl.csv, per-window
    /// returns, equity curves and an equity PNG.
    Backtest(BacktestArgs),
    /// Walk-forward evaluation: retrain the agents on a trailing window,
    /// trade the next period bar by bar with the bot's live code, move on;
    /// compare the selectors with buy-and-hold, the best strategy chosen on
    /// the training window, a regime-gated choice and a random one, with a
    /// paired bootstrap test. Writes CSVs, PNG plots and summary.json.
    WalkForward(WalkForwardArgs),
    /// Cut trainings over grids (agent x symbol x timeframe x grid point,
    /// `[sweep]` of the config) and walk-forward folds into shards that any
    /// engine can run: `plan` writes one JSON line per shard, `run-shard`
    /// runs one and puts its result in the configured store (`run`: all
    /// here; `ray`: on a Ray cluster), `merge` chooses, promotes and reports.
    #[command(subcommand)]
    Sweep(SweepCommand),
    /// Serve the HTTP training API (POST /train_model, GET /jobs/{id},
    /// /models, /healthz, /metrics). Bearer token from $COINTRAINER_TOKEN
    /// (or the variable named by server.token_env); without one the service
    /// does not start, except on a loopback address with --insecure-no-auth.
    Serve(ServeArgs),
    /// Run the cron schedule of the config file ([[schedule.jobs]]) until
    /// interrupted; also watches for new tokens when `[tokens]` names a source.
    Schedule(ScheduleArgs),
    /// Interactive console menu (numbered choices, one per line; works with
    /// piped input).
    Menu,
    /// The token registry: list known tokens or watch for new ones.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Candle data: generate the synthetic market or validate a CSV.
    #[command(subcommand)]
    Market(MarketCommand),
    /// Run the side-by-side benchmark suite (shared/bench/SPEC.md), one JSON line per task.
    Bench(BenchArgs),
}

/// Where a command's candles come from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Candle CSV file(s); without any, the configured data or the
    /// synthetic market.
    #[arg(long = "data", value_name = "FILE", num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Synthetic market seed (when no --data).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Synthetic market size in bars (when no --data).
    #[arg(long)]
    pub bars: Option<usize>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Agent name (regime, signal, ou-mean, linucb, meta-selector, ppo, lstm) or `all`.
    pub agent: String,
    #[command(flatten)]
    pub data: DataArgs,
    /// Symbol the model is published under (default: `[data] symbol`, else
    /// the symbol the candle files are of; synthetic data always publishes
    /// under `_synthetic`).
    #[arg(long)]
    pub symbol: Option<String>,
    /// Agent parameters as a JSON object, e.g. '{"alpha": 0.5}'; overrides
    /// `[agents.<name>]` of the config key by key. With `all`, an object of
    /// objects keyed by agent name.
    #[arg(long, conflicts_with = "params_file")]
    pub params: Option<String>,
    /// Read --params from a JSON file.
    #[arg(long, value_name = "FILE")]
    pub params_file: Option<PathBuf>,
    /// Make the new model current even when it scores worse (the same as
    /// `--promote always`).
    #[arg(long)]
    pub force: bool,
    /// How the new model becomes current. `same-slice` (default): the
    /// current model and the new one are scored on the new one's test
    /// slice of the same data; for trading-return metrics (ppo, linucb,
    /// meta-selector, ou-mean) only a significant improvement in a paired
    /// test over the slice's windows promotes. `stored-metric`: compare the
    /// metric each stored when trained (different test periods).
    /// `always`, `never`: as named.
    #[arg(long, value_enum, value_name = "RULE")]
    pub promote: Option<crate::promotion::PromoteRule>,
    /// With candle files of several symbols: train linucb, meta-selector and
    /// ppo once per symbol instead of once on all symbols pooled (agents
    /// that learn one price path always train once per symbol).
    #[arg(long)]
    pub per_symbol: bool,
    /// Where to train: `cpu` (default), `cuda[:N]`, `rocm[:N]` or `wgpu`.
    /// lstm and ppo run on a GPU through burn, regime and meta-selector
    /// through LightGBM's CUDA learner; the other agents run on the CPU only.
    /// A device this build has no backend for is an error naming the cargo
    /// feature to build with.
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    pub device: crate::device::Device,
    /// Print one JSON object per agent instead of text (no progress bars).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Agent name.
    pub agent: String,
    /// An artifact directory (e.g. a report's model/); default: the
    /// current model of --symbol.
    #[arg(long, value_name = "DIR", conflicts_with = "symbol")]
    pub model: Option<PathBuf>,
    /// Symbol whose current model to score (default: `[data] symbol`, else
    /// the symbol the data is of; `_synthetic` for synthetic data).
    #[arg(long)]
    pub symbol: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Every current model: agent, symbol, key, metrics.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Current pointer, history and stored versions of one agent and symbol.
    Show {
        agent: String,
        /// The market (`BTCUSDT`), or `_synthetic` for models trained on
        /// the synthetic market.
        #[arg(long)]
        symbol: String,
    },
    /// Make a stored version (its registry key, see `show`) current.
    Promote {
        key: String,
        /// The market the key is made current for.
        #[arg(long)]
        symbol: String,
    },
    /// Make the previous current model current again.
    Rollback {
        agent: String,
        /// The market (`BTCUSDT`), or `_synthetic` for models trained on
        /// the synthetic market.
        #[arg(long)]
        symbol: String,
    },
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Comma-separated strategies: buy_hold, sma_cross, ema_cross,
    /// zscore_mr, breakout_24, rsi_rev, momentum_24, and the agent-driven
    /// ou_mean_rev (the current ou-mean model's settings, or its defaults
    /// when none is published) and lstm (needs a published lstm model:
    /// `cointrainer train lstm`). Default: the five SPEC T2 strategies.
    #[arg(long, value_delimiter = ',')]
    pub strategies: Vec<String>,
    /// Symbol whose published agent models drive ou_mean_rev and lstm.
    /// Default: the symbol the data is of (its file names, `[data] symbol`,
    /// or `_synthetic` for the synthetic market).
    #[arg(long)]
    pub model_symbol: Option<String>,
    /// Label each trade's regime at entry with the regime agent, trained on
    /// each symbol's training span (the first 80% of its bars), instead of
    /// the volatility-tercile rule.
    #[arg(long)]
    pub regime_agent: bool,
    /// The lstm bot goes long above +threshold and short below -threshold
    /// (in the model's target unit; T6 models predict percent log returns).
    #[arg(long, default_value_t = 0.0)]
    pub lstm_threshold: f64,
    /// Output directory.
    #[arg(long, default_value = "backtest-out")]
    pub out: PathBuf,
    /// Fee per side in basis points.
    #[arg(long, default_value_t = 10.0)]
    pub fee_bps: f64,
    /// Slippage per side in basis points.
    #[arg(long, default_value_t = 0.0)]
    pub slippage_bps: f64,
    /// Fraction of equity per position.
    #[arg(long, default_value_t = 1.0)]
    pub fraction: f64,
    /// Stop-loss as a fraction of the entry price (e.g. 0.03).
    #[arg(long)]
    pub stop_loss: Option<f64>,
    /// Take-profit as a fraction of the entry price.
    #[arg(long)]
    pub take_profit: Option<f64>,
    /// Bars per window of the per-window returns.
    #[arg(long, default_value_t = 24)]
    pub window_bars: usize,
    /// Print the summary as JSON (no progress bar).
    #[arg(long)]
    pub json: bool,
}

/// The folds of a walk-forward run: data, windows, agents, strategies, costs.
#[derive(Debug, Clone, Args)]
pub struct FoldArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Days of the trailing training window of each fold.
    #[arg(long, default_value_t = 90)]
    pub train_days: u32,
    /// Days each fold trades before the agents are retrained.
    #[arg(long, default_value_t = 30)]
    pub test_days: u32,
    /// Days between retrains (default: --test-days, back-to-back test periods).
    #[arg(long)]
    pub step_days: Option<u32>,
    /// First day traded (YYYY-MM-DD, UTC); default: one training window
    /// after the first bar.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<String>,
    /// Trade until this day (YYYY-MM-DD, UTC, exclusive); default: the last bar.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<String>,
    /// Comma-separated agents: regime, signal, ou-mean, lstm, linucb,
    /// meta-selector, ppo (default: all). signal, ou-mean and lstm trade as
    /// their bots; regime gates; linucb, meta-selector and ppo choose a
    /// strategy per 24-bar window.
    #[arg(long, value_delimiter = ',')]
    pub agents: Vec<String>,
    /// Fee per unit of position change (0.001 = 0.1%).
    #[arg(long, default_value_t = 0.001)]
    pub fee: f64,
    /// Slippage per unit of position change, charged like the fee.
    #[arg(long, default_value_t = 0.0)]
    pub slippage: f64,
    /// Comma-separated strategies the bot has (default: all): buy_hold,
    /// sma_cross, zscore_mr, breakout_24, rsi_rev, momentum_24, and the
    /// bots ou_mean_rev, lstm, signal (those need their agent in --agents).
    #[arg(long, value_delimiter = ',')]
    pub strategies: Vec<String>,
    /// Seed of the random baseline.
    #[arg(long, default_value_t = 42)]
    pub random_seed: u64,
    /// Each symbol on its own: every fold trains and trades each symbol's
    /// series alone instead of all series pooled (and `sweep plan` makes one
    /// shard per symbol and fold).
    #[arg(long)]
    pub per_symbol: bool,
}

#[derive(Debug, Args)]
pub struct WalkForwardArgs {
    #[command(flatten)]
    pub folds: FoldArgs,
    /// Output directory (CSVs, PNGs, summary.json; the fold models under work/).
    #[arg(long, default_value = "walk-forward-out")]
    pub out: PathBuf,
    /// Print one JSON summary on stdout instead of the table (no progress bar).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Cut a sweep into shards, one JSON line each with a stable id: with a
    /// `[sweep]` section in the config file, its trainings (agent x symbol x
    /// timeframe x grid point) and its `[sweep.walk_forward]` folds; without
    /// one, the walk-forward run the fold flags describe (one shard per
    /// fold). `--data`/`--seed`/`--bars` choose the data either way.
    Plan {
        #[command(flatten)]
        folds: FoldArgs,
        /// The plan file to write (JSON lines).
        #[arg(long, visible_alias = "out", value_name = "FILE")]
        plan: PathBuf,
    },
    /// Run shard N of a plan and put its result in the configured store,
    /// under a key derived from the shard id (running it twice, or on two
    /// workers at once, leaves one complete result).
    RunShard {
        #[arg(long, value_name = "FILE")]
        plan: PathBuf,
        #[arg(long)]
        index: usize,
    },
    /// Run every shard of a plan here, one after another (the
    /// single-machine engine), into the configured store; then `merge`.
    Run {
        #[arg(long, value_name = "FILE")]
        plan: PathBuf,
    },
    /// Run every shard of a plan on a Ray cluster (`ray start --head` on
    /// one machine, `ray start --address ...` on the others): the shipped
    /// driver maps shard indices to `run-shard` calls of this binary, with
    /// per-shard resources and retries of shards whose worker died. Then
    /// run `merge`.
    Ray {
        #[arg(long, value_name = "FILE")]
        plan: PathBuf,
        /// The cluster's address, e.g. 127.0.0.1:6379.
        #[arg(long)]
        address: String,
        #[arg(long, default_value_t = 1.0)]
        cpus_per_shard: f64,
        #[arg(long, default_value_t = 0.0)]
        gpus_per_shard: f64,
        /// Retries of a shard whose worker process died or whose cointrainer
        /// process was killed by a signal (e.g. out of memory).
        #[arg(long, default_value_t = 3)]
        max_retries: u32,
        /// Seconds for the whole sweep (0: no limit).
        #[arg(long, default_value_t = 0.0)]
        timeout: f64,
        /// Python with `ray` installed (default: $COINTRAINER_PYTHON, else python3).
        #[arg(long)]
        python: Option<PathBuf>,
    },
    /// Collect every shard's result from the store (names the shards that
    /// are missing) into one report: per agent and symbol, the grid point
    /// with the best validation score, offered to the registry through the
    /// same champion/challenger rule as `train`; `trainings.csv`; the
    /// walk-forward report of the folds (the same files as `walk-forward
    /// --out`).
    Merge {
        #[arg(long, value_name = "FILE")]
        plan: PathBuf,
        #[arg(long, default_value = "sweep-out")]
        out: PathBuf,
        /// Choose and report, but publish nothing.
        #[arg(long)]
        no_publish: bool,
        /// Print the JSON summary instead of the table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address (default from config: 127.0.0.1:5000).
    #[arg(long)]
    pub addr: Option<String>,
    /// Jobs training at once.
    #[arg(long)]
    pub max_concurrent: Option<usize>,
    /// Serve without a bearer token. Only allowed on a loopback address
    /// (127.0.0.1, ::1): anyone who can reach the port could otherwise train
    /// and publish models.
    #[arg(long)]
    pub insecure_no_auth: bool,
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Print the jobs and their next fire times, then exit.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Tokens in the registry file.
    List,
    /// Watch the configured source and retrain on new tokens until interrupted.
    Watch,
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
    /// The task(s) to run (T0..T7; repeat or separate with commas); without
    /// it every task runs. Several tasks run each in its own process.
    #[arg(long, value_delimiter = ',')]
    pub task: Vec<String>,
    /// The prepared benchmark datasets.
    #[arg(long, default_value = "../shared/bench/datasets")]
    pub data_dir: PathBuf,
    /// The raw candle files (BTCUSDT-1h.csv).
    #[arg(long, default_value = "../shared/data")]
    pub raw_dir: PathBuf,
    /// Compute threads per task (the SPEC allows at most 2).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Seed of the randomised tasks (T4's PPO, T6's LSTM); the SPEC's is 0.
    /// RL results vary by seed, so compare several seeds on both sides.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where T4 and T6 train, as `train --device` (`cpu`, the SPEC's, by
    /// default); the other tasks run on the CPU only. With --compare the
    /// peers of T4 and T6 run on the same GPU (PyTorch's `cuda:N`).
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    pub device: crate::device::Device,
    /// Compare with the Python peers run by this interpreter: Rust and peer
    /// runs interleaved, each in its own process, and the median speed
    /// ratio per task.
    #[arg(long, value_name = "PYTHON")]
    pub compare: Option<PathBuf>,
    /// Interleaved pairs (Rust run, peer run) per task with --compare.
    #[arg(
        long,
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..),
        requires = "compare"
    )]
    pub pairs: u32,
    /// Re-runs of a run that was not quiet, after waiting for an idle
    /// machine (--compare); a run still not quiet is counted as such.
    #[arg(long, default_value_t = 2, requires = "compare")]
    pub reruns: u32,
    /// The peer scripts (--compare).
    #[arg(long, default_value = "benches/peer", requires = "compare")]
    pub peer_dir: PathBuf,
    /// With --compare: one JSON line per task and a summary line.
    #[arg(long, requires = "compare")]
    pub json: bool,
    /// With --compare: write every run's result line here (JSON lines).
    #[arg(long, value_name = "FILE", requires = "compare")]
    pub out: Option<PathBuf>,
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

//! The whole-bot bootstrap on two synthetic symbols: pooled returns of the
//! rule and agent strategies split by time, agent models that learnt from
//! the training span only, and the selection agents training on the table.

use backtest::StrategyReturns;
use cointrainer_trainer::agents::{self, MarketData, TrainCtx};
use cointrainer_trainer::bootstrap::{BootstrapOptions, bootstrap};
use market::{Candles, SyntheticMarket};
use serde_json::{Map, Value, json};

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_672_531_200_000;

fn series(seed: u64, bars: usize, start_ts: i64) -> Candles {
    SyntheticMarket::new()
        .seed(seed)
        .bars(bars)
        .start_ts(start_ts)
        .generate()
        .unwrap()
        .candles
}

fn market(btc: Candles, eth: Candles) -> MarketData {
    MarketData {
        series: vec![("BTCUSDT".into(), btc), ("ETHUSDT".into(), eth)],
        source: "two synthetic markets".into(),
        provenance: agent_core::Provenance::Synthetic {
            generator: "test".into(),
            seed: 1,
            params: json!({}),
        },
    }
}

fn two_symbols() -> MarketData {
    market(series(1, 2400, T0), series(2, 2400, T0 + 300 * HOUR))
}

fn run(data: &MarketData) -> (StrategyReturns, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let r = bootstrap(data, &BootstrapOptions::default(), dir.path()).unwrap();
    (r, dir)
}

#[test]
fn two_symbols_pool_into_one_table_split_by_time() {
    let (r, dir) = run(&two_symbols());
    for s in [
        "buy_hold",
        "sma_cross",
        "zscore_mr",
        "breakout_24",
        "rsi_rev",
        "momentum_24",
        "ou_mean_rev",
        "lstm",
        "signal",
    ] {
        assert!(
            r.strategies.iter().any(|x| x == s),
            "{s} in {:?}",
            r.strategies
        );
    }
    for sym in ["BTCUSDT", "ETHUSDT"] {
        assert!(
            r.symbol[..r.n_train].iter().any(|s| s == sym),
            "{sym} train"
        );
        assert!(r.symbol[r.n_train..].iter().any(|s| s == sym), "{sym} test");
    }
    let last_train_end = r.end_ts[..r.n_train].iter().max().unwrap();
    let first_test_start = r.start_ts[r.n_train..].iter().min().unwrap();
    assert!(first_test_start > last_train_end);
    // The agent bots traded somewhere (a model that never trades would
    // leave its column all zero).
    for s in ["ou_mean_rev", "lstm", "signal"] {
        let k = r.strategies.iter().position(|x| x == s).unwrap();
        assert!(r.returns.iter().any(|w| w[k] != 0.0), "{s} never traded");
    }
    for f in ["strategy_returns.csv", "trades.csv", "strategy_pnl.csv"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    let back = StrategyReturns::read_csv(&dir.path().join("strategy_returns.csv")).unwrap();
    assert_eq!(back, r);
    let trades = backtest::read_trades(&dir.path().join("trades.csv")).unwrap();
    for sym in ["BTCUSDT", "ETHUSDT"] {
        assert!(trades.iter().any(|t| t.symbol == sym), "{sym} trades");
    }
    let by_series = std::fs::read_to_string(dir.path().join("strategy_pnl_by_series.csv")).unwrap();
    assert!(by_series.starts_with("symbol,timeframe,regime,strategy,"));
    for sym in ["BTCUSDT", "ETHUSDT"] {
        let n: usize = by_series
            .lines()
            .filter(|l| l.starts_with(&format!("{sym},1h,")))
            .map(|l| l.split(',').nth(4).unwrap().parse::<usize>().unwrap())
            .sum();
        let expected = trades.iter().filter(|t| t.symbol == sym).count();
        assert_eq!(n, expected, "{sym}: trades counted per series");
    }
}

#[test]
fn bars_after_the_cut_change_no_training_row() {
    let data = two_symbols();
    let (r, _d) = run(&data);
    let cut = *r.end_ts[..r.n_train].iter().max().unwrap();
    // Every bar after the cut, in both series, scrambled (times kept).
    let scramble = |c: &Candles| {
        let mut d = c.clone();
        for i in 0..d.len() {
            if d.ts[i] > cut {
                let f = if i % 2 == 0 { 1.04 } else { 0.97 };
                d.open[i] *= f;
                d.close[i] *= f * f;
                d.high[i] = d.high[i].max(d.open[i]).max(d.close[i]) * 1.01;
                d.low[i] = d.low[i].min(d.open[i]).min(d.close[i]) * 0.99;
                d.volume[i] *= 3.0;
            }
        }
        d
    };
    let other = market(scramble(&data.series[0].1), scramble(&data.series[1].1));
    let (r2, _d2) = run(&other);
    assert_eq!(r2.n_train, r.n_train);
    let n = r.n_train;
    assert_eq!(r2.strategies, r.strategies);
    assert_eq!((r2.q1, r2.q2), (r.q1, r.q2));
    for w in 0..n {
        assert_eq!(
            r2.returns[w], r.returns[w],
            "train window {w} ({})",
            r.symbol[w]
        );
        assert_eq!(r2.ctx[w], r.ctx[w]);
    }
    assert_ne!(
        r2.returns[n..],
        r.returns[n..],
        "the scramble reached the test rows"
    );
}

fn params(agent: &str) -> Map<String, Value> {
    let v = match agent {
        "linucb" => json!({}),
        "meta-selector" => json!({"learning_rates": [0.1], "num_leaves": [7], "max_rounds": 30}),
        "ppo" => json!({"total_timesteps": 512, "n_steps": 64, "batch_size": 64, "n_envs": 2,
            "n_epochs": 1, "net_arch": {"pi": [16], "vf": [16]}}),
        other => panic!("no test settings for {other}"),
    };
    v.as_object().unwrap().clone()
}

#[test]
fn selection_agents_train_on_the_pooled_table() {
    // Short series: more training windows in all than a default PPO
    // episode (64), but fewer in any one series, so the episode must be
    // shortened to fit one symbol.
    let data = market(series(1, 1300, T0), series(2, 1300, T0 + 300 * HOUR));
    let (r, _d) = run(&data);
    assert!(r.n_train > 64, "{} training windows", r.n_train);
    for name in ["linucb", "meta-selector", "ppo"] {
        let agent = agents::get(name).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = params(name);
        let ctx = TrainCtx {
            data: &data,
            returns: Some(&r),
            params: &p,
            out_dir: dir.path(),
            progress: &|_| {},
            device: Default::default(),
        };
        let trained = agent.train(&ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (metric, _) = agent.promote_metric();
        let v = trained.metrics.get(metric).and_then(Value::as_f64);
        assert!(v.is_some_and(f64::is_finite), "{name}: {metric} = {v:?}");
    }
}

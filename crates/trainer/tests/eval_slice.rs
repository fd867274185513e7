//! Every agent records the span of its test metrics (`test_from_ts`,
//! `test_to_ts`) and scores a saved model on a given slice of the data, with
//! per-row paired scores: evaluated on its own test span, a model gives back
//! its stored test metric (where the evaluation is comparable), one paired
//! score per scored row, all inside the slice.

use agent_core::persist::{read_dir, to_blob};
use backtest::StrategyReturns;
use cointrainer_trainer::agents::{
    self, AgentTrainer, Bootstrap, EvalSlice, Evaluation, MarketData, TrainCtx, Trained,
};
use cointrainer_trainer::jobs::DataSpec;
use cointrainer_trainer::orchestrator::load_data;
use serde_json::{Map, Value, json};

const BARS: usize = 3_000;

fn market() -> (MarketData, StrategyReturns) {
    let data = load_data(&DataSpec::Synthetic {
        seed: 11,
        bars: BARS,
    })
    .unwrap();
    let returns = backtest::spec_t2_strategy_returns(data.primary().unwrap().1).unwrap();
    (data, returns)
}

/// Tiny settings per agent, so the whole file runs in seconds.
fn params(agent: &str) -> Map<String, Value> {
    let v = match agent {
        "signal" => json!({"cs": [0.1, 1.0], "l1_ratios": [0.0], "n_splits": 3}),
        "regime" => json!({"num_leaves": [7], "n_estimators": [20]}),
        "ou-mean" => json!({"window": 200, "refit_every": 50,
            "grid": {"adf_pvalue_max": [0.1], "hurst_max": [0.5], "entry_z": [2.0], "exit_z": [0.5]}}),
        "linucb" => json!({}),
        "meta-selector" => json!({"learning_rates": [0.1], "num_leaves": [7], "max_rounds": 40}),
        "ppo" => json!({"total_timesteps": 512, "n_steps": 64, "batch_size": 64, "n_envs": 2,
            "n_epochs": 1, "net_arch": {"pi": [16], "vf": [16]}}),
        "lstm" => json!({"hidden_size": 8, "window": 16, "max_epochs": 1, "batch_size": 128,
            "threads": 2}),
        other => panic!("no test settings for {other}"),
    };
    v.as_object().unwrap().clone()
}

/// Two symbols' candles over the same hours, their returns pooled by time.
fn pooled_market() -> (MarketData, StrategyReturns) {
    let (mut data, _) = market();
    let other = load_data(&DataSpec::Synthetic {
        seed: 12,
        bars: BARS,
    })
    .unwrap();
    data.series[0].0 = "AAA".into();
    data.series.push(("BBB".into(), other.series[0].1.clone()));
    let pairs: Vec<(&str, &market::Candles)> =
        data.series.iter().map(|(s, c)| (s.as_str(), c)).collect();
    let returns = StrategyReturns::compute_pooled(
        &pairs,
        &backtest::spec_t2_strategies(),
        &backtest::WindowSpec::spec_t2(),
    )
    .unwrap();
    assert!(!returns.is_one_series());
    (data, returns)
}

struct Run {
    agent: Box<dyn AgentTrainer>,
    data: MarketData,
    returns: StrategyReturns,
    trained: Trained,
    blob: Vec<u8>,
    _dir: tempfile::TempDir,
}

impl Run {
    fn new(name: &str) -> Self {
        Self::on(name, market())
    }

    fn on(name: &str, (data, returns): (MarketData, StrategyReturns)) -> Self {
        let agent = agents::get(name).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = params(name);
        let ctx = TrainCtx {
            data: &data,
            returns: (agent.bootstrap() == Bootstrap::StrategyReturns).then_some(&returns),
            params: &p,
            out_dir: dir.path(),
            progress: &|_| {},
            device: Default::default(),
        };
        let trained = agent.train(&ctx).unwrap();
        let (m, f) = read_dir(&trained.model_dir).unwrap();
        // The manifest's metrics are the ones the train run reports.
        for k in [agents::TEST_FROM_TS, agents::TEST_TO_TS] {
            assert_eq!(m.metrics.get(k), trained.metrics.get(k), "{name}: {k}");
        }
        let blob = to_blob(&m, &f).unwrap();
        Self {
            agent,
            data,
            returns,
            trained,
            blob,
            _dir: dir,
        }
    }

    fn eval(&self, slice: Option<&EvalSlice>) -> Evaluation {
        self.agent
            .evaluate(&self.blob, &self.data, Some(&self.returns), slice)
            .unwrap()
    }

    /// The recorded test span, checked to lie in the data.
    fn test_slice(&self) -> EvalSlice {
        let name = self.agent.name();
        for k in [agents::TEST_FROM_TS, agents::TEST_TO_TS] {
            assert!(
                self.trained.metrics[k].is_i64(),
                "{name}: {k} is an integer"
            );
        }
        let s = EvalSlice::from_metrics(&self.trained.metrics)
            .unwrap_or_else(|| panic!("{name} records no test span"));
        let ts = &self.data.primary().unwrap().1.ts;
        let (first, last) = (ts[0], ts[ts.len() - 1]);
        assert!(
            first < s.from_ts && s.from_ts <= s.to_ts && s.to_ts <= last,
            "{name}: test span {s:?} outside the data {first}..={last}"
        );
        s
    }
}

fn num(m: &std::collections::BTreeMap<String, Value>, k: &str) -> f64 {
    m.get(k)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no metric `{k}` in {m:?}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

/// The checks every agent passes. `n_key` names the metric that counts the
/// scored rows and `per_row` how many of them make one paired row;
/// `mean_of` relates the mean paired value to a metric (`sign` * metric).
/// `stored` says whether the promote metric must equal the stored one.
fn check(run: &Run, n_key: &str, per_row: f64, mean_of: (&str, f64), stored: bool) -> Evaluation {
    let name = run.agent.name();
    let slice = run.test_slice();
    let ev = run.eval(Some(&slice));
    let (promote, _) = run.agent.promote_metric();
    let got = num(&ev.metrics, promote);
    if stored {
        let want = num(&run.trained.metrics, promote);
        assert!(
            close(got, want),
            "{name}: {promote} on its test span {got} vs stored {want}"
        );
    }
    let p = ev
        .paired
        .as_ref()
        .expect("a sliced evaluation has paired scores");
    assert!(!p.values.is_empty(), "{name}: no paired scores");
    assert_eq!(p.ts.len(), p.values.len(), "{name}");
    assert!(
        close(p.values.len() as f64 * per_row, num(&ev.metrics, n_key)),
        "{name}: {} paired scores for {n_key} = {}",
        p.values.len(),
        num(&ev.metrics, n_key)
    );
    assert!(
        p.ts.iter().all(|&t| slice.contains(t)),
        "{name}: a paired row lies outside {slice:?}"
    );
    assert!(p.values.iter().all(|v| v.is_finite()), "{name}");
    let mean = p.values.iter().sum::<f64>() / p.values.len() as f64;
    let (key, sign) = mean_of;
    assert!(
        close(mean, sign * num(&ev.metrics, key)),
        "{name}: mean paired score {mean} vs {sign} * {key}"
    );
    // The same slice scores the same rows again; no slice, no paired scores.
    assert_eq!(run.eval(Some(&slice)), ev, "{name}: not repeatable");
    let whole = run.eval(None);
    assert!(whole.paired.is_none(), "{name}");
    assert!(!whole.metrics.contains_key(promote), "{name}");
    ev
}

/// A narrower slice scores fewer rows, the same ones for the same times.
fn check_narrower(run: &Run, full: &Evaluation) {
    let name = run.agent.name();
    let p = full.paired.as_ref().unwrap();
    let half = p.ts.len() / 2;
    let slice = EvalSlice {
        from_ts: p.ts[half],
        to_ts: run.test_slice().to_ts,
    };
    let ev = run.eval(Some(&slice));
    let q = ev.paired.as_ref().unwrap();
    assert_eq!(q.ts, p.ts[half..], "{name}: rows of the narrower slice");
    assert!(
        q.values.len() < p.values.len(),
        "{name}: the narrower slice scores fewer rows"
    );
}

#[test]
fn signal_scores_its_test_span() {
    let run = Run::new("signal");
    let ev = check(&run, "n", 1.0, ("log_loss", -1.0), true);
    check_narrower(&run, &ev);
    assert!(close(
        num(&ev.metrics, "log_loss"),
        num(&run.trained.metrics, "test_log_loss")
    ));
}

#[test]
fn regime_scores_its_test_span() {
    let run = Run::new("regime");
    let ev = check(&run, "n", 1.0, ("logloss", -1.0), true);
    check_narrower(&run, &ev);
}

#[test]
fn lstm_scores_its_test_span() {
    let run = Run::new("lstm");
    let ev = check(&run, "n", 1.0, ("mse", -1.0), true);
    check_narrower(&run, &ev);
}

#[test]
fn ou_mean_scores_its_test_span() {
    let run = Run::new("ou-mean");
    let ev = check(&run, "n_bars", 1.0, ("mean_return", 1.0), true);
    check_narrower(&run, &ev);
}

#[test]
fn meta_selector_scores_its_test_span() {
    let run = Run::new("meta-selector");
    let k = run.returns.strategies.len() as f64;
    let ev = check(&run, "n", k, ("selection_mean_return", 1.0), true);
    check_narrower(&run, &ev);
}

#[test]
fn ppo_scores_its_test_span() {
    let run = Run::new("ppo");
    let ev = check(&run, "decisions", 1.0, ("mean_ret_greedy", 1.0), true);
    check_narrower(&run, &ev);
}

/// LinUCB learns from its choices while it replays, and the saved model has
/// already learned from the test windows in training, so its replay of its
/// test span does not give the stored metric. What must hold: a slice is
/// scored from the state a replay without the slice reaches at its start.
#[test]
fn linucb_replays_the_context_before_its_slice() {
    let run = Run::new("linucb");
    let ev = check(&run, "events", 1.0, ("mean_reward", 1.0), false);
    let all = run.eval(Some(&EvalSlice {
        from_ts: i64::MIN,
        to_ts: i64::MAX,
    }));
    let whole = run.eval(None);
    assert_eq!(
        num(&all.metrics, "mean_reward"),
        num(&whole.metrics, "mean_reward"),
        "a slice over everything replays as no slice does"
    );
    let (p, q) = (all.paired.unwrap(), ev.paired.unwrap());
    let tail = p.values.len() - q.values.len();
    assert_eq!(p.ts[tail..], q.ts[..]);
    assert_eq!(
        p.values[tail..],
        q.values[..],
        "the test span's rewards are those of the full replay there"
    );
}

/// Pooled returns of two symbols: each decision earns in its own series'
/// next window, and the slice selects decisions by that window.
#[test]
fn linucb_slices_pooled_returns_by_the_windows_decisions_earn_in() {
    let run = Run::on("linucb", pooled_market());
    let ev = check(&run, "events", 1.0, ("mean_reward", 1.0), false);
    let p = ev.paired.unwrap();
    // Both symbols' test windows are scored: every one that follows a
    // window of its own series.
    let r = &run.returns;
    let test_windows: std::collections::BTreeSet<usize> = (0..r.len())
        .filter_map(|w| r.next_window(w))
        .filter(|&w| w >= r.n_train)
        .collect();
    assert!(test_windows.iter().any(|&w| r.symbol[w] == "AAA"));
    assert!(test_windows.iter().any(|&w| r.symbol[w] == "BBB"));
    assert_eq!(p.values.len(), test_windows.len());
}

#[test]
fn an_empty_slice_is_an_error() {
    let run = Run::new("signal");
    let ts = &run.data.primary().unwrap().1.ts;
    let before = EvalSlice {
        from_ts: ts[0] - 1_000,
        to_ts: ts[0] - 1,
    };
    let err = run
        .agent
        .evaluate(&run.blob, &run.data, None, Some(&before))
        .unwrap_err();
    assert!(err.to_string().contains("no scorable rows"), "{err}");
}

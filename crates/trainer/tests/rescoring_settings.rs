//! Re-scoring uses the settings a model was trained with, not the
//! trainer's defaults: each agent trains with non-default label and input
//! settings (regime: forward-volatility horizon; lstm: window and horizon;
//! ou-mean: window, entry/exit thresholds and fee), and `evaluate` on the
//! recorded test span reproduces the stored test metric. With a default in
//! place of the model's setting, the rows or labels differ and so does the
//! metric.

use agent_core::persist::{read_dir, to_blob};
use cointrainer_trainer::agents::{self, EvalSlice, MarketData, TrainCtx};
use cointrainer_trainer::jobs::DataSpec;
use cointrainer_trainer::orchestrator::load_data;
use serde_json::{Map, Value, json};

fn market() -> MarketData {
    load_data(&DataSpec::Synthetic {
        seed: 5,
        bars: 3000,
    })
    .unwrap()
}

struct Trained {
    agent: Box<dyn agents::AgentTrainer>,
    data: MarketData,
    metrics: std::collections::BTreeMap<String, Value>,
    blob: Vec<u8>,
    _dir: tempfile::TempDir,
}

fn train(agent: &str, params: Value) -> Trained {
    let agent = agents::get(agent).unwrap();
    let data = market();
    let dir = tempfile::tempdir().unwrap();
    let params: Map<String, Value> = params.as_object().unwrap().clone();
    let trained = agent
        .train(&TrainCtx {
            data: &data,
            returns: None,
            params: &params,
            out_dir: dir.path(),
            progress: &|_| {},
            device: Default::default(),
        })
        .unwrap_or_else(|e| panic!("{}: {e}", agent.name()));
    let (m, f) = read_dir(&trained.model_dir).unwrap();
    Trained {
        agent,
        data,
        metrics: trained.metrics,
        blob: to_blob(&m, &f).unwrap(),
        _dir: dir,
    }
}

impl Trained {
    fn eval(&self, slice: Option<&EvalSlice>) -> std::collections::BTreeMap<String, Value> {
        self.agent
            .evaluate(&self.blob, &self.data, None, slice)
            .unwrap()
            .metrics
    }

    /// The stored test metric `key` and the same metric re-scored on the
    /// recorded test span.
    fn reproduces(&self, key: &str) {
        let slice = EvalSlice::from_metrics(&self.metrics).unwrap();
        let plain = key.strip_prefix("test_").unwrap();
        let got = num(&self.eval(Some(&slice)), plain);
        let stored = num(&self.metrics, key);
        assert!(
            (got - stored).abs() <= 1e-9 * stored.abs().max(1.0),
            "{}: {key} re-scored {got}, stored {stored}",
            self.agent.name()
        );
    }
}

fn num(m: &std::collections::BTreeMap<String, Value>, k: &str) -> f64 {
    m.get(k)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no metric `{k}` in {m:?}"))
}

#[test]
fn regime_rescoring_uses_the_models_volatility_horizon() {
    let t = train(
        "regime",
        json!({"horizon": 6, "num_leaves": [7], "n_estimators": [20]}),
    );
    t.reproduces("test_logloss");
    t.reproduces("test_f1_macro");
}

#[test]
fn lstm_rescoring_uses_the_models_window_and_horizon() {
    let t = train(
        "lstm",
        json!({"window": 5, "horizon": 4, "hidden_size": 6, "max_epochs": 1,
               "batch_size": 128, "threads": 2}),
    );
    t.reproduces("test_mse");
    t.reproduces("test_mae");
}

#[test]
fn ou_rescoring_uses_the_models_window_thresholds_and_fee() {
    let t = train(
        "ou-mean",
        json!({"window": 120, "refit_every": 40, "fee": 0.004,
               "grid": {"adf_pvalue_max": [0.2], "hurst_max": [0.6], "entry_z": [1.25],
                        "exit_z": [0.1]}}),
    );
    t.reproduces("test_sharpe");
    t.reproduces("test_total_return");
    // Scored without a slice: every bar, at the model's fee, the same as a
    // slice over every bar.
    let ts = &t.data.primary().unwrap().1.ts;
    let all = EvalSlice {
        from_ts: ts[0],
        to_ts: ts[ts.len() - 1],
    };
    let (whole, sliced) = (t.eval(None), t.eval(Some(&all)));
    for k in ["total_return", "sharpe"] {
        assert_eq!(
            num(&whole, k),
            num(&sliced, k),
            "{k}: {whole:?} vs {sliced:?}"
        );
    }
}

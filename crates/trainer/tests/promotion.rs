//! Champion/challenger promotion on the same slice: a candidate whose
//! stored test metric is higher only because its test period was easier is
//! not promoted; one that is better on the same slice is, and the pointer
//! records the comparison.

use agent_core::SplitMix64;
use cointrainer_trainer::jobs::{DataSpec, JobSpec};
use cointrainer_trainer::orchestrator::{Orchestrator, OrchestratorConfig, TrainOutcome};
use cointrainer_trainer::promotion::PromoteRule;
use serde_json::{Value, json};
use std::path::Path;
use test_support::candles::write_hourly;

/// `n` returns: `drift` plus noise, each with `phi` times the previous
/// return (phi < 0: the next bar tends to reverse the last one).
fn returns(rng: &mut SplitMix64, n: usize, drift: f64, sd: f64, phi: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut last: f64 = 0.0;
    for _ in 0..n {
        let r = drift + phi * last + sd * rng.next_normal();
        out.push(r);
        last = r;
    }
    out
}

fn job(agent: &str, file: &Path, params: Value) -> JobSpec {
    JobSpec {
        agent: agent.into(),
        data: DataSpec::Csv {
            path: file.to_path_buf(),
        },
        params,
        symbol: None,
        force: false,
        promote: None,
        per_symbol: false,
        device: Default::default(),
    }
}

fn train_one(orch: &Orchestrator, spec: &JobSpec) -> TrainOutcome {
    let mut out = orch
        .train(spec, &|_| {})
        .unwrap_or_else(|e| panic!("{}: {e}", spec.agent));
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn metric(o: &TrainOutcome) -> f64 {
    o.metrics[&o.promote_metric].as_f64().unwrap()
}

#[test]
fn a_candidate_better_only_on_an_easier_test_period_is_not_promoted() {
    let dir = tempfile::tempdir().unwrap();
    let orch = Orchestrator::new(OrchestratorConfig::local(dir.path()));
    let mut rng = SplitMix64::new(17);
    // A quiet market that ends in a falling stretch, then a strong rise.
    let mut path = returns(&mut rng, 4_000, 0.0, 0.006, 0.0);
    path.extend(returns(&mut rng, 2_000, -0.0015, 0.012, 0.0));
    let rise = returns(&mut rng, 2_000, 0.0025, 0.006, 0.0);
    // The champion was trained before the rise: its test period is the fall.
    let before = write_hourly(&dir.path().join("old"), "PAIRUSDT-1h.csv", &path);
    path.extend(rise);
    let after = write_hourly(&dir.path().join("new"), "PAIRUSDT-1h.csv", &path);

    let champion = train_one(&orch, &job("linucb", &before, json!({})));
    assert!(champion.promoted);
    // The challenger explores at random far more (a worse policy), but is
    // tested on the rise.
    let challenger_job = job("linucb", &after, json!({"alpha": 50.0}));
    let challenger = train_one(&orch, &challenger_job);
    assert!(
        metric(&challenger) > metric(&champion),
        "precondition: the stored metric favours the challenger ({} vs {})",
        metric(&challenger),
        metric(&champion)
    );
    assert!(
        !challenger.promoted,
        "promoted on an easier test period: {:?}",
        challenger.promotion
    );
    let reason = challenger.reason.clone().unwrap();
    assert!(reason.contains("not significantly better"), "{reason}");
    let current = orch
        .registry()
        .latest("linucb", "PAIRUSDT")
        .unwrap()
        .unwrap();
    assert_eq!(current.key, champion.key);

    // The old rule compares the stored numbers and would have promoted it.
    let mut stored = challenger_job;
    stored.promote = Some(PromoteRule::StoredMetric);
    let by_stored = train_one(&orch, &stored);
    assert!(by_stored.promoted);
    assert_eq!(by_stored.promotion.unwrap().rule, "stored_metric");
}

#[test]
fn a_candidate_better_on_the_same_slice_is_promoted_and_the_comparison_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let orch = Orchestrator::new(OrchestratorConfig::local(dir.path()));
    let mut rng = SplitMix64::new(23);
    // The champion learnt from a random walk; the challenger from a market
    // whose bars tend to reverse the previous bar, which its features show.
    let noise = write_hourly(
        &dir.path().join("a"),
        "REVUSDT-1h.csv",
        &returns(&mut rng, 6_000, 0.0, 0.01, 0.0),
    );
    let reverting = write_hourly(
        &dir.path().join("b"),
        "REVUSDT-1h.csv",
        &returns(&mut rng, 6_000, 0.0, 0.01, -0.5),
    );
    let champion = train_one(&orch, &job("signal", &noise, json!({})));
    assert!(champion.promoted);
    assert_eq!(champion.promotion.as_ref().unwrap().rule, "first");

    let challenger = train_one(&orch, &job("signal", &reverting, json!({})));
    assert!(challenger.promoted, "{:?}", challenger.reason);
    let record = challenger.promotion.clone().unwrap();
    assert_eq!(record.rule, "same_slice");
    assert_eq!(record.against.as_deref(), Some(champion.key.as_str()));
    let d = &record.details;
    assert_eq!(d["metric"], "test_auc");
    let (cand, cur) = (
        d["candidate"].as_f64().unwrap(),
        d["current"].as_f64().unwrap(),
    );
    assert!(cand > cur + 0.05, "{d}");
    // Both were scored on the challenger's own test slice.
    assert_eq!(d["slice"]["from_ts"], challenger.metrics["test_from_ts"]);
    assert_eq!(d["slice"]["to_ts"], challenger.metrics["test_to_ts"]);
    // The candidate's score on the slice is its stored test metric.
    assert!(
        (cand - metric(&challenger)).abs() < 1e-9,
        "{cand} vs {}",
        metric(&challenger)
    );

    // The pointer keeps the record; the replaced champion is in the history.
    let current = orch
        .registry()
        .latest("signal", "REVUSDT")
        .unwrap()
        .unwrap();
    assert_eq!(current.promotion.unwrap(), record);
    let history = orch.registry().history("signal", "REVUSDT").unwrap();
    assert_eq!(history.last().unwrap().key, champion.key);
}

#[test]
fn evaluate_scores_the_training_rows_and_the_rest_separately() {
    use cointrainer_trainer::orchestrator::ModelRef;
    let dir = tempfile::tempdir().unwrap();
    let orch = Orchestrator::new(OrchestratorConfig::local(dir.path()));
    let mut rng = SplitMix64::new(31);
    let file = write_hourly(
        &dir.path().join("d"),
        "EVALUSDT-1h.csv",
        &returns(&mut rng, 5_000, 0.0, 0.01, -0.4),
    );
    let trained = train_one(&orch, &job("signal", &file, json!({})));
    let m = orch
        .evaluate(
            "signal",
            &ModelRef::Dir(trained.model_dir.clone()),
            &DataSpec::Csv { path: file },
        )
        .unwrap();
    let from = trained.metrics["test_from_ts"].as_i64().unwrap();
    let oos = &m["out_of_sample"];
    let ins = &m["in_sample"];
    assert_eq!(oos["from_ts"].as_i64(), Some(from), "{oos}");
    assert_eq!(ins["to_ts"].as_i64(), Some(from - 1), "{ins}");
    // Out of sample is exactly the model's own test span: the stored score.
    let auc = oos["metrics"]["test_auc"].as_f64().unwrap();
    assert!(
        (auc - metric(&trained)).abs() < 1e-9,
        "{auc} vs {}",
        metric(&trained)
    );
    // Every scored row is in one part or the other.
    let n = |v: &Value| v["metrics"]["n"].as_f64().unwrap();
    assert_eq!(n(ins) + n(oos), m["n"].as_f64().unwrap(), "{m:?}");
}

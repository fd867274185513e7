//! Behaviour of the strategy selector: regimes, warm starts, replay
//! numbers, persistence and input errors.

use linucb::{
    AggregateRow, AggregateTable, BanditData, DisjointLinUcb, DisjointParts, Fit, Learn, LinUcb,
    LinUcbError, LinUcbParams, ParamGuard, Persist, RegimeMode,
};

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Two regimes; in regime 0 strategy `a` pays `1 + f`, `b` pays `f`; in
/// regime 1 the roles swap. One feature f in [-1, 1].
fn toy_data(n: usize) -> BanditData {
    let mut rng = agent_core::SplitMix64::new(3);
    let (mut regimes, mut ctx, mut rewards) = (vec![], vec![], vec![]);
    for t in 0..n {
        let r = t % 2;
        let f = 2.0 * rng.next_f64() - 1.0;
        let noise = 0.05 * (rng.next_f64() - 0.5);
        regimes.push(r);
        ctx.push(f);
        let (ra, rb) = if r == 0 { (1.0 + f, f) } else { (f, 1.0 + f) };
        rewards.push(ra + noise);
        rewards.push(rb - noise);
    }
    BanditData::new_full(
        s(&["a", "b"]),
        s(&["calm", "wild"]),
        s(&["f"]),
        regimes,
        ctx,
        rewards,
    )
    .unwrap()
}

#[test]
fn per_regime_bandits_learn_a_different_best_strategy_in_each_regime() {
    for mode in [RegimeMode::PerRegime, RegimeMode::Context] {
        let p = LinUcbParams::new().regime_mode(mode).check().unwrap();
        let mut m = p.fit(&toy_data(400)).unwrap();
        m.set_alpha(0.0).unwrap();
        assert_eq!(m.select(0, &[0.3]).unwrap().0, 0, "{mode:?}");
        assert_eq!(m.select(1, &[0.3]).unwrap().0, 1, "{mode:?}");
    }
    // Ignoring the regime cannot tell them apart: both look equally good.
    let p = LinUcbParams::new()
        .regime_mode(RegimeMode::Ignore)
        .check()
        .unwrap();
    let m = p.fit(&toy_data(400)).unwrap();
    assert_eq!(m.n_bandits(), 1);
}

#[test]
fn context_layout_is_intercept_then_one_hot_regime_then_standardised_features() {
    let p = LinUcbParams::new()
        .regime_mode(RegimeMode::Context)
        .check()
        .unwrap();
    let data = toy_data(100);
    let mut m = p.fit(&data).unwrap();
    assert_eq!(
        m.context_layout(),
        s(&["intercept", "regime=calm", "regime=wild", "f"])
    );
    let sc = m.scaler().unwrap().clone();
    let x = m.context_vector(1, &[0.5]).unwrap();
    assert_eq!(x[..3], [1.0, 0.0, 1.0]);
    assert_eq!(x[3], (0.5 - sc.mean[0]) / sc.scale[0]);
    // The scaler comes from the rows fit saw, nothing else.
    let n = data.len() as f64;
    let mean = data.contexts().iter().sum::<f64>() / n;
    assert!((sc.mean[0] - mean).abs() < 1e-12);
}

#[test]
fn warm_start_adds_trades_pseudo_observations_of_mean_pnl_at_the_regime_context() {
    let table = AggregateTable::new(
        s(&["trend", "grid"]),
        s(&["trending", "sideways"]),
        vec![
            AggregateRow {
                regime: 0,
                arm: 0,
                trades: 10,
                mean_pnl: 0.5,
                win_rate: Some(0.6),
                sharpe: None,
                max_drawdown: None,
            },
            AggregateRow {
                regime: 1,
                arm: 1,
                trades: 4,
                mean_pnl: -0.25,
                win_rate: None,
                sharpe: None,
                max_drawdown: None,
            },
        ],
    )
    .unwrap();
    let p = LinUcbParams::new().lambda(1.0).check().unwrap();
    let m = p.fit(&table).unwrap();
    // Per regime, intercept-only context [1]: theta = n r / (lambda + n).
    let b0 = m.disjoint(0).unwrap();
    assert_eq!(b0.counts(), &[10, 0]);
    assert!((b0.theta(0)[0] - 10.0 * 0.5 / 11.0).abs() < 1e-15);
    let b1 = m.disjoint(1).unwrap();
    assert_eq!(b1.counts(), &[0, 4]);
    assert!((b1.theta(1)[0] + 4.0 * 0.25 / 5.0).abs() < 1e-15);
    // Without an intercept or regime terms there is nothing to warm.
    let p = LinUcbParams::new().intercept(false).check().unwrap();
    let mut m = LinUcb::new(
        &p,
        s(&["trend", "grid"]),
        s(&["trending", "sideways"]),
        s(&["f"]),
    )
    .unwrap();
    let e = m.warm_start(&table).unwrap_err();
    assert!(e.to_string().contains("intercept"), "{e}");
}

#[test]
fn full_information_replay_reports_exact_regret_against_the_best_fixed_strategy() {
    // A frozen, untrained model scores every arm 0 and takes arm 0 (ties -> lowest).
    let data = BanditData::new_full(
        s(&["a", "b", "c"]),
        s(&["r0", "r1"]),
        vec![],
        vec![0, 1, 0, 1],
        vec![],
        vec![
            1.0, 2.0, 0.0, //
            -1.0, 3.0, 0.0, //
            0.5, -2.0, 4.0, //
            2.0, 1.0, 0.0,
        ],
    )
    .unwrap();
    let p = LinUcbParams::new().alpha(0.0).check().unwrap();
    let mut m = LinUcb::new(&p, s(&["a", "b", "c"]), s(&["r0", "r1"]), vec![]).unwrap();
    let before = m.clone();
    let rep = m.replay(&data, Learn::Off).unwrap();
    assert_eq!(m, before, "Learn::Off must not change the model");
    assert_eq!(rep.chosen, vec![0, 0, 0, 0]);
    assert_eq!(rep.cumulative_reward, 2.5);
    assert_eq!(rep.best_fixed_arm.as_deref(), Some("b")); // a 2.5, b 4, c 4 -> first max
    assert_eq!(rep.best_fixed_reward, 4.0);
    assert_eq!(rep.regret_vs_best_fixed, 1.5);
    // Per regime: r0 best is c (4) vs a 1.5; r1 best is b (4) vs a 1.
    assert_eq!(rep.best_fixed_per_regime_reward, 8.0);
    assert_eq!(rep.regret_vs_best_fixed_per_regime, 5.5);
    assert_eq!(rep.oracle_reward, Some(2.0 + 3.0 + 4.0 + 2.0));
    assert_eq!(rep.uniform_reward, 10.5 / 3.0);
    assert_eq!(rep.per_regime[0].choices, vec![2, 0, 0]);
    assert_eq!(rep.per_regime[1].regret, 3.0);
    assert_eq!(rep.reward_over(2..4), 2.5);
}

#[test]
fn logged_replay_scores_only_events_matching_the_policy() {
    let data = BanditData::new_logged(
        s(&["a", "b"]),
        s(&["all"]),
        vec![],
        vec![0; 4],
        vec![],
        vec![0, 1, 0, 1],
        vec![1.0, 5.0, 3.0, 7.0],
    )
    .unwrap();
    let p = LinUcbParams::new().alpha(0.0).check().unwrap();
    let mut m = LinUcb::new(&p, s(&["a", "b"]), s(&["all"]), vec![]).unwrap();
    let rep = m.clone().replay(&data, Learn::Off).unwrap();
    assert_eq!(rep.evaluated, 2);
    assert_eq!(rep.cumulative_reward, 4.0);
    assert_eq!(rep.rewards, vec![Some(1.0), None, Some(3.0), None]);
    // Estimated best fixed: mean of b (6) x 2 scored events.
    assert_eq!(rep.best_fixed_reward, 12.0);
    // Learning the chosen arm only updates on matched events.
    m.replay(&data, Learn::Chosen).unwrap();
    assert_eq!(m.disjoint(0).unwrap().counts(), &[2, 0]);
}

fn trained(mode: RegimeMode, hybrid: bool) -> (LinUcb, BanditData) {
    let mut p = LinUcbParams::new().regime_mode(mode).reinvert_every(50);
    if hybrid {
        p = p.hybrid(Some(vec![vec![1.0, 0.0], vec![0.0, 1.0]]));
    }
    let data = toy_data(300);
    let (train, test) = data.split(0.8).unwrap();
    let mut m = p.check().unwrap().fit(&train).unwrap();
    let rep = m.clone().replay(&test, Learn::Off).unwrap();
    m.record_metrics("test", &rep);
    (m, test)
}

#[test]
fn save_and_load_give_a_model_that_decides_and_learns_bit_identically() {
    for (mode, hybrid) in [
        (RegimeMode::PerRegime, false),
        (RegimeMode::Context, false),
        (RegimeMode::PerRegime, true),
        (RegimeMode::Ignore, true),
    ] {
        let (mut m, test) = trained(mode, hybrid);
        let dir = tempfile::tempdir().unwrap();
        let manifest = m.save(dir.path()).unwrap();
        assert_eq!(manifest.label_order, s(&["a", "b"]));
        assert!(manifest.metrics.contains_key("test_regret_vs_best_fixed"));
        assert!(manifest.data_fingerprint.is_some());
        let mut back = LinUcb::load(dir.path()).unwrap();
        assert_eq!(back, m, "{mode:?} hybrid={hybrid}");
        for (k, v) in m.metrics() {
            let (a, b) = (v.as_f64(), back.metrics()[k].as_f64());
            match (a, b) {
                (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 * (1.0 + a.abs()), "{k}"),
                _ => assert_eq!(v, &back.metrics()[k], "{k}"),
            }
        }
        let r1 = m.replay(&test, Learn::Chosen).unwrap();
        let r2 = back.replay(&test, Learn::Chosen).unwrap();
        assert_eq!(r1, r2);
        assert_eq!(back, m);
        let blob = m.to_base64().unwrap();
        assert_eq!(LinUcb::from_base64(&blob).unwrap(), m);
    }
}

#[test]
fn tampered_or_inconsistent_arrays_are_rejected_on_load() {
    let (m, _) = trained(RegimeMode::PerRegime, false);
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let p = dir.path().join("r1_A_inv.npy");
    let mut b = std::fs::read(&p).unwrap();
    let last = b.len() - 1;
    b[last] ^= 0x40;
    std::fs::write(&p, b).unwrap();
    let e = LinUcb::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("r1_A_inv.npy"), "{e}");

    // Arrays that do not belong together are caught even with valid checksums.
    let d = m.disjoint(0).unwrap();
    let mut a_inv = d.a_inv_all().to_vec();
    a_inv[0] *= 2.0;
    let e = DisjointLinUcb::from_parts(
        d.dim(),
        d.n_arms(),
        1.0,
        1.0,
        0,
        DisjointParts {
            a: d.a_all().to_vec(),
            a_inv,
            b: d.b_all().to_vec(),
            theta: None,
            counts: d.counts().to_vec(),
            since_reinvert: d.since_reinvert().to_vec(),
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("does not invert"), "{e}");
    let e = LinUcb::from_base64("not base64 at all!").unwrap_err();
    assert!(e.to_string().contains("base64"), "{e}");
}

#[test]
fn bad_inputs_are_errors_naming_the_problem_never_panics() {
    let (mut m, _) = trained(RegimeMode::PerRegime, false);
    let msg = |e: LinUcbError| e.to_string();
    assert!(msg(m.select(0, &[]).unwrap_err()).contains("expects 1"));
    assert!(msg(m.select(0, &[f64::NAN]).unwrap_err()).contains("finite"));
    assert!(msg(m.select(5, &[0.0]).unwrap_err()).contains("regime 5"));
    assert!(msg(m.update(0, &[0.0], 9, 1.0).unwrap_err()).contains("arm 9"));
    assert!(msg(m.update(0, &[0.0], 0, f64::INFINITY).unwrap_err()).contains("reward"));
    assert!(msg(m.arm_index("scalper").unwrap_err()).contains("scalper"));
    let other = BanditData::new_full(
        s(&["a", "zz"]),
        s(&["calm"]),
        s(&["f"]),
        vec![0],
        vec![0.0],
        vec![0.0, 0.0],
    )
    .unwrap();
    assert!(msg(m.replay(&other, Learn::Off).unwrap_err()).contains("zz"));
    let wrong_features = BanditData::new_full(
        s(&["a", "b"]),
        s(&["calm"]),
        s(&["g"]),
        vec![0],
        vec![0.0],
        vec![0.0, 0.0],
    )
    .unwrap();
    assert!(msg(m.partial_fit(&wrong_features).unwrap_err()).contains("feature mismatch"));
    let e = LinUcbParams::new().lambda(-1.0).check().unwrap_err();
    assert!(msg(e).contains("`lambda` = -1"));
}

//! Checks against the committed fixtures of `fixtures/meta-selector/`
//! (made by `make_fixtures.py` with pandas and LightGBM's Python package).

use agent_core::{Fit, ParamGuard, SplitMix64};
use meta_selector::{
    GridParallelism, MetaSelector, MetaTable, RowMeta, StrategyReturns, TradeWindows,
    read_trade_log,
};
use ndarray::Array2;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/meta-selector")
        .join(name)
}

fn read_expected(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|v| v.parse::<f64>().unwrap())
                .collect()
        })
        .collect();
    (header, rows)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

/// LightGBM's OpenMP thread count is global to the process: a test training
/// with 2 threads beside one training with 1 changes the order of its sums.
/// The tests here compare results to the last bit, so they run one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn window_features_match_pandas_including_compounded_drawdown() {
    let _one_at_a_time = serial();
    let sr = StrategyReturns::read_csv(&fixture("window_returns.csv")).unwrap();
    assert_eq!(sr.strategy_names(), ["trend", "revert", "hold"]);
    assert_eq!(sr.n_train(), 48);
    let t = MetaTable::from_strategy_returns(&sr, 10).unwrap();
    let (header, rows) = read_expected(&fixture("window_meta_expected.csv"));
    assert_eq!(t.n_rows(), rows.len());
    for (i, exp) in rows.iter().enumerate() {
        assert_eq!(t.group()[i], exp[0] as i64);
        for (j, name) in t.feature_names().iter().enumerate() {
            let col = header.iter().position(|h| h == name).unwrap();
            let got = t.features()[[i, j]];
            assert!(
                close(got, exp[col]),
                "row {i} {name}: {got} vs {}",
                exp[col]
            );
        }
        assert!(close(t.target()[i], exp[header.len() - 2]));
        assert_eq!(t.is_train()[i], exp[header.len() - 1] == 1.0);
    }
}

#[test]
fn trade_windows_match_pandas_and_never_use_target_trade_prices() {
    let _one_at_a_time = serial();
    let trades = read_trade_log(&fixture("trades.csv")).unwrap();
    let cfg = TradeWindows {
        k: 4,
        stride: 4,
        train_fraction: 0.75,
        bucket_ms: 86_400_000,
    };
    let t = MetaTable::from_trades(&trades, &cfg).unwrap();
    let (header, rows) = read_expected(&fixture("trade_meta_expected.csv"));
    assert_eq!(t.n_rows(), rows.len());
    assert!(
        !t.feature_names()
            .iter()
            .any(|n| n.contains("price") || n == "side")
    );
    for (i, exp) in rows.iter().enumerate() {
        assert_eq!(t.decision_time()[i], exp[0] as i64, "row {i}");
        for (j, name) in t.feature_names().iter().enumerate() {
            let col = header.iter().position(|h| h == name).unwrap();
            let got = t.features()[[i, j]];
            assert!(
                close(got, exp[col]),
                "row {i} {name}: {got} vs {}",
                exp[col]
            );
        }
        assert!(
            close(t.target()[i], exp[header.len() - 1]),
            "row {i} target"
        );
    }
    // Changing the target trades' prices and side must not change any feature.
    let mut altered = trades.clone();
    for tr in altered.iter_mut().skip(20) {
        tr.exit_price *= 3.0;
        tr.entry_price *= 0.5;
        tr.side = "short".into();
    }
    let t2 = MetaTable::from_trades(&altered, &cfg).unwrap();
    assert_eq!(t.features(), t2.features());
}

fn regression_fixture() -> (Value, MetaTable) {
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("lgbm_regression.json")).unwrap())
            .unwrap();
    let n = fx["n"].as_u64().unwrap() as usize;
    let nf = fx["n_features"].as_u64().unwrap() as usize;
    let n_train = fx["n_train"].as_u64().unwrap() as usize;
    let mut ux = SplitMix64::new(fx["seed_x"].as_u64().unwrap());
    let mut ue = SplitMix64::new(fx["seed_noise"].as_u64().unwrap());
    let x = Array2::from_shape_fn((n, nf), |_| ux.next_f64());
    let y: Vec<f64> = (0..n)
        .map(|i| x[[i, 0]] * x[[i, 1]] + 0.5 * x[[i, 2]] - 0.25 + 0.3 * (ue.next_f64() - 0.5))
        .collect();
    let rows = (0..n)
        .map(|i| RowMeta {
            strategy: 0,
            group: i as i64,
            decision_time: i as i64,
            target_end: i as i64 + 1,
            is_train: i < n_train,
        })
        .collect();
    let names = (0..nf).map(|j| format!("f{j}")).collect();
    let t = MetaTable::new(names, x, y, rows, vec!["only".into()]).unwrap();
    (fx, t)
}

#[test]
fn grid_with_early_stopping_matches_python_lightgbm() {
    let _one_at_a_time = serial();
    let (fx, table) = regression_fixture();
    for par in [
        GridParallelism::Sequential,
        GridParallelism::PointsInParallel,
    ] {
        let params = MetaSelector::params()
            .learning_rates(vec![0.05, 0.1])
            .num_leaves(vec![7, 15])
            .max_rounds(fx["max_rounds"].as_u64().unwrap() as usize)
            .early_stopping_rounds(fx["early_stopping_rounds"].as_u64().unwrap() as usize)
            .grid_parallelism(par)
            .num_threads(2)
            .check()
            .unwrap();
        let m = params.fit(&table).unwrap();
        let r = m.report();
        for (g, e) in r.grid.iter().zip(fx["grid"].as_array().unwrap()) {
            assert_eq!(
                g.best_iteration as u64,
                e["best_iteration"].as_u64().unwrap()
            );
            let ev = e["val_mse"].as_f64().unwrap();
            assert!((g.val_mse - ev).abs() <= 1e-9 * ev, "{} vs {ev}", g.val_mse);
        }
        assert_eq!(
            r.best_learning_rate,
            fx["best_learning_rate"].as_f64().unwrap()
        );
        assert_eq!(
            r.best_num_leaves as u64,
            fx["best_num_leaves"].as_u64().unwrap()
        );
        assert_eq!(
            m.n_iterations() as u64,
            fx["best_iteration"].as_u64().unwrap()
        );
        let test = table.features().slice(ndarray::s![1000.., ..]).to_owned();
        let pred = m.predict_matrix(test.view()).unwrap();
        for (p, e) in pred.iter().zip(fx["test_pred"].as_array().unwrap()) {
            let e = e.as_f64().unwrap();
            assert!((p - e).abs() <= 1e-9 * (1.0 + e.abs()), "{p} vs {e}");
        }
        let mse = r.test_mse.unwrap();
        let emse = fx["test_mse"].as_f64().unwrap();
        assert!((mse - emse).abs() <= 1e-9 * emse);
    }
}

fn small_model() -> (MetaSelector, MetaTable) {
    let (_, table) = regression_fixture();
    let params = MetaSelector::params()
        .learning_rates(vec![0.1])
        .num_leaves(vec![7])
        .max_rounds(50)
        .early_stopping_rounds(10)
        .check()
        .unwrap();
    (params.fit(&table).unwrap(), table)
}

#[test]
fn save_load_round_trip_predicts_identically_and_keeps_the_report() {
    let _one_at_a_time = serial();
    use agent_core::Persist;
    let (m, table) = small_model();
    let dir = tempfile::tempdir().unwrap();
    let manifest = m.save(dir.path()).unwrap();
    assert_eq!(manifest.feature_names, m.feature_names());
    assert!(manifest.metrics.contains_key("val_mse"));
    assert!(manifest.metrics.contains_key("test_r2"));
    let back = MetaSelector::load(dir.path()).unwrap();
    assert_eq!(back.report(), m.report());
    let a = m.predict_table(&table).unwrap();
    let b = back.predict_table(&table).unwrap();
    assert_eq!(a, b);
    let blob = MetaSelector::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(blob.predict_table(&table).unwrap(), a);
    // Single-row path agrees with the batch path.
    let row: Vec<f64> = table.features().row(3).to_vec();
    assert!((m.predict_row(&row).unwrap() - a[3]).abs() < 1e-12);
}

#[test]
fn loading_rejects_a_manifest_whose_features_disagree_with_the_model() {
    let _one_at_a_time = serial();
    use agent_core::Persist;
    let (m, _) = small_model();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let mp = dir.path().join("manifest.json");
    let txt = std::fs::read_to_string(&mp)
        .unwrap()
        .replace("\"f2\"", "\"volume\"");
    std::fs::write(&mp, txt).unwrap();
    let err = MetaSelector::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("feature mismatch"), "{err}");
}

#[test]
fn predicting_with_other_features_is_an_error_not_a_panic() {
    let _one_at_a_time = serial();
    let (m, _) = small_model();
    assert!(m.predict_row(&[0.1, 0.2]).is_err());
    let wrong = Array2::<f64>::zeros((3, 5));
    let err = m.predict_matrix(wrong.view()).unwrap_err();
    assert!(err.to_string().contains("feature columns"), "{err}");
}

#[test]
fn select_picks_the_candidate_with_the_highest_prediction() {
    let _one_at_a_time = serial();
    let (m, table) = small_model();
    let cands = table.features().slice(ndarray::s![0..6, ..]).to_owned();
    let s = m.select(cands.view()).unwrap();
    let best = s
        .predicted
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(s.predicted[s.index], best);
    assert!(m.select(Array2::<f64>::zeros((0, 4)).view()).is_err());
}

#[test]
fn malformed_csv_names_file_and_line() {
    let _one_at_a_time = serial();
    let bad = b"window,strategy_id,f0,target,is_train\n10,0,0.5,0.1,1\n11,0,abc,0.2,1\n";
    let err = MetaTable::parse_csv(bad, Path::new("meta.csv"), None).unwrap_err();
    let msg = err.to_string();
    // File, line and column, never the cell's text.
    assert!(
        msg.contains("meta.csv:3") && msg.contains("column 3") && !msg.contains("abc"),
        "{msg}"
    );
    let missing = b"window,strategy_id,f0,is_train\n10,0,0.5,1\n";
    let err = MetaTable::parse_csv(missing, Path::new("m.csv"), None).unwrap_err();
    assert!(err.to_string().contains("missing column `target`"), "{err}");
}

#[test]
fn training_rows_whose_target_overlaps_the_test_period_are_purged() {
    let _one_at_a_time = serial();
    // Two strategies; the last training row's target ends after the first
    // test decision and must not be trained on.
    let x = Array2::from_shape_fn((40, 1), |(i, _)| i as f64);
    let rows: Vec<RowMeta> = (0..40)
        .map(|i| RowMeta {
            strategy: i % 2,
            group: (i / 2) as i64,
            decision_time: (i / 2) as i64 * 10,
            target_end: (i / 2) as i64 * 10 + if i / 2 == 15 { 25 } else { 10 },
            is_train: i < 32,
        })
        .collect();
    let t = MetaTable::new(
        vec!["x".into()],
        x,
        vec![0.0; 40],
        rows,
        vec!["a".into(), "b".into()],
    )
    .unwrap();
    let sp = meta_selector::split(&t, 0.8, 0).unwrap();
    assert_eq!(sp.sizes.purged_rows, 2);
    // An embargo of one decision interval also purges the last fit group,
    // whose targets end exactly at the first validation decision.
    let se = meta_selector::split(&t, 0.8, 10).unwrap();
    assert_eq!((se.sizes.purged_rows, se.sizes.embargo), (4, 10));
    assert!(
        sp.valid
            .iter()
            .all(|&r| t.target_end()[r] <= t.decision_time()[32])
    );
    assert_eq!(sp.test.len(), 8);
}

#[test]
fn window_models_record_their_lookback_and_loading_checks_it() {
    let _one_at_a_time = serial();
    use agent_core::Persist;
    let sr = StrategyReturns::read_csv(&fixture("window_returns.csv")).unwrap();
    let table = MetaTable::from_strategy_returns(&sr, 7).unwrap();
    assert_eq!(table.lookback(), Some(7));
    let m = MetaSelector::params()
        .learning_rates(vec![0.1])
        .num_leaves(vec![7])
        .max_rounds(20)
        .check()
        .unwrap()
        .fit(&table)
        .unwrap();
    assert_eq!(m.lookback(), Some(7));
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    assert_eq!(MetaSelector::load(dir.path()).unwrap().lookback(), Some(7));

    // tables from other sources have no lookback; older artifacts lack the key
    let (small, _) = small_model();
    assert_eq!(small.lookback(), None);
    let mp = dir.path().join("manifest.json");
    let original = std::fs::read_to_string(&mp).unwrap();
    let mut v: Value = serde_json::from_str(&original).unwrap();
    v["extra"].as_object_mut().unwrap().remove("lookback");
    std::fs::write(&mp, serde_json::to_string(&v).unwrap()).unwrap();
    assert_eq!(MetaSelector::load(dir.path()).unwrap().lookback(), None);
    v["extra"]["lookback"] = serde_json::json!("ten");
    std::fs::write(&mp, serde_json::to_string(&v).unwrap()).unwrap();
    let err = MetaSelector::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("lookback"), "{err}");
}

/// 300 decisions, test from 240, each target ending `declared_end`
/// windows after its decision. Before the boundaries the target is noise;
/// in the test period it follows `f0`. `leaky` gives the rows whose target
/// window reaches past a boundary the later relation (their target is made
/// from windows after it).
fn straddling_table(declared_end: i64, leaky: bool) -> MetaTable {
    let (n, n_train) = (300usize, 240usize);
    let mut ux = SplitMix64::new(5);
    let mut ue = SplitMix64::new(6);
    let x = Array2::from_shape_fn((n, 2), |_| ux.next_f64());
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let e = ue.next_f64();
            let straddles = (157..176).contains(&i) || (221..240).contains(&i);
            if i >= n_train || (leaky && straddles) {
                x[[i, 0]]
            } else {
                e
            }
        })
        .collect();
    let rows = (0..n)
        .map(|i| RowMeta {
            strategy: 0,
            group: i as i64,
            decision_time: i as i64,
            target_end: i as i64 + declared_end,
            is_train: i < n_train,
        })
        .collect();
    MetaTable::new(
        vec!["f0".into(), "f1".into()],
        x,
        y,
        rows,
        vec!["only".into()],
    )
    .unwrap()
}

#[test]
fn targets_reaching_a_later_period_are_purged_and_change_nothing() {
    let _one_at_a_time = serial();
    let fit = |t: &MetaTable| {
        MetaSelector::params()
            .learning_rates(vec![0.1])
            .num_leaves(vec![7])
            .max_rounds(60)
            .early_stopping_rounds(10)
            .num_threads(1)
            .check()
            .unwrap()
            .fit(t)
            .unwrap()
    };
    // Targets over windows i..i+20 end at i + 20: rows 221..240 (before
    // test) and, before the fit / validation cut at 176 (80% of the 221
    // groups left), rows 157..176 are purged.
    let (clean, leaky) = (straddling_table(20, false), straddling_table(20, true));
    let sp = meta_selector::split(&leaky, 0.8, 0).unwrap();
    assert_eq!(sp.fit, (0..157).collect::<Vec<_>>());
    assert_eq!(sp.valid, (176..221).collect::<Vec<_>>());
    assert_eq!(sp.test, (240..300).collect::<Vec<_>>());
    let (mc, ml) = (fit(&clean), fit(&leaky));
    assert_eq!(mc.report(), ml.report());
    assert_eq!(
        mc.predict_table(&clean).unwrap(),
        ml.predict_table(&leaky).unwrap()
    );
    // Declared as ending with their own window, the same rows train and
    // change the model ...
    let (uc, ul) = (straddling_table(1, false), straddling_table(1, true));
    let (mu, mv) = (fit(&uc), fit(&ul));
    assert_eq!(
        meta_selector::split(&ul, 0.8, 0).unwrap().sizes.purged_rows,
        0
    );
    assert_ne!(mu.report().grid, mv.report().grid);
    // ... and hand it the test relation: it scores visibly better on test
    // than the no-leak models (purged, R2 below 0 on this noise).
    let r2 = |m: &MetaSelector| m.report().test_r2.unwrap();
    assert!(r2(&ml) < 0.0, "purged test R2 {}", r2(&ml));
    assert!(
        r2(&mv) > 0.05 && r2(&mv) > r2(&mu) + 0.1,
        "leaky {} vs clean {}",
        r2(&mv),
        r2(&mu)
    );
}

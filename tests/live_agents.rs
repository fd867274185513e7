//! The stateful live wrappers: LSTM (windowed and carried state), PPO
//! (observation layout, previous choice) and the meta-selector ranking,
//! each on a tiny model trained through its crate's API and reloaded from
//! its saved artifact.
#![cfg(all(feature = "lstm", feature = "ppo", feature = "meta-selector"))]

use agent_core::{Dataset, Fit, ParamGuard, Persist};
use cointrainer::live::{
    Bar, CandleBuffer, LiveError, LiveLstm, LiveMetaSelector, LivePpo, LstmMode, Origin, load_dir,
};
use market::{Candles, SyntheticMarket, feature_matrix};
use ndarray::{Array1, Array2};
use std::sync::Arc;

const CTX: [&str; 7] = [
    "ctx_lr_24",
    "ctx_vol_24",
    "ctx_vol_72",
    "ctx_rsi_14",
    "ctx_zscore_20",
    "ctx_vol_z_20",
    "ctx_atr_14_rel",
];

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn candles(seed: u64, bars: usize) -> Candles {
    SyntheticMarket::new()
        .seed(seed)
        .bars(bars)
        .generate()
        .expect("synthetic market")
        .candles
}

/// T0 rows 72.. with the next bar's log return (percent) as target.
fn t0_dataset(c: &Candles) -> Dataset {
    let fm = feature_matrix(c);
    let n = c.len() - 1 - 72;
    let x = Array2::from_shape_fn((n, 12), |(i, j)| fm[[72 + i, j]]);
    let y = Array1::from_shape_fn(n, |i| 100.0 * (c.close[73 + i] / c.close[72 + i]).ln());
    Dataset::new(x, y, names(&market::FEATURES)).expect("dataset")
}

fn rows(c: &Candles) -> Vec<[f64; 12]> {
    let mut buf = CandleBuffer::with_default_capacity();
    let mut out = Vec::new();
    for t in 0..c.len() {
        buf.push(Bar::of(c, t).expect("bar")).expect("push");
        if buf.is_ready() {
            out.push(*buf.features().expect("row"));
        }
    }
    out
}

#[test]
fn lstm_windowed_matches_batch_inference_and_carried_state_starts_identical() {
    let c = candles(21, 700);
    let model = lstm::LstmModel::params()
        .hidden_size(8)
        .window(8)
        .max_epochs(1)
        .batch_size(64)
        .check()
        .expect("params")
        .fit(&t0_dataset(&c))
        .expect("lstm fit");
    let dir = tempfile::tempdir().expect("tempdir");
    model.save(dir.path()).expect("save");
    let loaded = load_dir::<lstm::LstmModel>(dir.path()).expect("live load");

    let live_rows = rows(&c);
    let flat: Vec<f64> = live_rows.iter().flatten().copied().collect();
    let x = Array2::from_shape_vec((live_rows.len(), 12), flat).expect("matrix");
    let batch = loaded.predict(x.view()).expect("batch");

    let origin = Origin::Dir(dir.path().into());
    let mut windowed =
        LiveLstm::new(loaded.clone(), origin.clone(), LstmMode::Windowed).expect("w");
    let mut carried = LiveLstm::new(loaded, origin, LstmMode::Carried).expect("c");
    for (t, row) in live_rows.iter().enumerate() {
        let w = windowed.push(row).expect("windowed");
        let k = carried
            .push(row)
            .expect("carried")
            .expect("carried always answers");
        if t + 1 < 8 {
            assert_eq!(w, None, "bar {t}: no full window yet");
            continue;
        }
        let w = w.expect("windowed answers");
        assert!(
            (w - batch[t + 1 - 8]).abs() < 1e-5,
            "bar {t}: {w} vs {}",
            batch[t + 1 - 8]
        );
        if t + 1 == 8 {
            // Same 8 bars from the same zero state: identical forecasts.
            assert!((w - k).abs() < 1e-5, "{w} vs {k}");
        }
    }
    assert_eq!(carried.state().map(|s| s.steps()), Some(live_rows.len()));
    carried.reset();
    assert_eq!(carried.state().map(|s| s.steps()), Some(0));
}

#[test]
fn lstm_trained_on_other_columns_is_refused() {
    let c = candles(22, 400);
    let ds = t0_dataset(&c);
    let renamed = Dataset::new(
        ds.features().to_owned(),
        ds.targets().to_owned(),
        (0..12).map(|j| format!("f{j}")).collect(),
    )
    .expect("dataset");
    let model = lstm::LstmModel::params()
        .hidden_size(4)
        .window(4)
        .max_epochs(1)
        .check()
        .expect("params")
        .fit(&renamed)
        .expect("fit");
    let err = LiveLstm::new(model, Origin::Provided, LstmMode::Windowed).expect_err("refused");
    assert!(
        matches!(err, LiveError::FeatureOrder { position: 0, .. }),
        "{err}"
    );
}

fn strategy_returns(w: usize, k: usize) -> (Array2<f64>, Array2<f64>) {
    let mut u = agent_core::SplitMix64::new(5);
    let ctx = Array2::from_shape_fn((w, 7), |_| u.next_f64());
    // Strategy 0 pays when the first context value is high.
    let ret = Array2::from_shape_fn((w, k), |(i, j)| {
        let edge = if j == 0 {
            ctx[[i.saturating_sub(1), 0]] - 0.5
        } else {
            0.0
        };
        0.02 * edge + (u.next_f64() - 0.5) * 0.01
    });
    (ret, ctx)
}

#[test]
fn ppo_selector_builds_the_training_observation_and_carries_its_previous_choice() {
    let strategies = names(&["a", "b", "c"]);
    let (ret, ctx) = strategy_returns(200, 3);
    let data = Arc::new(
        ppo::StrategyData::new(
            strategies.clone(),
            names(&CTX),
            ret.iter().copied().collect(),
            ctx.iter().copied().collect(),
            None,
            160,
        )
        .expect("strategy data"),
    );
    let config = ppo::StrategyEnvConfig {
        episode_len: 16,
        ..Default::default()
    };
    let model = ppo::PpoParams::new()
        .n_envs(2)
        .n_steps(32)
        .batch_size(32)
        .n_epochs(2)
        .net_arch(ppo::NetArch {
            pi: vec![8],
            vf: vec![8],
        })
        .total_timesteps(256)
        .check()
        .expect("params")
        .fit_strategy(&data, &config, None)
        .expect("ppo fit");
    let dir = tempfile::tempdir().expect("tempdir");
    model.save(dir.path()).expect("save");
    let loaded = load_dir::<ppo::PpoModel>(dir.path()).expect("live load");

    let (mean, std) = data.context_scaler();
    // The zip carries the training context scaler: serving needs no data.
    let record = loaded.strategy_env().expect("recorded environment");
    assert_eq!((&record.context_mean, &record.context_std), (&mean, &std));
    assert_eq!(record.strategies, strategies);
    let mut live = LivePpo::from_model(loaded.clone(), Origin::Provided).expect("serve");
    let explicit = LivePpo::new(
        loaded.clone(),
        Origin::Provided,
        (mean.clone(), std.clone()),
    )
    .expect("serve with an explicit scaler");
    assert_eq!(explicit.layout(), live.layout());
    assert_eq!(live.layout().context_cols, vec![4, 6, 7, 8, 9, 10, 11]);
    assert_eq!(live.layout().n_prev, 3);

    let c = candles(23, 300);
    let mut prev: Option<usize> = None;
    for row in rows(&c).iter().take(50) {
        let choice = live.act(row, market::Regime::Low, &[]).expect("act");
        // The same observation built by hand gives the same greedy action.
        let mut obs: Vec<f32> = live
            .layout()
            .context_cols
            .iter()
            .enumerate()
            .map(|(i, &col)| ((row[col] - mean[i]) / std[i]) as f32)
            .collect();
        obs.extend([0.0f32; 3]);
        if let Some(p) = prev {
            obs[7 + p] = 1.0;
        }
        assert_eq!(choice.action, loaded.act_greedy(&obs).expect("direct"));
        assert_eq!(
            choice.name.as_deref(),
            Some(strategies[choice.action].as_str())
        );
        prev = Some(choice.action);
    }

    let err =
        LivePpo::new(loaded, Origin::Provided, (vec![0.0; 2], vec![1.0; 2])).expect_err("scaler");
    assert!(matches!(err, LiveError::InvalidInput(_)), "{err}");
}

#[test]
fn meta_selector_ranks_every_strategy_from_trailing_returns_and_context() {
    let strategies = names(&["trend", "revert", "hold"]);
    let (ret, ctx) = strategy_returns(300, 3);
    let sr =
        meta_selector::StrategyReturns::new(strategies.clone(), ret.clone(), names(&CTX), ctx, 240)
            .expect("returns");
    let table = meta_selector::MetaTable::from_strategy_returns(&sr, 10).expect("table");
    let model = meta_selector::MetaSelector::params()
        .learning_rates(vec![0.1])
        .num_leaves(vec![7])
        .check()
        .expect("params")
        .fit(&table)
        .expect("meta fit");
    let dir = tempfile::tempdir().expect("tempdir");
    model.save(dir.path()).expect("save");
    let loaded = load_dir::<meta_selector::MetaSelector>(dir.path()).expect("live load");
    // The artifact records the lookback: serving needs no other setting.
    assert_eq!(loaded.lookback(), Some(10));
    let again = load_dir::<meta_selector::MetaSelector>(dir.path()).expect("live load");
    let err = LiveMetaSelector::new(again, Origin::Provided, 5).expect_err("other lookback");
    let mut live = LiveMetaSelector::from_model(loaded, Origin::Provided).expect("serve");
    assert!(err.to_string().contains("10-window"), "{err}");

    let c = candles(24, 300);
    let row = *rows(&c).last().expect("a row");
    assert!(live.rank(&row).is_err(), "no history yet");
    for w in ret.rows().into_iter().take(12) {
        live.record_window(w.as_slice().expect("row"))
            .expect("record");
    }
    assert_eq!(live.windows(), 10);
    let ranked = live.rank(&row).expect("rank");
    assert_eq!(ranked.len(), 3);
    assert!(ranked.windows(2).all(|p| p[0].predicted >= p[1].predicted));
    let mut seen: Vec<&str> = ranked.iter().map(|r| r.strategy.as_str()).collect();
    seen.sort_unstable();
    assert_eq!(seen, ["hold", "revert", "trend"]);

    // The ranking is the model's prediction on SPEC T2's feature row.
    let best = &ranked[0];
    let hist: Vec<f64> = ret
        .column(best.index)
        .iter()
        .skip(2)
        .take(10)
        .copied()
        .collect();
    let stats = meta_selector::TrailingStats::from_returns(&hist).expect("stats");
    let mut x = vec![best.index as f64];
    x.extend(stats.to_array());
    x.extend([row[4], row[6], row[7], row[8], row[9], row[10], row[11]]);
    let direct = live.model().predict_row(&x).expect("direct");
    assert!((direct - best.predicted).abs() < 1e-12);

    assert!(live.record_window(&[0.0; 2]).is_err());
}

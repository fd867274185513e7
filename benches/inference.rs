//! Per-bar inference of every agent together, as a live bot runs it: push a
//! candle, compute the T0 row (`CandleBuffer`, training's code path), then
//! regime, signal, LinUCB select + update, meta-selector ranking, PPO action,
//! LSTM forecast and OU score. Default model sizes (regime: the embedded
//! fallback; LSTM: hidden 64, window 32; PPO: pi/vf [64, 64]); the models are
//! trained briefly on synthetic data first (their weights do not change the
//! cost). Target: well under 1 ms per bar.

use agent_core::{Dataset, Fit, ParamGuard};
use cointrainer::live::{
    Bar, CandleBuffer, LiveLinUcb, LiveLstm, LiveMetaSelector, LiveOu, LivePpo, LiveRegime,
    LiveSignal, LstmMode, ModelSlot, Origin,
};
use criterion::{Criterion, criterion_group, criterion_main};
use market::{Candles, SyntheticMarket, feature_matrix};
use ndarray::{Array1, Array2};
use regime::RegimeModel;
use signal::SignalModel;
use std::hint::black_box;
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
const STRATEGIES: [&str; 5] = [
    "buy_hold",
    "sma_cross",
    "zscore_mr",
    "breakout_24",
    "rsi_rev",
];

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

struct Bot {
    regime: LiveRegime,
    signal: LiveSignal,
    bandit: LiveLinUcb,
    meta: LiveMetaSelector,
    ppo: LivePpo,
    lstm: LiveLstm,
    lstm_carried: LiveLstm,
    ou: LiveOu,
}

fn t0_dataset(c: &Candles) -> Dataset {
    let fm = feature_matrix(c);
    let n = c.len();
    let rows = 72..n - 1;
    let x = Array2::from_shape_fn((rows.len(), 12), |(i, j)| fm[[72 + i, j]]);
    let y = Array1::from_shape_fn(rows.len(), |i| {
        100.0 * (c.close[73 + i] / c.close[72 + i]).ln()
    });
    Dataset::new(x, y, names(&market::FEATURES)).expect("dataset")
}

fn build(c: &Candles) -> Bot {
    let regime = LiveRegime::new(Arc::new(
        ModelSlot::<RegimeModel>::regime_with_fallback::<store::LocalStore>(None, "BENCH")
            .expect("fallback"),
    ));

    let labelled =
        signal::candles::t0_labeled(c, &signal::labels::LabelSpec::default()).expect("signal data");
    let sig = SignalModel::params()
        .cs(vec![1.0])
        .l1_ratios(vec![0.0])
        .n_splits(2)
        .check()
        .expect("params")
        .fit(&labelled.dataset)
        .expect("signal");
    let signal = LiveSignal::new(Arc::new(
        ModelSlot::new(sig, Origin::Provided).expect("slot"),
    ));

    let p = linucb::LinUcbParams::new().check().expect("params");
    let bandit = LiveLinUcb::untrained(
        &p,
        names(&STRATEGIES),
        names(&["low", "medium", "high"]),
        names(&CTX),
    )
    .expect("bandit");

    // Per-window strategy returns and context (random: only the cost matters).
    let mut u = agent_core::SplitMix64::new(1);
    let (w, k) = (400, STRATEGIES.len());
    let returns = Array2::from_shape_fn((w, k), |_| (u.next_f64() - 0.5) * 0.05);
    let context = Array2::from_shape_fn((w, 7), |_| u.next_f64());
    let sr = meta_selector::StrategyReturns::new(
        names(&STRATEGIES),
        returns.clone(),
        names(&CTX),
        context.clone(),
        320,
    )
    .expect("returns");
    let table = meta_selector::MetaTable::from_strategy_returns(&sr, 10).expect("table");
    let meta_model = meta_selector::MetaSelector::params()
        .learning_rates(vec![0.1])
        .num_leaves(vec![15])
        .check()
        .expect("params")
        .fit(&table)
        .expect("meta");
    let mut meta = LiveMetaSelector::from_model(meta_model, Origin::Provided).expect("meta");
    for r in returns.rows().into_iter().take(10) {
        meta.record_window(r.as_slice().expect("row"))
            .expect("record");
    }

    let data = Arc::new(
        ppo::StrategyData::new(
            names(&STRATEGIES),
            names(&CTX),
            returns.iter().copied().collect(),
            context.iter().copied().collect(),
            None,
            320,
        )
        .expect("strategy data"),
    );
    let ppo_model = ppo::PpoParams::t4()
        .total_timesteps(4_096)
        .check()
        .expect("params")
        .fit_strategy(&data, &ppo::StrategyEnvConfig::default(), None)
        .expect("ppo");
    let ppo = LivePpo::from_model(ppo_model, Origin::Provided).expect("ppo");

    let lstm_model = lstm::LstmModel::params()
        .max_epochs(1)
        .check()
        .expect("params")
        .fit(&t0_dataset(c))
        .expect("lstm");
    let lstm =
        LiveLstm::new(lstm_model.clone(), Origin::Provided, LstmMode::Windowed).expect("lstm");
    let lstm_carried =
        LiveLstm::new(lstm_model, Origin::Provided, LstmMode::Carried).expect("lstm");

    let ou_params = ou_mean::MeanReversionParams::new().check().expect("params");
    let ou_model = ou_mean::MeanReversionModel::fit_prices(&ou_params, &c.close).expect("ou");
    let ou = LiveOu::new(ou_model, Origin::Provided, false).expect("ou");

    Bot {
        regime,
        signal,
        bandit,
        meta,
        ppo,
        lstm,
        lstm_carried,
        ou,
    }
}

fn bench(cr: &mut Criterion) {
    let c = SyntheticMarket::new()
        .seed(3)
        .bars(20_000)
        .generate()
        .expect("market")
        .candles;
    let mut bot = build(&c.slice(0..3_000));
    let mut buf = CandleBuffer::with_default_capacity();
    let mut t = 0;
    // Warm the buffer and the LSTM window before timing.
    while t < 3_000 {
        buf.push(Bar::of(&c, t).expect("bar")).expect("push");
        if buf.is_ready() {
            let row = *buf.features().expect("row");
            bot.lstm.push(&row).expect("lstm");
        }
        t += 1;
    }
    let mut next = move || {
        // Replay the series again with shifted timestamps when it runs out.
        let i = t % c.len();
        let mut b = Bar::of(&c, i).expect("bar");
        b.ts += (t / c.len()) as i64 * 1_000_000_000_000;
        t += 1;
        b
    };

    let mut g = cr.benchmark_group("inference");
    g.sample_size(30);
    g.bench_function("features_only", |b| {
        b.iter(|| {
            buf.push(next()).expect("push");
            black_box(buf.features().expect("row")[0])
        })
    });
    g.bench_function("all_agents_per_bar", |b| {
        b.iter(|| {
            buf.push(next()).expect("push");
            let row = *buf.features().expect("row");
            let r = bot.regime.predict(&row).expect("regime");
            let s = bot.signal.predict(&row).expect("signal");
            let arm = bot
                .bandit
                .select(r.prediction.regime, &row)
                .expect("select");
            bot.bandit.update(0.01).expect("update");
            let ranked = bot.meta.rank(&row).expect("rank");
            let a = bot.ppo.act(&row, r.prediction.regime, &[]).expect("ppo");
            let f = bot.lstm.push(&row).expect("lstm");
            let o = bot.ou.score(&buf).expect("ou");
            black_box((r, s, arm, ranked, a, f, o))
        })
    });
    let row = *buf.features().expect("row");
    g.bench_function("regime", |b| b.iter(|| bot.regime.predict(black_box(&row))));
    g.bench_function("signal", |b| b.iter(|| bot.signal.predict(black_box(&row))));
    g.bench_function("linucb_select_update", |b| {
        b.iter(|| {
            let a = bot.bandit.select(market::Regime::Low, black_box(&row));
            let _ = bot.bandit.update(0.01);
            a
        })
    });
    g.bench_function("meta_rank", |b| b.iter(|| bot.meta.rank(black_box(&row))));
    g.bench_function("ppo_act", |b| {
        b.iter(|| bot.ppo.act(black_box(&row), market::Regime::Low, &[]))
    });
    g.bench_function("lstm_windowed", |b| {
        b.iter(|| bot.lstm.push(black_box(&row)))
    });
    g.bench_function("lstm_carried", |b| {
        b.iter(|| bot.lstm_carried.push(black_box(&row)))
    });
    g.bench_function("ou_score", |b| b.iter(|| bot.ou.score(black_box(&buf))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! `lstm`: sequence regressor of the next bars' log return (percent) from
//! windows of the five SPEC T6 inputs (`backtest::LSTM_FEATURES`: the T0
//! definitions of lr_1, vol_24, rsi_14, zscore_20, vol_z_20), so the model
//! drives the backtester's LSTM bot as trained; trained on the first bars,
//! scored on the held-out last bars.

use super::*;
use agent_core::{Dataset, ParamGuard, Persist};
use lstm::{LstmModel, forward_log_returns};
use ndarray::{Array1, s};

const AGENT: &str = "lstm";
const LOCAL: [&str; 1] = ["test_fraction"];

pub struct LstmAgent;

/// Rows with finite features and a label: the T0 warm-up rows at the start
/// and the last `horizon` rows (no future yet) are dropped. Also returns the
/// candle index of the first row (row `i` is bar `first + i`).
pub(crate) fn dataset(candles: &Candles, horizon: usize) -> Result<(Dataset, usize), TrainError> {
    let all = market::feature_matrix(candles);
    let cols: Vec<usize> = backtest::LSTM_FEATURES
        .iter()
        .map(|f| {
            market::FEATURES
                .iter()
                .position(|g| g == f)
                .ok_or_else(|| TrainError::Data(format!("lstm: T0 has no feature `{f}`")))
        })
        .collect::<Result<_, _>>()?;
    let x = all.select(ndarray::Axis(1), &cols);
    let y =
        forward_log_returns(&candles.close, horizon, 100.0).map_err(|e| agent_err(AGENT, &e))?;
    let n = x.nrows().min(y.len());
    let first = (0..n)
        .find(|&i| x.row(i).iter().all(|v| v.is_finite()))
        .unwrap_or(n);
    let end = n.saturating_sub(horizon);
    if end <= first {
        return Err(TrainError::Data(format!(
            "lstm: {n} bars leave no labelled rows after the feature warm-up ({first} bars)"
        )));
    }
    let names = backtest::LSTM_FEATURES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ds = Dataset::new(
        x.slice(s![first..end, ..]).to_owned(),
        Array1::from(y[first..end].to_vec()),
        names,
    )
    .map_err(|e| agent_err(AGENT, &e))?;
    Ok((ds, first))
}

impl AgentTrainer for LstmAgent {
    fn name(&self) -> &'static str {
        AGENT
    }
    fn describe(&self) -> &'static str {
        "LSTM forecast of the next bars' log return from feature windows"
    }
    fn bootstrap(&self) -> Bootstrap {
        Bootstrap::Candles
    }
    fn promote_metric(&self) -> (&'static str, Direction) {
        ("test_mse", Direction::Minimize)
    }
    fn param_keys(&self) -> Vec<&'static str> {
        vec![
            "hidden_size",
            "num_layers",
            "dropout",
            "window",
            "horizon",
            "learning_rate",
            "weight_decay",
            "beta1",
            "beta2",
            "eps",
            "grad_clip_norm",
            "batch_size",
            "max_epochs",
            "patience",
            "min_delta",
            "val_fraction",
            "standardize",
            "seed",
            "threads",
            "test_fraction",
        ]
    }

    fn check_device(&self, device: Device, _: &Map<String, Value>) -> Result<(), TrainError> {
        device.lstm_backend(AGENT).map(|_| ())
    }

    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError> {
        let (local, rest) = take_local(ctx.params, &LOCAL);
        let test_fraction: f64 = local_or(AGENT, &local, "test_fraction", 0.2)?;
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(TrainError::Params {
                agent: AGENT.into(),
                why: format!("`test_fraction` = {test_fraction} must be in (0, 1)"),
            });
        }
        let horizon: usize = local_or(AGENT, &rest, "horizon", 1)?;
        let params = crate::apply_params!(AGENT, rest, LstmModel::params(), [
            hidden_size: usize,
            num_layers: usize,
            dropout: f64,
            window: usize,
            horizon: usize,
            learning_rate: f64,
            weight_decay: f64,
            beta1: f64,
            beta2: f64,
            eps: f64,
            grad_clip_norm: Option<f64>,
            batch_size: usize,
            max_epochs: usize,
            patience: usize,
            min_delta: f64,
            val_fraction: f64,
            standardize: bool,
            seed: u64,
            threads: usize,
        ]);
        // On the CPU this is flex, the default: the native kernels train.
        let params = params
            .backend(ctx.device.lstm_backend(AGENT)?)
            .check()
            .map_err(|e| agent_err(AGENT, &e))?;
        let (_, candles) = ctx.data.primary()?;
        let (data, first_bar) = dataset(candles, horizon)?;
        let n = data.n_samples();
        // Purge `horizon` rows so no training label looks into the test span.
        let test_start = ((1.0 - test_fraction) * n as f64).floor() as usize;
        let split = agent_core::purged_split(n, &[test_start], agent_core::Purge::new(horizon))
            .map_err(|e| agent_err(AGENT, &e))?;
        let (train, _) = data
            .split_at(split.periods[0].end)
            .map_err(|e| agent_err(AGENT, &e))?;
        let progress = ctx.core_progress();
        let mut model = params
            .fit_with_progress(&train, Some(&progress))
            .map_err(|e| agent_err(AGENT, &e))?;
        let test_rows = test_start.max(model.window().saturating_sub(1))..n;
        let mut m = model
            .evaluate(&data, test_rows.clone())
            .map_err(|e| agent_err(AGENT, &e))?;
        m.insert("purged_rows".into(), split.purged_rows as f64);
        model.record_metrics("test", &m);
        let dir = ctx.model_dir();
        model.set_provenance(Some(ctx.data.provenance.clone()));
        model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
        // The bar times of the first and last test rows.
        record_test_span(
            &dir,
            candles.ts[first_bar + test_rows.start],
            candles.ts[first_bar + test_rows.end - 1],
        )?;
        let mut plots = Vec::new();
        if let Some(rep) = model.report() {
            let _ = rep.write_csv(&ctx.out_dir.join("epochs.csv"));
            let p = ctx.out_dir.join("loss.png");
            if rep.write_png(&p).is_ok() {
                plots.push(p);
            }
        }
        let g = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
        Ok(Trained {
            metrics: saved_metrics(&dir)?,
            model_dir: dir,
            plots,
            summary: format!(
                "test MSE {:.5} (predicting 0: {:.5}), R2 {:.4} on {} windows",
                g("mse"),
                g("mse_zero"),
                g("r2"),
                g("n")
            ),
        })
    }

    fn evaluate(
        &self,
        blob: &[u8],
        data: &MarketData,
        _: Option<&backtest::StrategyReturns>,
        slice: Option<&EvalSlice>,
    ) -> Result<Evaluation, TrainError> {
        let model = LstmModel::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        let (_, candles) = data.primary()?;
        let (ds, first_bar) = dataset(candles, model.horizon())?;
        let n = ds.n_samples();
        let ts = &candles.ts[first_bar..first_bar + n];
        // Rows with a full window before them; a slice narrows them.
        let mut rows = model.window().saturating_sub(1)..n;
        if let Some(s) = slice {
            let r = s.rows(ts);
            rows = rows.start.max(r.start)..r.end;
            if rows.start >= rows.end {
                return Err(empty_slice(AGENT, s));
            }
        }
        let m = model
            .evaluate(&ds, rows.clone())
            .map_err(|e| agent_err(AGENT, &e))?;
        let metrics = num_metrics(m);
        if slice.is_none() {
            return Ok(Evaluation {
                metrics,
                paired: None,
            });
        }
        // Negative squared error per row (its mean is minus `mse`), from the
        // same windowed outputs the metrics use; regression models only.
        let paired = match model.task() {
            lstm::Task::Regression => {
                let first = rows.start + 1 - model.window();
                let out = model
                    .outputs(ds.features().slice(s![first..rows.end, ..]))
                    .map_err(|e| agent_err(AGENT, &e))?;
                let y = ds.targets();
                let values = rows
                    .clone()
                    .enumerate()
                    .map(|(i, r)| -(out[[i, 0]] - y[r]).powi(2))
                    .collect();
                Some(PairedScores {
                    name: "neg_squared_error".into(),
                    ts: ts[rows].to_vec(),
                    values,
                })
            }
            lstm::Task::Classification { .. } => None,
        };
        Ok(Evaluation {
            metrics: with_promote_metric(metrics, self.promote_metric().0),
            paired,
        })
    }
}

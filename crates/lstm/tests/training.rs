//! Training, inference and persistence through the public API, on small
//! synthetic series (each test runs in well under a second in release).

use agent_core::{Dataset, Fit, ParamGuard, Persist, SplitMix64};
use lstm::{Engine, LrSchedule, LstmError, LstmModel, LstmParams, Task};
use ndarray::{Array1, Array2};

/// 2 features of an AR(1)-like series; the target at row t is a known
/// function of rows t-1 and t-3, so an LSTM with window >= 4 can learn it.
fn toy(n: usize, seed: u64) -> Dataset {
    let mut rng = SplitMix64::new(seed);
    let mut x = Array2::zeros((n, 2));
    let mut a = 0.0;
    for t in 0..n {
        a = 0.7 * a + rng.next_normal();
        x[[t, 0]] = a;
        x[[t, 1]] = 10.0 + 3.0 * rng.next_normal(); // scaled-away level
    }
    let y = Array1::from_shape_fn(n, |t| {
        if t < 3 {
            0.0
        } else {
            0.8 * x[[t - 1, 0]] - 0.5 * x[[t - 3, 0]] + 0.1 * rng.next_normal()
        }
    });
    Dataset::new(x, y, vec!["a".into(), "level".into()]).unwrap()
}

fn small() -> LstmParams {
    LstmModel::params()
        .hidden_size(12)
        .window(6)
        .batch_size(32)
        .max_epochs(6)
        .learning_rate(1e-2)
        .weight_decay(0.0)
        .threads(2)
}

#[test]
fn training_is_seeded_and_bitwise_reproducible() {
    let d = toy(500, 1);
    let a = small().check().unwrap().fit(&d).unwrap();
    let b = small().check().unwrap().fit(&d).unwrap();
    assert_eq!(a.weights(), b.weights());
    let c = small().seed(9).check().unwrap().fit(&d).unwrap();
    assert_ne!(a.weights(), c.weights());
}

#[test]
fn training_learns_a_predictable_target() {
    let d = toy(1500, 2);
    let m = small()
        .max_epochs(15)
        .patience(5)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    let r = m.report().unwrap();
    // Target variance is about 0.8^2 + 0.5^2 times var(a) (about 2); a fit
    // that learned the lags is far below it.
    assert!(r.best_val_loss < 0.3, "val mse {}", r.best_val_loss);
    assert!(r.epochs[0].train_loss > r.epochs.last().unwrap().train_loss);
}

#[test]
fn best_epoch_weights_are_restored_not_the_last() {
    let d = toy(600, 3);
    // A large rate makes validation loss bounce, so the last epoch is
    // rarely the best one.
    let m = small()
        .learning_rate(0.05)
        .max_epochs(8)
        .patience(8)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    let r = m.report().unwrap().clone();
    let best = r
        .epochs
        .iter()
        .map(|e| e.val_loss)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(r.best_val_loss, best);
    assert_eq!(r.epochs[r.best_epoch - 1].val_loss, best);
    // Recompute the validation MSE with the returned model.
    let n_samples = 600 - 6 + 1;
    let n_fit = (0.9 * n_samples as f64).floor() as usize;
    let first_row = n_fit + 5;
    let got = m.evaluate(&d, first_row..600).unwrap()["mse"];
    assert!(
        (got - best).abs() < 1e-5 * (1.0 + best),
        "model val mse {got} vs best epoch {best}"
    );
}

#[test]
fn early_stopping_waits_exactly_patience_epochs() {
    let d = toy(400, 4);
    let m = small()
        .max_epochs(40)
        .patience(2)
        .learning_rate(0.2)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    let r = m.report().unwrap();
    assert!(r.stopped_early, "{r:?}");
    assert_eq!(r.epochs.len(), r.best_epoch + 2);
}

#[test]
fn schedules_change_the_learning_rate_per_epoch() {
    let d = toy(300, 5);
    let m = small()
        .max_epochs(4)
        .patience(10)
        .lr_schedule(LrSchedule::Step {
            every: 2,
            gamma: 0.1,
        })
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    let lrs: Vec<f64> = m.report().unwrap().epochs.iter().map(|e| e.lr).collect();
    assert!(
        (lrs[0] - 1e-2).abs() < 1e-15 && (lrs[2] - 1e-3).abs() < 1e-15,
        "{lrs:?}"
    );
}

#[test]
fn save_load_round_trip_predicts_identically_and_keeps_the_window() {
    let d = toy(300, 6);
    let mut m = small().max_epochs(2).check().unwrap().fit(&d).unwrap();
    let test = m.evaluate(&d, 250..300).unwrap();
    m.record_metrics("test", &test);
    let dir = tempfile::tempdir().unwrap();
    let man = m.save(dir.path()).unwrap();
    assert!(man.files.contains_key("weights.safetensors") && man.files.contains_key("model.bpk"));
    assert!(man.metrics.contains_key("test_mse") && man.metrics.contains_key("val_mse"));
    assert_eq!(man.extra["window"], 6);
    let back = LstmModel::load(dir.path()).unwrap();
    assert_eq!(back.window(), 6);
    assert_eq!(
        back.predict(d.features()).unwrap(),
        m.predict(d.features()).unwrap()
    );
    assert_eq!(back.report(), m.report());
    let blob = LstmModel::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(blob.weights(), m.weights());
    // The burn record holds the same weights.
    let rec = m.burn_record_bytes().unwrap();
    assert_eq!(&m.weights_from_burn_record(rec).unwrap(), m.weights());
}

#[test]
fn window_length_is_enforced_at_inference() {
    let d = toy(200, 7);
    let m = small().max_epochs(1).check().unwrap().fit(&d).unwrap();
    let rows: Vec<f64> = d
        .features()
        .rows()
        .into_iter()
        .take(7)
        .flatten()
        .copied()
        .collect();
    let err = m.predict_window(&rows).unwrap_err();
    assert!(
        matches!(
            err,
            LstmError::WindowMismatch {
                expected: 6,
                got: 7
            }
        ),
        "{err}"
    );
    assert!(m.predict_window(&rows[..12]).is_ok());
    let short = d.features().slice_move(ndarray::s![..5, ..]);
    assert!(matches!(m.predict(short), Err(LstmError::TooShort { .. })));
    let wrong_cols = Array2::<f64>::zeros((10, 3));
    assert!(m.predict(wrong_cols.view()).is_err());
}

#[test]
fn bar_by_bar_prediction_equals_batch_prediction() {
    let d = toy(120, 8);
    let m = small().max_epochs(1).check().unwrap().fit(&d).unwrap();
    let batch = m.predict(d.features()).unwrap();
    let mut bp = m.bar_predictor();
    let mut got = Vec::new();
    for r in d.features().rows() {
        if let Some(p) = bp.push(r.as_slice().unwrap()).unwrap() {
            got.push(p);
        }
    }
    assert_eq!(got.len(), batch.len());
    for (a, b) in got.iter().zip(&batch) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    // Carrying the state over exactly one window from zero is the same
    // prediction as the window itself.
    let mut s = m.initial_state();
    let mut last = f64::NAN;
    for r in d.features().rows().into_iter().take(6) {
        last = m.step(&mut s, r.as_slice().unwrap()).unwrap();
    }
    assert_eq!(s.steps(), 6);
    assert!((last - batch[0]).abs() < 1e-6, "{last} vs {}", batch[0]);
}

#[test]
fn classifier_trains_and_probabilities_sum_to_one() {
    let d = toy(500, 9);
    // Direction of the target as classes 0 (down) / 1 (up).
    let y = d.targets().mapv(|v| if v > 0.0 { 1.0 } else { 0.0 });
    let d = Dataset::new(d.features().to_owned(), y, d.feature_names().to_vec()).unwrap();
    let m = small()
        .task(Task::Classification { n_classes: 2 })
        .max_epochs(8)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    let p = m.predict_proba(d.features()).unwrap();
    for r in p.rows() {
        assert!((r.sum() - 1.0).abs() < 1e-9);
    }
    let e = m.evaluate(&d, 400..500).unwrap();
    assert!(e["accuracy"] > 0.7, "{e:?}");
    let bad = Dataset::new(
        d.features().to_owned(),
        d.targets().mapv(|v| v * 2.0),
        vec!["a".into(), "b".into()],
    )
    .unwrap();
    let err = small()
        .task(Task::Classification { n_classes: 2 })
        .check()
        .unwrap()
        .fit(&bad)
        .unwrap_err();
    assert!(matches!(err, LstmError::BadClass { .. }), "{err}");
}

#[test]
fn burn_engine_trains_the_same_model_as_the_native_engine() {
    let d = toy(160, 10);
    let p = small().max_epochs(1).threads(1);
    let a = p
        .clone()
        .engine(Engine::Native)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    let b = p.engine(Engine::Burn).check().unwrap().fit(&d).unwrap();
    assert_eq!(b.report().unwrap().engine, "burn");
    let worst = a
        .weights()
        .as_slice()
        .iter()
        .zip(b.weights().as_slice())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "weights differ by {worst}");
    let on_burn = a.outputs_on(d.features(), lstm::Backend::Flex).unwrap();
    let native = a.outputs(d.features()).unwrap();
    let diff = (&on_burn - &native)
        .mapv(f64::abs)
        .fold(0.0f64, |m, &v| m.max(v));
    assert!(diff < 1e-5, "{diff}");
}

#[test]
fn stacked_layers_with_dropout_train() {
    let d = toy(300, 11);
    let m = small()
        .num_layers(2)
        .dropout(0.2)
        .max_epochs(2)
        .check()
        .unwrap()
        .fit(&d)
        .unwrap();
    assert_eq!(m.weights().dims().num_layers, 2);
    assert!(m.report().unwrap().best_val_loss.is_finite());
}

#[test]
fn non_finite_features_are_rejected_with_their_position() {
    let mut d = toy(100, 12).features().to_owned();
    d[[40, 1]] = f64::NAN;
    let ds = Dataset::new(d, Array1::zeros(100), vec!["a".into(), "b".into()]).unwrap();
    let err = small().check().unwrap().fit(&ds).unwrap_err().to_string();
    assert!(err.contains("NaN"), "{err}");
}

#[test]
fn loss_curves_are_written_as_csv_and_png() {
    let d = toy(200, 13);
    let m = small().max_epochs(2).check().unwrap().fit(&d).unwrap();
    let r = m.report().unwrap();
    let dir = tempfile::tempdir().unwrap();
    r.write_csv(&dir.path().join("loss.csv")).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("loss.csv")).unwrap();
    assert!(csv.starts_with("epoch,train_loss,val_loss,lr,seconds\n"));
    assert_eq!(lstm::TrainReport::epochs_from_csv(&csv).unwrap(), r.epochs);
    #[cfg(feature = "plot")]
    {
        r.write_png(&dir.path().join("loss.png")).unwrap();
        let png = std::fs::read(dir.path().join("loss.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}

#[test]
fn fit_windows_whose_label_reaches_validation_are_purged() {
    // Labels looking `h` bars ahead: the targets of the `h` fit windows right
    // before validation are made from bars inside it. A copy of the data
    // gives exactly those targets extreme values.
    let (n, window, h) = (500, 6, 4);
    let clean = toy(n, 3);
    let n_samples = n - window + 1;
    let n_fit = (0.9 * n_samples as f64).floor() as usize;
    let mut y = clean.targets().to_vec();
    for s in n_fit - h..n_fit {
        y[s + window - 1] = 25.0;
    }
    let leaky = Dataset::new(
        clean.features().to_owned(),
        Array1::from(y),
        clean.feature_names().to_vec(),
    )
    .unwrap();
    let fit = |d: &Dataset, horizon: usize| {
        small()
            .horizon(horizon)
            .max_epochs(2)
            .check()
            .unwrap()
            .fit(d)
            .unwrap()
    };
    // Purged: those windows never train, so the model and its validation
    // loss are the ones the clean data gives.
    let (a, b) = (fit(&clean, h), fit(&leaky, h));
    let (ra, rb) = (a.report().unwrap(), b.report().unwrap());
    assert_eq!((ra.n_fit, ra.purged_samples), (n_fit - h, h));
    assert_eq!(a.weights(), b.weights());
    assert_eq!(ra.best_val_loss, rb.best_val_loss);
    assert_eq!(a.metrics()["val_purged_samples"], h);
    // Purging only one window, the others train and change the model.
    let (c, d) = (fit(&clean, 1), fit(&leaky, 1));
    assert_ne!(c.weights(), d.weights());
    assert_ne!(
        c.report().unwrap().best_val_loss,
        d.report().unwrap().best_val_loss
    );
}

//! rl_selector.zip and the manifest-checked artifact: round trips, clear
//! errors for corrupted and foreign files, metrics in the manifest.

use ppo::{
    ContextualBandit, Fit, NetArch, ParamGuard, Persist, PpoModel, PpoParams, Schedule,
    StrategyData, VecEnv,
};
use std::io::Write;

fn tiny_model(normalize: bool) -> PpoModel {
    let mut venv = VecEnv::new(
        (0..2)
            .map(|_| ContextualBandit::new(3, 3, 4).unwrap())
            .collect(),
    )
    .unwrap();
    PpoParams::new()
        .n_steps(16)
        .batch_size(16)
        .n_epochs(2)
        .learning_rate(Schedule::constant(1e-3))
        .net_arch(NetArch {
            pi: vec![8],
            vf: vec![8],
        })
        .total_timesteps(128)
        .normalize_obs(normalize)
        .check()
        .unwrap()
        .learn(&mut venv, None)
        .unwrap()
}

/// A strategy table where strategy 0 pays when ctx_x > 0 and strategy 1
/// otherwise, so a selector can beat every fixed strategy.
fn synthetic_strategies() -> StrategyData {
    let n = 400;
    let mut returns = Vec::new();
    let mut context = Vec::new();
    let mut rng = agent_core::SplitMix64::new(5);
    let mut x = rng.next_normal();
    for _ in 0..n {
        context.push(x);
        // the next window's returns depend on this window's context
        let next_x = rng.next_normal();
        returns.push(0.0);
        returns.push(0.0);
        returns.push(0.001 * rng.next_normal());
        context.push(0.1 * rng.next_normal());
        x = next_x;
    }
    for w in 1..n {
        let prev = context[(w - 1) * 2];
        let noise = 0.002 * rng.next_normal();
        returns[w * 3] = if prev > 0.0 { 0.01 } else { -0.01 } + noise;
        returns[w * 3 + 1] = if prev > 0.0 { -0.01 } else { 0.01 } + noise;
    }
    StrategyData::new(
        vec!["long".into(), "short".into(), "flat".into()],
        vec!["ctx_x".into(), "ctx_noise".into()],
        returns,
        context,
        None,
        300,
    )
    .unwrap()
}

#[test]
fn zip_round_trip_keeps_policy_statistics_and_actions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(ppo::ZIP_FILE_NAME);
    for normalize in [false, true] {
        let model = tiny_model(normalize);
        model.save_zip(&path).unwrap();
        let back = PpoModel::load_zip(&path).unwrap();
        assert_eq!(back, model);
        for c in 0..3 {
            let mut obs = vec![0.0f32; 3];
            obs[c] = 1.0;
            assert_eq!(
                back.act_greedy(&obs).unwrap(),
                model.act_greedy(&obs).unwrap()
            );
            assert_eq!(
                back.action_probabilities(&obs).unwrap(),
                model.action_probabilities(&obs).unwrap()
            );
            let mut r1 = agent_core::SplitMix64::new(9);
            let mut r2 = agent_core::SplitMix64::new(9);
            assert_eq!(
                back.act_stochastic(&obs, &mut r1).unwrap(),
                model.act_stochastic(&obs, &mut r2).unwrap()
            );
        }
        assert_eq!(back.obs_normalizer().is_some(), normalize);
    }
}

#[test]
fn corrupted_zip_gets_a_clear_error() {
    let model = tiny_model(false);
    let bytes = model.to_zip_bytes().unwrap();
    // flip one byte inside every entry's data in turn: never a panic, always
    // an error that names the problem
    let mut saw_corrupt = false;
    for pos in (40..bytes.len() - 100).step_by(97) {
        let mut b = bytes.clone();
        b[pos] ^= 0x5a;
        match PpoModel::from_zip_bytes(&b, "rl_selector.zip") {
            Ok(m) => assert_eq!(m.params().len(), model.params().len()),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("rl_selector.zip: "), "{msg}");
                saw_corrupt |=
                    msg.contains("corrupted") || msg.contains("not a zip") || msg.contains("JSON");
            }
        }
    }
    assert!(saw_corrupt);
    // truncation
    for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(PpoModel::from_zip_bytes(&bytes[..cut], "x.zip").is_err());
    }
}

#[test]
fn tampered_weights_fail_the_checksum() {
    let model = tiny_model(false);
    let bytes = model.to_zip_bytes().unwrap();
    // rebuild the zip with the same config but other weights
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        if f.name() == "policy.safetensors" {
            let last = data.len() - 1;
            data[last] ^= 1;
        }
        entries.push((f.name().to_string(), data));
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in &entries {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    let tampered = w.finish().unwrap().into_inner();
    let err = PpoModel::from_zip_bytes(&tampered, "t.zip")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("policy.safetensors") && err.contains("corrupted"),
        "{err}"
    );
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn foreign_zips_are_named_as_such() {
    let sb3 = zip_with(&[
        ("data", b"{}"),
        ("policy.pth", b"\x80\x02"),
        ("pytorch_variables.pth", b""),
    ]);
    let err = PpoModel::from_zip_bytes(&sb3, "ppo_selector.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("stable-baselines3"), "{err}");
    let other = zip_with(&[("readme.txt", b"hello")]);
    let err = PpoModel::from_zip_bytes(&other, "o.zip")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not an rl_selector.zip") && err.contains("readme.txt"),
        "{err}"
    );
    let wrong_format = zip_with(&[(
        "config.json",
        br#"{"format": "something-else", "format_version": 1}"#,
    )]);
    let err = PpoModel::from_zip_bytes(&wrong_format, "w.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a cointrainer-ppo model"), "{err}");
    let future = zip_with(&[(
        "config.json",
        br#"{"format": "cointrainer-ppo/rl_selector", "format_version": 99}"#,
    )]);
    let err = PpoModel::from_zip_bytes(&future, "f.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("format version 99"), "{err}");
    let err = PpoModel::from_zip_bytes(b"definitely not a zip", "n.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a zip archive"), "{err}");
    let missing = std::path::Path::new("/nonexistent/rl_selector.zip");
    assert!(
        PpoModel::load_zip(missing)
            .unwrap_err()
            .to_string()
            .contains("rl_selector.zip")
    );
}

#[test]
fn strategy_selector_beats_fixed_strategies_and_records_out_of_sample_metrics() {
    let data = synthetic_strategies();
    let params = PpoParams::t4()
        .n_envs(4)
        .n_steps(64)
        .batch_size(64)
        .total_timesteps(16_384)
        .learning_rate(Schedule::constant(1e-3))
        .check()
        .unwrap();
    let model = params.fit(&data).unwrap();
    let m = model.metrics();
    let greedy = m["test_mean_ret_greedy"].as_f64().unwrap();
    let best = m["test_mean_ret_best_fixed_hindsight"].as_f64().unwrap();
    assert_eq!(m["test_decisions"], 100);
    assert!(
        greedy > best + 0.005,
        "greedy {greedy} vs best fixed {best}"
    );
    assert_eq!(model.action_names(), ["long", "short", "flat"]);
    assert_eq!(model.feature_names()[0], "ctx_x");
    assert!(model.data_fingerprint().unwrap().starts_with("sha256:"));
    // the environment is recorded so serving needs no training data
    let record = model.strategy_env().expect("strategy environment recorded");
    let (mean, std) = data.context_scaler();
    assert_eq!(record.context_mean, mean);
    assert_eq!(record.context_std, std);
    assert_eq!(record.context_names, ["ctx_x", "ctx_noise"]);
    assert_eq!(record.config, ppo::StrategyEnvConfig::default());

    // the artifact directory carries the metrics in its manifest
    let dir = tempfile::tempdir().unwrap();
    let manifest = model.save(dir.path()).unwrap();
    assert_eq!(manifest.agent, "ppo");
    assert!(manifest.files.contains_key("rl_selector.zip"));
    assert_eq!(
        manifest.metrics["test_mean_ret_greedy"].as_f64().unwrap(),
        greedy
    );
    assert_eq!(manifest.label_order, ["long", "short", "flat"]);
    let back = PpoModel::load(dir.path()).unwrap();
    assert_eq!(back, model);
    let blob = model.to_bytes().unwrap();
    assert_eq!(PpoModel::from_bytes(&blob).unwrap(), model);
}

#[test]
fn bad_observations_are_errors_not_panics() {
    let model = tiny_model(false);
    assert!(model.act_greedy(&[1.0, 0.0]).is_err());
    let err = model
        .act_greedy(&[f32::NAN, 0.0, 0.0])
        .unwrap_err()
        .to_string();
    assert!(err.contains("obs_0"), "{err}");
    assert!(model.act_greedy_batch(&[0.0; 6], 2).is_ok());
    assert!(model.act_greedy_batch(&[0.0; 5], 2).is_err());
}

/// Rewrite `config.json` of an rl_selector.zip through `edit`.
fn with_config(bytes: &[u8], edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        entries.push((f.name().to_string(), data));
    }
    let mut out = Vec::new();
    for (name, data) in entries {
        if name == "config.json" {
            let mut v: serde_json::Value = serde_json::from_slice(&data).unwrap();
            edit(&mut v);
            out.push((name, serde_json::to_vec(&v).unwrap()));
        } else {
            out.push((name, data));
        }
    }
    let refs: Vec<(&str, &[u8])> = out.iter().map(|(n, d)| (n.as_str(), &d[..])).collect();
    zip_with(&refs)
}

#[test]
fn recorded_environment_is_optional_and_checked_on_load() {
    let data = synthetic_strategies();
    let model = PpoParams::t4()
        .n_envs(2)
        .n_steps(32)
        .batch_size(32)
        .n_epochs(1)
        .total_timesteps(64)
        .check()
        .unwrap()
        .fit(&data)
        .unwrap();
    let bytes = model.to_zip_bytes().unwrap();
    let back = PpoModel::from_zip_bytes(&bytes, "r.zip").unwrap();
    assert_eq!(back.strategy_env(), model.strategy_env());

    // files written before the record existed still load, without one
    let older = with_config(&bytes, |v| {
        v.as_object_mut().unwrap().remove("strategy_env");
    });
    let back = PpoModel::from_zip_bytes(&older, "old.zip").unwrap();
    assert!(back.strategy_env().is_none());
    assert_eq!(
        back.act_greedy(&[0.0; 5]).unwrap(),
        model.act_greedy(&[0.0; 5]).unwrap()
    );

    // a damaged record is refused with the column named
    let bad = with_config(&bytes, |v| {
        v["strategy_env"]["context_std"][1] = serde_json::json!(0.0);
    });
    let err = PpoModel::from_zip_bytes(&bad, "bad.zip")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.zip") && err.contains("ctx_noise") && err.contains("positive"),
        "{err}"
    );
    let short = with_config(&bytes, |v| {
        v["strategy_env"]["strategies"] = serde_json::json!(["long"]);
    });
    let err = PpoModel::from_zip_bytes(&short, "s.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 strategies"), "{err}");
}

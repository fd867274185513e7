//! `rl_selector.zip` from a store an attacker can write to: entries whose
//! inflated size exceeds the limits (whatever size they declare), and a
//! config whose policy needs far more memory than the weights hold, are
//! refused before the memory is spent. A counting allocator measures the
//! peak a load allocates, so these tests fail on a loader that inflates or
//! allocates first and checks later.

use ppo::{ContextualBandit, NetArch, ParamGuard, PpoModel, PpoParams, Schedule, VecEnv};
use std::io::{Cursor, Read, Write};

#[path = "../../agent-core/tests/support/peak_alloc.rs"]
mod peak_alloc;
use peak_alloc::{MIB, SERIAL, peak_of};

fn tiny_model() -> PpoModel {
    let mut venv = VecEnv::new(
        (0..2)
            .map(|_| ContextualBandit::new(3, 3, 4).unwrap())
            .collect(),
    )
    .unwrap();
    PpoParams::new()
        .n_steps(16)
        .batch_size(16)
        .n_epochs(1)
        .learning_rate(Schedule::constant(1e-3))
        .net_arch(NetArch {
            pi: vec![8],
            vf: vec![8],
        })
        .total_timesteps(32)
        .check()
        .unwrap()
        .learn(&mut venv, None)
        .unwrap()
}

enum Body<'a> {
    Bytes(&'a [u8]),
    /// `n` zero bytes, deflated (about 1000:1).
    Zeros(usize),
}

/// A deflated zip of `entries`; entries named in `lie` declare an
/// uncompressed size of 100 bytes in both headers, whatever they inflate to.
fn zip_of(entries: &[(&str, Body)], lie: &[&str]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let chunk = vec![0u8; MIB];
    for (name, body) in entries {
        w.start_file(*name, opts).unwrap();
        match body {
            Body::Bytes(b) => w.write_all(b).unwrap(),
            Body::Zeros(n) => {
                for _ in 0..n / MIB {
                    w.write_all(&chunk).unwrap();
                }
            }
        }
    }
    let mut z = w.finish().unwrap().into_inner();
    for name in lie {
        let name = name.as_bytes();
        // Local headers (PK\3\4): size at +22, name length at +26, name at +30.
        // Central headers (PK\1\2): size at +24, name length at +28, name at +46.
        for (sig, size_at, len_at, name_at) in
            [(b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)]
        {
            let mut i = 0;
            while i + name_at <= z.len() {
                if &z[i..i + 4] == sig {
                    let n = u16::from_le_bytes([z[i + len_at], z[i + len_at + 1]]) as usize;
                    if z.get(i + name_at..i + name_at + n) == Some(name) {
                        z[i + size_at..i + size_at + 4].copy_from_slice(&100u32.to_le_bytes());
                    }
                }
                i += 1;
            }
        }
    }
    z
}

fn entry(zip_bytes: &[u8], name: &str) -> Vec<u8> {
    let mut a = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    let mut out = Vec::new();
    a.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn config_zip_bomb_declaring_a_small_size_is_cut_off() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 256 MiB of zeros in about 250 KiB, declared as 100 bytes.
    let z = zip_of(&[("config.json", Body::Zeros(256 * MIB))], &["config.json"]);
    assert!(z.len() < 2 * MIB, "{}", z.len());
    let (r, peak) = peak_of(|| PpoModel::from_zip_bytes(&z, "bomb.zip"));
    let err = r.unwrap_err().to_string();
    assert!(peak < 64 * MIB, "loading allocated {} MiB", peak / MIB);
    assert!(
        err.contains("bomb.zip") && err.contains("`config.json` inflates to more than"),
        "{err}"
    );
}

#[test]
fn weights_zip_bomb_is_cut_off_at_the_size_the_policy_needs() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let good = tiny_model().to_zip_bytes().unwrap();
    let config = entry(&good, "config.json");
    // Honest declared size (64 MiB is under any fixed per-entry cap).
    let z = zip_of(
        &[
            ("config.json", Body::Bytes(&config)),
            ("policy.safetensors", Body::Zeros(64 * MIB)),
        ],
        &[],
    );
    let (r, peak) = peak_of(|| PpoModel::from_zip_bytes(&z, "bomb.zip"));
    let err = r.unwrap_err().to_string();
    assert!(peak < 16 * MIB, "loading allocated {} MiB", peak / MIB);
    assert!(
        err.contains("`policy.safetensors` inflates to more than"),
        "{err}"
    );
}

#[test]
fn policy_larger_than_its_weights_is_refused_before_allocating() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let good = tiny_model().to_zip_bytes().unwrap();
    let weights = entry(&good, "policy.safetensors");
    let mut config: serde_json::Value =
        serde_json::from_slice(&entry(&good, "config.json")).unwrap();
    // 4096 x 4096 hidden layers need 64 MiB of parameters; the file holds a few KiB.
    config["policy"]["pi_hidden"] = serde_json::json!([4096, 4096]);
    let config = serde_json::to_vec(&config).unwrap();
    let z = zip_of(
        &[
            ("config.json", Body::Bytes(&config)),
            ("policy.safetensors", Body::Bytes(&weights)),
        ],
        &[],
    );
    let (r, peak) = peak_of(|| PpoModel::from_zip_bytes(&z, "big.zip"));
    let err = r.unwrap_err().to_string();
    assert!(peak < 16 * MIB, "loading allocated {} MiB", peak / MIB);
    assert!(err.contains("too few for the"), "{err}");

    // Dimensions whose parameter count overflows are an error, not a wrap.
    let mut c: serde_json::Value = serde_json::from_slice(&config).unwrap();
    c["policy"]["pi_hidden"] = serde_json::json!([u64::MAX / 2, u64::MAX / 2]);
    let z = zip_of(
        &[
            ("config.json", Body::Bytes(&serde_json::to_vec(&c).unwrap())),
            ("policy.safetensors", Body::Bytes(&weights)),
        ],
        &[],
    );
    let err = PpoModel::from_zip_bytes(&z, "big.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("parameters"), "{err}");
}

#[test]
fn zip_with_too_many_entries_is_refused_and_good_zip_loads() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let names: Vec<String> = (0..40).map(|i| format!("e{i}")).collect();
    let entries: Vec<(&str, Body)> = names
        .iter()
        .map(|n| (n.as_str(), Body::Bytes(b"x")))
        .collect();
    let err = PpoModel::from_zip_bytes(&zip_of(&entries, &[]), "many.zip")
        .unwrap_err()
        .to_string();
    assert!(err.contains("40 entries"), "{err}");
    let m = tiny_model();
    let back = PpoModel::from_zip_bytes(&m.to_zip_bytes().unwrap(), "good.zip").unwrap();
    assert!(!back.to_zip_bytes().unwrap().is_empty());
}

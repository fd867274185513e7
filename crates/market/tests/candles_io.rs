//! Reading real files: speed, gaps, and write/read round trips.

use market::{
    Candles, Gap, format_ts_utc, parse_candles, read_candles, read_candles_from, write_candles,
};
use std::time::Instant;

mod common;

#[test]
fn btc_1h_reads_fast_and_matches_its_readme_facts() {
    let Some(p) = common::shared("data/BTCUSDT-1h.csv") else {
        return;
    };
    let bytes = std::fs::read(&p).unwrap();
    let mut best = f64::MAX;
    let mut c = Candles::default();
    for _ in 0..5 {
        let t = Instant::now();
        c = parse_candles(&bytes, "BTCUSDT-1h.csv").unwrap();
        best = best.min(t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let from_file = read_candles(&p).unwrap();
    let with_io = t.elapsed().as_secs_f64();
    eprintln!(
        "BTCUSDT-1h.csv: {} rows parsed in {:.2} ms (best of 5), {:.2} ms with file read",
        c.len(),
        best * 1e3,
        with_io * 1e3
    );
    assert_eq!(from_file, c);
    assert_eq!(c.len(), 58_419);
    assert_eq!(c.interval_ms(), Some(3_600_000));
    assert_eq!(format_ts_utc(c.ts[0]), "2017-08-17T04:00:00Z");
    assert_eq!(format_ts_utc(*c.ts.last().unwrap()), "2024-04-21T14:00:00Z");
    let gaps = c.gaps();
    assert_eq!(gaps.len(), 28);
    assert_eq!(gaps.iter().map(|g| g.missing_bars).sum::<i64>(), 128);
    assert_eq!(c.volume.iter().filter(|&&v| v == 0.0).count(), 4);
}

#[test]
fn sample_file_has_one_gap_of_six_bars_after_2017_09_06_16h() {
    let Some(p) = common::shared("data/BTCUSDT-1h-sample.csv") else {
        return;
    };
    let c = read_candles(&p).unwrap();
    assert_eq!(c.len(), 2000);
    let gaps = c.gaps();
    assert_eq!(
        gaps,
        vec![Gap {
            after_ts: 1_504_713_600_000,
            before_ts: 1_504_738_800_000,
            missing_bars: 6
        }]
    );
    assert_eq!(format_ts_utc(gaps[0].after_ts), "2017-09-06T16:00:00Z");
    assert_eq!(
        gaps[0].to_string(),
        "6 missing bars between 2017-09-06T16:00:00Z and 2017-09-06T23:00:00Z"
    );
}

#[test]
fn shared_files_written_back_are_byte_identical_except_trailing_zeros() {
    // The shared files print whole prices as e.g. `4000.0`; Rust's shortest
    // form is `4000`. Values must round-trip bit for bit either way.
    let Some(p) = common::shared("data/BTCUSDT-1h-sample.csv") else {
        return;
    };
    let c = read_candles(&p).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy.csv");
    write_candles(&out, &c).unwrap();
    let back = read_candles(&out).unwrap();
    assert_eq!(back, c);
    let a = std::fs::read_to_string(&p)
        .unwrap()
        .replace(".0,", ",")
        .replace(".0\n", "\n");
    let b = std::fs::read_to_string(&out).unwrap();
    assert_eq!(a, b);
}

#[test]
fn reader_source_name_appears_in_errors() {
    let e = read_candles_from(
        &b"timestamp,open,high,low,close,volume\n1600000000000,1,1,1,1,-1\n"[..],
        "stdin",
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("stdin line 2, column \"volume\""), "{e}");
}

#[test]
fn write_candles_refuses_invalid_candles_and_writes_nothing() {
    let mut c = Candles::default();
    c.push(1_600_000_000_000, 1.0, 2.0, 0.5, 1.5, 1.0);
    c.push(1_600_000_000_000, 1.0, 2.0, 0.5, 1.5, 1.0);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.csv");
    let e = write_candles(&p, &c).unwrap_err().to_string();
    assert!(e.contains("repeats the timestamp"), "{e}");
    assert!(!p.exists());
}

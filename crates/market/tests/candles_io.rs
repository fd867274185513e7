//! Reading and writing candle files; the real BTC files of `../shared` are
//! read in `shared_data.rs`.

use market::{Candles, read_candles_from, write_candles};

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

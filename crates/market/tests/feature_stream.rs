//! `FeatureStream` (bar by bar) against `feature_matrix` (whole series):
//! every bar of a long synthetic series, warm-up NaNs included, and of the
//! real BTC candles when `../shared` is present.

use market::{Candles, FeatureStream, SyntheticMarket, feature_matrix, read_candles};
use std::path::PathBuf;

fn assert_stream_matches_matrix(c: &Candles) {
    let m = feature_matrix(c);
    let mut stream = FeatureStream::new();
    let mut worst = 0.0f64;
    for t in 0..c.len() {
        stream
            .push(c.high[t], c.low[t], c.close[t], c.volume[t])
            .unwrap();
        let row = stream.row();
        for (j, &v) in row.iter().enumerate() {
            let want = m[[t, j]];
            if want.is_nan() {
                assert!(v.is_nan(), "bar {t} feature {j}: {v}, matrix NaN");
                continue;
            }
            let rel = (v - want).abs() / (1.0 + want.abs());
            worst = worst.max(rel);
            assert!(rel <= 1e-12, "bar {t} feature {j}: {v} vs {want}");
        }
    }
    assert_eq!(stream.bars(), c.len());
    assert!(stream.is_ready());
    eprintln!("worst relative difference {worst:e} over {} bars", c.len());
}

#[test]
fn stream_rows_equal_the_feature_matrix_on_every_bar() {
    let run = SyntheticMarket::new()
        .seed(5)
        .bars(3_000)
        .generate()
        .unwrap();
    assert_stream_matches_matrix(&run.candles);
}

#[test]
fn stream_rows_equal_the_feature_matrix_on_btc() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/BTCUSDT-1h.csv");
    if !path.exists() {
        eprintln!("skipping: {} is absent", path.display());
        return;
    }
    let c = read_candles(&path).unwrap();
    assert_stream_matches_matrix(&c);
}

#[test]
fn bad_candles_are_refused_and_leave_the_stream_unchanged() {
    let mut s = FeatureStream::new();
    for i in 0..30 {
        let p = 100.0 + i as f64;
        s.push(p + 1.0, p - 1.0, p, 10.0).unwrap();
    }
    let before = s.row();
    for (h, l, c, v, what) in [
        (f64::NAN, 1.0, 1.0, 1.0, "high"),
        (2.0, 1.0, -3.0, 1.0, "close"),
        (2.0, 1.0, 1.5, -1.0, "volume"),
        (1.0, 2.0, 1.5, 1.0, "below low"),
    ] {
        let err = s.push(h, l, c, v).unwrap_err().to_string();
        assert!(err.contains(what), "{err}");
    }
    assert_eq!(s.bars(), 30);
    let after = s.row();
    for (a, b) in before.iter().zip(after.iter()) {
        assert!(a.to_bits() == b.to_bits(), "{a} vs {b}");
    }
    assert!(!s.is_ready());
}

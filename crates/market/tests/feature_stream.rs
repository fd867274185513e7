//! `FeatureStream` (bar by bar) against `feature_matrix` (whole series):
//! every bar of a long synthetic series, warm-up NaNs included (the real BTC
//! candles of `../shared` are in `shared_data.rs`).

use market::{FeatureStream, SyntheticMarket};

mod common;
use common::assert_stream_matches_matrix;

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

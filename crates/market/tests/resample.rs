//! Resampling: OHLCV aggregation rules, bucket alignment, gaps kept as gaps.

use market::{Candles, resample, resample_with_counts};

mod common;

const M5: i64 = 300_000;
const H1: i64 = 3_600_000;

#[test]
fn resample_aggregates_ohlcv_into_aligned_buckets_and_keeps_partial_edges() {
    // 5m bars starting 10:40: a partial first hour (4 bars), a full hour, a
    // missing hour (gap), then a partial last hour.
    let t0 = 1_700_000_000_000 - 1_700_000_000_000 % H1 + 40 * 60_000;
    let mut c = Candles::default();
    let mut ts = Vec::new();
    ts.extend((0..4).map(|i| t0 + i * M5));
    ts.extend((0..12).map(|i| t0 + 20 * 60_000 + i * M5));
    ts.extend((0..3).map(|i| t0 + 20 * 60_000 + 2 * H1 + i * M5));
    for (k, &t) in ts.iter().enumerate() {
        let p = 100.0 + k as f64;
        c.push(
            t,
            p,
            p + 0.5 + (k % 3) as f64,
            p - 1.0 - (k % 2) as f64,
            p + 0.25,
            1.0 + k as f64,
        );
    }
    let (out, counts) = resample_with_counts(&c, H1).unwrap();
    assert_eq!(counts, vec![4, 12, 3]);
    assert_eq!(out.len(), 3);
    assert!(out.ts.iter().all(|t| t % H1 == 0));
    assert_eq!(out.ts[1] - out.ts[0], H1);
    assert_eq!(
        out.ts[2] - out.ts[1],
        2 * H1,
        "the empty hour must not be created"
    );
    let mut start = 0;
    for (b, &n) in counts.iter().enumerate() {
        let r = start..start + n;
        assert_eq!(out.open[b], c.open[r.start]);
        assert_eq!(out.close[b], c.close[r.end - 1]);
        assert_eq!(
            out.high[b],
            c.high[r.clone()].iter().cloned().fold(f64::MIN, f64::max)
        );
        assert_eq!(
            out.low[b],
            c.low[r.clone()].iter().cloned().fold(f64::MAX, f64::min)
        );
        assert_eq!(out.volume[b], c.volume[r.clone()].iter().sum::<f64>());
        start = r.end;
    }
    out.validate("resampled").unwrap();
    assert_eq!(resample(&c, H1).unwrap(), out);
}

#[test]
fn resampling_synthetic_1h_to_4h_is_valid_and_conserves_volume() {
    let run = market::SyntheticMarket::new()
        .seed(11)
        .bars(1000)
        .generate()
        .unwrap();
    let (out, counts) = resample_with_counts(&run.candles, 4 * H1).unwrap();
    out.validate("4h").unwrap();
    assert_eq!(counts.iter().sum::<usize>(), 1000);
    assert_eq!(out.interval_ms(), Some(4 * H1));
    let v_in: f64 = run.candles.volume.iter().sum();
    let v_out: f64 = out.volume.iter().sum();
    assert!((v_in - v_out).abs() <= 1e-9 * v_in);
    assert_eq!(
        out.high.iter().cloned().fold(f64::MIN, f64::max),
        run.candles.high.iter().cloned().fold(f64::MIN, f64::max)
    );
}

//! Time the CSV parse and the T0 table on a candle file, SPEC T0 style
//! (median of 10 repetitions).
//!
//! `cargo run -p cointrainer-market --release --example t0_timing -- ../shared/data/BTCUSDT-1h.csv`

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: t0_timing CANDLES.csv")?;
    let t = Instant::now();
    let candles = market::read_candles(path.as_ref())?;
    let load_s = t.elapsed().as_secs_f64();
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let table = market::t0_features(&candles)?;
        times.push(t.elapsed().as_secs_f64());
        rows = table.len();
    }
    times.sort_by(f64::total_cmp);
    let t = Instant::now();
    let m = market::feature_matrix(&candles);
    let fm = t.elapsed().as_secs_f64();
    println!(
        "bars {} rows {rows} load {:.2} ms; t0 median {:.2} ms min {:.2} ms; feature_matrix {:.2} ms ({} cells)",
        candles.len(),
        load_s * 1e3,
        times[5] * 1e3,
        times[0] * 1e3,
        fm * 1e3,
        m.len()
    );
    Ok(())
}

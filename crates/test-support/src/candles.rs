//! Candle files for tests: hourly candles with chosen log returns, and the
//! last rows of a shared data file, written into a test's own directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// First bar's open time of [`write_hourly`] files (2020-09-13, epoch ms).
pub const START_MS: i64 = 1_600_000_000_000;

/// Write `dir/name`: hourly candles from [`START_MS`] whose close-to-close
/// log returns are `log_returns` (the first open is 100, each open is the
/// previous close; high and low 0.1% beyond them). Creates `dir`.
pub fn write_hourly(dir: &Path, name: &str, log_returns: &[f64]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("create the candle directory");
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    let mut close: f64 = 100.0;
    for (i, r) in log_returns.iter().enumerate() {
        let open = close;
        close = open * r.exp();
        let high = open.max(close) * 1.001;
        let low = open.min(close) * 0.999;
        let volume = 100.0 + (i % 7) as f64;
        let _ = writeln!(
            text,
            "{},{open:.6},{high:.6},{low:.6},{close:.6},{volume}",
            START_MS + i as i64 * 3_600_000
        );
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the candle file");
    path
}

/// Write `dir/name`: the header and the last `rows` data rows of the CSV
/// `src` (a shared data file; its name keeps the symbol). Creates `dir`.
pub fn write_tail(src: &Path, dir: &Path, name: &str, rows: usize) -> PathBuf {
    let text = std::fs::read_to_string(src).expect("read the source candle file");
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let body: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    let from = body.len().saturating_sub(rows);
    let mut out = String::with_capacity(text.len().min(rows * 80 + 64));
    out.push_str(header);
    out.push('\n');
    for l in &body[from..] {
        out.push_str(l);
        out.push('\n');
    }
    std::fs::create_dir_all(dir).expect("create the candle directory");
    let path = dir.join(name);
    std::fs::write(&path, out).expect("write the candle file");
    path
}

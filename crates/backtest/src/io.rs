//! Reading and writing the CSV outputs (layouts in `FORMATS.md`). Writes are
//! atomic (`agent_core::write_atomic`); floats are written as Python's
//! `repr` writes them (shortest round-trip), so a file read back gives the
//! exact values and pandas reads it unchanged.

use crate::engine::BacktestReport;
use crate::error::{BacktestError, Result};
use crate::report::{EquityCurve, StrategyPnl, StrategySummary, Trade, strategy_pnl};
use crate::strategy::Side;
use agent_core::persist::{Symlinks, read_bounded};
use market::features::push_py_float;
use market::format_ts_utc;
use std::fmt::Write as _;
use std::path::Path;

/// Header of the trade log, in order. `strategy, side, entry_time,
/// exit_time, entry_price, exit_price, pnl` are the original
/// `simulated_trades.csv` columns, kept by name.
pub const TRADE_COLUMNS: [&str; 13] = [
    "symbol",
    "strategy",
    "regime",
    "side",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "size",
    "fees",
    "pnl",
    "pnl_pct",
    "bars_held",
];

/// Header of `strategy_pnl.csv`, in order.
pub const STRATEGY_PNL_COLUMNS: [&str; 7] = [
    "regime",
    "strategy",
    "trades",
    "mean_pnl",
    "win_rate",
    "sharpe",
    "max_drawdown",
];

/// Header of the per-strategy summary, in order.
pub const SUMMARY_COLUMNS: [&str; 13] = [
    "strategy",
    "description",
    "initial_equity",
    "final_equity",
    "total_return",
    "sharpe",
    "max_drawdown",
    "trades",
    "win_rate",
    "fees",
    "stop_loss_exits",
    "take_profit_exits",
    "exposure",
];

pub(crate) fn fmt_f(s: &mut String, v: f64) {
    push_py_float(s, v);
}

/// A text field for CSV: quoted (with doubled quotes) only when needed.
pub fn push_text(s: &mut String, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        s.push('"');
        s.push_str(&v.replace('"', "\"\""));
        s.push('"');
    } else {
        s.push_str(v);
    }
}

/// The trade log as CSV text ([`TRADE_COLUMNS`], times RFC 3339 UTC).
pub fn trades_to_csv(trades: &[Trade]) -> String {
    let mut s = String::with_capacity(64 + trades.len() * 200);
    s.push_str(&TRADE_COLUMNS.join(","));
    s.push('\n');
    for t in trades {
        push_text(&mut s, &t.symbol);
        s.push(',');
        push_text(&mut s, &t.strategy);
        let _ = write!(
            s,
            ",{},{},{},{},",
            t.regime,
            t.side,
            format_ts_utc(t.entry_time),
            format_ts_utc(t.exit_time)
        );
        for v in [
            t.entry_price,
            t.exit_price,
            t.size,
            t.fees,
            t.pnl,
            t.pnl_pct,
        ] {
            fmt_f(&mut s, v);
            s.push(',');
        }
        let _ = writeln!(s, "{}", t.bars_held);
    }
    s
}

/// Write the trade log atomically.
pub fn write_trades(path: &Path, trades: &[Trade]) -> Result<()> {
    agent_core::write_atomic(path, trades_to_csv(trades).as_bytes())?;
    Ok(())
}

/// Largest CSV file read back (trade log, `strategy_pnl.csv`, strategy
/// returns).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Most data rows one CSV file may hold.
pub const MAX_ROWS: usize = 2_000_000;
/// Most columns a CSV header may name.
pub const MAX_COLUMNS: usize = 4096;

/// The whole of a data file (which may be a symbolic link a user made),
/// bounded by [`MAX_FILE_BYTES`]: a FIFO or device is refused, not read.
pub(crate) fn read_data_file(path: &Path) -> Result<Vec<u8>> {
    Ok(read_bounded(path, MAX_FILE_BYTES, Symlinks::Follow)?)
}

/// Read a trade log written by [`write_trades`] (columns by name, any order;
/// extra columns are ignored).
pub fn read_trades(path: &Path) -> Result<Vec<Trade>> {
    let bytes = read_data_file(path)?;
    parse_trades(&bytes, &path.display().to_string())
}

const TIME: &str = "an RFC 3339 UTC time like 2017-08-17T04:00:00Z";

/// [`read_trades`] on bytes; `source` names the input in errors.
pub fn parse_trades(bytes: &[u8], source: &str) -> Result<Vec<Trade>> {
    let table = Table::parse(bytes, source, &TRADE_COLUMNS)?;
    let mut out = Vec::with_capacity(table.rows.len());
    for row in table.rows() {
        out.push(Trade {
            symbol: row.text("symbol")?.to_owned(),
            strategy: row.text("strategy")?.to_owned(),
            regime: row.parse("regime")?,
            side: row.parse_with("side", "a side; expected long or short", |v| {
                v.parse::<Side>()
            })?,
            entry_time: row.parse_with("entry_time", TIME, parse_time)?,
            exit_time: row.parse_with("exit_time", TIME, parse_time)?,
            entry_price: row.float("entry_price")?,
            exit_price: row.float("exit_price")?,
            size: row.float("size")?,
            fees: row.float("fees")?,
            pnl: row.float("pnl")?,
            pnl_pct: row.float("pnl_pct")?,
            bars_held: row.parse("bars_held")?,
        });
    }
    Ok(out)
}

/// `strategy_pnl.csv` as text ([`STRATEGY_PNL_COLUMNS`]).
pub fn strategy_pnl_to_csv(rows: &[StrategyPnl]) -> String {
    let mut s = STRATEGY_PNL_COLUMNS.join(",");
    s.push('\n');
    for r in rows {
        let _ = write!(s, "{},", r.regime);
        push_text(&mut s, &r.strategy);
        let _ = write!(s, ",{}", r.trades);
        for v in [r.mean_pnl, r.win_rate, r.sharpe, r.max_drawdown] {
            s.push(',');
            fmt_f(&mut s, v);
        }
        s.push('\n');
    }
    s
}

/// Header of `strategy_pnl_by_series.csv`: the series (`symbol`,
/// `timeframe`), then [`STRATEGY_PNL_COLUMNS`].
pub const SERIES_STRATEGY_PNL_COLUMNS: [&str; 9] = [
    "symbol",
    "timeframe",
    "regime",
    "strategy",
    "trades",
    "mean_pnl",
    "win_rate",
    "sharpe",
    "max_drawdown",
];

/// `strategy_pnl.csv` per series as text ([`SERIES_STRATEGY_PNL_COLUMNS`]):
/// for each `(symbol, timeframe)` of `series`, in order, the (regime,
/// strategy) table of the trades of that symbol (the trade log's `symbol`,
/// the instrument's name).
pub fn strategy_pnl_by_series_to_csv(trades: &[Trade], series: &[(&str, &str)]) -> String {
    let mut s = SERIES_STRATEGY_PNL_COLUMNS.join(",");
    s.push('\n');
    for (symbol, timeframe) in series {
        let mine: Vec<Trade> = trades
            .iter()
            .filter(|t| t.symbol == *symbol)
            .cloned()
            .collect();
        let table = strategy_pnl_to_csv(&strategy_pnl(&mine));
        for line in table.lines().skip(1) {
            push_text(&mut s, symbol);
            s.push(',');
            push_text(&mut s, timeframe);
            s.push(',');
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

/// Write `strategy_pnl_by_series.csv` atomically.
pub fn write_strategy_pnl_by_series(
    path: &Path,
    trades: &[Trade],
    series: &[(&str, &str)],
) -> Result<()> {
    agent_core::write_atomic(
        path,
        strategy_pnl_by_series_to_csv(trades, series).as_bytes(),
    )?;
    Ok(())
}

/// Write `strategy_pnl.csv` atomically.
pub fn write_strategy_pnl(path: &Path, rows: &[StrategyPnl]) -> Result<()> {
    agent_core::write_atomic(path, strategy_pnl_to_csv(rows).as_bytes())?;
    Ok(())
}

/// Read `strategy_pnl.csv`.
pub fn read_strategy_pnl(path: &Path) -> Result<Vec<StrategyPnl>> {
    let bytes = read_data_file(path)?;
    parse_strategy_pnl(&bytes, &path.display().to_string())
}

/// [`read_strategy_pnl`] on bytes.
pub fn parse_strategy_pnl(bytes: &[u8], source: &str) -> Result<Vec<StrategyPnl>> {
    let table = Table::parse(bytes, source, &STRATEGY_PNL_COLUMNS)?;
    let mut out = Vec::with_capacity(table.rows.len());
    for row in table.rows() {
        out.push(StrategyPnl {
            regime: row.parse("regime")?,
            strategy: row.text("strategy")?.to_owned(),
            trades: row.parse("trades")?,
            mean_pnl: row.float("mean_pnl")?,
            win_rate: row.float("win_rate")?,
            sharpe: row.float("sharpe")?,
            max_drawdown: row.float("max_drawdown")?,
        });
    }
    Ok(out)
}

/// An equity curve as CSV: `timestamp,equity,position_<symbol>...`
/// (timestamp RFC 3339 UTC, positions -1/0/+1).
pub fn equity_to_csv(curve: &EquityCurve) -> String {
    let mut s = String::from("timestamp,equity");
    for sym in &curve.symbols {
        s.push(',');
        push_text(&mut s, &format!("position_{sym}"));
    }
    s.push('\n');
    for (i, &t) in curve.ts.iter().enumerate() {
        s.push_str(&format_ts_utc(t));
        s.push(',');
        fmt_f(&mut s, curve.equity[i]);
        for col in &curve.positions {
            let _ = write!(s, ",{}", col[i]);
        }
        s.push('\n');
    }
    s
}

/// Write an equity curve atomically.
pub fn write_equity(path: &Path, curve: &EquityCurve) -> Result<()> {
    agent_core::write_atomic(path, equity_to_csv(curve).as_bytes())?;
    Ok(())
}

/// The per-strategy summaries as CSV ([`SUMMARY_COLUMNS`]).
pub fn summary_to_csv(rows: &[StrategySummary]) -> String {
    let mut s = SUMMARY_COLUMNS.join(",");
    s.push('\n');
    for r in rows {
        push_text(&mut s, &r.strategy);
        s.push(',');
        push_text(&mut s, &r.description);
        for v in [
            r.initial_equity,
            r.final_equity,
            r.total_return,
            r.sharpe,
            r.max_drawdown,
        ] {
            s.push(',');
            fmt_f(&mut s, v);
        }
        let _ = write!(s, ",{},", r.trades);
        fmt_f(&mut s, r.win_rate);
        s.push(',');
        fmt_f(&mut s, r.fees);
        let _ = write!(s, ",{},{},", r.stop_loss_exits, r.take_profit_exits);
        fmt_f(&mut s, r.exposure);
        s.push('\n');
    }
    s
}

impl BacktestReport {
    /// Write every output into `dir` (created if needed): `trades.csv`,
    /// `strategy_pnl.csv`, `summary.csv` and `equity_<strategy>.csv` per
    /// strategy. Returns the paths written.
    pub fn write_dir(&self, dir: &Path) -> Result<Vec<std::path::PathBuf>> {
        let mut written = Vec::new();
        let p = dir.join("trades.csv");
        write_trades(&p, &self.trades)?;
        written.push(p);
        let p = dir.join("strategy_pnl.csv");
        write_strategy_pnl(&p, &strategy_pnl(&self.trades))?;
        written.push(p);
        let p = dir.join("summary.csv");
        agent_core::write_atomic(&p, summary_to_csv(&self.strategies).as_bytes())?;
        written.push(p);
        for c in &self.equity {
            let p = dir.join(format!("equity_{}.csv", c.strategy));
            write_equity(&p, c)?;
            written.push(p);
        }
        Ok(written)
    }
}

// ---------------------------------------------------------------------------
// Time

/// Parse RFC 3339 UTC text (`2017-08-17T04:00:00Z`, optional fraction,
/// `Z` or `+00:00`) into epoch milliseconds.
pub fn parse_time(s: &str) -> std::result::Result<i64, String> {
    let err = || format!("{s:?} is not an RFC 3339 UTC time like 2017-08-17T04:00:00Z");
    let b = s.trim().as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(err());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(err());
    }
    let num = |r: std::ops::Range<usize>| -> std::result::Result<i64, String> {
        let t = &b[r];
        if t.iter().all(u8::is_ascii_digit) {
            Ok(t.iter().fold(0i64, |a, d| a * 10 + i64::from(d - b'0')))
        } else {
            Err(err())
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(err());
    }
    let mut k = 19;
    let mut ms = 0i64;
    if b.get(k) == Some(&b'.') {
        k += 1;
        let start = k;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        if k == start {
            return Err(err());
        }
        // Milliseconds: first three digits, padded.
        let frac = &b[start..k];
        for j in 0..3 {
            ms = ms * 10 + frac.get(j).map_or(0, |d| i64::from(d - b'0'));
        }
    }
    match &b[k..] {
        b"Z" | b"z" | b"+00:00" => {}
        _ => return Err(err()),
    }
    let days = days_from_civil(y, mo, d);
    Ok(((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000) + ms)
}

/// Howard Hinnant's days_from_civil (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// ---------------------------------------------------------------------------
// A small CSV table reader with errors that name file, line and column.

/// A parsed CSV. Errors name a column by the name this crate looks for, or
/// by its 1-based position: never by the text of a header or cell, so
/// reading the wrong file (a secret, say) cannot echo it.
pub(crate) struct Table {
    file: String,
    header: Vec<String>,
    required: Vec<String>,
    rows: Vec<(usize, csv::StringRecord)>,
}

pub(crate) struct Row<'a> {
    table: &'a Table,
    line: usize,
    rec: &'a csv::StringRecord,
}

impl Table {
    /// Parse CSV bytes whose header must contain every `required` column.
    pub(crate) fn parse(bytes: &[u8], file: &str, required: &[&str]) -> Result<Table> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let csv_err = |line: usize, e: csv::Error| BacktestError::Csv {
            file: file.to_owned(),
            line,
            column: String::new(),
            why: e.to_string(),
        };
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| csv_err(1, e))?
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        if header.len() > MAX_COLUMNS {
            return Err(BacktestError::Csv {
                file: file.to_owned(),
                line: 1,
                column: String::new(),
                why: format!("more columns than the {MAX_COLUMNS} allowed"),
            });
        }
        if header.iter().all(|h| h.is_empty()) {
            return Err(BacktestError::Csv {
                file: file.to_owned(),
                line: 1,
                column: String::new(),
                why: format!("empty file; expected the header `{}`", required.join(",")),
            });
        }
        for col in required {
            if !header.iter().any(|h| h == col) {
                return Err(BacktestError::Csv {
                    file: file.to_owned(),
                    line: 1,
                    column: (*col).to_owned(),
                    why: format!("missing from the header; expected `{}`", required.join(",")),
                });
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                csv_err(line, e)
            })?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            if rec.iter().all(str::is_empty) {
                continue;
            }
            if rows.len() == MAX_ROWS {
                return Err(BacktestError::Csv {
                    file: file.to_owned(),
                    line,
                    column: String::new(),
                    why: format!("more data rows than the {MAX_ROWS} allowed"),
                });
            }
            rows.push((line, rec));
        }
        Ok(Table {
            file: file.to_owned(),
            header,
            required: required.iter().map(|c| (*c).to_owned()).collect(),
            rows,
        })
    }

    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, rec)| Row {
            table: self,
            line: *line,
            rec,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Column `k` as errors name it: its name when it is a required one,
    /// else its 1-based position.
    fn label(&self, k: usize) -> String {
        match self.header.get(k) {
            Some(h) if self.required.contains(h) => h.clone(),
            _ => (k + 1).to_string(),
        }
    }
}

impl<'a> Row<'a> {
    pub(crate) fn err(&self, column: &str, why: String) -> BacktestError {
        BacktestError::Csv {
            file: self.table.file.clone(),
            line: self.line,
            column: column.to_owned(),
            why,
        }
    }

    /// The field of `column` and the column as errors name it.
    fn field(&self, column: &str) -> Result<(&'a str, String)> {
        let k = self
            .table
            .header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| self.err(column, "missing from the header".into()))?;
        let label = self.table.label(k);
        match self.rec.get(k) {
            Some(v) => Ok((v, label)),
            None => Err(self.err(&label, "the row has too few fields".into())),
        }
    }

    pub(crate) fn text(&self, column: &str) -> Result<&'a str> {
        Ok(self.field(column)?.0)
    }

    /// Parse the field of `column` with `f`; the error says the field is
    /// not `expected` (neither the field nor `f`'s error is quoted).
    pub(crate) fn parse_with<T, E>(
        &self,
        column: &str,
        expected: &str,
        f: impl FnOnce(&str) -> std::result::Result<T, E>,
    ) -> Result<T> {
        let (v, label) = self.field(column)?;
        f(v).map_err(|_| self.err(&label, format!("is not {expected}")))
    }

    /// A whole number (of the type asked for).
    pub(crate) fn parse<T: std::str::FromStr>(&self, column: &str) -> Result<T> {
        self.parse_with(column, "a whole number in range", |v| v.parse::<T>())
    }

    pub(crate) fn float(&self, column: &str) -> Result<f64> {
        self.parse_with(column, "a number", |v| match v {
            "nan" | "NaN" => Ok(f64::NAN),
            _ => v.parse::<f64>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_parses_back_what_format_ts_utc_writes() {
        for ms in [
            1_502_942_400_000i64,
            1_672_531_200_000,
            951_782_400_123,
            0,
            -1,
        ] {
            assert_eq!(parse_time(&format_ts_utc(ms)), Ok(ms), "{ms}");
        }
        assert_eq!(
            parse_time("2023-01-01T00:00:00+00:00"),
            Ok(1_672_531_200_000)
        );
        assert!(parse_time("2023-01-01 00:00").is_err());
        assert!(parse_time("2023-13-01T00:00:00Z").is_err());
    }
}

//! Candle CSV reading and writing.
//!
//! The format is the one of `shared/data`: header
//! `timestamp,open,high,low,close,volume`, one bar per row, `timestamp` =
//! bar open time in epoch milliseconds. The reader is a hand-written byte
//! parser over the whole input (one allocation per column, no per-row
//! allocation); it accepts a UTF-8 byte-order mark, CRLF line endings,
//! spaces around fields, blank lines, a header in any letter case, and
//! rejects everything [`MarketError`] lists, naming line and column.

use crate::candles::{COLUMNS, Candles, check_row};
use crate::error::{MarketError, Result};
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Read and validate a candle CSV file. Errors name the path as given.
pub fn read_candles(path: &Path) -> Result<Candles> {
    let bytes = std::fs::read(path).map_err(|e| MarketError::io(path, e))?;
    parse_candles(&bytes, &path.display().to_string())
}

/// Read and validate candle CSV text from any reader; `source_name` stands
/// for the file in error messages.
pub fn read_candles_from(mut reader: impl Read, source_name: &str) -> Result<Candles> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| MarketError::io(source_name, e))?;
    parse_candles(&bytes, source_name)
}

/// Parse and validate candle CSV bytes; `source_name` stands for the file in
/// error messages. A header-only input gives empty candles.
pub fn parse_candles(bytes: &[u8], source_name: &str) -> Result<Candles> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut lines = body.split(|&b| b == b'\n').enumerate();

    // The header is the first non-blank line.
    let (header_line, header) = loop {
        match lines.next() {
            None => {
                return Err(MarketError::EmptyFile {
                    file: source_name.to_owned(),
                });
            }
            Some((i, l)) => {
                let l = trim(l);
                if !l.is_empty() {
                    break (i + 1, l);
                }
            }
        }
    };
    check_header(header, source_name, header_line)?;

    // Rows are ~40-60 bytes in practice; a slight overestimate is cheap.
    let mut c = Candles::with_capacity(body.len() / 40 + 1);
    let mut prev_ts: Option<i64> = None;
    for (i, raw) in lines {
        let line = i + 1;
        let row = trim(raw);
        if row.is_empty() {
            continue;
        }
        let mut fields: [&[u8]; 6] = [&[]; 6];
        let mut n = 0usize;
        for f in row.split(|&b| b == b',') {
            if n < 6 {
                fields[n] = trim(f);
            }
            n += 1;
        }
        if n != 6 {
            return Err(MarketError::FieldCount {
                file: source_name.to_owned(),
                line,
                expected: 6,
                got: n,
            });
        }
        let ts = parse_ts(fields[0], source_name, line)?;
        let mut vals = [0.0f64; 5];
        for (k, v) in vals.iter_mut().enumerate() {
            *v = parse_f64(fields[k + 1], COLUMNS[k + 1], source_name, line)?;
        }
        check_row(source_name, line, prev_ts, ts, vals)?;
        prev_ts = Some(ts);
        c.push(ts, vals[0], vals[1], vals[2], vals[3], vals[4]);
    }
    Ok(c)
}

/// Write candles as CSV, atomically (readers never see half a file). Floats
/// use Rust's shortest round-trip text, so reading the file back gives the
/// same bits. Invalid candles are refused before anything is written.
pub fn write_candles(path: &Path, candles: &Candles) -> Result<()> {
    candles.validate(&path.display().to_string())?;
    agent_core::write_atomic(path, format_candles(candles).as_bytes())?;
    Ok(())
}

/// The CSV text [`write_candles`] writes (no validation).
pub fn format_candles(c: &Candles) -> String {
    let mut s = String::with_capacity(64 * (c.len() + 1));
    s.push_str("timestamp,open,high,low,close,volume\n");
    for i in 0..c.len() {
        // Writing into a String cannot fail.
        let _ = writeln!(
            s,
            "{},{},{},{},{},{}",
            c.ts[i], c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]
        );
    }
    s
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

fn check_header(header: &[u8], file: &str, line: usize) -> Result<()> {
    let bad = |why: String| MarketError::Header {
        file: file.to_owned(),
        line,
        why,
    };
    let text = std::str::from_utf8(header).map_err(|_| bad("it is not valid UTF-8 text".into()))?;
    let names: Vec<&str> = text.split(',').map(str::trim).collect();
    if names
        .first()
        .is_some_and(|f| !f.is_empty() && f.parse::<f64>().is_ok())
    {
        return Err(bad(format!(
            "the first line {text:?} looks like data, not a header; add the header line"
        )));
    }
    for (k, want) in COLUMNS.iter().enumerate() {
        match names.get(k) {
            None => {
                return Err(bad(format!(
                    "missing column \"{want}\" (found {} columns: {text:?})",
                    names.len()
                )));
            }
            Some(got) if !got.eq_ignore_ascii_case(want) => {
                return Err(bad(format!(
                    "column {} is \"{got}\", expected \"{want}\"",
                    k + 1
                )));
            }
            Some(_) => {}
        }
    }
    if names.len() > COLUMNS.len() {
        return Err(bad(format!(
            "extra column {} \"{}\" (found {} columns)",
            COLUMNS.len() + 1,
            names[COLUMNS.len()],
            names.len()
        )));
    }
    Ok(())
}

fn field_str<'a>(
    f: &'a [u8],
    column: &'static str,
    file: &str,
    line: usize,
) -> Result<&'a str> {
    std::str::from_utf8(f).map_err(|_| MarketError::Parse {
        file: file.to_owned(),
        line,
        column,
        value: String::from_utf8_lossy(f).into_owned(),
        why: "is not valid UTF-8 text",
    })
}

#[inline]
fn parse_ts(f: &[u8], file: &str, line: usize) -> Result<i64> {
    let s = field_str(f, "timestamp", file, line)?;
    s.parse::<i64>().map_err(|_| MarketError::Parse {
        file: file.to_owned(),
        line,
        column: "timestamp",
        value: s.to_owned(),
        why: if s.is_empty() {
            "is empty; expected a whole number of epoch milliseconds"
        } else if s.parse::<f64>().is_ok() {
            "is not a whole number; timestamps are integer epoch milliseconds"
        } else {
            "is not a number; expected a whole number of epoch milliseconds"
        },
    })
}

#[inline]
fn parse_f64(f: &[u8], column: &'static str, file: &str, line: usize) -> Result<f64> {
    let s = field_str(f, column, file, line)?;
    s.parse::<f64>().map_err(|_| MarketError::Parse {
        file: file.to_owned(),
        line,
        column,
        value: s.to_owned(),
        why: if s.is_empty() {
            "is empty; expected a number"
        } else {
            "is not a number"
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_only_gives_empty_candles() {
        let c = parse_candles(b"timestamp,open,high,low,close,volume\n", "x").unwrap();
        assert!(c.is_empty());
    }

    #[test]
    fn spaces_and_upper_case_header_are_accepted() {
        let c = parse_candles(
            b"Timestamp, OPEN ,high,low,close,volume\n 1600000000000 , 2,3,1,2.5, 7\n",
            "x",
        )
        .unwrap();
        assert_eq!(c.close, vec![2.5]);
        assert_eq!(c.volume, vec![7.0]);
    }
}

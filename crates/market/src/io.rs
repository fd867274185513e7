//! Candle CSV reading and writing.
//!
//! The format is the one of `shared/data`: header
//! `timestamp,open,high,low,close,volume`, one bar per row, `timestamp` =
//! bar open time in epoch milliseconds. The reader is a hand-written byte
//! parser over the whole input (one allocation per column, no per-row
//! allocation); it accepts a UTF-8 byte-order mark, CRLF line endings,
//! spaces around fields, blank lines, a header in any letter case, and
//! rejects everything [`MarketError`] lists, naming line and column.
//!
//! Input is bounded ([`MAX_FILE_BYTES`], [`MAX_LINE_BYTES`], [`MAX_BARS`])
//! and errors never quote the file's content: they name the file, the line,
//! the column and what was expected, so reading the wrong file (a secret,
//! say) through an upload or a path cannot echo it.

use crate::candles::{COLUMNS, Candles, check_row};
use crate::error::{MarketError, Result};
use agent_core::persist::{Symlinks, read_bounded};
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Largest candle file read (ten years of 1-minute bars is about 350 MB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// Longest line accepted; a bar row is well under 200 bytes.
pub const MAX_LINE_BYTES: usize = 1024;
/// Most bars one file may hold.
pub const MAX_BARS: usize = 20_000_000;

/// Read and validate a candle CSV file. Errors name the path as given. A
/// FIFO or device is refused rather than read, and the file must not exceed
/// [`MAX_FILE_BYTES`].
pub fn read_candles(path: &Path) -> Result<Candles> {
    let bytes = read_bounded(path, MAX_FILE_BYTES, Symlinks::Follow)?;
    parse_candles(&bytes, &path.display().to_string())
}

/// Read and validate candle CSV text from any reader (at most
/// [`MAX_FILE_BYTES`]); `source_name` stands for the file in error messages.
pub fn read_candles_from(reader: impl Read, source_name: &str) -> Result<Candles> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| MarketError::io(source_name, e))?;
    parse_candles(&bytes, source_name)
}

/// Parse and validate candle CSV bytes; `source_name` stands for the file in
/// error messages. The input must hold a header and at least one bar.
pub fn parse_candles(bytes: &[u8], source_name: &str) -> Result<Candles> {
    let too_large = |line: Option<usize>, what: String, max: u64| MarketError::TooLarge {
        file: source_name.to_owned(),
        line,
        what,
        max,
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(
            None,
            "the input holds more bytes".into(),
            MAX_FILE_BYTES,
        ));
    }
    let long_line = |line: usize, len: usize| {
        too_large(
            Some(line),
            format!("the line holds {len} bytes"),
            MAX_LINE_BYTES as u64,
        )
    };
    let mut lines = non_blank_lines(bytes);
    let Some((header_line, header)) = lines.next() else {
        return Err(MarketError::EmptyFile {
            file: source_name.to_owned(),
        });
    };
    if header.len() > MAX_LINE_BYTES {
        return Err(long_line(header_line, header.len()));
    }
    check_header(header, source_name, header_line)?;

    // Rows are ~40-60 bytes in practice; a slight overestimate is cheap.
    let mut c = Candles::with_capacity((bytes.len() / 40 + 1).min(MAX_BARS));
    let mut prev_ts: Option<i64> = None;
    for (line, row) in lines {
        if row.len() > MAX_LINE_BYTES {
            return Err(long_line(line, row.len()));
        }
        if c.len() == MAX_BARS {
            return Err(too_large(
                Some(line),
                "the file holds more bars".into(),
                MAX_BARS as u64,
            ));
        }
        let f = FieldSplitter::<6>::split(row, source_name, line)?;
        let ts = f.int(0, COLUMNS[0])?;
        let mut vals = [0.0f64; 5];
        for (k, v) in vals.iter_mut().enumerate() {
            *v = f.float(k + 1, COLUMNS[k + 1])?;
        }
        check_row(source_name, line, prev_ts, ts, vals)?;
        prev_ts = Some(ts);
        c.push(ts, vals[0], vals[1], vals[2], vals[3], vals[4]);
    }
    if c.is_empty() {
        return Err(MarketError::NoBars {
            file: source_name.to_owned(),
        });
    }
    Ok(c)
}

/// Lines without a leading byte-order mark, trimmed (which also drops the
/// `\r` of CRLF), blank ones skipped, each with its 1-based line number.
pub(crate) fn non_blank_lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_ascii()))
        .filter(|(_, l)| !l.is_empty())
}

/// The `N` trimmed fields of one row, with what error messages need.
pub(crate) struct FieldSplitter<'a, const N: usize> {
    fields: [&'a [u8]; N],
    file: &'a str,
    line: usize,
}

impl<'a, const N: usize> FieldSplitter<'a, N> {
    /// Split on commas; anything but exactly `N` fields is an error.
    #[inline]
    pub(crate) fn split(row: &'a [u8], file: &'a str, line: usize) -> Result<Self> {
        let mut fields: [&[u8]; N] = [&[]; N];
        let mut n = 0usize;
        for f in row.split(|&b| b == b',') {
            if n < N {
                fields[n] = f.trim_ascii();
            }
            n += 1;
        }
        if n != N {
            return Err(MarketError::FieldCount {
                file: file.to_owned(),
                line,
                expected: N,
                got: n,
            });
        }
        Ok(Self { fields, file, line })
    }

    /// A `Parse` error for field `k` (named by its column; its text is
    /// not repeated).
    pub(crate) fn bad(&self, _k: usize, column: &'static str, why: &'static str) -> MarketError {
        MarketError::Parse {
            file: self.file.to_owned(),
            line: self.line,
            column,
            why,
        }
    }

    fn text(&self, k: usize, column: &'static str) -> Result<&'a str> {
        std::str::from_utf8(self.fields[k])
            .map_err(|_| self.bad(k, column, "is not valid UTF-8 text"))
    }

    /// Field `k` as an integer.
    #[inline]
    pub(crate) fn int(&self, k: usize, column: &'static str) -> Result<i64> {
        let s = self.text(k, column)?;
        s.parse::<i64>().map_err(|_| {
            self.bad(
                k,
                column,
                if s.is_empty() {
                    "is empty; expected a whole number"
                } else if s.parse::<f64>().is_ok() {
                    "is not a whole number"
                } else {
                    "is not a number; expected a whole number"
                },
            )
        })
    }

    /// Field `k` as a float (`NaN`/`inf` parse; callers check finiteness).
    #[inline]
    pub(crate) fn float(&self, k: usize, column: &'static str) -> Result<f64> {
        let s = self.text(k, column)?;
        s.parse::<f64>().map_err(|_| {
            self.bad(
                k,
                column,
                if s.is_empty() {
                    "is empty; expected a number"
                } else {
                    "is not a number"
                },
            )
        })
    }

    /// Field `k` as a small class label in `0..=max`.
    pub(crate) fn label(&self, k: usize, column: &'static str, max: u8) -> Result<u8> {
        match self.int(k, column)? {
            v @ 0..=255 if v as u8 <= max => Ok(v as u8),
            _ => Err(self.bad(
                k,
                column,
                if max == 1 {
                    "is not a label; expected 0 or 1"
                } else {
                    "is not a label; expected 0, 1 or 2"
                },
            )),
        }
    }
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

/// Check the header against [`COLUMNS`]. Errors name the column by its
/// position and the expected name, never by what the file holds there.
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
        return Err(bad(
            "the first line looks like data (its first field is a number), not a header; add the header line"
                .into(),
        ));
    }
    for (k, want) in COLUMNS.iter().enumerate() {
        match names.get(k) {
            None => {
                return Err(bad(format!(
                    "missing column \"{want}\" (found {} columns)",
                    names.len()
                )));
            }
            Some(got) if !got.eq_ignore_ascii_case(want) => {
                return Err(bad(format!("column {} is not named \"{want}\"", k + 1)));
            }
            Some(_) => {}
        }
    }
    if names.len() > COLUMNS.len() {
        return Err(bad(format!(
            "extra column {} (found {} columns)",
            COLUMNS.len() + 1,
            names.len()
        )));
    }
    Ok(())
}

/// The symbol a candle file stands for, from its name: the file stem up to
/// the first `-` or `_`, upper-cased (`BTCUSDT-1h.csv` -> `BTCUSDT`), or
/// `UNKNOWN` when nothing is left. Shared by the trainer, which publishes a
/// real run's models under it, and bots that pick their models the same way.
pub fn symbol_of(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let head = stem.split(['-', '_']).next().unwrap_or("");
    let clean: String = head
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    if clean.is_empty() {
        "UNKNOWN".into()
    } else {
        clean.to_ascii_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_only_is_an_error() {
        let e = parse_candles(b"timestamp,open,high,low,close,volume\n\n", "x").unwrap_err();
        assert!(matches!(e, MarketError::NoBars { .. }), "{e}");
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

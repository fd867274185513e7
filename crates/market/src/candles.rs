//! OHLCV bars as a struct of arrays, plus the facts about their time grid
//! (interval, gaps). Gaps are reported, never filled: filling would invent
//! prices that the exchange never traded.

use crate::error::{MarketError, Result};
use std::ops::Range;

/// Timestamps below this (epoch ms) are before 1973-03-03 and almost surely
/// Unix seconds written by mistake.
pub const MIN_TIMESTAMP_MS: i64 = 100_000_000_000;

/// OHLCV candles, one entry per bar in every vector, sorted by `ts`.
///
/// `ts` is the bar **open** time in Unix epoch milliseconds (UTC). The
/// fields are public for fast column access; [`Candles::validate`] checks
/// the invariants that [`crate::parse_candles`] guarantees for parsed data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Candles {
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

/// A place where consecutive bars are more than one interval apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Gap {
    /// Open time of the last bar before the gap.
    pub after_ts: i64,
    /// Open time of the first bar after the gap.
    pub before_ts: i64,
    /// Interval slots skipped (rounded up when the step is not a whole
    /// number of intervals).
    pub missing_bars: i64,
}

impl Candles {
    /// Empty candles with room for `n` bars.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            ts: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: Vec::with_capacity(n),
        }
    }

    /// Append one bar (no checks; see [`Candles::validate`]).
    #[inline]
    pub fn push(&mut self, ts: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) {
        self.ts.push(ts);
        self.open.push(open);
        self.high.push(high);
        self.low.push(low);
        self.close.push(close);
        self.volume.push(volume);
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True when there are no bars.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The most common positive step between consecutive timestamps (the
    /// smaller one on a tie); `None` with fewer than two bars.
    pub fn interval_ms(&self) -> Option<i64> {
        let mut steps: Vec<i64> = self
            .ts
            .windows(2)
            .map(|w| w[1].saturating_sub(w[0]))
            .filter(|&d| d > 0)
            .collect();
        if steps.is_empty() {
            return None;
        }
        steps.sort_unstable();
        let (mut best, mut best_n) = (steps[0], 0usize);
        let mut i = 0;
        while i < steps.len() {
            let j = i + steps[i..].partition_point(|&d| d == steps[i]);
            if j - i > best_n {
                best = steps[i];
                best_n = j - i;
            }
            i = j;
        }
        Some(best)
    }

    /// Every place where two consecutive bars are more than
    /// [`Candles::interval_ms`] apart, in time order.
    pub fn gaps(&self) -> Vec<Gap> {
        let Some(step) = self.interval_ms() else {
            return Vec::new();
        };
        self.ts
            .windows(2)
            .filter_map(|w| {
                let d = w[1].saturating_sub(w[0]);
                (d > step).then(|| Gap {
                    after_ts: w[0],
                    before_ts: w[1],
                    missing_bars: (d - 1) / step,
                })
            })
            .collect()
    }

    /// Bars `range` as new candles.
    ///
    /// # Panics
    /// If the range is out of bounds, like slice indexing.
    pub fn slice(&self, range: Range<usize>) -> Candles {
        Candles {
            ts: self.ts[range.clone()].to_vec(),
            open: self.open[range.clone()].to_vec(),
            high: self.high[range.clone()].to_vec(),
            low: self.low[range.clone()].to_vec(),
            close: self.close[range.clone()].to_vec(),
            volume: self.volume[range].to_vec(),
        }
    }

    /// Open times of the first and last bar; `None` when empty.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((*self.ts.first()?, *self.ts.last()?))
    }

    /// Natural log of every close.
    pub fn log_close(&self) -> Vec<f64> {
        self.close.iter().map(|c| c.ln()).collect()
    }

    /// Check every invariant that parsed candles satisfy: equal column
    /// lengths, finite positive prices, `low <= open, close <= high`,
    /// volume >= 0, millisecond timestamps strictly increasing. Errors name
    /// `name` as the source and the row as line `index + 2` (as if a header
    /// preceded the rows).
    pub fn validate(&self, name: &str) -> Result<()> {
        let n = self.ts.len();
        for (col, len) in [
            ("open", self.open.len()),
            ("high", self.high.len()),
            ("low", self.low.len()),
            ("close", self.close.len()),
            ("volume", self.volume.len()),
        ] {
            if len != n {
                return Err(MarketError::InvalidParam {
                    name: col,
                    value: format!("{len} values"),
                    why: "every column must have as many values as `ts`",
                });
            }
        }
        if self.all_rows_valid() {
            return Ok(());
        }
        for i in 0..n {
            let prev = if i > 0 { Some(self.ts[i - 1]) } else { None };
            check_row(
                name,
                i + 2,
                prev,
                self.ts[i],
                [
                    self.open[i],
                    self.high[i],
                    self.low[i],
                    self.close[i],
                    self.volume[i],
                ],
            )?;
        }
        Ok(())
    }
}

impl Candles {
    /// Whether every row passes [`check_row`], in one branch-free pass (the
    /// compiler vectorises it): valid candles, the common case, skip the
    /// row-by-row checks that exist to name the first error.
    fn all_rows_valid(&self) -> bool {
        let n = self.ts.len();
        let (ts, open, high) = (&self.ts[..n], &self.open[..n], &self.high[..n]);
        let (low, close, volume) = (&self.low[..n], &self.close[..n], &self.volume[..n]);
        let mut ok = true;
        for i in 0..n {
            let (o, h, l, c, v) = (open[i], high[i], low[i], close[i], volume[i]);
            // Comparisons with NaN are false; infinite prices fail `< INF`.
            ok &= l > 0.0 && h < f64::INFINITY && l <= h;
            ok &= l <= o && o <= h && l <= c && c <= h;
            ok &= (0.0..f64::INFINITY).contains(&v);
        }
        ok &= ts.first().is_none_or(|&t| t >= MIN_TIMESTAMP_MS);
        for p in ts.windows(2) {
            ok &= p[0] < p[1];
        }
        ok
    }
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} missing bar{} between {} and {}",
            self.missing_bars,
            if self.missing_bars == 1 { "" } else { "s" },
            format_ts_utc(self.after_ts),
            format_ts_utc(self.before_ts)
        )
    }
}

/// An epoch-millisecond timestamp as RFC 3339 UTC, e.g.
/// `2017-09-06T16:00:00Z` (milliseconds shown only when not zero).
pub fn format_ts_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days: proleptic Gregorian, no tables.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (sod / 3600, sod / 60 % 60, sod % 60);
    if milli == 0 {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
    }
}

/// A bar interval in the usual short form: `5m`, `1h`, `1d`, `1500ms`.
pub fn format_interval(ms: i64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms != 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

pub(crate) const COLUMNS: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];

/// The checks of one bar after parsing: `vals` = open, high, low, close,
/// volume; `prev_ts` is the timestamp of the previous row.
#[inline]
pub(crate) fn check_row(
    file: &str,
    line: usize,
    prev_ts: Option<i64>,
    ts: i64,
    vals: [f64; 5],
) -> Result<()> {
    for (k, &v) in vals.iter().enumerate() {
        if !v.is_finite() {
            return Err(MarketError::NonFinite {
                file: file.to_owned(),
                line,
                column: COLUMNS[k + 1],
                value: v.to_string(),
            });
        }
    }
    if ts < MIN_TIMESTAMP_MS {
        return Err(MarketError::TimestampInSeconds {
            file: file.to_owned(),
            line,
            ts,
        });
    }
    if let Some(p) = prev_ts {
        if ts == p {
            return Err(MarketError::DuplicateTimestamp {
                file: file.to_owned(),
                line,
                ts,
                previous_line: line - 1,
            });
        }
        if ts < p {
            return Err(MarketError::UnsortedTimestamp {
                file: file.to_owned(),
                line,
                ts,
                previous: p,
                previous_line: line - 1,
            });
        }
    }
    let [open, high, low, close, volume] = vals;
    for (k, v) in [(1, open), (2, high), (3, low), (4, close)] {
        if v <= 0.0 {
            return Err(MarketError::NonPositivePrice {
                file: file.to_owned(),
                line,
                column: COLUMNS[k],
                value: v,
            });
        }
    }
    if volume < 0.0 {
        return Err(MarketError::NegativeVolume {
            file: file.to_owned(),
            line,
            value: volume,
        });
    }
    if high < low {
        return Err(MarketError::HighBelowLow {
            file: file.to_owned(),
            line,
            high,
            low,
        });
    }
    for (column, v) in [("open", open), ("close", close)] {
        if v < low || v > high {
            return Err(MarketError::OpenCloseOutsideRange {
                file: file.to_owned(),
                line,
                column,
                value: v,
                low,
                high,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(ts: &[i64]) -> Candles {
        let mut c = Candles::default();
        for &t in ts {
            c.push(t, 1.0, 1.0, 1.0, 1.0, 0.0);
        }
        c
    }

    #[test]
    fn interval_is_the_most_common_step_and_gaps_count_missing_slots() {
        let h = 3_600_000;
        let t0 = 1_600_000_000_000;
        let c = bars(&[t0, t0 + h, t0 + 2 * h, t0 + 5 * h, t0 + 6 * h]);
        assert_eq!(c.interval_ms(), Some(h));
        assert_eq!(
            c.gaps(),
            vec![Gap {
                after_ts: t0 + 2 * h,
                before_ts: t0 + 5 * h,
                missing_bars: 2
            }]
        );
        assert_eq!(c.span(), Some((t0, t0 + 6 * h)));
        assert_eq!(c.slice(1..3).ts, vec![t0 + h, t0 + 2 * h]);
    }

    #[test]
    fn timestamps_and_intervals_format_as_utc_text() {
        assert_eq!(format_ts_utc(1_672_531_200_000), "2023-01-01T00:00:00Z");
        assert_eq!(format_ts_utc(1_504_713_600_000), "2017-09-06T16:00:00Z");
        assert_eq!(format_ts_utc(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(format_ts_utc(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_interval(3_600_000), "1h");
        assert_eq!(format_interval(300_000), "5m");
        assert_eq!(format_interval(86_400_000), "1d");
        assert_eq!(format_interval(1500), "1500ms");
    }

    #[test]
    fn interval_of_fewer_than_two_bars_is_unknown() {
        assert_eq!(bars(&[]).interval_ms(), None);
        assert_eq!(bars(&[1_600_000_000_000]).interval_ms(), None);
        assert!(bars(&[1_600_000_000_000]).gaps().is_empty());
    }

    #[test]
    fn validate_reports_row_as_line_index_plus_two() {
        let mut c = bars(&[1_600_000_000_000, 1_600_000_060_000]);
        c.high[1] = 0.5;
        let e = c.validate("mem").unwrap_err().to_string();
        assert!(e.contains("mem line 3"), "{e}");
    }

    #[test]
    fn validate_fast_pass_accepts_exactly_what_the_row_checks_accept() {
        let t0 = 1_600_000_000_000;
        let ts: Vec<i64> = (0..40).map(|i| t0 + i * 60_000).collect();
        let good = || {
            let mut c = Candles::default();
            for (i, &t) in ts.iter().enumerate() {
                let p = 100.0 + i as f64;
                c.push(t, p, p + 2.0, p - 2.0, p + 1.0, 3.0);
            }
            c
        };
        assert!(good().all_rows_valid());
        good().validate("mem").unwrap();
        type Edit = fn(&mut Candles, usize);
        let edits: [(&str, Edit); 16] = [
            ("open NaN", |c, i| c.open[i] = f64::NAN),
            ("high inf", |c, i| c.high[i] = f64::INFINITY),
            ("low -inf", |c, i| c.low[i] = f64::NEG_INFINITY),
            ("close NaN", |c, i| c.close[i] = f64::NAN),
            ("volume inf", |c, i| c.volume[i] = f64::INFINITY),
            ("volume NaN", |c, i| c.volume[i] = f64::NAN),
            ("volume < 0", |c, i| c.volume[i] = -1.0),
            ("low 0", |c, i| c.low[i] = 0.0),
            ("all prices 0", |c, i| {
                (c.open[i], c.high[i], c.low[i], c.close[i]) = (0.0, 0.0, 0.0, 0.0)
            }),
            ("high < low", |c, i| c.high[i] = c.low[i] - 1.0),
            ("open > high", |c, i| c.open[i] = c.high[i] + 1.0),
            ("close < low", |c, i| c.close[i] = c.low[i] - 1.0),
            ("timestamp in seconds", |c, i| c.ts[i] /= 1000),
            ("duplicate timestamp", |c, i| {
                c.ts[i] = c.ts[i.saturating_sub(1)]
            }),
            ("unsorted", |c, i| c.ts[i] -= 120_000),
            ("first row only", |c, i| {
                if i == 0 {
                    c.close[0] = -1.0
                }
            }),
        ];
        for (what, edit) in edits {
            for i in [0, 17, 39] {
                let mut c = good();
                edit(&mut c, i);
                let rows_ok = c.validate("mem").is_ok();
                assert_eq!(c.all_rows_valid(), rows_ok, "{what} at row {i}");
            }
        }
    }
}

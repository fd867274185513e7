//! Aggregate candles to a coarser interval.
//!
//! Buckets are aligned to multiples of the target interval since the Unix
//! epoch (so 1h buckets start on the hour, 1d buckets at 00:00 UTC), which
//! is how exchanges label their own coarser bars. A bucket's bar has
//! open = first open, high = max high, low = min low, close = last close,
//! volume = sum of volumes, and the bucket start as its timestamp.
//!
//! Not invented: a bucket that holds no source bar (inside a gap) is
//! **not** created, so gaps stay gaps. Buckets that are only partly covered
//! (at the two ends of the series, or next to a gap) **are** kept;
//! [`resample_with_counts`] tells how many source bars each one holds, so a
//! caller can drop those with fewer than `target / source` bars.

use crate::candles::Candles;
use crate::error::{MarketError, Result};

/// Resample `c` to `target_interval_ms`; see the module docs for the rules.
///
/// `target_interval_ms` must be positive and a whole multiple of the
/// source interval ([`Candles::interval_ms`]); with fewer than two bars the
/// source interval is unknown and any positive target is accepted. The
/// input must pass [`Candles::validate`].
pub fn resample(c: &Candles, target_interval_ms: i64) -> Result<Candles> {
    resample_with_counts(c, target_interval_ms).map(|(out, _)| out)
}

/// Like [`resample`], also returning the number of source bars in each
/// output bar (a full bucket holds `target / source` bars).
pub fn resample_with_counts(c: &Candles, target_interval_ms: i64) -> Result<(Candles, Vec<usize>)> {
    if target_interval_ms <= 0 {
        return Err(MarketError::InvalidParam {
            name: "target_interval_ms",
            value: target_interval_ms.to_string(),
            why: "must be a positive number of milliseconds",
        });
    }
    // Unsorted or inconsistent bars would silently give wrong buckets.
    c.validate("candles")?;
    if let Some(src) = c.interval_ms()
        && target_interval_ms % src != 0
    {
        return Err(MarketError::InvalidParam {
            name: "target_interval_ms",
            value: target_interval_ms.to_string(),
            why: "must be a whole multiple of the source interval",
        });
    }
    let mut out = Candles::with_capacity(c.len() / 2 + 1);
    let mut counts = Vec::new();
    for i in 0..c.len() {
        // Saturating: hand-built candles may hold any i64 timestamp.
        let bucket = c.ts[i].saturating_sub(c.ts[i].rem_euclid(target_interval_ms));
        let last = out.len().wrapping_sub(1);
        if out.ts.last() == Some(&bucket) {
            out.high[last] = out.high[last].max(c.high[i]);
            out.low[last] = out.low[last].min(c.low[i]);
            out.close[last] = c.close[i];
            out.volume[last] += c.volume[i];
            counts[last] += 1;
        } else {
            out.push(
                bucket,
                c.open[i],
                c.high[i],
                c.low[i],
                c.close[i],
                c.volume[i],
            );
            counts.push(1);
        }
    }
    Ok((out, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resample_rejects_non_multiple_and_non_positive_targets() {
        let mut c = Candles::default();
        c.push(1_600_000_000_000, 1.0, 1.0, 1.0, 1.0, 1.0);
        c.push(1_600_000_300_000, 1.0, 1.0, 1.0, 1.0, 1.0);
        assert!(resample(&c, 0).is_err());
        let e = resample(&c, 450_000).unwrap_err().to_string();
        assert!(e.contains("target_interval_ms"), "{e}");
        assert!(resample(&c, 900_000).is_ok());
    }
}

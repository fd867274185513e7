//! What a strategy may see at the close of bar `t`: the bars `0..=t` of its
//! symbol and the *completed* bars of coarser timeframes. Nothing else is
//! reachable through a [`BarView`], so look-ahead is ruled out by the type,
//! not by discipline.

use crate::error::{BacktestError, Result};
use crate::strategy::Position;
use market::Candles;

/// A coarser timeframe resampled from one symbol's base candles, with the
/// number of its bars that are complete at the close of every base bar.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) interval_ms: i64,
    pub(crate) candles: Candles,
    /// `visible[t]` = coarse bars complete at the close of base bar `t`.
    pub(crate) visible: Vec<usize>,
}

impl Frame {
    /// Resample `base` to `interval_ms`. A coarse bar (bucket `[B, B+I)`) is
    /// complete at base bar `t` once `B + I <= ts[t] + base_interval`, i.e.
    /// when the close of bar `t` is at or after the bucket's end. The rule
    /// uses timestamps only, so a gap completes a bucket at the first bar
    /// after it, and a bucket still being filled is never visible.
    pub(crate) fn build(base: &Candles, interval_ms: i64) -> Result<Frame> {
        let (candles, counts) = market::resample_with_counts(base, interval_ms)?;
        let n = base.len();
        let mut visible = vec![0usize; n];
        if let Some(step) = base.interval_ms() {
            if interval_ms <= step {
                return Err(BacktestError::invalid_param(
                    "timeframe",
                    interval_ms,
                    "a requested timeframe must be coarser than the base interval",
                ));
            }
            // Index of the last base bar inside each coarse bar: a coarse bar
            // must also never include a base bar after `t` (irregular steps).
            let mut last = Vec::with_capacity(counts.len());
            let mut acc = 0usize;
            for c in &counts {
                acc += c;
                last.push(acc - 1);
            }
            let mut k = 0usize;
            for (t, v) in visible.iter_mut().enumerate() {
                let close_time = base.ts[t].saturating_add(step);
                while k < candles.len()
                    && last[k] <= t
                    && candles.ts[k].saturating_add(interval_ms) <= close_time
                {
                    k += 1;
                }
                *v = k;
            }
        }
        Ok(Frame {
            interval_ms,
            candles,
            visible,
        })
    }
}

/// The history of one symbol up to and including the current bar `t`.
///
/// Every slice ends at `t` (`close().last()` is the current close), and
/// [`BarView::timeframe`] shows only completed coarser bars. Views are cheap
/// to copy (a handful of slices).
#[derive(Debug, Clone, Copy)]
pub struct BarView<'a> {
    symbol: &'a str,
    ts: &'a [i64],
    open: &'a [f64],
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
    volume: &'a [f64],
    position: Position,
    frames: &'a [Frame],
}

impl<'a> BarView<'a> {
    /// The view of `candles` at the close of bar `t` (bars `0..=t`), with
    /// no coarser timeframes and a flat position: for driving a strategy or
    /// a regime labeller by hand.
    ///
    /// # Panics
    /// If `t >= candles.len()`.
    pub fn of(candles: &'a Candles, t: usize) -> BarView<'a> {
        Self::build("", candles, t, Position::Flat, &[])
    }

    pub(crate) fn build(
        symbol: &'a str,
        c: &'a Candles,
        t: usize,
        position: Position,
        frames: &'a [Frame],
    ) -> BarView<'a> {
        let end = t + 1;
        BarView {
            symbol,
            ts: &c.ts[..end],
            open: &c.open[..end],
            high: &c.high[..end],
            low: &c.low[..end],
            close: &c.close[..end],
            volume: &c.volume[..end],
            position,
            frames,
        }
    }

    /// Symbol of the series ("" when built with [`BarView::of`]).
    pub fn symbol(&self) -> &'a str {
        self.symbol
    }

    /// Index of the current bar (`len() - 1`).
    pub fn t(&self) -> usize {
        self.ts.len() - 1
    }

    /// Number of visible bars (`t + 1`).
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Always false: a view holds at least the current bar.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Bar open times (epoch ms), oldest first.
    pub fn ts(&self) -> &'a [i64] {
        self.ts
    }
    /// Opens, oldest first.
    pub fn open(&self) -> &'a [f64] {
        self.open
    }
    /// Highs, oldest first.
    pub fn high(&self) -> &'a [f64] {
        self.high
    }
    /// Lows, oldest first.
    pub fn low(&self) -> &'a [f64] {
        self.low
    }
    /// Closes, oldest first; the last one is the current close.
    pub fn close(&self) -> &'a [f64] {
        self.close
    }
    /// Volumes, oldest first.
    pub fn volume(&self) -> &'a [f64] {
        self.volume
    }

    /// The current bar's close.
    pub fn last_close(&self) -> f64 {
        self.close[self.close.len() - 1]
    }

    /// The simulator's position in this symbol for this strategy, after any
    /// stop-loss or take-profit exit during the current bar.
    pub fn position(&self) -> Position {
        self.position
    }

    /// The completed bars of a coarser timeframe (`interval_ms`) that the
    /// strategy requested through [`crate::Strategy::timeframes`]; `None` if
    /// it was not requested or no coarse bar is complete yet. A coarse bar
    /// is visible only once all of its time span has closed, so the bar
    /// still being formed never leaks its future close.
    pub fn timeframe(&self, interval_ms: i64) -> Option<BarView<'a>> {
        let f = self.frames.iter().find(|f| f.interval_ms == interval_ms)?;
        let k = *f.visible.get(self.t())?;
        if k == 0 {
            return None;
        }
        Some(BarView::build(
            self.symbol,
            &f.candles,
            k - 1,
            self.position,
            &[],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const T0: i64 = 1_672_531_200_000; // midnight, so 4h buckets start at bar 0

    fn hourly(ts: &[i64]) -> Candles {
        let mut c = Candles::default();
        for (i, &t) in ts.iter().enumerate() {
            let p = 100.0 + i as f64;
            c.push(t, p, p, p, p, 1.0);
        }
        c
    }

    #[test]
    fn coarse_bars_become_visible_only_once_complete() {
        let c = hourly(&(0..10).map(|i| T0 + i * H).collect::<Vec<_>>());
        let f = Frame::build(&c, 4 * H).unwrap();
        // Bucket 0 = bars 0..=3 closes at the close of bar 3.
        assert_eq!(f.visible, vec![0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
        let v = BarView::build("X", &c, 5, Position::Flat, std::slice::from_ref(&f));
        let coarse = v.timeframe(4 * H).unwrap();
        assert_eq!(coarse.len(), 1);
        assert_eq!(coarse.last_close(), c.close[3]);
        assert!(v.timeframe(2 * H).is_none(), "not requested");
        let early = BarView::build("X", &c, 2, Position::Flat, std::slice::from_ref(&f));
        assert!(early.timeframe(4 * H).is_none());
    }

    #[test]
    fn a_gap_completes_the_bucket_at_the_first_bar_after_it() {
        // Bars 0,1 then a jump to hour 9: bucket [0,4h) misses bars 2,3.
        let c = hourly(&[T0, T0 + H, T0 + 9 * H, T0 + 10 * H, T0 + 11 * H]);
        let f = Frame::build(&c, 4 * H).unwrap();
        assert_eq!(f.visible, vec![0, 0, 1, 1, 2]);
    }

    #[test]
    fn views_end_at_the_current_bar() {
        let c = hourly(&(0..5).map(|i| T0 + i * H).collect::<Vec<_>>());
        let v = BarView::of(&c, 2);
        assert_eq!(
            (v.t(), v.len(), v.close().len(), v.high().len()),
            (2, 3, 3, 3)
        );
        assert_eq!(v.last_close(), 102.0);
    }
}

//! Property tests: the parser never panics, and valid candles survive a
//! write/read round trip bit for bit.

use market::{Candles, MarketError, io::format_candles, parse_candles};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_candles_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_candles(&bytes, "fuzz");
    }

    #[test]
    fn parse_candles_never_panics_on_csv_like_text(
        rows in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    "-?[0-9]{0,14}(\\.[0-9]{0,4})?",
                    "(NaN|inf|-inf|1e400|abc|)",
                    Just("1600000000000".to_string()),
                ],
                0..8,
            ),
            0..20,
        ),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut s = format!("timestamp,open,high,low,close,volume{eol}");
        for r in rows {
            s.push_str(&r.join(","));
            s.push_str(eol);
        }
        if let Err(e) = parse_candles(s.as_bytes(), "fuzz") {
            // Every data error points at a line; a file without bars has
            // none to point at.
            prop_assert!(e.line().is_some() || matches!(e, MarketError::NoBars { .. }), "{e}");
        }
    }

    #[test]
    fn valid_candles_round_trip_through_write_and_read(
        start in 100_000_000_000i64..4_000_000_000_000,
        bars in proptest::collection::vec(
            (1i64..10_000_000, 1e-9f64..1e9, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1e12),
            1..40,
        ),
    ) {
        let mut c = Candles::default();
        let mut ts = start;
        for (step, low, a, b, span, extra, vol) in bars {
            let high = low * (1.0 + span) + extra;
            let (o, cl) = (low + a * (high - low), low + b * (high - low));
            c.push(ts, o.clamp(low, high), high, low, cl.clamp(low, high), vol);
            ts += step;
        }
        c.validate("generated").unwrap();
        let text = format_candles(&c);
        let back = parse_candles(text.as_bytes(), "round-trip").unwrap();
        prop_assert_eq!(back, c);
    }
}

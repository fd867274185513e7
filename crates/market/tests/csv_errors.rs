//! One test per malformed-input kind: each error names the source, the line
//! and (where there is one) the column, in plain English.

use market::{MarketError, parse_candles, read_candles};

mod common;

const H: &str = "timestamp,open,high,low,close,volume\n";

fn err(body: &str) -> (MarketError, String) {
    let e = parse_candles(body.as_bytes(), "BTCUSDT-1h.csv").unwrap_err();
    let s = e.to_string();
    (e, s)
}

fn row(body: &str) -> String {
    format!("{H}1600000000000,10,11,9,10.5,1\n{body}")
}

#[test]
fn empty_input_is_reported_as_empty_file() {
    for body in ["", "\u{feff}", "\n\r\n  \n"] {
        let (e, s) = err(body);
        assert!(matches!(e, MarketError::EmptyFile { .. }), "{s}");
        assert!(s.contains("BTCUSDT-1h.csv") && s.contains("empty"), "{s}");
    }
}

#[test]
fn misnamed_header_column_is_named() {
    let (e, s) = err("timestamp,open,hi,low,close,volume\n");
    assert!(matches!(e, MarketError::Header { line: 1, .. }), "{s}");
    assert!(
        s.contains("line 1") && s.contains("column 3 is not named \"high\""),
        "{s}"
    );
    // What the file holds there is not repeated.
    assert!(!s.contains("\"hi\""), "{s}");
}

#[test]
fn missing_and_extra_header_columns_are_reported() {
    let (_, s) = err("timestamp,open,high,low,close\n");
    assert!(s.contains("missing column \"volume\""), "{s}");
    let (_, s) = err("timestamp,open,high,low,close,volume,trades\n");
    assert!(s.contains("extra column 7 (found 7 columns)"), "{s}");
    assert!(!s.contains("trades"), "{s}");
}

#[test]
fn data_without_header_is_reported_as_missing_header() {
    let (e, s) = err("1600000000000,10,11,9,10.5,1\n");
    assert!(matches!(e, MarketError::Header { .. }), "{s}");
    assert!(s.contains("looks like data"), "{s}");
}

#[test]
fn wrong_field_count_names_the_line() {
    let (e, s) = err(&row("1600000060000,10,11,9,10.5\n"));
    assert!(
        matches!(
            e,
            MarketError::FieldCount {
                line: 3,
                got: 5,
                expected: 6,
                ..
            }
        ),
        "{s}"
    );
    assert!(
        s.contains("BTCUSDT-1h.csv line 3: 5 fields, expected 6"),
        "{s}"
    );
}

#[test]
fn non_numeric_value_names_line_column_and_value() {
    let (e, s) = err(&row("1600000060000,10,abc,9,10.5,1\n"));
    assert!(
        matches!(
            e,
            MarketError::Parse {
                line: 3,
                column: "high",
                ..
            }
        ),
        "{s}"
    );
    assert_eq!(
        s,
        "BTCUSDT-1h.csv line 3, column \"high\": the value is not a number"
    );
    let (_, s) = err(&row("1600000060000,10,11,,10.5,1\n"));
    assert!(s.contains("column \"low\": the value is empty"), "{s}");
}

#[test]
fn fractional_timestamp_is_a_parse_error_on_timestamp() {
    let (e, s) = err(&row("1600000060000.5,10,11,9,10.5,1\n"));
    assert!(
        matches!(
            e,
            MarketError::Parse {
                column: "timestamp",
                line: 3,
                ..
            }
        ),
        "{s}"
    );
    assert!(s.contains("whole number"), "{s}");
}

#[test]
fn nan_and_infinity_are_rejected_as_non_finite() {
    for (body, col) in [
        ("1600000060000,NaN,11,9,10.5,1\n", "open"),
        ("1600000060000,10,inf,9,10.5,1\n", "high"),
        ("1600000060000,10,11,9,10.5,-infinity\n", "volume"),
    ] {
        let (e, s) = err(&row(body));
        assert!(matches!(e, MarketError::NonFinite { line: 3, .. }), "{s}");
        assert!(s.contains(&format!("line 3, column \"{col}\"")), "{s}");
        assert!(s.contains("the value is not a finite number"), "{s}");
        assert!(!s.contains("NaN") && !s.contains("inf"), "{s}");
    }
}

#[test]
fn negative_volume_is_rejected() {
    let (e, s) = err(&row("1600000060000,10,11,9,10.5,-2\n"));
    assert!(
        matches!(e, MarketError::NegativeVolume { line: 3, .. }),
        "{s}"
    );
    assert!(
        s.contains("line 3, column \"volume\": -2 is negative"),
        "{s}"
    );
}

#[test]
fn non_positive_price_is_rejected() {
    let (e, s) = err(&row("1600000060000,10,11,0,10.5,2\n"));
    assert!(
        matches!(
            e,
            MarketError::NonPositivePrice {
                line: 3,
                column: "low",
                ..
            }
        ),
        "{s}"
    );
    assert!(s.contains("must be greater than 0"), "{s}");
}

#[test]
fn high_below_low_reads_like_the_spec_example() {
    let body = format!("{H}1600000000000,4150,4100,4200,4150,1\n");
    let (_, s) = err(&body);
    assert_eq!(
        s,
        "BTCUSDT-1h.csv line 2, column \"high\": 4100 is below low 4200"
    );
}

#[test]
fn open_or_close_outside_range_names_the_column() {
    let (e, s) = err(&row("1600000060000,12,11,9,10.5,1\n"));
    assert!(
        matches!(
            e,
            MarketError::OpenCloseOutsideRange {
                column: "open",
                line: 3,
                ..
            }
        ),
        "{s}"
    );
    assert!(
        s.contains("column \"open\": 12 is outside the bar's range [low 9, high 11]"),
        "{s}"
    );
    let (_, s) = err(&row("1600000060000,10,11,9,8.5,1\n"));
    assert!(
        s.contains("line 3, column \"close\": 8.5 is outside"),
        "{s}"
    );
}

#[test]
fn duplicate_timestamp_names_both_lines() {
    let (e, s) = err(&row("1600000000000,10,11,9,10.5,1\n"));
    assert!(
        matches!(
            e,
            MarketError::DuplicateTimestamp {
                line: 3,
                previous_line: 2,
                ..
            }
        ),
        "{s}"
    );
    assert!(
        s.contains("line 3, column \"timestamp\": 1600000000000 repeats the timestamp of line 2"),
        "{s}"
    );
}

#[test]
fn unsorted_timestamp_is_rejected() {
    let (e, s) = err(&row("1599999940000,10,11,9,10.5,1\n"));
    assert!(
        matches!(e, MarketError::UnsortedTimestamp { line: 3, .. }),
        "{s}"
    );
    assert!(s.contains("is earlier than 1600000000000 on line 2"), "{s}");
}

#[test]
fn second_timestamps_suggest_multiplying_by_1000() {
    let body = format!("{H}1600000000,10,11,9,10.5,1\n");
    let (e, s) = err(&body);
    assert!(
        matches!(e, MarketError::TimestampInSeconds { line: 2, .. }),
        "{s}"
    );
    assert!(
        s.contains("seconds") && s.contains("multiply") && s.contains("1000"),
        "{s}"
    );
}

#[test]
fn line_numbers_count_blank_lines_and_crlf() {
    let body = format!("{H}\r\n1600000000000,10,11,9,10.5,1\r\n\r\n1600000060000,10,11,9,x,1\r\n");
    let (e, s) = err(&body);
    assert_eq!(e.line(), Some(5), "{s}");
}

#[test]
fn invalid_utf8_is_a_parse_error_not_a_panic() {
    let mut body = row("").into_bytes();
    body.extend_from_slice(b"1600000060000,1\xff,11,9,10.5,1\n");
    let e = parse_candles(&body, "x.csv").unwrap_err().to_string();
    assert!(
        e.contains("x.csv line 3, column \"open\"") && e.contains("UTF-8"),
        "{e}"
    );
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let e = read_candles("/nonexistent/dir/BTC.csv".as_ref()).unwrap_err();
    assert!(matches!(e, MarketError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/dir/BTC.csv"), "{e}");
}

#[test]
fn bad_fixture_files_fail_with_their_documented_error() {
    for (name, phrase) in [
        (
            "high_below_low.csv",
            "line 3, column \"high\": 4200 is below low 4291.37",
        ),
        (
            "timestamps_in_seconds.csv",
            "line 2, column \"timestamp\": 1502942400 looks like Unix seconds",
        ),
        (
            "unsorted.csv",
            "line 4, column \"timestamp\": 1502946000000 is earlier than 1502949600000 on line 3",
        ),
        (
            "wrong_header.csv",
            "line 1: bad header: column 1 is not named \"timestamp\"",
        ),
        (
            "empty_volume.csv",
            "line 3, column \"volume\": the value is empty",
        ),
        ("extra_field.csv", "line 2: 7 fields, expected 6"),
    ] {
        let p = common::fixture("bad").join(name);
        let e = read_candles(&p).unwrap_err().to_string();
        assert!(e.contains(phrase), "{name}: {e}");
        assert!(e.starts_with(&p.display().to_string()), "{e}");
    }
}

#[test]
fn bom_and_crlf_are_accepted() {
    let text = "\u{feff}timestamp,open,high,low,close,volume\r\n1600000000000,10,11,9,10.5,1\r\n1600000060000,10.5,12,10,11,2\r\n";
    let c = parse_candles(text.as_bytes(), "bom.csv").unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.ts, vec![1_600_000_000_000, 1_600_000_060_000]);
    assert_eq!(c.close, vec![10.5, 11.0]);
    // And with neither a final newline nor CR.
    let c = parse_candles(
        b"timestamp,open,high,low,close,volume\n1600000000000,10,11,9,10.5,1",
        "x",
    )
    .unwrap();
    assert_eq!(c.len(), 1);
}

#[test]
fn header_only_file_is_rejected_up_front() {
    for body in [H, "timestamp,open,high,low,close,volume\r\n\r\n  \n"] {
        let (e, s) = err(body);
        assert!(matches!(e, MarketError::NoBars { .. }), "{s}");
        assert!(
            s.starts_with("BTCUSDT-1h.csv: the header is followed by no bars"),
            "{s}"
        );
    }
}

/// A file that is not a candle CSV (here shaped like `/proc/self/environ`,
/// which an upload path once echoed back) must not appear in the error.
#[test]
fn errors_never_quote_the_file_content() {
    let secrets = [
        "AWS_SECRET_ACCESS_KEY=hunter2\0HOME=/root\0",
        "1600000000000=hunter2,a,b\n",
        "timestamp,open,high,low,close,volume,hunter2\n",
        "timestamp,hunter2,high,low,close,volume\n",
        "timestamp,open,high,low,close\n",
        &row("1600000060000,10,hunter2,9,10.5,1\n"),
        &row("1600000060000,10,11,9,10.5,hunter2\n"),
        &row("hunter2,10,11,9,10.5,1\n"),
    ];
    for body in secrets {
        let (e, s) = err(body);
        assert!(!s.contains("hunter2") && !s.contains("AWS"), "{s}");
        assert!(s.starts_with("BTCUSDT-1h.csv"), "{s}");
        assert!(e.line().is_some(), "{s}");
    }
}

#[test]
fn overlong_lines_are_rejected_with_their_line_number() {
    let long = format!("1600000060000,10.{},11,9,10.5,1\n", "0".repeat(2000));
    let (e, s) = err(&row(&long));
    assert!(
        matches!(e, MarketError::TooLarge { line: Some(3), .. }),
        "{s}"
    );
    assert!(
        s.contains("line 3") && s.contains("more than the 1024 allowed"),
        "{s}"
    );
    let (e, _) = err(&format!("{}\n", "x".repeat(5000)));
    assert!(matches!(e, MarketError::TooLarge { line: Some(1), .. }));
}

/// A FIFO (or a device) given as the candle file is refused at once
/// instead of blocking the reader or being read without end.
#[test]
fn fifo_and_device_paths_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("candles.csv");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(
            read_candles(&fifo)
                .map(|c| c.len())
                .map_err(|e| e.to_string()),
        );
    });
    let r = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("reading a FIFO blocked");
    let e = r.unwrap_err();
    assert!(e.contains("FIFO, socket or device"), "{e}");
    let e = read_candles("/dev/zero".as_ref()).unwrap_err().to_string();
    assert!(e.contains("FIFO, socket or device"), "{e}");
}

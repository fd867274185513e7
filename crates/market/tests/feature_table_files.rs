//! `FeatureTable::read_csv` on hostile files, bounded like a candle file: a
//! FIFO is refused without blocking, a file over the size limit is refused
//! from its size before reading, overlong lines are refused, and no error
//! quotes a cell or header of the file.

use market::FeatureTable;
use market::features::CSV_COLUMNS;
use market::io::{MAX_FILE_BYTES, MAX_LINE_BYTES};
use test_support::hostile::{fifo, promptly, sparse_file};

const SECRET: &str = "AKIAhunter2SECRET";
const GOOD: &str = "72,1503201600000,4093.0,0,0,0,0,0,0,0,0,50,0,0,0,0,0,1,1,1";

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let p = fifo(dir.path(), "features.csv");
    let e = promptly("reading a FIFO", move || FeatureTable::read_csv(&p))
        .unwrap_err()
        .to_string();
    assert!(e.contains("FIFO, socket or device"), "{e}");
}

#[test]
fn a_file_over_the_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = sparse_file(dir.path(), "big.csv", MAX_FILE_BYTES + 1);
    let e = promptly("reading a huge file", move || FeatureTable::read_csv(&p))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("more than the {MAX_FILE_BYTES} allowed")),
        "{e}"
    );
}

#[test]
fn errors_never_quote_a_cell_or_header() {
    let header = CSV_COLUMNS.join(",");
    // A secret in each column of a row.
    for k in 0..CSV_COLUMNS.len() {
        let mut row: Vec<&str> = GOOD.split(',').collect();
        row[k] = SECRET;
        let e = FeatureTable::parse_csv(
            format!("{header}\n{GOOD}\n{}\n", row.join(",")).as_bytes(),
            "f.csv",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(&format!("f.csv line 3, column \"{}\"", CSV_COLUMNS[k])),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
    // A secret as the first line (reading the wrong file).
    let e = FeatureTable::parse_csv(format!("{SECRET}\n{GOOD}\n").as_bytes(), "f.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("f.csv line 1") && e.contains("column 1"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn overlong_lines_are_refused_with_their_line_number() {
    let header = CSV_COLUMNS.join(",");
    let long = GOOD.replacen("4093.0", &format!("4093.{}", "0".repeat(MAX_LINE_BYTES)), 1);
    let e = FeatureTable::parse_csv(format!("{header}\n{GOOD}\n{long}\n").as_bytes(), "f.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("f.csv line 3")
            && e.contains(&format!("more than the {MAX_LINE_BYTES} allowed")),
        "{e}"
    );
    let wide = "x,".repeat(MAX_LINE_BYTES);
    let e = FeatureTable::parse_csv(format!("{wide}\n{GOOD}\n").as_bytes(), "f.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("f.csv line 1"), "{e}");
}

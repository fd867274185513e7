//! `StrategyData::read_csv` on hostile files: a FIFO is refused without
//! blocking, a file over the size limit is refused from its size before
//! reading, and no error quotes a cell or a header of the file.

use ppo::StrategyData;
use test_support::hostile::{fifo, promptly, sparse_file};

const SECRET: &str = "AKIAhunter2SECRET";

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let p = fifo(dir.path(), "strategy_returns.csv");
    let e = promptly("reading a FIFO", move || StrategyData::read_csv(&p))
        .unwrap_err()
        .to_string();
    assert!(e.contains("FIFO, socket or device"), "{e}");
}

#[test]
fn a_file_over_the_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let max = StrategyData::MAX_CSV_BYTES;
    let p = sparse_file(dir.path(), "big.csv", max + 1);
    let e = promptly("reading a huge file", move || StrategyData::read_csv(&p))
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("more than the {max} allowed")), "{e}");
}

#[test]
fn errors_name_line_and_column_but_never_quote_a_cell_or_header() {
    let header = format!("ret_{SECRET},ctx_{SECRET},regime,is_train");
    for (row, column) in [
        (format!("{SECRET},1,0,1"), "column 1:"),
        (format!("1,{SECRET},0,1"), "column 2:"),
        (format!("1,1,{SECRET},1"), "column 3 (`regime`)"),
        (format!("1,1,0,{SECRET}"), "column 4 (`is_train`)"),
    ] {
        let e = StrategyData::parse_csv("r.csv", &format!("{header}\n1,1,0,1\n{row}\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("r.csv:3:") && e.contains(column), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }
    let e = StrategyData::parse_csv("r.csv", &format!("{SECRET},is_train\n1,1\n"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("r.csv:1:") && e.contains("`ret_*`"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("latin1.csv");
    std::fs::write(&p, b"ret_a,ctx_b,is_train\n1,1,1\n\xe9,1,1\n").unwrap();
    let e = StrategyData::read_csv(&p).unwrap_err().to_string();
    assert!(e.contains("latin1.csv:3:") && e.contains("UTF-8"), "{e}");
}

#[test]
fn a_header_with_too_many_columns_is_refused() {
    let max = StrategyData::MAX_CSV_COLUMNS;
    let header: Vec<String> = (0..=max).map(|i| format!("ret_{i}")).collect();
    let e = StrategyData::parse_csv("w.csv", &format!("{}\n", header.join(",")))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("more columns than the {max} allowed")),
        "{e}"
    );
}

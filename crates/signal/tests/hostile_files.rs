//! The signal agent's data-file readers (feature table, trade log) on
//! hostile files: a FIFO is refused without blocking, a file over the size
//! limit is refused from its size before reading, and no error quotes a
//! cell or header of the file.

use signal::io::{MAX_COLUMNS, MAX_FILE_BYTES};
use signal::{FeatureCsvSpec, read_feature_csv, read_trade_log};
use std::path::PathBuf;
use test_support::hostile::{fifo, promptly, sparse_file};

const SECRET: &str = "AKIAhunter2SECRET";

fn spec() -> FeatureCsvSpec {
    FeatureCsvSpec {
        features: vec!["a".into(), "b".into()],
        target: "y".into(),
        timestamp: Some("ts".into()),
        split: Some("is_train".into()),
        label_horizon: 1,
    }
}

type Reader = fn(PathBuf) -> Result<(), String>;

fn readers() -> [(&'static str, Reader); 2] {
    [
        ("feature table", |p| {
            read_feature_csv(&p, &spec())
                .map(drop)
                .map_err(|e| e.to_string())
        }),
        ("trade log", |p| {
            read_trade_log(&p).map(drop).map_err(|e| e.to_string())
        }),
    ]
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    for (what, read) in readers() {
        let p = fifo(dir.path(), &format!("{}.csv", what.replace(' ', "_")));
        let e = promptly(what, move || read(p)).unwrap_err();
        assert!(e.contains("FIFO, socket or device"), "{what}: {e}");
    }
}

#[test]
fn a_file_over_the_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    for (what, read) in readers() {
        let p = sparse_file(dir.path(), "big.csv", MAX_FILE_BYTES + 1);
        let e = promptly(what, move || read(p)).unwrap_err();
        assert!(
            e.contains(&format!("more than the {MAX_FILE_BYTES} allowed")),
            "{what}: {e}"
        );
    }
}

#[test]
fn errors_name_line_and_column_but_never_quote_a_cell() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("features.csv");
    std::fs::write(
        &table,
        format!("ts,b,a,y,is_train\n1,0.5,1.5,1,1\n2,{SECRET},2.5,0,1\n"),
    )
    .unwrap();
    let e = read_feature_csv(&table, &spec()).unwrap_err().to_string();
    assert!(e.contains("line 3") && e.contains("`b`"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    for (cell, column) in [(3, "y"), (0, "ts"), (4, "is_train"), (2, "a")] {
        let mut row = ["2", "0.5", "1.5", "1", "1"];
        row[cell] = SECRET;
        std::fs::write(
            &table,
            format!("ts,b,a,y,is_train\n1,0.5,1.5,1,1\n{}\n", row.join(",")),
        )
        .unwrap();
        let e = read_feature_csv(&table, &spec()).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains(column), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    let log = dir.path().join("trades.csv");
    let header = "strategy,regime,side,entry_time,entry_price,size,pnl";
    for (k, column) in [
        (2, "side"),
        (3, "entry_time"),
        (4, "entry_price"),
        (6, "pnl"),
    ] {
        let mut row = ["s", "r", "buy", "1700000000000", "100", "1", "2"];
        row[k] = SECRET;
        std::fs::write(&log, format!("{header}\n{}\n", row.join(","))).unwrap();
        let e = read_trade_log(&log).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains(column), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }
    // A header missing a column: the error names what is needed, not what
    // the header holds.
    std::fs::write(&log, format!("{SECRET},side\nx,buy\n")).unwrap();
    let e = read_trade_log(&log).unwrap_err().to_string();
    assert!(e.contains("line 1") && e.contains("strategy"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn a_header_with_too_many_columns_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wide.csv");
    let header: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    std::fs::write(&p, format!("{}\n", header.join(","))).unwrap();
    for (what, read) in readers() {
        let e = read(p.clone()).unwrap_err();
        assert!(
            e.contains(&format!("more columns than the {MAX_COLUMNS} allowed")),
            "{what}: {e}"
        );
    }
}

//! The meta-selector's CSV readers (strategy returns, meta table, trade
//! log) on hostile files: a FIFO is refused without blocking, a file over
//! the size limit is refused from its size before reading, and no error
//! quotes a cell or a header of the file.

use meta_selector::features::{
    MAX_COLUMNS, MAX_FILE_BYTES, MetaTable, StrategyReturns, read_trade_log,
};
use std::path::PathBuf;
use test_support::hostile::{fifo, promptly, sparse_file};

const SECRET: &str = "AKIAhunter2SECRET";

type Reader = fn(PathBuf) -> Result<(), String>;

fn readers() -> [(&'static str, Reader); 3] {
    [
        ("strategy returns", |p| {
            StrategyReturns::read_csv(&p)
                .map(drop)
                .map_err(|e| e.to_string())
        }),
        ("meta table", |p| {
            MetaTable::read_csv(&p, None)
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

fn read_err(read: Reader, dir: &std::path::Path, text: &str) -> String {
    let p = dir.join("data.csv");
    std::fs::write(&p, text).unwrap();
    read(p).unwrap_err()
}

#[test]
fn errors_name_line_and_column_but_never_quote_a_cell_or_header() {
    let dir = tempfile::tempdir().unwrap();
    let [(_, returns), (_, meta), (_, log)] = readers();
    let cases: [(Reader, String, &str); 5] = [
        // A secret in a feature cell (column 2 of the meta table).
        (
            meta,
            format!("window,{SECRET},target,is_train,strategy_id\n1,{SECRET},0.5,1,0\n"),
            "column 2",
        ),
        (
            meta,
            format!("window,f,target,is_train,strategy_id\n1,0.5,0.5,{SECRET},0\n"),
            "column 4 (`is_train`)",
        ),
        (
            returns,
            format!("ret_{SECRET},ctx_a,is_train\n{SECRET},1,1\n"),
            "column 1",
        ),
        // A header without the needed column names that, not the header.
        (returns, format!("ret_a,{SECRET}\n1,2\n"), "`is_train`"),
        (
            log,
            format!(
                "symbol,strategy,regime,side,entry_time,exit_time,entry_price,exit_price,size,fees,pnl,pnl_pct,bars_held\n\
                 BTC,s,r,buy,1,{SECRET},1,1,1,0,0,0,1\n"
            ),
            "column 6 (`exit_time`)",
        ),
    ];
    for (read, text, column) in cases {
        let e = read_err(read, dir.path(), &text);
        assert!(e.contains(column), "{e}");
        assert!(
            e.contains("data.csv:1:") || e.contains("data.csv:2:"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
}

#[test]
fn a_header_with_too_many_columns_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let header: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    for (what, read) in readers() {
        let e = read_err(read, dir.path(), &format!("{}\n1\n", header.join(",")));
        assert!(
            e.contains(&format!("more columns than the {MAX_COLUMNS} allowed")),
            "{what}: {e}"
        );
    }
}

//! The backtester's CSV readers (trade log, `strategy_pnl.csv`, strategy
//! returns) on hostile files: a FIFO is refused without blocking, a file
//! over the size limit is refused from its size before reading, and no
//! error quotes a cell or a header of the file.

use backtest::StrategyReturns;
use backtest::io::{MAX_COLUMNS, MAX_FILE_BYTES, read_strategy_pnl, read_trades};
use std::path::{Path, PathBuf};
use test_support::hostile::{fifo, promptly, sparse_file};

const SECRET: &str = "AKIAhunter2SECRET";
const TRADES: &str = "symbol,strategy,regime,side,entry_time,exit_time,entry_price,exit_price,size,fees,pnl,pnl_pct,bars_held";

type Reader = fn(PathBuf) -> Result<(), String>;

fn readers() -> [(&'static str, Reader); 3] {
    [
        ("trade log", |p| {
            read_trades(&p).map(drop).map_err(|e| e.to_string())
        }),
        ("strategy pnl", |p| {
            read_strategy_pnl(&p).map(drop).map_err(|e| e.to_string())
        }),
        ("strategy returns", |p| {
            StrategyReturns::read_csv(&p)
                .map(drop)
                .map_err(|e| e.to_string())
        }),
    ]
}

fn read_err(read: Reader, dir: &Path, text: &str) -> String {
    let p = dir.join("data.csv");
    std::fs::write(&p, text).unwrap();
    read(p).unwrap_err()
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
fn errors_name_line_and_column_but_never_quote_a_cell_or_header() {
    let dir = tempfile::tempdir().unwrap();
    let [(_, trades), (_, pnl), (_, returns)] = readers();
    let row = [
        "X",
        "s",
        "0",
        "long",
        "2023-01-01T00:00:00Z",
        "2023-01-01T01:00:00Z",
        "1",
        "2",
        "1",
        "0",
        "1",
        "100",
        "1",
    ];
    // A secret in every parsed trade-log column.
    for k in 2..row.len() {
        let mut r = row;
        r[k] = SECRET;
        let e = read_err(trades, dir.path(), &format!("{TRADES}\n{}\n", r.join(",")));
        let column = TRADES.split(',').nth(k).unwrap();
        assert!(
            e.contains("data.csv line 2") && e.contains(&format!("\"{column}\"")),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
    let e = read_err(
        pnl,
        dir.path(),
        &format!(
            "regime,strategy,trades,mean_pnl,win_rate,sharpe,max_drawdown\n0,s,{SECRET},1,1,1,1\n"
        ),
    );
    assert!(e.contains("line 2") && e.contains("\"trades\""), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    // A strategy-return column is named by position: its name is the file's.
    let mut header = String::from("window,first_bar,last_bar,start_ts,end_ts");
    for c in backtest::CTX {
        header.push(',');
        header.push_str(c);
    }
    header.push_str(&format!(",regime,is_train,ret_{SECRET}"));
    let e = read_err(
        returns,
        dir.path(),
        &format!("{header}\n0,0,1,2,3,1,1,1,1,1,1,1,0,1,{SECRET}\n"),
    );
    assert!(e.contains("line 2") && e.contains("column \"15\""), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    // A header without a needed column: what is needed, not what it holds.
    let e = read_err(trades, dir.path(), &format!("{SECRET},strategy\nX,s\n"));
    assert!(e.contains("line 1") && e.contains("symbol"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn a_header_with_too_many_columns_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let header: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    for (what, read) in readers() {
        let e = read_err(read, dir.path(), &format!("{}\n", header.join(",")));
        assert!(
            e.contains(&format!("more columns than the {MAX_COLUMNS} allowed")),
            "{what}: {e}"
        );
    }
}

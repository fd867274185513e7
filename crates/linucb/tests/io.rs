//! The three CSV layouts: detection, alignment, and errors that point at
//! the line and column.

use linucb::io::{parse_strategy_returns, parse_trade_log, parse_training_file};
use linucb::{Feedback, TrainingFile};

#[test]
fn aggregate_strategy_pnl_parses_with_optional_stats() {
    let csv = "regime,strategy,trades,mean_pnl,win_rate,sharpe,max_drawdown\n\
               trending,trend_bot,12,0.8,0.6,1.2,0.1\n\
               trending,grid_bot,3,-0.2,,,\n\
               sideways,grid_bot,7,0.3,0.7,0.9,0.05\n";
    let TrainingFile::Aggregate(t) = parse_training_file(csv.as_bytes(), "pnl.csv").unwrap() else {
        panic!("expected the aggregate layout")
    };
    assert_eq!(t.arm_names, ["trend_bot", "grid_bot"]);
    assert_eq!(t.regime_names, ["trending", "sideways"]);
    assert_eq!(t.rows[1].win_rate, None);
    assert_eq!(t.rows[2].trades, 7);
    assert_eq!(t.total_trades(), 22);
}

#[test]
fn parse_errors_name_file_line_and_column() {
    let bad_number = "regime,strategy,trades,mean_pnl,win_rate,sharpe,max_drawdown\n\
                      0,a,1,0.5,0.5,1,0\n\
                      1,a,2,abc,0.5,1,0\n";
    let e = parse_training_file(bad_number.as_bytes(), "pnl.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "pnl.csv:3:4 (column `mean_pnl`): value is not a number");

    let negative_trades =
        "regime,strategy,trades,mean_pnl,win_rate,sharpe,max_drawdown\n0,a,-3,0.5,,,\n";
    let e = parse_training_file(negative_trades.as_bytes(), "p")
        .unwrap_err()
        .to_string();
    assert!(e.contains("p:2:3 (column `trades`)"), "{e}");

    let duplicate = "regime,strategy,trades,mean_pnl,win_rate,sharpe,max_drawdown\n\
                     0,a,1,0.5,,,\n1,a,1,0.5,,,\n0,a,2,0.1,,,\n";
    let e = parse_training_file(duplicate.as_bytes(), "p")
        .unwrap_err()
        .to_string();
    assert!(e.contains("p:4") && e.contains("line 2"), "{e}");

    let short_row = "timestamp,regime,strategy,pnl\n1,0,a,0.1\n2,0,a\n";
    let e = parse_trade_log(short_row.as_bytes(), "log.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("log.csv:3") && e.contains("3 fields"), "{e}");

    let unordered = "timestamp,regime,strategy,pnl\n2024-01-02T00:00:00Z,0,a,0.1\n2024-01-01T00:00:00Z,0,a,0.2\n";
    let e = parse_trade_log(unordered.as_bytes(), "log.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("log.csv:3:1 (column `timestamp`)") && e.contains("time order"),
        "{e}"
    );

    let nan = "timestamp,regime,strategy,pnl\n1,0,a,nan\n";
    let e = parse_trade_log(nan.as_bytes(), "log.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("log.csv:2:4") && e.contains("finite"), "{e}");
}

#[test]
fn the_original_bots_strategy_pnl_without_regime_is_explained() {
    let original = "timestamp,strategy,symbol,entry_price,exit_price,pnl,confidence,direction\n\
                    2024-01-01T00:00:00,trend_bot,BTC/USDT,100,101,1.0,0.7,long\n";
    let e = parse_training_file(original.as_bytes(), "strategy_pnl.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`regime` column") && e.contains("regime_pnl.csv"),
        "{e}"
    );
}

#[test]
fn trade_log_reads_regimes_features_and_chronological_split() {
    let csv = "timestamp,regime,strategy,pnl,ctx_vol,symbol,is_train\n\
               1700000000000,trending,trend_bot,1.5,0.2,BTC,1\n\
               1700000360000,sideways,grid_bot,-0.5,0.1,BTC,1\n\
               1700000720000,trending,grid_bot,0.25,0.3,ETH,0\n";
    let d = parse_trade_log(csv.as_bytes(), "log").unwrap();
    assert_eq!(d.len(), 3);
    assert_eq!(d.arm_names(), ["trend_bot", "grid_bot"]);
    assert_eq!(d.regime_names(), ["trending", "sideways"]);
    assert_eq!(d.feature_names(), ["ctx_vol"]);
    assert_eq!(d.context(2), &[0.3]);
    assert_eq!(d.train_mask(), Some(&[true, true, false][..]));
    let Feedback::Logged { arms, rewards } = d.feedback() else {
        panic!("trade logs are bandit feedback")
    };
    assert_eq!(arms, &[0, 1, 1]);
    assert_eq!(rewards, &[1.5, -0.5, 0.25]);
    let interleaved = csv.replace(",BTC,1\n1700000360000", ",BTC,0\n1700000360000");
    let interleaved = interleaved.replace("ETH,0", "ETH,1");
    let e = parse_trade_log(interleaved.as_bytes(), "log")
        .unwrap_err()
        .to_string();
    assert!(e.contains("chronological"), "{e}");
}

#[test]
fn per_window_returns_pair_each_context_with_the_next_windows_returns() {
    let csv = "window,ret_hold,ret_flip,ctx_a,regime,is_train,end_ts\n\
               0,0.01,-0.01,5,0,1,100\n\
               1,0.02,-0.02,6,2,1,200\n\
               2,0.03,-0.03,7,1,0,300\n";
    let d = parse_strategy_returns(csv.as_bytes(), "ret.csv").unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d.arm_names(), ["hold", "flip"]);
    assert_eq!(d.regime_names(), ["0", "1", "2"]);
    assert_eq!(d.context(0), &[5.0]);
    assert_eq!(d.regime(1), 2);
    assert_eq!(d.reward(0, 0), Some(0.02));
    assert_eq!(d.reward(1, 1), Some(-0.03));
    // Event 1 earns window 2's (test) return, so it is a test event.
    assert_eq!(d.train_mask(), Some(&[true, false][..]));
    assert_eq!(d.timestamps(), Some(&[100, 200][..]));
    let ruin = csv.replace("0.02,-0.02", "0.02,-1.5");
    let e = parse_strategy_returns(ruin.as_bytes(), "ret.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("ret.csv:3:3 (column `ret_flip`)"), "{e}");
}

#[test]
fn empty_and_header_only_files_are_errors() {
    for (txt, want) in [("", "empty"), ("regime,strategy,pnl\n", "no data rows")] {
        let e = parse_training_file(txt.as_bytes(), "x.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{e}");
    }
}

/// Errors name the place, never the file's content: reading a file that is
/// not a training file (a secret, say) must not echo it.
#[test]
fn errors_do_not_quote_file_content() {
    let secret = "AWS_SECRET=hunter2,TOKEN=abc\nx,y\n";
    let e = parse_training_file(secret.as_bytes(), "s.csv")
        .unwrap_err()
        .to_string();
    assert!(!e.contains("hunter2") && !e.contains("TOKEN"), "{e}");
    assert!(
        e.contains("s.csv:1") && e.contains("unrecognised layout"),
        "{e}"
    );
    let log = "timestamp,regime,strategy,pnl\n1,0,a,password123\n";
    let e = parse_trade_log(log.as_bytes(), "t.csv")
        .unwrap_err()
        .to_string();
    assert!(!e.contains("password123"), "{e}");
    assert!(e.contains("t.csv:2:4 (column `pnl`)"), "{e}");
}

#[test]
fn oversized_inputs_are_refused_with_a_clear_error() {
    let wide = (0..5000)
        .map(|i| format!("ctx_{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let e = parse_trade_log(format!("{wide}\n").as_bytes(), "w.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("more than the"), "{e}");
    let long = format!(
        "timestamp,regime,strategy,pnl\n1,0,{},0.1\n",
        "a".repeat(1000)
    );
    let e = parse_trade_log(long.as_bytes(), "l.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("l.csv:2:3") && e.contains("longer than"), "{e}");
    let many: String = std::iter::once("timestamp,regime,strategy,pnl\n".to_string())
        .chain((0..2000).map(|i| format!("{i},0,s{i},0.1\n")))
        .collect();
    let e = parse_trade_log(many.as_bytes(), "m.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("2000 distinct strategies"), "{e}");
}

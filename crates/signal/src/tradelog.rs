//! Training data from a backtest trade log: one row per trade, label
//! `pnl > 0`, features known **at entry** only.
//!
//! The log is a CSV with the backtest crate's columns
//! `symbol,strategy,regime,side,entry_time,exit_time,entry_price,exit_price,size,fees,pnl,pnl_pct,bars_held`
//! in any order (extra columns are ignored). `strategy, regime, side,
//! entry_time, entry_price, size, pnl` are required; the others are checked
//! when present. Errors name the line (1-based, header = line 1) and column.
//!
//! Features (in this order; see [`TradeFeatures`]):
//! - `side`: +1 long (`buy`/`long`), -1 short (`sell`/`short`);
//! - `log_notional`: `ln(size * entry_price)`;
//! - `hour_sin`, `hour_cos`: UTC hour of entry on the unit circle;
//! - `strategy=<name>` and `regime=<name>`: one-hot, vocabulary from the
//!   training log, sorted; unseen names at inference encode as all zeros.
//!
//! Exit price, exit time, fees, pnl, pnl_pct and bars_held are outcomes of
//! the trade and are never features (the original meta-selector used exit
//! and entry prices, from which pnl is exact).

use crate::error::{Result, SignalError};
use crate::io::{MAX_COLUMNS, MAX_ROWS, check_size, read_data_file};
use crate::signal::Side;
use agent_core::Dataset;
use ndarray::{Array1, Array2};
use std::collections::BTreeSet;
use std::path::Path;

/// One closed trade.
#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub symbol: Option<String>,
    pub strategy: String,
    pub regime: String,
    pub side: Side,
    /// Epoch milliseconds, UTC.
    pub entry_time: i64,
    pub exit_time: Option<i64>,
    pub entry_price: f64,
    pub exit_price: Option<f64>,
    pub size: f64,
    pub fees: Option<f64>,
    pub pnl: f64,
    pub pnl_pct: Option<f64>,
    pub bars_held: Option<u64>,
}

const REQUIRED: [&str; 7] = [
    "strategy",
    "regime",
    "side",
    "entry_time",
    "entry_price",
    "size",
    "pnl",
];

/// Read a trade log file, bounded like a feature table (see
/// [`crate::io`]): a FIFO or device is refused, not read.
pub fn read_trade_log(path: &Path) -> Result<Vec<Trade>> {
    let bytes = read_data_file(path)?;
    parse_trade_log(&bytes, &path.display().to_string())
}

/// Parse trade-log CSV bytes; `source_name` appears in errors.
pub fn parse_trade_log(bytes: &[u8], source_name: &str) -> Result<Vec<Trade>> {
    let err = |line: u64, column: &str, why: String| SignalError::Csv {
        source_name: source_name.to_string(),
        line,
        column: column.to_string(),
        why,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| err(1, "<header>", e.to_string()))?
        .clone();
    check_size(source_name, 1, "columns", headers.len(), MAX_COLUMNS)?;
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    for name in REQUIRED {
        if col(name).is_none() {
            return Err(err(
                1,
                name,
                format!(
                    "required column is missing (the header needs {})",
                    REQUIRED.join(",")
                ),
            ));
        }
    }
    let idx = |name: &str| col(name);
    let (i_strategy, i_regime, i_side) = (idx("strategy"), idx("regime"), idx("side"));
    let (i_entry_time, i_entry_price, i_size, i_pnl) = (
        idx("entry_time"),
        idx("entry_price"),
        idx("size"),
        idx("pnl"),
    );
    let (i_symbol, i_exit_time, i_exit_price) =
        (idx("symbol"), idx("exit_time"), idx("exit_price"));
    let (i_fees, i_pnl_pct, i_bars) = (idx("fees"), idx("pnl_pct"), idx("bars_held"));

    let mut trades = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            err(line, "<row>", e.to_string())
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        check_size(source_name, line, "data rows", trades.len() + 1, MAX_ROWS)?;
        let field = |i: Option<usize>, name: &str| -> Result<Option<&str>> {
            match i {
                None => Ok(None),
                Some(i) => match rec.get(i) {
                    Some(v) => Ok(Some(v)),
                    None => Err(err(line, name, "field is missing".into())),
                },
            }
        };
        let text = |i: Option<usize>, name: &str| -> Result<String> {
            let v = field(i, name)?.unwrap_or("");
            if v.is_empty() {
                return Err(err(line, name, "is empty".into()));
            }
            Ok(v.to_string())
        };
        let number = |i: Option<usize>, name: &str| -> Result<Option<f64>> {
            match field(i, name)? {
                None | Some("") if !REQUIRED.contains(&name) => Ok(None),
                None | Some("") => Err(err(line, name, "is empty".into())),
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(Some(x)),
                    _ => Err(err(line, name, "is not a finite number".into())),
                },
            }
        };
        let time = |i: Option<usize>, name: &str| -> Result<Option<i64>> {
            match field(i, name)? {
                None | Some("") if !REQUIRED.contains(&name) => Ok(None),
                None | Some("") => Err(err(line, name, "is empty".into())),
                Some(v) => parse_time_ms(v).map(Some).ok_or_else(|| {
                    err(
                        line,
                        name,
                        "is not a time (epoch ms, epoch s below 1e11, or ISO 8601 like 2024-01-31T12:00:00Z)"
                            .into(),
                    )
                }),
            }
        };
        let side_txt = text(i_side, "side")?;
        let side = match side_txt.to_ascii_lowercase().as_str() {
            "buy" | "long" => Side::Long,
            "sell" | "short" => Side::Short,
            _ => {
                return Err(err(
                    line,
                    "side",
                    "is not a side (buy/long or sell/short)".into(),
                ));
            }
        };
        let req = |v: Option<f64>, name: &str| v.ok_or_else(|| err(line, name, "is empty".into()));
        let entry_price = req(number(i_entry_price, "entry_price")?, "entry_price")?;
        let size = req(number(i_size, "size")?, "size")?;
        if entry_price <= 0.0 {
            return Err(err(line, "entry_price", "must be > 0".into()));
        }
        if size <= 0.0 {
            return Err(err(line, "size", "must be > 0".into()));
        }
        let bars_held = match field(i_bars, "bars_held")? {
            None | Some("") => None,
            Some(v) => Some(
                v.parse::<u64>()
                    .map_err(|_| err(line, "bars_held", "is not a whole number of bars".into()))?,
            ),
        };
        trades.push(Trade {
            symbol: field(i_symbol, "symbol")?
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            strategy: text(i_strategy, "strategy")?,
            regime: text(i_regime, "regime")?,
            side,
            entry_time: time(i_entry_time, "entry_time")?
                .ok_or_else(|| err(line, "entry_time", "is empty".into()))?,
            exit_time: time(i_exit_time, "exit_time")?,
            entry_price,
            exit_price: number(i_exit_price, "exit_price")?,
            size,
            fees: number(i_fees, "fees")?,
            pnl: req(number(i_pnl, "pnl")?, "pnl")?,
            pnl_pct: number(i_pnl_pct, "pnl_pct")?,
            bars_held,
        });
    }
    if trades.is_empty() {
        return Err(err(1, "<file>", "the trade log has no trades".into()));
    }
    Ok(trades)
}

/// Epoch ms from epoch ms / epoch seconds (`|v| < 1e11`) / ISO 8601 text
/// (`YYYY-MM-DD[T| ]HH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM]`, naive = UTC).
pub fn parse_time_ms(v: &str) -> Option<i64> {
    if let Ok(x) = v.parse::<f64>() {
        if !x.is_finite() {
            return None;
        }
        let ms = if x.abs() < 1e11 { x * 1000.0 } else { x };
        return Some(ms.round() as i64);
    }
    parse_iso8601_ms(v)
}

fn parse_iso8601_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    let mut i = 10;
    if i < b.len() && (b[i] == b'T' || b[i] == b' ') {
        let (hh, mm) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
        if b.get(i + 3) != Some(&b':') || hh > 23 || mm > 59 {
            return None;
        }
        ms += (hh * 3600 + mm * 60) * 1000;
        i += 6;
        if b.get(i) == Some(&b':') {
            let ss = num(i + 1..i + 3)?;
            if ss > 60 {
                return None;
            }
            ms += ss * 1000;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                if end == start {
                    return None;
                }
                let frac: f64 = format!("0.{}", &s[start..end]).parse().ok()?;
                ms += (frac * 1000.0).round() as i64;
                i = end;
            }
        }
    }
    match b.get(i) {
        None => Some(ms),
        Some(b'Z') if i + 1 == b.len() => Some(ms),
        Some(&c) if c == b'+' || c == b'-' => {
            let rest = &s[i + 1..];
            let (oh, om) = match rest.len() {
                5 if rest.as_bytes()[2] == b':' => (num(i + 1..i + 3)?, num(i + 4..i + 6)?),
                4 => (num(i + 1..i + 3)?, num(i + 3..i + 5)?),
                2 => (num(i + 1..i + 3)?, 0),
                _ => return None,
            };
            let off = (oh * 60 + om) * 60_000;
            Some(if c == b'+' { ms - off } else { ms + off })
        }
        _ => None,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The feature encoding of trades: fixed base columns plus one-hot strategy
/// and regime columns whose vocabulary is part of the feature names, so a
/// saved model rebuilds exactly the columns it was trained on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeFeatures {
    strategies: Vec<String>,
    regimes: Vec<String>,
}

impl TradeFeatures {
    /// The columns every encoding starts with.
    pub const BASE: [&'static str; 4] = ["side", "log_notional", "hour_sin", "hour_cos"];

    /// Vocabulary from (training) trades, sorted.
    pub fn fit(trades: &[Trade]) -> Self {
        let strategies: BTreeSet<&str> = trades.iter().map(|t| t.strategy.as_str()).collect();
        let regimes: BTreeSet<&str> = trades.iter().map(|t| t.regime.as_str()).collect();
        Self {
            strategies: strategies.into_iter().map(str::to_string).collect(),
            regimes: regimes.into_iter().map(str::to_string).collect(),
        }
    }

    /// Rebuild the encoding from a model's feature names.
    pub fn from_feature_names(names: &[String]) -> Result<Self> {
        let bad =
            |why: String| SignalError::InvalidData(format!("not trade-log feature names: {why}"));
        if names.len() < Self::BASE.len() || names[..Self::BASE.len()] != Self::BASE {
            return Err(bad(format!("they must start with {:?}", Self::BASE)));
        }
        let mut out = Self {
            strategies: Vec::new(),
            regimes: Vec::new(),
        };
        for n in &names[Self::BASE.len()..] {
            if let Some(s) = n.strip_prefix("strategy=") {
                if !out.regimes.is_empty() {
                    return Err(bad(format!("`{n}` comes after the regime columns")));
                }
                out.strategies.push(s.to_string());
            } else if let Some(r) = n.strip_prefix("regime=") {
                out.regimes.push(r.to_string());
            } else {
                return Err(bad(format!("unexpected column `{n}`")));
            }
        }
        Ok(out)
    }

    pub fn feature_names(&self) -> Vec<String> {
        Self::BASE
            .iter()
            .map(|s| s.to_string())
            .chain(self.strategies.iter().map(|s| format!("strategy={s}")))
            .chain(self.regimes.iter().map(|r| format!("regime={r}")))
            .collect()
    }

    /// One feature row per trade, in the given order.
    pub fn transform(&self, trades: &[Trade]) -> Array2<f64> {
        let d = Self::BASE.len() + self.strategies.len() + self.regimes.len();
        let mut x = Array2::zeros((trades.len(), d));
        let day_ms = 86_400_000i64;
        for (i, t) in trades.iter().enumerate() {
            let hour = t.entry_time.rem_euclid(day_ms) as f64 / 3_600_000.0;
            let angle = std::f64::consts::TAU * hour / 24.0;
            x[[i, 0]] = t.side.sign();
            x[[i, 1]] = (t.size * t.entry_price).ln();
            x[[i, 2]] = angle.sin();
            x[[i, 3]] = angle.cos();
            if let Ok(k) = self.strategies.binary_search(&t.strategy) {
                x[[i, 4 + k]] = 1.0;
            }
            if let Ok(k) = self.regimes.binary_search(&t.regime) {
                x[[i, 4 + self.strategies.len() + k]] = 1.0;
            }
        }
        x
    }
}

/// Trades sorted by entry time as a dataset (label: `pnl > 0`) and the
/// encoding used. Timestamps (entry times) are attached when they are
/// strictly increasing; simultaneous entries keep the log's order.
pub fn trade_dataset(trades: &[Trade]) -> Result<(Dataset, TradeFeatures)> {
    if trades.is_empty() {
        return Err(SignalError::InvalidData("no trades".into()));
    }
    let mut sorted: Vec<Trade> = trades.to_vec();
    sorted.sort_by_key(|t| t.entry_time);
    let enc = TradeFeatures::fit(&sorted);
    let x = enc.transform(&sorted);
    let y: Array1<f64> = sorted
        .iter()
        .map(|t| f64::from(u8::from(t.pnl > 0.0)))
        .collect();
    let mut ds = Dataset::new(x, y, enc.feature_names())?;
    let ts: Vec<i64> = sorted.iter().map(|t| t.entry_time).collect();
    if ts.windows(2).all(|w| w[0] < w[1]) {
        ds = ds.with_timestamps(ts)?;
    }
    Ok((ds, enc))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "symbol,strategy,regime,side,entry_time,exit_time,entry_price,exit_price,size,fees,pnl,pnl_pct,bars_held
BTCUSDT,sma_cross,trending,buy,1700000000000,1700003600000,100.0,101.0,2.0,0.2,1.8,0.009,1
BTCUSDT,rsi_rev,sideways,sell,2023-11-14T23:13:20Z,2023-11-15T01:13:20Z,101.0,102.0,1.0,0.1,-1.1,-0.011,2
ETHUSDT,sma_cross,volatile,short,1699990000,,50.0,,4.0,,0.5,,
";

    #[test]
    fn trade_log_parses_mixed_time_formats_and_optional_columns() {
        let t = parse_trade_log(LOG.as_bytes(), "log.csv").unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].side, Side::Long);
        assert_eq!(t[1].entry_time, 1_700_003_600_000);
        assert_eq!(t[2].entry_time, 1_699_990_000_000);
        assert_eq!(t[2].exit_price, None);
        assert_eq!(t[1].bars_held, Some(2));
    }

    #[test]
    fn trade_log_errors_name_line_and_column() {
        let bad = LOG.replace("101.0,102.0", "abc,102.0");
        let e = parse_trade_log(bad.as_bytes(), "log.csv")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3") && e.contains("`entry_price`") && !e.contains("abc"),
            "{e}"
        );
        let bad = LOG.replace(",sell,", ",flat,");
        let e = parse_trade_log(bad.as_bytes(), "log.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("`side`"), "{e}");
        let e = parse_trade_log(b"strategy,side\nx,buy\n", "t.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("`regime`"), "{e}");
        let bad = LOG.replace("1700000000000,1700003600000", "yesterday,1700003600000");
        let e = parse_trade_log(bad.as_bytes(), "log.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("`entry_time`"), "{e}");
    }

    #[test]
    fn trade_dataset_is_chronological_with_entry_time_features_only() {
        let t = parse_trade_log(LOG.as_bytes(), "log.csv").unwrap();
        let (ds, enc) = trade_dataset(&t).unwrap();
        let names = ds.feature_names().to_vec();
        assert_eq!(
            names,
            [
                "side",
                "log_notional",
                "hour_sin",
                "hour_cos",
                "strategy=rsi_rev",
                "strategy=sma_cross",
                "regime=sideways",
                "regime=trending",
                "regime=volatile"
            ]
        );
        // Sorted by entry time: the ETH short (1699990000 s) comes first.
        assert_eq!(ds.targets().to_vec(), vec![1.0, 1.0, 0.0]);
        assert_eq!(ds.features()[[0, 0]], -1.0);
        assert!((ds.features()[[0, 1]] - 200f64.ln()).abs() < 1e-12);
        assert_eq!(TradeFeatures::from_feature_names(&names).unwrap(), enc);
        assert!(TradeFeatures::from_feature_names(&["side".to_string()]).is_err());
    }

    #[test]
    fn iso_times_with_offsets_match_epoch_ms() {
        assert_eq!(parse_time_ms("1970-01-01"), Some(0));
        assert_eq!(
            parse_time_ms("2023-11-14 22:13:20"),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_time_ms("2023-11-15T00:13:20.5+01:00"),
            Some(1_700_003_600_500)
        );
        assert_eq!(parse_time_ms("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(parse_time_ms("2023-13-01"), None);
        assert_eq!(parse_time_ms("2023-01-01T25:00"), None);
    }
}

//! Readers for the three CSV layouts the bandit trains on. Every error names
//! the file, the line and the column.
//!
//! | layout | header | use |
//! |---|---|---|
//! | aggregate `strategy_pnl.csv` | `regime,strategy,trades,mean_pnl,win_rate,sharpe,max_drawdown` | warm start |
//! | trade log (`regime_pnl.csv`) | `timestamp,regime,strategy,pnl` (+ optional `ctx_*`, `is_train`) | fit, replay (bandit feedback) |
//! | per-window returns (`strategy_returns_btc_1h.csv`) | `ret_<strategy>...`, `regime`, `ctx_*` (+ optional `is_train`, `end_ts`) | fit, replay (full information) |
//!
//! Regime labels: when every label is a non-negative integer (at most 999)
//! the regimes are `0..=max`; otherwise they are the distinct labels in
//! order of first appearance. Strategies are in order of first appearance
//! (columns order for the returns layout).

use crate::data::{AggregateRow, AggregateTable, BanditData};
use crate::error::{LinUcbError, Result};
use crate::model::{MAX_ARMS, MAX_FEATURES};
use agent_core::persist::{Symlinks, read_bounded};
use std::collections::HashMap;
use std::path::Path;

/// Largest training file read (a decade of hourly windows is a few MiB).
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Most data rows read.
pub const MAX_ROWS: usize = 2_000_000;
/// Most columns a header may have (every feature plus the layout's own).
pub const MAX_COLUMNS: usize = MAX_FEATURES + 16;
/// Longest field or column name, in bytes.
pub const MAX_FIELD_BYTES: usize = 256;

/// The whole file, bounded (a FIFO or device is refused, not read).
fn read_file(path: &Path) -> Result<Vec<u8>> {
    Ok(read_bounded(path, MAX_FILE_BYTES, Symlinks::Follow)?)
}

/// What a training file turned out to hold.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainingFile {
    /// Aggregated per-(regime, strategy) statistics.
    Aggregate(AggregateTable),
    /// A sequence of decisions (trade log or per-window returns).
    Events(BanditData),
}

const AGGREGATE_COLUMNS: [&str; 7] = [
    "regime",
    "strategy",
    "trades",
    "mean_pnl",
    "win_rate",
    "sharpe",
    "max_drawdown",
];

/// Read any of the three layouts, recognised by its header.
pub fn read_training_file(path: &Path) -> Result<TrainingFile> {
    let bytes = read_file(path)?;
    parse_training_file(&bytes, &path.display().to_string())
}

/// [`read_training_file`] on bytes; `source_name` appears in errors.
pub fn parse_training_file(bytes: &[u8], source_name: &str) -> Result<TrainingFile> {
    let t = Table::parse(bytes, source_name)?;
    if t.has("trades") && t.has("mean_pnl") {
        Ok(TrainingFile::Aggregate(aggregate_from(&t)?))
    } else if t.header.iter().any(|h| h.starts_with("ret_")) {
        Ok(TrainingFile::Events(returns_from(&t)?))
    } else if t.has("pnl") {
        Ok(TrainingFile::Events(trade_log_from(&t)?))
    } else {
        Err(t.err(
            1,
            None,
            "unrecognised layout; expected an aggregate \
             `regime,strategy,trades,mean_pnl,win_rate,sharpe,max_drawdown`, a trade log \
             `timestamp,regime,strategy,pnl` or per-window returns with `ret_*` columns"
                .into(),
        ))
    }
}

/// Read an aggregated `strategy_pnl.csv`.
pub fn read_strategy_pnl(path: &Path) -> Result<AggregateTable> {
    let bytes = read_file(path)?;
    parse_strategy_pnl(&bytes, &path.display().to_string())
}

pub fn parse_strategy_pnl(bytes: &[u8], source_name: &str) -> Result<AggregateTable> {
    aggregate_from(&Table::parse(bytes, source_name)?)
}

/// Read a trade log (`timestamp,regime,strategy,pnl`, optional `ctx_*` and `is_train`).
pub fn read_trade_log(path: &Path) -> Result<BanditData> {
    let bytes = read_file(path)?;
    parse_trade_log(&bytes, &path.display().to_string())
}

pub fn parse_trade_log(bytes: &[u8], source_name: &str) -> Result<BanditData> {
    trade_log_from(&Table::parse(bytes, source_name)?)
}

/// Read per-window strategy returns (the layout of SPEC T2's
/// `strategy_returns_btc_1h.csv`).
///
/// Event `w` is the decision taken at the end of window `w`: its context
/// and regime are window `w`'s, its rewards are the returns of window
/// `w + 1` (so a file of W windows gives W - 1 events). With an `is_train`
/// column, an event is training when its reward window is.
pub fn read_strategy_returns(path: &Path) -> Result<BanditData> {
    let bytes = read_file(path)?;
    parse_strategy_returns(&bytes, &path.display().to_string())
}

pub fn parse_strategy_returns(bytes: &[u8], source_name: &str) -> Result<BanditData> {
    returns_from(&Table::parse(bytes, source_name)?)
}

/// A parsed CSV: trimmed header and records with their 1-based line numbers.
struct Table {
    source: String,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    fn parse(bytes: &[u8], source: &str) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        let mut rec = csv::StringRecord::new();
        loop {
            let more = rdr.read_record(&mut rec).map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                LinUcbError::Parse {
                    source_name: source.to_string(),
                    line,
                    column: None,
                    column_name: None,
                    why: format!("not valid CSV: {e}"),
                }
            })?;
            if !more {
                break;
            }
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if rec.len() > MAX_COLUMNS {
                return Err(Self::err_at(
                    source,
                    line,
                    None,
                    None,
                    &format!("{} fields, more than the {MAX_COLUMNS} allowed", rec.len()),
                ));
            }
            if let Some(i) = rec.iter().position(|f| f.len() > MAX_FIELD_BYTES) {
                return Err(Self::err_at(
                    source,
                    line,
                    Some(i),
                    None,
                    &format!("field longer than the {MAX_FIELD_BYTES} bytes allowed"),
                ));
            }
            if rows.len() == MAX_ROWS {
                return Err(Self::err_at(
                    source,
                    line,
                    None,
                    None,
                    &format!("more than the {MAX_ROWS} data rows allowed"),
                ));
            }
            let fields: Vec<String> = rec.iter().map(|f| f.trim().to_string()).collect();
            match &header {
                None => {
                    let mut seen = std::collections::HashSet::new();
                    for (i, h) in fields.iter().enumerate() {
                        if h.is_empty() {
                            return Err(Self::err_at(
                                source,
                                line,
                                Some(i),
                                None,
                                "empty column name",
                            ));
                        }
                        if !seen.insert(h.as_str()) {
                            return Err(Self::err_at(
                                source,
                                line,
                                Some(i),
                                None,
                                "duplicate column name",
                            ));
                        }
                    }
                    header = Some(fields);
                }
                Some(h) => {
                    if fields.len() != h.len() {
                        return Err(Self::err_at(
                            source,
                            line,
                            None,
                            None,
                            &format!("{} fields, the header has {}", fields.len(), h.len()),
                        ));
                    }
                    rows.push((line, fields));
                }
            }
        }
        let header = header.ok_or_else(|| LinUcbError::Parse {
            source_name: source.to_string(),
            line: 1,
            column: None,
            column_name: None,
            why: "the file is empty (no header)".into(),
        })?;
        if rows.is_empty() {
            return Err(Self::err_at(
                source,
                1,
                None,
                None,
                "no data rows after the header",
            ));
        }
        Ok(Self {
            source: source.to_string(),
            header,
            rows,
        })
    }

    fn err_at(
        source: &str,
        line: u64,
        col: Option<usize>,
        name: Option<&str>,
        why: &str,
    ) -> LinUcbError {
        LinUcbError::Parse {
            source_name: source.to_string(),
            line,
            column: col.map(|c| c + 1),
            column_name: name.map(str::to_string),
            why: why.to_string(),
        }
    }

    /// An error at `line` and column `col`, named when its header name is
    /// a plain identifier (errors never quote other file content).
    fn err(&self, line: u64, col: Option<usize>, why: String) -> LinUcbError {
        Self::err_at(
            &self.source,
            line,
            col,
            col.and_then(|c| self.header.get(c))
                .map(String::as_str)
                .filter(|h| is_plain_name(h)),
            &why,
        )
    }

    fn has(&self, name: &str) -> bool {
        self.header.iter().any(|h| h == name)
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn require(&self, name: &str, layout: &str) -> Result<usize> {
        self.col(name).ok_or_else(|| {
            self.err(
                1,
                None,
                format!(
                    "the {layout} needs a `{name}` column; the header has none among its {} columns",
                    self.header.len()
                ),
            )
        })
    }

    fn text<'a>(&self, row: &'a (u64, Vec<String>), col: usize) -> Result<&'a str> {
        let v = row.1[col].as_str();
        if v.is_empty() {
            Err(self.err(row.0, Some(col), "empty value".into()))
        } else {
            Ok(v)
        }
    }

    fn float(&self, row: &(u64, Vec<String>), col: usize) -> Result<f64> {
        let v = self.text(row, col)?;
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            Ok(_) => Err(self.err(row.0, Some(col), "value is not a finite number".into())),
            Err(_) => Err(self.err(row.0, Some(col), "value is not a number".into())),
        }
    }

    fn opt_float(&self, row: &(u64, Vec<String>), col: Option<usize>) -> Result<Option<f64>> {
        match col {
            Some(c) if !row.1[c].is_empty() => self.float(row, c).map(Some),
            _ => Ok(None),
        }
    }

    fn flag(&self, row: &(u64, Vec<String>), col: usize) -> Result<bool> {
        match self.text(row, col)? {
            "1" | "true" | "True" | "TRUE" => Ok(true),
            "0" | "false" | "False" | "FALSE" => Ok(false),
            _ => Err(self.err(row.0, Some(col), "value is not 0/1 or true/false".into())),
        }
    }

    /// Regime labels of every row mapped to indices, with the names.
    fn regimes(&self, col: usize) -> Result<(Vec<usize>, Vec<String>)> {
        let labels: Vec<&str> = self
            .rows
            .iter()
            .map(|r| self.text(r, col))
            .collect::<Result<_>>()?;
        let ints: Option<Vec<usize>> = labels
            .iter()
            .map(|l| l.parse::<usize>().ok().filter(|&v| v < 1000))
            .collect();
        if let Some(ints) = ints {
            let max = ints.iter().copied().max().unwrap_or(0);
            let names = (0..=max).map(|i| i.to_string()).collect();
            return Ok((ints, names));
        }
        Ok(first_appearance(&labels))
    }

    fn strategies(&self, col: usize) -> Result<(Vec<usize>, Vec<String>)> {
        let labels: Vec<&str> = self
            .rows
            .iter()
            .map(|r| self.text(r, col))
            .collect::<Result<_>>()?;
        let (idx, names) = first_appearance(&labels);
        if names.len() > MAX_ARMS {
            return Err(self.err(
                1,
                Some(col),
                format!(
                    "{} distinct strategies, more than the {MAX_ARMS} allowed",
                    names.len()
                ),
            ));
        }
        Ok((idx, names))
    }

    /// `ctx_*` columns as (indices, names).
    fn context_columns(&self) -> (Vec<usize>, Vec<String>) {
        self.header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.starts_with("ctx_"))
            .map(|(i, h)| (i, h.clone()))
            .unzip()
    }

    fn contexts(&self, cols: &[usize]) -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(self.rows.len() * cols.len());
        for r in &self.rows {
            for &c in cols {
                out.push(self.float(r, c)?);
            }
        }
        Ok(out)
    }
}

/// Whether a column name may appear in an error: a short identifier.
fn is_plain_name(h: &str) -> bool {
    h.len() <= 64 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn first_appearance(labels: &[&str]) -> (Vec<usize>, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let idx = labels
        .iter()
        .map(|&l| {
            *index.entry(l).or_insert_with(|| {
                names.push(l.to_string());
                names.len() - 1
            })
        })
        .collect();
    (idx, names)
}

fn aggregate_from(t: &Table) -> Result<AggregateTable> {
    let layout = "aggregate strategy_pnl.csv";
    let cols: Vec<usize> = AGGREGATE_COLUMNS
        .iter()
        .map(|c| t.require(c, layout))
        .collect::<Result<_>>()?;
    if let Some(extra) = t
        .header
        .iter()
        .find(|h| !AGGREGATE_COLUMNS.contains(&h.as_str()))
    {
        return Err(t.err(
            1,
            t.col(extra),
            format!("unknown column in the {layout}; expected exactly {AGGREGATE_COLUMNS:?}"),
        ));
    }
    let (regimes, regime_names) = t.regimes(cols[0])?;
    let (arms, arm_names) = t.strategies(cols[1])?;
    let mut rows = Vec::with_capacity(t.rows.len());
    let mut first_line: HashMap<(usize, usize), u64> = HashMap::new();
    for (i, r) in t.rows.iter().enumerate() {
        let trades_txt = t.text(r, cols[2])?;
        let trades: u64 = trades_txt.parse().map_err(|_| {
            t.err(
                r.0,
                Some(cols[2]),
                "value is not a non-negative whole number of trades".into(),
            )
        })?;
        let row = AggregateRow {
            regime: regimes[i],
            arm: arms[i],
            trades,
            mean_pnl: t.float(r, cols[3])?,
            win_rate: t.opt_float(r, Some(cols[4]))?,
            sharpe: t.opt_float(r, Some(cols[5]))?,
            max_drawdown: t.opt_float(r, Some(cols[6]))?,
        };
        if let Some(w) = row.win_rate
            && !(0.0..=1.0).contains(&w)
        {
            return Err(t.err(
                r.0,
                Some(cols[4]),
                format!("win rate {w} is outside [0, 1]"),
            ));
        }
        if let Some(&j) = first_line.get(&(row.arm, row.regime)) {
            return Err(t.err(
                r.0,
                None,
                format!("this regime x strategy pair already appeared on line {j}"),
            ));
        }
        first_line.insert((row.arm, row.regime), r.0);
        rows.push(row);
    }
    AggregateTable::new(arm_names, regime_names, rows)
}

fn trade_log_from(t: &Table) -> Result<BanditData> {
    let layout = "trade log";
    let pnl = t.require("pnl", layout)?;
    let strategy = t.require("strategy", layout)?;
    let regime = t.col("regime").ok_or_else(|| {
        t.err(
            1,
            None,
            format!(
                "the {layout} needs a `regime` column; the header has none among its {} columns. \
                 (The original bot's strategy_pnl.csv has none; its regime_pnl.csv \
                 `timestamp,regime,strategy,pnl` does.)",
                t.header.len()
            ),
        )
    })?;
    let (regimes, regime_names) = t.regimes(regime)?;
    let (arms, arm_names) = t.strategies(strategy)?;
    let rewards: Vec<f64> = t
        .rows
        .iter()
        .map(|r| t.float(r, pnl))
        .collect::<Result<_>>()?;
    let (ctx_cols, ctx_names) = t.context_columns();
    let contexts = t.contexts(&ctx_cols)?;
    let mut data = BanditData::new_logged(
        arm_names,
        regime_names,
        ctx_names,
        regimes,
        contexts,
        arms,
        rewards,
    )?;
    if let Some(c) = t.col("timestamp") {
        let ts: Vec<i64> = t
            .rows
            .iter()
            .map(|r| {
                let v = t.text(r, c)?;
                parse_timestamp(v).ok_or_else(|| {
                    t.err(
                        r.0,
                        Some(c),
                        "value is neither epoch milliseconds nor an ISO 8601 date-time".into(),
                    )
                })
            })
            .collect::<Result<_>>()?;
        if let Some(i) = ts.windows(2).position(|w| w[1] < w[0]) {
            return Err(t.err(
                t.rows[i + 1].0,
                Some(c),
                format!(
                    "rows must be in time order; this one is earlier than line {}",
                    t.rows[i].0
                ),
            ));
        }
        data = data.with_timestamps(ts)?;
    }
    if let Some(c) = t.col("is_train") {
        data = with_mask(t, data, c, 0)?;
    }
    Ok(data)
}

fn with_mask(t: &Table, data: BanditData, col: usize, shift: usize) -> Result<BanditData> {
    let mask: Vec<bool> = t.rows[shift..]
        .iter()
        .map(|r| t.flag(r, col))
        .collect::<Result<_>>()?;
    let mask = mask[..data.len()].to_vec();
    let n_train = mask.iter().take_while(|&&m| m).count();
    if let Some(i) = mask[n_train..].iter().position(|&m| m) {
        return Err(t.err(
            t.rows[shift + n_train + i].0,
            Some(col),
            "the split must be chronological: a train row follows a test row".into(),
        ));
    }
    data.with_train_mask(mask)
}

fn returns_from(t: &Table) -> Result<BanditData> {
    let layout = "per-window returns file";
    let ret_cols: Vec<usize> = t
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.starts_with("ret_"))
        .map(|(i, _)| i)
        .collect();
    let arm_names: Vec<String> = ret_cols
        .iter()
        .map(|&c| t.header[c]["ret_".len()..].to_string())
        .collect();
    if let Some(&c) = ret_cols
        .iter()
        .find(|&&c| t.header[c].len() == "ret_".len())
    {
        return Err(t.err(
            1,
            Some(c),
            "a `ret_` column needs a strategy name after the prefix".into(),
        ));
    }
    let regime = t.require("regime", layout)?;
    if t.rows.len() < 2 {
        return Err(t.err(
            t.rows[0].0,
            None,
            "needs at least two windows (a decision's reward is the next window's return)".into(),
        ));
    }
    let (mut regimes, regime_names) = t.regimes(regime)?;
    let (ctx_cols, ctx_names) = t.context_columns();
    let mut contexts = t.contexts(&ctx_cols)?;
    let n = t.rows.len() - 1;
    let mut rewards = Vec::with_capacity(n * ret_cols.len());
    for r in &t.rows[1..] {
        for &c in &ret_cols {
            let v = t.float(r, c)?;
            if v <= -1.0 {
                return Err(t.err(
                    r.0,
                    Some(c),
                    format!("return {v} is a loss of 100% or more"),
                ));
            }
            rewards.push(v);
        }
    }
    // The last window only supplies rewards.
    regimes.truncate(n);
    contexts.truncate(n * ctx_cols.len());
    let mut data = BanditData::new_full(
        arm_names,
        regime_names,
        ctx_names,
        regimes,
        contexts,
        rewards,
    )?;
    if let Some(c) = t.col("end_ts") {
        let ts: Vec<i64> = t.rows[..n]
            .iter()
            .map(|r| {
                let v = t.text(r, c)?;
                parse_timestamp(v)
                    .ok_or_else(|| t.err(r.0, Some(c), "value is not a timestamp".into()))
            })
            .collect::<Result<_>>()?;
        if let Some(i) = ts.windows(2).position(|w| w[1] < w[0]) {
            return Err(t.err(
                t.rows[i + 1].0,
                Some(c),
                "windows must be in time order".into(),
            ));
        }
        data = data.with_timestamps(ts)?;
    }
    if let Some(c) = t.col("is_train") {
        // An event is training when its reward window (the next row) is.
        data = with_mask(t, data, c, 1)?;
    }
    Ok(data)
}

/// Epoch milliseconds from an integer (ms) or an ISO 8601 / RFC 3339
/// date-time (`2024-01-02T03:04:05[.fff][Z|+hh:mm]`, `T` or space).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) && !t.is_empty() {
            t.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let (mut h, mut mi, mut sec, mut ms, mut off_min) = (0, 0, 0, 0i64, 0i64);
    if b.len() > 10 {
        if !(b[10] == b'T' || b[10] == b' ') || b.len() < 16 || b[13] != b':' {
            return None;
        }
        h = num(11..13)?;
        mi = num(14..16)?;
        let mut i = 16;
        if b.len() >= 19 && b[16] == b':' {
            sec = num(17..19)?;
            i = 19;
        }
        if i < b.len() && b[i] == b'.' {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            let frac = s.get(start..end)?;
            if frac.is_empty() {
                return None;
            }
            let digits: String = frac.chars().chain("000".chars()).take(3).collect();
            ms = digits.parse().ok()?;
            i = end;
        }
        match s.get(i..)? {
            "" | "Z" | "z" => {}
            tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) => {
                let hh: i64 = tz.get(1..3)?.parse().ok()?;
                let mm: i64 = tz.get(4..6)?.parse().ok()?;
                off_min = (hh * 60 + mm) * if tz.starts_with('-') { -1 } else { 1 };
            }
            _ => return None,
        }
        if h > 23 || mi > 59 || sec > 60 {
            return None;
        }
    }
    // Days from civil (H. Hinnant), proleptic Gregorian.
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi - off_min) * 60_000 + sec * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps_match_epoch_milliseconds() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp("2017-08-20T05:00:00"),
            Some(1_503_205_200_000)
        );
        assert_eq!(
            parse_timestamp("2017-08-20 07:00:00.5+02:00"),
            Some(1_503_205_200_500)
        );
        assert_eq!(parse_timestamp("1503205200000"), Some(1_503_205_200_000));
        assert_eq!(parse_timestamp("2017-13-01"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}

//! What a walk-forward run reports: per series (symbol and timeframe) the
//! test windows of every fold joined in time order, the metrics of every
//! variant over them, paired comparisons of the selectors with the
//! baselines, and the CSV, PNG and JSON outputs.
//!
//! Returns are per 24-bar window, net of fees and slippage (0.1% per unit
//! of position change by default): every variant follows its chosen
//! strategy's positions bar by bar, and a switch between strategies pays
//! for the position change it makes.

use super::{FoldResult, WalkForward};
use crate::error::TrainError;
use agent_core::paired::{PairedComparison, default_block, paired_comparison};
use agent_core::plot::{Series, line_chart};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Baselines, in report order.
pub const BASELINES: [&str; 4] = ["best_on_train", "regime_gated", "random", "hindsight"];
/// Selectors, in report order.
pub const SELECTORS: [&str; 3] = ["linucb", "meta-selector", "ppo"];
/// The baselines every selector is compared with.
pub const COMPARED_WITH: [&str; 2] = ["best_on_train", "buy_hold"];

/// One series' test windows over all folds.
#[derive(Debug, Clone, Default)]
pub struct Track {
    pub symbol: String,
    pub timeframe: String,
    pub windows_per_year: f64,
    pub fold: Vec<usize>,
    pub start_ts: Vec<i64>,
    pub end_ts: Vec<i64>,
    pub regime: Vec<u8>,
    /// Variant name -> per-window returns (strategies alone, baselines,
    /// selectors).
    pub returns: BTreeMap<String, Vec<f64>>,
    /// Choosing variant -> strategy name per window.
    pub choices: BTreeMap<String, Vec<String>>,
    /// Variant -> position changes per window.
    pub turnover: BTreeMap<String, Vec<f64>>,
    /// Fee plus slippage per unit of position change.
    pub cost_per_unit: f64,
    /// Variants in report order.
    pub order: Vec<String>,
}

/// Metrics of one variant over one track (or all tracks: `symbol` = `ALL`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub variant: String,
    pub symbol: String,
    pub timeframe: String,
    pub windows: usize,
    /// Compounded over the windows; `None` for the pooled row.
    pub total_return: Option<f64>,
    pub annualized_return: Option<f64>,
    pub max_drawdown: Option<f64>,
    pub mean_window_return: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub hit_rate: f64,
    /// Changes of the chosen strategy between consecutive windows.
    pub switches: Option<usize>,
    /// Position changes over all windows (units of position; 2 = a full
    /// round trip from flat to long and back).
    pub turnover: f64,
    /// Fees and slippage paid: the sum of every bar's charge, as a
    /// fraction of equity (`cost per unit x turnover`).
    pub fees: f64,
}

/// A selector (or baseline) against a baseline on the same windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paired {
    pub variant: String,
    pub baseline: String,
    pub symbol: String,
    pub timeframe: String,
    pub comparison: PairedComparison,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub folds: usize,
    pub first_test_ts: i64,
    pub last_test_ts: i64,
    pub trained: Vec<String>,
    pub metrics: Vec<Metrics>,
    pub paired: Vec<Paired>,
    #[serde(skip)]
    pub tracks: Vec<Track>,
}

/// Join each series' windows over the folds, in time order.
pub fn tracks(folds: &[FoldResult]) -> Vec<Track> {
    let mut by_key: BTreeMap<(String, String), Track> = BTreeMap::new();
    let mut sorted: Vec<&FoldResult> = folds.iter().collect();
    sorted.sort_by_key(|f| f.fold.index);
    for f in sorted {
        for s in &f.series {
            let t = by_key
                .entry((s.symbol.clone(), s.timeframe.clone()))
                .or_insert_with(|| {
                    let mut order: Vec<String> = s.strategies.clone();
                    order.extend(
                        BASELINES
                            .iter()
                            .chain(&SELECTORS)
                            .filter(|v| s.variants.contains_key(**v))
                            .map(|v| v.to_string()),
                    );
                    Track {
                        symbol: s.symbol.clone(),
                        timeframe: s.timeframe.clone(),
                        windows_per_year: s.windows_per_year,
                        cost_per_unit: s.cost_per_unit,
                        order,
                        ..Track::default()
                    }
                });
            let n = s.start_ts.len();
            t.fold.extend(std::iter::repeat_n(f.fold.index, n));
            t.start_ts.extend(&s.start_ts);
            t.end_ts.extend(&s.end_ts);
            t.regime.extend(&s.regime);
            for (k, name) in s.strategies.iter().enumerate() {
                t.returns
                    .entry(name.clone())
                    .or_default()
                    .extend(s.returns.iter().map(|row| row[k]));
            }
            for (v, xs) in &s.variants {
                t.returns.entry(v.clone()).or_default().extend(xs);
            }
            for (v, xs) in &s.turnover {
                t.turnover.entry(v.clone()).or_default().extend(xs);
            }
            for (v, picks) in &s.choices {
                t.choices
                    .entry(v.clone())
                    .or_default()
                    .extend(picks.iter().map(|&k| s.strategies[k].clone()));
            }
        }
    }
    by_key.into_values().collect()
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Compounded equity (starting at 1) after each window.
pub fn equity(xs: &[f64]) -> Vec<f64> {
    let mut e = 1.0;
    xs.iter()
        .map(|r| {
            e *= 1.0 + r;
            e
        })
        .collect()
}

/// Drawdown from the running peak after each window (<= 0).
pub fn drawdown(xs: &[f64]) -> Vec<f64> {
    let mut peak: f64 = 1.0;
    equity(xs)
        .into_iter()
        .map(|e| {
            peak = peak.max(e);
            e / peak - 1.0
        })
        .collect()
}

/// Metrics of per-window returns `xs` at `windows_per_year`.
pub fn metrics_of(xs: &[f64], windows_per_year: f64, compounded: bool) -> Metrics {
    let n = xs.len();
    let m = mean(xs);
    let sd = if n > 1 {
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let down = (xs.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n.max(1) as f64).sqrt();
    let ann = windows_per_year.max(0.0).sqrt();
    let ratio = |num: f64, den: f64| if den > 0.0 { num / den * ann } else { 0.0 };
    let total = equity(xs).last().copied().unwrap_or(1.0) - 1.0;
    let years = n as f64 / windows_per_year.max(f64::MIN_POSITIVE);
    Metrics {
        variant: String::new(),
        symbol: String::new(),
        timeframe: String::new(),
        windows: n,
        total_return: compounded.then_some(total),
        annualized_return: (compounded && years > 0.0)
            .then(|| (1.0 + total).max(0.0).powf(1.0 / years) - 1.0),
        max_drawdown: compounded.then(|| drawdown(xs).into_iter().fold(0.0, f64::min)),
        mean_window_return: m,
        sharpe: ratio(m, sd),
        sortino: ratio(m, down),
        hit_rate: if n == 0 {
            0.0
        } else {
            xs.iter().filter(|x| **x > 0.0).count() as f64 / n as f64
        },
        switches: None,
        turnover: 0.0,
        fees: 0.0,
    }
}

fn switches(picks: &[String]) -> usize {
    picks.windows(2).filter(|p| p[0] != p[1]).count()
}

/// Level and resamples of the paired comparisons.
const LEVEL: f64 = 0.95;
const RESAMPLES: usize = 4000;

/// Build the report of a run.
pub fn report(run: &WalkForward) -> Result<Report, TrainError> {
    let tracks = tracks(&run.folds);
    let mut metrics = Vec::new();
    let mut paired = Vec::new();
    let seed = run.options.seed;
    let mut pooled: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut pooled_costs: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let m_turn = |t: &Track, v: &str| t.turnover.get(v).map_or(0.0, |x| x.iter().sum::<f64>());
    let mut order: Vec<String> = Vec::new();
    for t in &tracks {
        for v in &t.order {
            let xs = &t.returns[v];
            let mut m = metrics_of(xs, t.windows_per_year, true);
            m.variant = v.clone();
            m.symbol = t.symbol.clone();
            m.timeframe = t.timeframe.clone();
            m.switches = t.choices.get(v).map(|c| switches(c));
            m.turnover = t.turnover.get(v).map_or(0.0, |x| x.iter().sum());
            m.fees = m.turnover * t.cost_per_unit;
            metrics.push(m);
            pooled.entry(v.clone()).or_default().extend(xs);
            let (turn, fees) = pooled_costs.entry(v.clone()).or_insert((0.0, 0.0));
            *turn += m_turn(t, v);
            *fees += m_turn(t, v) * t.cost_per_unit;
            if !order.contains(v) {
                order.push(v.clone());
            }
        }
        paired.extend(compare(&t.returns, &t.symbol, &t.timeframe, seed)?);
    }
    if tracks.len() > 1 {
        let wpy = mean(
            &tracks
                .iter()
                .map(|t| t.windows_per_year)
                .collect::<Vec<_>>(),
        );
        for v in &order {
            let mut m = metrics_of(&pooled[v], wpy, false);
            m.variant = v.clone();
            m.symbol = "ALL".into();
            if let Some(&(turn, fees)) = pooled_costs.get(v) {
                m.turnover = turn;
                m.fees = fees;
            }
            metrics.push(m);
        }
        paired.extend(compare(&pooled, "ALL", "", seed)?);
    }
    let mut trained: Vec<String> = run.folds.iter().flat_map(|f| f.trained.clone()).collect();
    trained.sort();
    trained.dedup();
    Ok(Report {
        folds: run.folds.len(),
        first_test_ts: run
            .folds
            .iter()
            .map(|f| f.fold.test_from)
            .min()
            .unwrap_or(0),
        last_test_ts: tracks
            .iter()
            .filter_map(|t| t.end_ts.iter().copied().max())
            .max()
            .unwrap_or(0),
        trained,
        metrics,
        paired,
        tracks,
    })
}

/// Every selector and the regime-gated and random baselines against each of
/// [`COMPARED_WITH`], where both exist and have windows.
fn compare(
    returns: &BTreeMap<String, Vec<f64>>,
    symbol: &str,
    timeframe: &str,
    seed: u64,
) -> Result<Vec<Paired>, TrainError> {
    let mut out = Vec::new();
    for v in SELECTORS.iter().chain(&["regime_gated", "random"]) {
        for b in COMPARED_WITH {
            let (Some(a), Some(base)) = (returns.get(*v), returns.get(b)) else {
                continue;
            };
            if a.is_empty() {
                continue;
            }
            let comparison =
                paired_comparison(a, base, LEVEL, RESAMPLES, default_block(a.len()), seed)?;
            out.push(Paired {
                variant: v.to_string(),
                baseline: b.to_string(),
                symbol: symbol.to_string(),
                timeframe: timeframe.to_string(),
                comparison,
            });
        }
    }
    Ok(out)
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| format!("{v}"))
}

fn csv_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Write `windows.csv`, `folds.csv`, `summary.csv`, `paired.csv`,
/// `summary.json` and the PNG plots (per series: equity against
/// buy-and-hold, drawdown, the selectors' choices) into `dir`. Returns the
/// files written.
pub fn write(report: &Report, run: &WalkForward, dir: &Path) -> Result<Vec<PathBuf>, TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
    let mut files = Vec::new();
    let mut put = |name: String, text: String| -> Result<(), TrainError> {
        let p = dir.join(name);
        agent_core::write_atomic(&p, text.as_bytes())?;
        files.push(p);
        Ok(())
    };

    // windows.csv: one row per series and test window.
    let mut w = String::new();
    for t in &report.tracks {
        if w.is_empty() {
            w.push_str("fold,symbol,timeframe,start_ts,end_ts,regime");
            for v in &t.order {
                let _ = write!(w, ",{v}");
            }
            for v in t.choices.keys() {
                let _ = write!(w, ",choice_{v}");
            }
            w.push('\n');
        }
        for i in 0..t.start_ts.len() {
            let _ = write!(
                w,
                "{},{},{},{},{},{}",
                t.fold[i], t.symbol, t.timeframe, t.start_ts[i], t.end_ts[i], t.regime[i]
            );
            for v in &t.order {
                let _ = write!(w, ",{}", t.returns[v][i]);
            }
            for c in t.choices.values() {
                let _ = write!(w, ",{}", c[i]);
            }
            w.push('\n');
        }
    }
    put("windows.csv".into(), w)?;

    // folds.csv: one row per fold and series, each variant's compounded
    // return over the fold's test windows.
    let mut f = String::from(
        "fold,train_from,test_from,test_to,symbol,timeframe,windows,best_on_train_strategy,hindsight_strategy",
    );
    let variants: Vec<String> = report
        .tracks
        .first()
        .map(|t| t.order.clone())
        .unwrap_or_default();
    for v in &variants {
        let _ = write!(f, ",{v}");
    }
    f.push('\n');
    let mut folds: Vec<&FoldResult> = run.folds.iter().collect();
    folds.sort_by_key(|x| x.fold.index);
    for fr in folds {
        for s in &fr.series {
            let pick = |v: &str| {
                s.choices
                    .get(v)
                    .and_then(|c| c.first())
                    .map_or_else(String::new, |&k| s.strategies[k].clone())
            };
            let _ = write!(
                f,
                "{},{},{},{},{},{},{},{},{}",
                fr.fold.index,
                fr.fold.train_from,
                fr.fold.test_from,
                fr.fold.test_to,
                s.symbol,
                s.timeframe,
                s.start_ts.len(),
                pick("best_on_train"),
                pick("hindsight")
            );
            for v in &variants {
                let xs: Vec<f64> = match s.strategies.iter().position(|n| n == v) {
                    Some(k) => s.returns.iter().map(|row| row[k]).collect(),
                    None => s.variants.get(v).cloned().unwrap_or_default(),
                };
                let _ = write!(f, ",{}", equity(&xs).last().copied().unwrap_or(1.0) - 1.0);
            }
            f.push('\n');
        }
    }
    put("folds.csv".into(), f)?;

    let mut m = String::from(
        "variant,symbol,timeframe,windows,total_return,annualized_return,sharpe,sortino,max_drawdown,hit_rate,mean_window_return,switches,turnover,fees\n",
    );
    for r in &report.metrics {
        let _ = writeln!(
            m,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.variant,
            r.symbol,
            r.timeframe,
            r.windows,
            fmt_opt(r.total_return),
            fmt_opt(r.annualized_return),
            r.sharpe,
            r.sortino,
            fmt_opt(r.max_drawdown),
            r.hit_rate,
            r.mean_window_return,
            r.switches.map_or_else(String::new, |s| s.to_string()),
            r.turnover,
            r.fees
        );
    }
    put("summary.csv".into(), m)?;

    let mut p = String::from(
        "variant,baseline,symbol,timeframe,windows,mean_diff,ci_low,ci_high,level,wins,losses,sign_test_p\n",
    );
    for r in &report.paired {
        let c = &r.comparison;
        let _ = writeln!(
            p,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            r.variant,
            r.baseline,
            r.symbol,
            r.timeframe,
            c.n,
            c.mean_diff,
            c.ci_low,
            c.ci_high,
            c.level,
            c.wins,
            c.losses,
            c.sign_test_p
        );
    }
    put("paired.csv".into(), p)?;
    let text = serde_json::to_string_pretty(&summary_json(report, run)).unwrap_or_default();
    put("summary.json".into(), text)?;

    for t in &report.tracks {
        let tag = csv_name(&format!("{}_{}", t.symbol, t.timeframe));
        let days: Vec<f64> = t
            .end_ts
            .iter()
            .map(|&ts| (ts - t.start_ts[0]) as f64 / super::DAY_MS as f64)
            .collect();
        let shown: Vec<&str> = ["buy_hold", "best_on_train", "regime_gated"]
            .into_iter()
            .chain(SELECTORS)
            .filter(|v| t.returns.contains_key(*v))
            .collect();
        let lines = |f: &dyn Fn(&[f64]) -> Vec<f64>| -> Vec<Series> {
            shown
                .iter()
                .map(|v| Series::new(*v, days.iter().copied().zip(f(&t.returns[*v])).collect()))
                .collect()
        };
        let title = format!("{} {}: walk-forward test windows", t.symbol, t.timeframe);
        let path = dir.join(format!("equity_{tag}.png"));
        line_chart(
            &path,
            &title,
            "days since the first test window",
            "equity (start = 1)",
            &lines(&equity),
        )?;
        files.push(path);
        let path = dir.join(format!("drawdown_{tag}.png"));
        line_chart(
            &path,
            &title,
            "days since the first test window",
            "drawdown",
            &lines(&drawdown),
        )?;
        files.push(path);
        let picks: Vec<Series> = t
            .choices
            .iter()
            .filter(|(v, _)| SELECTORS.contains(&v.as_str()) || v.as_str() == "regime_gated")
            .map(|(v, c)| {
                let idx =
                    |name: &String| t.order.iter().position(|o| o == name).unwrap_or(0) as f64;
                Series::new(
                    v.clone(),
                    days.iter().copied().zip(c.iter().map(idx)).collect(),
                )
            })
            .collect();
        if !picks.is_empty() {
            let path = dir.join(format!("choices_{tag}.png"));
            let legend: Vec<String> = t
                .order
                .iter()
                .enumerate()
                .take_while(|(_, v)| {
                    !BASELINES.contains(&v.as_str()) && !SELECTORS.contains(&v.as_str())
                })
                .map(|(i, v)| format!("{i}={v}"))
                .collect();
            line_chart(
                &path,
                &format!("{} {}: strategy chosen per window", t.symbol, t.timeframe),
                "days since the first test window",
                &format!("strategy ({})", legend.join(" ")),
                &picks,
            )?;
            files.push(path);
        }
    }
    Ok(files)
}

/// The run as one JSON document (`--json`, `summary.json`).
pub fn summary_json(report: &Report, run: &WalkForward) -> Value {
    let o = &run.options;
    json!({
        "options": {
            "train_days": o.train_days,
            "test_days": o.test_days,
            "step_days": o.step_days.unwrap_or(o.test_days),
            "from": o.from.map(market::format_ts_utc),
            "to": o.to.map(market::format_ts_utc),
            "agents": o.agents,
            "fee_per_unit": o.fee_per_unit,
            "slippage_per_unit": o.slippage_per_unit,
            "strategies": o.strategies,
            "seed": o.seed,
        },
        "folds": report.folds,
        "first_test": market::format_ts_utc(report.first_test_ts),
        "last_test": market::format_ts_utc(report.last_test_ts),
        "trained": report.trained,
        "series": report.tracks.iter().map(|t| json!({
            "symbol": t.symbol, "timeframe": t.timeframe, "windows": t.start_ts.len(),
        })).collect::<Vec<_>>(),
        "metrics": report.metrics,
        "paired": report.paired,
    })
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:+.1}%", 100.0 * v))
}

/// The terminal table: per series, every variant's figures, then the paired
/// comparisons.
pub fn table(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "walk-forward: {} folds, test windows from {} to {}",
        report.folds,
        market::format_ts_utc(report.first_test_ts),
        market::format_ts_utc(report.last_test_ts)
    );
    let mut last = String::new();
    for m in &report.metrics {
        let key = format!("{} {}", m.symbol, m.timeframe);
        if key != last {
            let _ = writeln!(
                s,
                "\n{key}\n  {:<16} {:>8} {:>9} {:>8} {:>8} {:>8} {:>6} {:>9} {:>8}",
                "variant",
                "total",
                "annual",
                "sharpe",
                "sortino",
                "max dd",
                "hit",
                "switches",
                "fees"
            );
            last = key;
        }
        let _ = writeln!(
            s,
            "  {:<16} {:>8} {:>9} {:>8.2} {:>8.2} {:>8} {:>5.0}% {:>9} {:>8}",
            m.variant,
            pct(m.total_return),
            pct(m.annualized_return),
            m.sharpe,
            m.sortino,
            pct(m.max_drawdown),
            100.0 * m.hit_rate,
            m.switches.map_or_else(|| "-".into(), |x| x.to_string()),
            format!("{:.1}%", 100.0 * m.fees)
        );
    }
    if !report.paired.is_empty() {
        let _ = writeln!(
            s,
            "\npaired per-window differences (95% moving-block bootstrap interval):"
        );
        for p in &report.paired {
            let c = &p.comparison;
            let verdict = if c.ci_low > 0.0 {
                "better"
            } else if c.ci_high < 0.0 {
                "worse"
            } else {
                "no significant difference"
            };
            let _ = writeln!(
                s,
                "  {:<14} vs {:<13} {:<12} {:+.3}% per window [{:+.3}%, {:+.3}%] over {} windows: {verdict}",
                p.variant,
                p.baseline,
                format!("{} {}", p.symbol, p.timeframe).trim(),
                100.0 * c.mean_diff,
                100.0 * c.ci_low,
                100.0 * c.ci_high,
                c.n
            );
        }
    }
    s
}

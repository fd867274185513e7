//! `cointrainer market ...`: synthetic market generation and CSV validation.

use crate::cli::{CheckArgs, SynthArgs, parse_interval};
use market::{Candles, SyntheticMarket, format_interval as fmt_interval, format_ts_utc as fmt_ts};
use serde_json::json;
use std::fmt::Write as _;

/// `market synth`: generate, summarise, write.
pub fn synth(args: &SynthArgs) -> Result<String, String> {
    let interval = parse_interval(&args.interval)?;
    let run = SyntheticMarket::new()
        .seed(args.seed)
        .bars(args.bars)
        .interval_ms(interval)
        .generate()
        .map_err(|e| e.to_string())?;
    market::write_candles(&args.out, &run.candles).map_err(|e| e.to_string())?;
    let summary = run.summary();
    if args.json {
        let mut v = serde_json::to_value(&summary).map_err(|e| e.to_string())?;
        v["written_to"] = json!(args.out.display().to_string());
        v["seed"] = json!(args.seed);
        return Ok(v.to_string());
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Synthetic market (seed {}, {} bars of {})",
        args.seed,
        run.candles.len(),
        fmt_interval(interval)
    );
    let _ = writeln!(out, "{summary}");
    let _ = write!(out, "Wrote {}", args.out.display());
    Ok(out)
}

/// `market check`: validate and report span and gaps.
pub fn check(args: &CheckArgs) -> Result<String, String> {
    let candles = market::read_candles(&args.file).map_err(|e| e.to_string())?;
    Ok(report(
        &args.file.display().to_string(),
        &candles,
        args.json,
    ))
}

fn report(name: &str, c: &Candles, as_json: bool) -> String {
    let gaps = c.gaps();
    let interval = c.interval_ms();
    let missing: i64 = gaps.iter().map(|g| g.missing_bars).sum();
    let (first, last) = (c.ts.first().copied(), c.ts.last().copied());
    if as_json {
        return json!({
            "file": name,
            "valid": true,
            "bars": c.len(),
            "interval_ms": interval,
            "first_ts": first,
            "last_ts": last,
            "gaps": gaps.iter().map(|g| json!({
                "after": fmt_ts(g.after_ts), "before": fmt_ts(g.before_ts), "missing_bars": g.missing_bars
            })).collect::<Vec<_>>(),
            "missing_bars": missing,
            "zero_volume_bars": c.volume.iter().filter(|v| **v == 0.0).count(),
        })
        .to_string();
    }
    let mut out = String::new();
    let _ = writeln!(out, "{name}: valid");
    let _ = writeln!(
        out,
        "  bars      {}  every {}",
        c.len(),
        interval.map(fmt_interval).unwrap_or_else(|| "?".into())
    );
    if let (Some(a), Some(b)) = (first, last) {
        let _ = writeln!(out, "  span      {} .. {}", fmt_ts(a), fmt_ts(b));
    }
    let zero = c.volume.iter().filter(|v| **v == 0.0).count();
    if zero > 0 {
        let _ = writeln!(out, "  note      {zero} bar(s) with zero volume (kept)");
    }
    if gaps.is_empty() {
        let _ = write!(out, "  gaps      none");
    } else {
        let _ = writeln!(
            out,
            "  gaps      {} ({} missing bars; kept as they are, never filled)",
            gaps.len(),
            missing
        );
        for g in gaps.iter().take(50) {
            let _ = writeln!(
                out,
                "    after {}  before {}  missing {}",
                fmt_ts(g.after_ts),
                fmt_ts(g.before_ts),
                g.missing_bars
            );
        }
        if gaps.len() > 50 {
            let _ = writeln!(
                out,
                "    ... and {} more (use --json for all)",
                gaps.len() - 50
            );
        }
    }
    out.trim_end().to_string()
}

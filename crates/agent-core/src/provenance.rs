//! Where a model's training data came from, as its manifest records it.
//!
//! A model trained on the synthetic market must never pass for one trained
//! on a real market: the manifest says which it is ([`Provenance`]), the
//! model registry keeps synthetic models under a reserved symbol, and the
//! live side refuses them unless a bot opts in. Manifests written before
//! provenance was recorded have none (`None`): they still load, and
//! [`describe`] calls them "unknown".

use serde::{Deserialize, Serialize};

/// Where the training data of an artifact came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provenance {
    /// Generated prices: no real market.
    Synthetic {
        /// The generator and its version, e.g. `cointrainer-market SyntheticMarket 0.1.0`.
        generator: String,
        /// Seed of the generator's random stream.
        seed: u64,
        /// The generator's other parameters (bars, bar interval, start
        /// time, start price): with the seed and version they reproduce the
        /// candles exactly.
        params: serde_json::Value,
    },
    /// Candle files, each as it was read.
    CandleFiles { files: Vec<CandleFile> },
}

/// One candle file a model was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandleFile {
    /// The file name, without its directory (a manifest travels to other
    /// machines; the directory says nothing there).
    pub name: String,
    /// sha256 (lowercase hex) of the bytes read.
    pub sha256: String,
    /// Number of bytes read.
    pub bytes: u64,
    /// The market the candles are of.
    pub symbol: String,
    /// Bar interval in short form (`1h`, `5m`), from the bars' timestamps;
    /// `None` with a single bar.
    pub timeframe: Option<String>,
    /// Open time of the first bar, epoch milliseconds.
    pub first_ts: i64,
    /// Open time of the last bar, epoch milliseconds.
    pub last_ts: i64,
    /// Number of bars.
    pub bars: u64,
}

impl Provenance {
    /// Whether the data was generated rather than read from a market.
    pub fn is_synthetic(&self) -> bool {
        matches!(self, Provenance::Synthetic { .. })
    }
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Provenance::Synthetic { seed, .. } => write!(f, "synthetic (seed {seed})"),
            Provenance::CandleFiles { files } => {
                for (i, c) in files.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(
                        f,
                        "{} {} {}..{} ({} bars, sha256 {})",
                        c.name,
                        c.timeframe.as_deref().unwrap_or("-"),
                        format_ms(c.first_ts),
                        format_ms(c.last_ts),
                        c.bars,
                        c.sha256.get(..12).unwrap_or(&c.sha256)
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// One line for people: the provenance, or `unknown` for an artifact
/// written before provenance was recorded.
pub fn describe(p: Option<&Provenance>) -> String {
    match p {
        Some(p) => p.to_string(),
        None => "unknown (recorded before provenance)".to_string(),
    }
}

/// Epoch milliseconds as RFC 3339 UTC; the number itself when out of range.
fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_the_kind_and_displays_briefly() {
        let s = Provenance::Synthetic {
            generator: "g 1".into(),
            seed: 7,
            params: serde_json::json!({"bars": 500}),
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["kind"], "synthetic");
        assert_eq!(serde_json::from_value::<Provenance>(v).unwrap(), s);
        assert!(s.is_synthetic());
        assert_eq!(s.to_string(), "synthetic (seed 7)");
        let c = Provenance::CandleFiles {
            files: vec![CandleFile {
                name: "SOLUSDT-1h.csv".into(),
                sha256: "ab".repeat(32),
                bytes: 10,
                symbol: "SOLUSDT".into(),
                timeframe: Some("1h".into()),
                first_ts: 1_600_000_000_000,
                last_ts: 1_600_003_600_000,
                bars: 2,
            }],
        };
        assert!(!c.is_synthetic());
        assert_eq!(
            c.to_string(),
            "SOLUSDT-1h.csv 1h 2020-09-13T12:26:40Z..2020-09-13T13:26:40Z (2 bars, sha256 abababababab)"
        );
        assert_eq!(describe(None), "unknown (recorded before provenance)");
    }
}

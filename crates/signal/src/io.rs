//! Reading a prepared feature table (for example the T0 table
//! `features_btc_1h.csv` of the benchmark SPEC) into a [`Dataset`]: chosen
//! numeric feature columns, a 0/1 target column, optional timestamp and
//! train/test flag columns. Errors name the file, the line and the column
//! but never quote what a field holds, so reading the wrong file (a secret,
//! say) cannot echo it.
//!
//! Input is bounded for this reader and the trade log's
//! ([`crate::tradelog::read_trade_log`]): at most [`MAX_FILE_BYTES`] read,
//! [`MAX_ROWS`] data rows and [`MAX_COLUMNS`] header columns; a FIFO or
//! device given as the file is refused, not read.

use crate::error::{Result, SignalError};
use agent_core::persist::{Symlinks, read_bounded};
use agent_core::{Dataset, Purge, PurgedSplit, purged_split};
use ndarray::{Array1, Array2};
use std::path::Path;

/// Largest feature table or trade log read (ten years of 1-minute rows
/// with a dozen features is well under this).
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// Most data rows a feature table or trade log may hold.
pub const MAX_ROWS: usize = 20_000_000;
/// Most columns a header may name.
pub const MAX_COLUMNS: usize = 4096;

/// The whole of a user's data file (which may be a symbolic link they made),
/// bounded by [`MAX_FILE_BYTES`].
pub(crate) fn read_data_file(path: &Path) -> Result<Vec<u8>> {
    Ok(read_bounded(path, MAX_FILE_BYTES, Symlinks::Follow)?)
}

/// The error for a header of more than [`MAX_COLUMNS`] columns or a file of
/// more than [`MAX_ROWS`] rows, when `count` exceeds them.
pub(crate) fn check_size(
    source_name: &str,
    line: u64,
    what: &str,
    count: usize,
    max: usize,
) -> Result<()> {
    if count > max {
        return Err(SignalError::Csv {
            source_name: source_name.to_string(),
            line,
            column: "<file>".into(),
            why: format!("more {what} than the {max} allowed"),
        });
    }
    Ok(())
}

/// The 12 T0 features of the benchmark SPEC, in matrix order.
pub const T0_FEATURES: [&str; 12] = [
    "lr_1",
    "lr_3",
    "lr_6",
    "lr_12",
    "lr_24",
    "vol_12",
    "vol_24",
    "vol_72",
    "rsi_14",
    "zscore_20",
    "vol_z_20",
    "atr_14_rel",
];

/// Which columns of a feature CSV to use.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureCsvSpec {
    pub features: Vec<String>,
    /// 0/1 label column.
    pub target: String,
    /// Integer timestamp column (strictly increasing), if any.
    pub timestamp: Option<String>,
    /// 0/1 "is train" column, if any.
    pub split: Option<String>,
    /// Rows the label looks ahead (SPEC T1's `y_dir`: 1, the next bar): the
    /// label of a row is known only that many rows later, so that many
    /// training rows before the test period are purged by
    /// [`FeatureCsv::train_test`].
    pub label_horizon: usize,
}

impl FeatureCsvSpec {
    /// The SPEC T1 layout: T0 features, `y_dir`, `timestamp`, `is_train`.
    pub fn t1() -> Self {
        Self {
            features: T0_FEATURES.iter().map(|s| s.to_string()).collect(),
            target: "y_dir".into(),
            timestamp: Some("timestamp".into()),
            split: Some("is_train".into()),
            label_horizon: 1,
        }
    }
}

/// A feature table read from CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureCsv {
    pub dataset: Dataset,
    /// Per row, when the spec names a split column.
    pub is_train: Option<Vec<bool>>,
    /// The spec's label horizon (rows).
    pub label_horizon: usize,
}

impl FeatureCsv {
    /// Train and test parts, with the label horizon's purge: the last
    /// `label_horizon` training rows, whose labels reach into the test
    /// period, are dropped (as the candle path's `purged_train_test` does).
    pub fn train_test(&self) -> Result<(Dataset, Dataset)> {
        let (train, test, _) = self.train_test_with(Purge::new(self.label_horizon))?;
        Ok((train, test))
    }

    /// [`train_test`](Self::train_test) with an explicit purge (a reference
    /// reproduction may need `Purge::new(0)`, the unpurged split); the train
    /// rows must all come first (a chronological split), otherwise this is
    /// an error.
    pub fn train_test_with(&self, purge: Purge) -> Result<(Dataset, Dataset, PurgedSplit)> {
        let flags = self.is_train.as_ref().ok_or_else(|| {
            SignalError::InvalidData("the feature table has no train/test column".into())
        })?;
        let n_train = flags.iter().take_while(|&&f| f).count();
        if let Some(i) = flags[n_train..].iter().position(|&f| f) {
            return Err(SignalError::InvalidData(format!(
                "train rows must precede test rows; row {} is train after test row {n_train}",
                n_train + i
            )));
        }
        let split = purged_split(flags.len(), &[n_train], purge)?;
        let train = self.dataset.slice(split.periods[0].clone())?;
        let test = self.dataset.slice(split.periods[1].clone())?;
        Ok((train, test, split))
    }
}

/// Read a feature CSV file (bounded; see the module docs).
pub fn read_feature_csv(path: &Path, spec: &FeatureCsvSpec) -> Result<FeatureCsv> {
    let bytes = read_data_file(path)?;
    parse_feature_csv(&bytes, &path.display().to_string(), spec)
}

/// Parse feature CSV bytes; `source_name` appears in errors.
pub fn parse_feature_csv(
    bytes: &[u8],
    source_name: &str,
    spec: &FeatureCsvSpec,
) -> Result<FeatureCsv> {
    let err = |line: u64, column: &str, why: String| SignalError::Csv {
        source_name: source_name.to_string(),
        line,
        column: column.to_string(),
        why,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let headers = rdr
        .byte_headers()
        .map_err(|e| err(1, "<header>", e.to_string()))?
        .clone();
    check_size(source_name, 1, "columns", headers.len(), MAX_COLUMNS)?;
    let find = |name: &str| -> Result<usize> {
        headers
            .iter()
            .position(|h| h == name.as_bytes())
            .ok_or_else(|| err(1, name, "column not found in the header".into()))
    };
    let fcols: Vec<usize> = spec
        .features
        .iter()
        .map(|f| find(f))
        .collect::<Result<_>>()?;
    let tcol = find(&spec.target)?;
    let tscol = spec.timestamp.as_deref().map(find).transpose()?;
    let scol = spec.split.as_deref().map(find).transpose()?;

    let d = fcols.len();
    let mut x: Vec<f64> = Vec::new();
    let mut y: Vec<f64> = Vec::new();
    let mut ts: Vec<i64> = Vec::new();
    let mut split: Vec<bool> = Vec::new();
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(err(line, "<row>", e.to_string()));
            }
        }
        let line = rec.position().map_or(0, |p| p.line());
        check_size(source_name, line, "data rows", y.len() + 1, MAX_ROWS)?;
        let text = |i: usize, name: &str| -> Result<&str> {
            let raw = rec
                .get(i)
                .ok_or_else(|| err(line, name, "field is missing".into()))?;
            std::str::from_utf8(raw).map_err(|_| err(line, name, "is not UTF-8 text".into()))
        };
        for (&c, name) in fcols.iter().zip(&spec.features) {
            let v = text(c, name)?;
            x.push(
                v.parse::<f64>()
                    .map_err(|_| err(line, name, "is not a number".into()))?,
            );
        }
        let v = text(tcol, &spec.target)?;
        y.push(match v {
            "0" | "0.0" => 0.0,
            "1" | "1.0" => 1.0,
            _ => return Err(err(line, &spec.target, "is not a 0/1 label".into())),
        });
        if let (Some(c), Some(name)) = (tscol, spec.timestamp.as_deref()) {
            let v = text(c, name)?;
            ts.push(
                v.parse::<i64>()
                    .map_err(|_| err(line, name, "is not an integer timestamp".into()))?,
            );
        }
        if let (Some(c), Some(name)) = (scol, spec.split.as_deref()) {
            split.push(match text(c, name)? {
                "1" | "1.0" | "true" | "True" => true,
                "0" | "0.0" | "false" | "False" => false,
                _ => return Err(err(line, name, "is not a 0/1 flag".into())),
            });
        }
    }
    let n = y.len();
    if n == 0 {
        return Err(err(1, "<file>", "no data rows".into()));
    }
    let x = Array2::from_shape_vec((n, d), x)
        .map_err(|e| SignalError::InvalidData(format!("feature matrix: {e}")))?;
    let mut dataset = Dataset::new(x, Array1::from(y), spec.features.clone())?;
    if tscol.is_some() {
        dataset = dataset.with_timestamps(ts)?;
    }
    Ok(FeatureCsv {
        dataset,
        is_train: scol.map(|_| split),
        label_horizon: spec.label_horizon,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FeatureCsvSpec {
        FeatureCsvSpec {
            features: vec!["a".into(), "b".into()],
            target: "y".into(),
            timestamp: Some("ts".into()),
            split: Some("is_train".into()),
            label_horizon: 1,
        }
    }

    #[test]
    fn feature_csv_reads_columns_by_name_and_splits_chronologically() {
        let csv = "ts,b,a,y,is_train\n1,0.5,1.5,1,1\n2,0.25,2.5,0,1\n3,1e-3,-1,1,0\n";
        let t = parse_feature_csv(csv.as_bytes(), "t.csv", &spec()).unwrap();
        assert_eq!(t.dataset.features()[[0, 0]], 1.5);
        assert_eq!(t.dataset.features()[[2, 1]], 1e-3);
        // The label of row 2 (ts 2) looks one row ahead, into the test
        // period: purged.
        let (tr, te) = t.train_test().unwrap();
        assert_eq!((tr.n_samples(), te.n_samples()), (1, 1));
        assert_eq!(tr.timestamps().unwrap(), &[1]);
        assert_eq!(te.timestamps().unwrap(), &[3]);
        let (tr, _, split) = t.train_test_with(Purge::new(0)).unwrap();
        assert_eq!((tr.n_samples(), split.purged_rows), (2, 0));
    }

    #[test]
    fn feature_csv_purges_the_label_horizon_before_the_test_period() {
        let mut csv = String::from("ts,b,a,y,is_train\n");
        for i in 0..10 {
            csv.push_str(&format!("{i},0.5,{i}.5,{},{}\n", i % 2, u8::from(i < 7)));
        }
        let spec = FeatureCsvSpec {
            label_horizon: 3,
            ..spec()
        };
        let t = parse_feature_csv(csv.as_bytes(), "t.csv", &spec).unwrap();
        let (tr, te) = t.train_test().unwrap();
        // Rows 0..7 train, 7..10 test; rows 4, 5, 6 look into rows 7..9.
        assert_eq!(tr.timestamps().unwrap(), &[0, 1, 2, 3]);
        assert_eq!(te.timestamps().unwrap(), &[7, 8, 9]);
        // A horizon that leaves no training row is an error, not an empty set.
        let spec = FeatureCsvSpec {
            label_horizon: 7,
            ..spec
        };
        let t = parse_feature_csv(csv.as_bytes(), "t.csv", &spec).unwrap();
        assert!(t.train_test().is_err());
    }

    #[test]
    fn feature_csv_errors_name_line_and_column() {
        let csv = "ts,b,a,y,is_train\n1,0.5,1.5,1,1\n2,x,2.5,0,1\n";
        let e = parse_feature_csv(csv.as_bytes(), "t.csv", &spec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("`b`"), "{e}");
        let csv = "ts,b,a,y,is_train\n1,0.5,1.5,2,1\n";
        let e = parse_feature_csv(csv.as_bytes(), "t.csv", &spec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("`y`"), "{e}");
        let csv = "ts,b,y,is_train\n1,0.5,1,1\n";
        let e = parse_feature_csv(csv.as_bytes(), "t.csv", &spec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`a`") && e.contains("not found"), "{e}");
        let csv = "ts,b,a,y,is_train\n1,0.5,1.5,1,0\n2,0.5,1.5,1,1\n";
        let t = parse_feature_csv(csv.as_bytes(), "t.csv", &spec()).unwrap();
        assert!(t.train_test().is_err());
    }
}

//! T0 feature equality against an independent Python golden file on a
//! committed synthetic fixture, and the feature table's CSV and datasets.
//! The comparison with the Python peer's prepared table on `../shared` is in
//! `shared_data.rs`.

use market::features::CSV_COLUMNS;
use market::{FEATURES, FeatureTable, Target, read_candles, t0_features};

mod common;
use common::assert_tables_match;

#[test]
fn t0_features_match_python_golden_on_synthetic_fixture() {
    let candles = read_candles(&common::fixture("synthetic_400.csv")).unwrap();
    assert_eq!(candles.len(), 400);
    let want = FeatureTable::read_csv(&common::fixture("synthetic_400_t0.csv")).unwrap();
    let got = t0_features(&candles).unwrap();
    assert_eq!(got.len(), 400 - 96);
    assert_eq!(got.n_train, 243);
    assert_tables_match(&got, &want, 1e-9);
    // Cut points come from numpy.quantile in the golden script.
    assert!((got.q1 - want.q1).abs() <= 1e-15 * want.q1);
    assert!((got.q2 - want.q2).abs() <= 1e-15 * want.q2);
}

#[test]
fn feature_table_write_then_read_is_identical() {
    let run = market::SyntheticMarket::new()
        .seed(3)
        .bars(600)
        .generate()
        .unwrap();
    let table = t0_features(&run.candles).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t0.csv");
    table.write_csv(&p).unwrap();
    let back = FeatureTable::read_csv(&p).unwrap();
    assert_eq!(back, table);
    let header = std::fs::read_to_string(&p).unwrap();
    assert_eq!(header.lines().next().unwrap(), CSV_COLUMNS.join(","));
}

#[test]
fn feature_matrix_rows_equal_table_rows_and_warmup_is_nan() {
    let run = market::SyntheticMarket::new()
        .seed(5)
        .bars(300)
        .generate()
        .unwrap();
    let m = market::feature_matrix(&run.candles);
    let table = t0_features(&run.candles).unwrap();
    assert_eq!(m.dim(), (300, 12));
    for (i, &t) in table.bar.iter().enumerate() {
        for j in 0..12 {
            assert_eq!(m[[t, j]].to_bits(), table.features[[i, j]].to_bits());
        }
    }
    // First defined bar of each feature, SPEC T0 table.
    let first = [1, 3, 6, 12, 24, 12, 24, 72, 14, 19, 19, 14];
    for (j, &f) in first.iter().enumerate() {
        assert!(m[[f - 1, j]].is_nan(), "{} defined too early", FEATURES[j]);
        assert!(m[[f, j]].is_finite(), "{} undefined at {f}", FEATURES[j]);
    }
}

#[test]
fn datasets_carry_names_timestamps_and_each_target() {
    let run = market::SyntheticMarket::new()
        .seed(9)
        .bars(400)
        .generate()
        .unwrap();
    let table = t0_features(&run.candles).unwrap();
    for target in [Target::Direction, Target::Regime, Target::ForwardReturn] {
        let ds = table.dataset(target).unwrap();
        assert_eq!(ds.n_samples(), table.len());
        assert_eq!(ds.feature_names(), table.feature_names().as_slice());
        assert_eq!(ds.timestamps().unwrap(), table.timestamp.as_slice());
        let y0 = ds.targets()[0];
        match target {
            Target::Direction => assert_eq!(y0, f64::from(table.y_dir[0])),
            Target::Regime => assert_eq!(y0, f64::from(table.y_regime[0])),
            Target::ForwardReturn => assert_eq!(y0, table.fwd_ret_1[0]),
        }
    }
    assert_eq!(table.train_range(), 0..table.n_train);
    assert_eq!(table.test_range(), table.n_train..table.len());
    // The tercile labels split the train rows into near-equal thirds.
    let mut counts = [0usize; 3];
    for &y in &table.y_regime[table.train_range()] {
        counts[usize::from(y)] += 1;
    }
    assert!(
        counts.iter().all(|&c| c.abs_diff(table.n_train / 3) <= 2),
        "{counts:?}"
    );
}

#[test]
fn feature_csv_errors_name_line_and_column() {
    let header = CSV_COLUMNS.join(",");
    let good = "72,1503201600000,4093.0,0,0,0,0,0,0,0,0,50,0,0,0,0,0,1,1,1";
    let e = FeatureTable::parse_csv(
        format!("{header}\n{good}\n{}", good.replace(",1,1,1", ",1,3,1")).as_bytes(),
        "f.csv",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("f.csv line 3, column \"y_regime\""), "{e}");
    let e = FeatureTable::parse_csv(
        format!("{header}\n{}\n{good}", good.replace(",1,1,1", ",1,1,0")).as_bytes(),
        "f.csv",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("line 3, column \"is_train\"") && e.contains("must come first"),
        "{e}"
    );
    let e = FeatureTable::parse_csv(header.replace("vol_72", "vol_70").as_bytes(), "f.csv")
        .unwrap_err()
        .to_string();
    // The header's own text is not quoted (it might be a secret's first line).
    assert!(
        e.contains("column 11 is not named \"vol_72\"") && !e.contains("vol_70"),
        "{e}"
    );
}

//! Write a synthetic candle CSV and print its summary.
//!
//! `cargo run -p cointrainer-market --release --example synthetic_csv -- SEED BARS OUT.csv`
//! (regenerates `fixtures/market/synthetic_400.csv` with `7 400`).

use market::{SyntheticMarket, write_candles};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [seed, bars, out] = args.as_slice() else {
        return Err("usage: synthetic_csv SEED BARS OUT.csv".into());
    };
    let run = SyntheticMarket::new()
        .seed(seed.parse()?)
        .bars(bars.parse()?)
        .generate()?;
    write_candles(&PathBuf::from(out), &run.candles)?;
    print!("{}", run.summary());
    Ok(())
}

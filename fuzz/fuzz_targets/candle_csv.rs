#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cointrainer_fuzz::candle_csv(data);
});

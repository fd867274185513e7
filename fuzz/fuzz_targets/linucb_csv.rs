#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cointrainer_fuzz::linucb_csv(data);
});

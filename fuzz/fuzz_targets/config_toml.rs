#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cointrainer_fuzz::config_toml(data);
});

#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| common::testing::fuzz::zstd(data));

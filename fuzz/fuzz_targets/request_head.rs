#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| bananaui::collector::http::fuzz_request_head(data));

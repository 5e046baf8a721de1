#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = bananactl::settings::parse_file(text, "fuzz");
        let _ = bananaui::config::Config::parse(text, "fuzz");
    }
});

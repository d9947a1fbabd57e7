//! A hostile export / `--config` file: `export_format::parse` must never panic, and neither may
//! checking what it accepts as `import` and `run --config` do (`check_entries`, whose errors
//! quote names and ids cut short), nor formatting any error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamwatch_engine::catalog::file_entries::check_entries;
use streamwatch_engine::export_format;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = match export_format::parse(text, "fuzz.json") {
        Ok(file) => file,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    if let Err(e) = check_entries(&file.subscriptions, "fuzz.json") {
        let _ = e.to_string();
    }
});

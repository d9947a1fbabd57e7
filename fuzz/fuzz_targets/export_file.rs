//! A hostile export / `--config` file: `export_format::parse` must never panic, and neither may
//! turning what it accepts into records and checking them as `import` does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamwatch_engine::catalog::validate::check_record;
use streamwatch_engine::export_format;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = export_format::parse(text, "fuzz.json") else {
        return;
    };
    for sub in &file.subscriptions {
        let (record, _missing) = sub.to_record();
        let _ = check_record(&record);
        for m in sub.history.iter().flatten() {
            let _ = m.received_at();
        }
    }
});

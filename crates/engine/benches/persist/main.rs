//! `cargo bench -p streamwatch-engine --bench persist`: persisted throughput of one
//! subscription, the real path end to end. The demo server (a forked child process) streams
//! 500,000 events of ~100 bytes over loopback as fast as it can; a `Monitor` takes them
//! through connection → supervisor → recorder channel → group-commit writer → SQLite (WAL, on
//! disk). Timed from `Monitor::add` until `flush()` returns with all of them counted in the
//! database; then the stored history is read back and checked event by event.
//!
//! Target (issue 3): at least 200,000 events/s persisted.
//!
//! Linux only (fork, `/proc`).

#[cfg(target_os = "linux")]
#[path = "../load_support/mod.rs"]
mod load_support;
#[cfg(target_os = "linux")]
mod run;

fn main() -> std::process::ExitCode {
    #[cfg(target_os = "linux")]
    return run::main();
    #[cfg(not(target_os = "linux"))]
    {
        println!("persist: skipped, this bench needs Linux");
        std::process::ExitCode::SUCCESS
    }
}

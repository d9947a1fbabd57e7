//! Code shared by the load benches `persist` and `scale` (each includes it with `#[path]`):
//! the demo server in a forked child process, and what Linux tells about CPU and memory.
//!
//! The server runs in its own process so that everything this process uses (CPU, RSS) is
//! Streamwatch's engine alone; the child's share is read from `/proc/<pid>`.
// Each bench binary uses only part of this module.
#![allow(dead_code)]

pub mod proc_stats;
pub mod server_process;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs the binary without it, and
/// then only a tiny version runs, as a smoke test.
pub fn benching() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `PASS` or `FAIL`.
pub fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "FAIL"
    }
}

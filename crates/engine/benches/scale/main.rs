//! `cargo bench -p streamwatch-engine --bench scale`: many subscriptions through the real path
//! (`Monitor`: connection → supervisor → recorder channel → group-commit writer → SQLite), the
//! demo server in a forked child process so this process's CPU and memory are the engine's
//! alone.
//!
//! 1. 10,000 idle subscriptions (a heartbeat comment every 15 s, no events) connected and
//!    open: this process's RSS, target < 150 MiB; also its CPU while they idle.
//! 2. 1,000 subscriptions at 10 events/s each (10,000 events/s, all persisted), measured over
//!    20 s after a 5 s warm-up: this process's CPU in cores, target < 1 core.
//!
//! 3. HTTP/2: the same 10,000 idle subscriptions to one HTTPS host speaking HTTP/2 (the demo
//!    server's ALPN `h2`): TCP connections for the first 1,000 and for all (target: a
//!    handful), and RSS (target < 150 MiB).
//!
//! 4. The idle case again with hyper's HTTP/1.1 client (`STREAMWATCH_HTTP1_CLIENT=hyper`),
//!    which every `http://` subscription used before the lean client: RSS and the ratio.
//!
//! The idle case runs first, in a fresh process, so its RSS is not inflated by the other; the
//! HTTP/2 case and the hyper comparison run in child processes of their own (this binary again,
//! with `STREAMWATCH_SCALE_PHASE=http2` or `idle-hyper`) for the same reason.
//! Linux only (fork, `/proc`, rlimits).

#[cfg(target_os = "linux")]
mod active;
#[cfg(target_os = "linux")]
mod http2;
#[cfg(target_os = "linux")]
mod idle;
#[cfg(target_os = "linux")]
#[path = "../load_support/mod.rs"]
mod load_support;
#[cfg(target_os = "linux")]
mod subs;

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("scale: skipped, this bench needs Linux");
}

#[cfg(target_os = "linux")]
fn run() -> Result<(), Box<dyn std::error::Error>> {
    use load_support::proc_stats;
    use load_support::server_process::ServerProcess;
    use streamwatch_demo_server::DemoConfig;

    let benching = load_support::benching();
    // Each side holds one socket per subscription; the child inherits the limit.
    let nofile = proc_stats::raise_nofile(65_536)?;
    if std::env::var_os(PHASE_VAR).is_some_and(|p| p == "http2") {
        return run_http2(benching);
    }
    if std::env::var_os(PHASE_VAR).is_some_and(|p| p == "idle-hyper") {
        return run_idle_hyper(benching);
    }
    // Before any thread exists.
    let server = ServerProcess::fork(DemoConfig::default())?;
    let runtime = two_workers()?;
    println!(
        "scale: Monitor (tokio multi-thread runtime, 2 workers) <- loopback <- demo server \
         (child process {}, one thread); {} CPUs; open-file limit {nofile}",
        server.pid(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let idle = runtime.block_on(idle::measure(&server, benching))?;
    let active = runtime.block_on(active::measure(&server, benching))?;
    println!();
    idle.print(benching, "lean (http1_direct)");
    println!();
    active.print(benching);
    println!();
    drop(runtime);
    drop(server);
    // Fresh processes: this one's allocator keeps what the phases above freed.
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(PHASE_VAR, "http2")
        .status()?;
    if !status.success() {
        return Err(format!("the HTTP/2 phase failed: {status}").into());
    }
    println!();
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(PHASE_VAR, "idle-hyper")
        .env(streamwatch_engine::http_client::CLIENT_CHOICE_VAR, "hyper")
        .env(LEAN_MIB_VAR, format!("{:.1}", idle.worst_mib()))
        .status()?;
    if !status.success() {
        return Err(format!("the hyper comparison failed: {status}").into());
    }
    Ok(())
}

/// The lean client's idle RSS, handed to the hyper comparison for the ratio.
#[cfg(target_os = "linux")]
const LEAN_MIB_VAR: &str = "STREAMWATCH_SCALE_LEAN_MIB";

/// The idle case with hyper's HTTP/1.1 client, as every `http://` subscription had before.
#[cfg(target_os = "linux")]
fn run_idle_hyper(benching: bool) -> Result<(), Box<dyn std::error::Error>> {
    use load_support::server_process::ServerProcess;
    use streamwatch_demo_server::DemoConfig;

    let server = ServerProcess::fork(DemoConfig::default())?;
    let runtime = two_workers()?;
    let idle = runtime.block_on(idle::measure(&server, benching))?;
    idle.print(benching, "hyper (reqwest), STREAMWATCH_HTTP1_CLIENT=hyper");
    let lean: Option<f64> = std::env::var(LEAN_MIB_VAR)
        .ok()
        .and_then(|v| v.parse().ok());
    if let Some(lean) = lean {
        println!(
            "  lean / hyper RSS          {:>8.2} ({lean:.1} MiB / {:.1} MiB, same run)",
            lean / idle.worst_mib(),
            idle.worst_mib()
        );
    }
    Ok(())
}

/// The runtime every phase runs on: two workers, as on the 2-core machines it is measured on.
#[cfg(target_os = "linux")]
fn two_workers() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Set to `http2` in the child process that runs only the HTTP/2 phase.
#[cfg(target_os = "linux")]
const PHASE_VAR: &str = "STREAMWATCH_SCALE_PHASE";

#[cfg(target_os = "linux")]
fn run_http2(benching: bool) -> Result<(), Box<dyn std::error::Error>> {
    use load_support::server_process::ServerProcess;
    use streamwatch_demo_server::DemoConfig;

    let server = ServerProcess::fork_tls(DemoConfig::default())?;
    let runtime = two_workers()?;
    let http2 = runtime.block_on(http2::measure(&server, benching))?;
    http2.print(benching);
    Ok(())
}

//! The demo server in a forked child process: its CPU and memory then never mix with ours,
//! and it needs no binary built beforehand.

use std::io::{self, BufRead, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::FromRawFd;
use std::time::Duration;
use streamwatch_demo_server::{DemoConfig, DemoServer};

use super::proc_stats::{self, Memory};

pub struct ServerProcess {
    pid: libc::pid_t,
    base: String,
    /// The certificate authority to trust, for an HTTPS server.
    ca_pem: Option<String>,
}

impl ServerProcess {
    /// Forks a child that serves `config` on a loopback port, on one thread (its CPU time is
    /// then the server's whole cost), and waits until it listens.
    ///
    /// Call this before the process starts any thread: only the forking thread lives on in
    /// the child, so a lock held elsewhere at that moment would stay held there forever.
    pub fn fork(config: DemoConfig) -> io::Result<ServerProcess> {
        Self::fork_with(config, false)
    }

    /// Like [`ServerProcess::fork`], serving HTTPS (HTTP/2 by ALPN) with a certificate
    /// authority made in the child: [`ServerProcess::ca_pem`] is what to trust.
    pub fn fork_tls(config: DemoConfig) -> io::Result<ServerProcess> {
        Self::fork_with(config, true)
    }

    fn fork_with(config: DemoConfig, tls: bool) -> io::Result<ServerProcess> {
        let threads = std::fs::read_dir("/proc/self/task")?.count();
        if threads != 1 {
            return Err(io::Error::other(format!(
                "fork the server before starting threads ({threads} running)"
            )));
        }
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let [read_end, write_end] = fds;
        // SAFETY: single-threaded (checked above), so the child is a consistent copy.
        let parent = unsafe { libc::getpid() };
        let pid = unsafe { libc::fork() };
        match pid {
            -1 => Err(io::Error::last_os_error()),
            0 => {
                // SAFETY: the child owns its copy of the write end and closes the read end;
                // it dies with the parent, and never returns into the parent's code.
                unsafe {
                    libc::close(read_end);
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    if libc::getppid() != parent {
                        libc::_exit(0);
                    }
                    let ready = std::fs::File::from_raw_fd(write_end);
                    let code = match serve(config, tls, ready) {
                        Ok(()) => 0,
                        Err(e) => {
                            eprintln!("demo server child: {e}");
                            1
                        }
                    };
                    libc::_exit(code)
                }
            }
            pid => {
                // SAFETY: the parent owns the read end and closes its copy of the write end.
                unsafe { libc::close(write_end) };
                let ready = unsafe { std::fs::File::from_raw_fd(read_end) };
                let mut reader = io::BufReader::new(ready);
                let mut line = String::new();
                reader.read_line(&mut line)?;
                let base = line.trim().to_string();
                // An HTTPS child goes on with its CA's PEM, up to the end of the pipe.
                let mut pem = String::new();
                io::Read::read_to_string(&mut reader, &mut pem)?;
                let ca_pem = (!pem.trim().is_empty()).then_some(pem);
                let server = ServerProcess { pid, base, ca_pem };
                if server.base.is_empty() {
                    return Err(io::Error::other("the demo server child did not start"));
                }
                Ok(server)
            }
        }
    }

    /// `/events` with `query`.
    pub fn events_url(&self, query: &str) -> String {
        format!("{}/events?{query}", self.base)
    }

    /// The certificate authority to trust, for an HTTPS server.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The server's TCP port.
    pub fn port(&self) -> Option<u16> {
        self.base.rsplit(':').next()?.parse().ok()
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The child's CPU time so far.
    pub fn cpu(&self) -> Duration {
        proc_stats::pid_cpu(self.pid).unwrap_or_default()
    }

    /// The child's memory.
    pub fn memory(&self) -> Memory {
        Memory::of_pid(self.pid)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SAFETY: `pid` is our own child, not yet reaped.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

/// The child's life: serve until killed.
fn serve(config: DemoConfig, tls: bool, mut ready: std::fs::File) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server = if tls {
            DemoServer::start_tls(addr, config).await?
        } else {
            DemoServer::start(addr, config).await?
        };
        let base = server.url("");
        writeln!(ready, "{}", base.trim_end_matches('/'))?;
        if let Some(pem) = server.ca_pem() {
            write!(ready, "{pem}")?;
        }
        drop(ready);
        std::future::pending::<()>().await;
        Ok(())
    })
}

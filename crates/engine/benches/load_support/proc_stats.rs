//! CPU time and memory of this process (and of another one, by pid), from `getrusage` and
//! `/proc`.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

/// Raises the open-file limit (soft and, if needed, hard: root may) to at least `want`;
/// returns the soft limit in force afterwards.
pub fn raise_nofile(want: u64) -> io::Result<u64> {
    // SAFETY: get/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Err(io::Error::last_os_error());
        }
        if lim.rlim_cur as u64 >= want {
            return Ok(lim.rlim_cur as u64);
        }
        let raised = libc::rlimit {
            rlim_cur: want as libc::rlim_t,
            rlim_max: lim.rlim_max.max(want as libc::rlim_t),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
            return Ok(want);
        }
        // Not allowed to raise the hard limit: take what it allows.
        let capped = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &capped) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(lim.rlim_max as u64)
    }
}

/// User + system CPU time of this whole process (every thread, living or ended).
pub fn process_cpu() -> Duration {
    // SAFETY: `getrusage` only writes the struct we pass, which is plain old data.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// `(comm, utime + stime)` from a `/proc/.../stat` line.
fn parse_stat(text: &str) -> Option<(String, Duration)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    // After ") ": state is field 3; utime and stime are fields 14 and 15.
    let rest: Vec<&str> = text[close + 2..].split_whitespace().collect();
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    let secs = (utime + stime) as f64 / clock_ticks();
    Some((comm, Duration::from_secs_f64(secs)))
}

/// User + system CPU time of another process (its threads, living or ended), at clock-tick
/// resolution.
pub fn pid_cpu(pid: i32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text).map(|(_, cpu)| cpu)
}

/// CPU time of each living thread of this process, by thread id, with its name.
#[derive(Debug, Clone, Default)]
pub struct Threads(HashMap<u32, (String, Duration)>);

impl Threads {
    pub fn read() -> Threads {
        let mut all = HashMap::new();
        if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
            for entry in dir.flatten() {
                let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                    continue;
                };
                if let Ok(text) = std::fs::read_to_string(entry.path().join("stat")) {
                    if let Some(stat) = parse_stat(&text) {
                        all.insert(tid, stat);
                    }
                }
            }
        }
        Threads(all)
    }

    /// CPU used since `earlier`, summed per thread name (threads born since count from zero;
    /// threads that ended meanwhile are missing, but `process_cpu` still counts them).
    pub fn since(&self, earlier: &Threads) -> Vec<(String, Duration)> {
        let mut by_name: HashMap<String, Duration> = HashMap::new();
        for (tid, (name, now)) in &self.0 {
            let before = earlier.0.get(tid).map_or(Duration::ZERO, |(_, d)| *d);
            *by_name.entry(name.clone()).or_default() += now.saturating_sub(before);
        }
        let mut v: Vec<_> = by_name.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// Memory figures of a process, in KiB, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// Resident set size.
    pub rss_kib: u64,
    /// Its anonymous part (heap, stacks).
    pub anon_kib: u64,
    /// Its file-backed part (the binary, libraries).
    pub file_kib: u64,
    /// The peak resident set size so far.
    pub hwm_kib: u64,
}

impl Memory {
    /// This process.
    pub fn of_self() -> Memory {
        Self::read("/proc/self/status")
    }

    /// Another process.
    pub fn of_pid(pid: i32) -> Memory {
        Self::read(&format!("/proc/{pid}/status"))
    }

    fn read(path: &str) -> Memory {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            anon_kib: field("RssAnon:"),
            file_kib: field("RssFile:"),
            hwm_kib: field("VmHWM:"),
        }
    }

    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }

    pub fn anon_mib(&self) -> f64 {
        self.anon_kib as f64 / 1024.0
    }

    pub fn hwm_mib(&self) -> f64 {
        self.hwm_kib as f64 / 1024.0
    }
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Bytes the allocator has handed out and not got back (glibc's `mallinfo2`: arena chunks in
/// use plus mmapped blocks); the rest of the anonymous RSS is allocator slack, stacks and such.
#[cfg(target_env = "gnu")]
pub fn heap_in_use() -> Option<u64> {
    // SAFETY: `mallinfo2` only reads the allocator's bookkeeping.
    let info = unsafe { libc::mallinfo2() };
    Some((info.uordblks + info.hblkhd) as u64)
}

#[cfg(not(target_env = "gnu"))]
pub fn heap_in_use() -> Option<u64> {
    None
}

/// Established TCP connections (IPv4 and IPv6) from this network namespace to `port`: the
/// client ends, whose remote port is the server's.
pub fn tcp_connections_to(port: u16) -> usize {
    let want = format!("{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    // `rem_address` is `ADDR:PORT` in hex; state 01 is ESTABLISHED.
                    fields.get(2).and_then(|a| a.rsplit(':').next()) == Some(want.as_str())
                        && fields.get(3) == Some(&"01")
                })
                .count()
        })
        .sum()
}

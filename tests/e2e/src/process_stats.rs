//! Memory and CPU of the app's processes (the app and the WebKit processes it starts), read from
//! `/proc` by process name, for the benchmarks.

use crate::processes::app_processes;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The bench's name for one of the app's processes (`comm` is cut at 15 bytes).
pub fn process_name(comm: &str) -> Option<&'static str> {
    match comm {
        c if c.starts_with("WebKitWebProces") => Some("WebKitWebProcess"),
        c if c.starts_with("WebKitNetworkPr") => Some("WebKitNetworkProcess"),
        c if c.starts_with("streamwatch-app") => Some("streamwatch-app"),
        _ => None,
    }
}

/// RSS in KiB of the app and the WebKit processes it starts, summed per process name.
pub fn rss_by_name(data_dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for p in app_processes(data_dir) {
        let Some(name) = process_name(&p.comm) else {
            continue;
        };
        let status = fs::read_to_string(format!("/proc/{}/status", p.pid)).unwrap_or_default();
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        *out.entry(name.to_owned()).or_insert(0) += kib;
    }
    out
}

/// CPU seconds (user + system) of those processes, for context.
pub fn cpu_secs(data_dir: &Path) -> BTreeMap<String, f64> {
    let tick = 100.0; // USER_HZ on Linux
    let mut out = BTreeMap::new();
    for p in app_processes(data_dir) {
        let Some(name) = process_name(&p.comm) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{}/stat", p.pid)) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let (Some(u), Some(s)) = (fields.get(11), fields.get(12)) else {
            continue;
        };
        let secs = (u.parse::<f64>().unwrap_or(0.0) + s.parse::<f64>().unwrap_or(0.0)) / tick;
        *out.entry(name.to_owned()).or_insert(0.0) += secs;
    }
    out
}

//! What `subs list` and `subs show` print: a table or JSON of saved subscriptions, and one
//! subscription's settings (secret values masked) with its stored state.

use std::io::{self, Write};
use std::time::SystemTime;

use jiff::Timestamp;
use serde::Serialize;
use streamwatch_engine::catalog::sealing::{display_url, masked_headers, MASK};
use streamwatch_engine::catalog::{
    Catalog, GapRecord, SavedSubscription, StoredCounters, StoredHeader, Transition,
};
use streamwatch_engine::client_options::count_certificates;
use streamwatch_engine::reconnect_mode::ReconnectMode;
use streamwatch_engine::redirects::RedirectMode;

use crate::output::{push_escaped, rfc3339_millis};

/// How many of the latest transitions and gaps `subs show` lists.
const RECENT: usize = 10;

/// One row of `subs list`.
#[derive(Debug, Serialize)]
pub struct ListRow {
    id: u64,
    name: String,
    /// `paused` or `enabled`, as saved (what `run` will do with it).
    state: &'static str,
    url: String,
    /// Messages in the history now (after retention).
    messages_stored: u64,
    /// Where the next connection resumes: the last id stored, else the user-given one.
    last_event_id: Option<String>,
}

/// Everything `subs show` reports.
#[derive(Debug, Serialize)]
pub struct ShowView {
    id: u64,
    name: String,
    url: String,
    method: String,
    /// Secret values as `••••`.
    headers: Vec<StoredHeader>,
    body: Option<String>,
    /// The user-given Last-Event-ID for the very first request.
    initial_last_event_id: Option<String>,
    /// Where the next connection resumes: the last id stored, else the user-given one.
    last_event_id: Option<String>,
    paused: bool,
    retry_initial_ms: u64,
    retry_max_ms: u64,
    max_retries: Option<u32>,
    /// `null`: automatic; 0: off.
    idle_timeout_ms: Option<u64>,
    /// `null`: learned from the stream.
    stale_after_secs: Option<u64>,
    /// Whether a jump in integer ids is not a gap.
    ids_not_sequential: bool,
    max_event_size: usize,
    keep_rows: u64,
    keep_age_ms: u64,
    /// Which redirects it follows: `any`, `same-origin` or `never`.
    redirects: RedirectMode,
    /// The reconnect mode in force: `always`, `error` or `never`.
    reconnect: ReconnectMode,
    /// Whether that is the method's default (no mode chosen).
    reconnect_by_method: bool,
    /// Its own end event, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_event: Option<String>,
    /// Runs as a probe every this many milliseconds; absent when not a probe.
    #[serde(skip_serializing_if = "Option::is_none")]
    probe_every_ms: Option<u64>,
    /// JSON Schemas its events must match; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    expectations: Vec<streamwatch_engine::expectations::Expectation>,
    /// Its own proxy, credentials masked; absent: the environment's.
    #[serde(skip_serializing_if = "Option::is_none")]
    proxy: Option<String>,
    /// How many extra CA certificates it trusts beside the system's.
    ca_certificates: usize,
    /// Whether it presents a client certificate (its key stays in the keyring).
    client_certificate: bool,
    created_at: String,
    updated_at: String,
    messages_stored: u64,
    /// Lifetime counters (retention does not lower them).
    counters: StoredCounters,
    transitions: TransitionSummary,
    gaps: GapSummary,
}

#[derive(Debug, Serialize)]
struct TransitionSummary {
    /// How many are stored.
    count: usize,
    /// The latest ones, oldest first.
    recent: Vec<TransitionView>,
}

#[derive(Debug, Serialize)]
struct TransitionView {
    at: String,
    from: String,
    to: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct GapSummary {
    /// How many are stored.
    count: usize,
    /// The latest ones, oldest first.
    recent: Vec<GapView>,
}

#[derive(Debug, Serialize)]
struct GapView {
    at: String,
    after: u64,
    next: u64,
    missed: u64,
}

/// A stored time as RFC 3339 in UTC with milliseconds.
pub fn stamp(t: SystemTime) -> String {
    Timestamp::try_from(t).map_or_else(|_| "?".to_owned(), rfc3339_millis)
}

/// The `subs list` row of `saved`.
pub fn list_row(store: &Catalog, saved: &SavedSubscription) -> anyhow::Result<ListRow> {
    Ok(ListRow {
        id: saved.id.0,
        name: saved.record.name.clone(),
        state: if saved.record.paused {
            "paused"
        } else {
            "enabled"
        },
        url: display_url(&saved.record),
        messages_stored: store.message_count(saved.id)?,
        last_event_id: store.resume_point(saved.id)?,
    })
}

/// Writes `rows` as an aligned table (server-controlled text escaped).
pub fn print_table(out: &mut impl Write, rows: &[ListRow]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(
            out,
            "no saved subscriptions (add one with `streamwatch subs add`)"
        );
    }
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                escaped(&r.name),
                r.state.to_owned(),
                escaped(&r.url),
                r.messages_stored.to_string(),
                r.last_event_id
                    .as_deref()
                    .map_or_else(|| "-".into(), escaped),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "STATE", "URL", "MESSAGES", "LAST ID"];
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = w.saturating_sub(cell.chars().count());
            // Numbers read best right-aligned.
            if matches!(i, 0 | 4) {
                s.extend(std::iter::repeat_n(' ', pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i + 1 < cells.len() {
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        s
    };
    writeln!(out, "{}", line(&header.map(str::to_owned)))?;
    for row in &cells {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}

/// Everything `subs show` says about `saved`.
pub fn show_view(store: &Catalog, saved: &SavedSubscription) -> anyhow::Result<ShowView> {
    let r = &saved.record;
    let transitions = store.transitions(saved.id, None)?;
    let gaps = store.gaps(saved.id)?;
    Ok(ShowView {
        id: saved.id.0,
        name: r.name.clone(),
        url: display_url(r),
        method: r.method.clone(),
        headers: masked_headers(r, MASK),
        body: r.body.clone(),
        initial_last_event_id: r.last_event_id.clone(),
        last_event_id: store.resume_point(saved.id)?,
        paused: r.paused,
        retry_initial_ms: r.retry.initial_ms,
        retry_max_ms: r.retry.max_ms,
        max_retries: r.retry.max_retries,
        idle_timeout_ms: r.idle_timeout_ms,
        stale_after_secs: r.stale_after_secs,
        ids_not_sequential: r.ids_not_sequential,
        max_event_size: r.max_event_size,
        keep_rows: r.retention.max_rows,
        keep_age_ms: u64::try_from(r.retention.max_age.as_millis()).unwrap_or(u64::MAX),
        redirects: r.redirects,
        reconnect: ReconnectMode::resolve(r.reconnect, &r.method),
        reconnect_by_method: r.reconnect.is_none(),
        end_event: r.end_event.clone(),
        probe_every_ms: r.probe_every_ms,
        expectations: r.expectations.clone(),
        proxy: streamwatch_engine::catalog::network_sealing::display_proxy(&r.network),
        ca_certificates: r
            .network
            .extra_ca_pem
            .as_deref()
            .map_or(0, |pem| count_certificates(pem).unwrap_or(0)),
        client_certificate: r.network.client_cert_pem.is_some(),
        created_at: stamp(saved.created_at),
        updated_at: stamp(saved.updated_at),
        messages_stored: store.message_count(saved.id)?,
        counters: store.counters(saved.id)?,
        transitions: TransitionSummary {
            count: transitions.len(),
            recent: latest(&transitions).iter().map(transition_view).collect(),
        },
        gaps: GapSummary {
            count: gaps.len(),
            recent: latest(&gaps).iter().map(gap_view).collect(),
        },
    })
}

fn latest<T>(all: &[T]) -> &[T] {
    &all[all.len().saturating_sub(RECENT)..]
}

fn transition_view(t: &Transition) -> TransitionView {
    TransitionView {
        at: stamp(t.at),
        from: t.from.clone(),
        to: t.to.clone(),
        reason: t.reason.clone(),
    }
}

fn gap_view(g: &GapRecord) -> GapView {
    GapView {
        at: stamp(g.at),
        after: g.after,
        next: g.next,
        missed: g.missed,
    }
}

/// Writes `view` as `key: value` lines for people.
pub fn print_show(out: &mut impl Write, v: &ShowView) -> io::Result<()> {
    let opt = |o: &Option<String>| o.as_deref().map_or_else(|| "-".into(), escaped);
    writeln!(out, "name:            {}", escaped(&v.name))?;
    writeln!(out, "id:              {}", v.id)?;
    writeln!(
        out,
        "state:           {}",
        if v.paused { "paused" } else { "enabled" }
    )?;
    writeln!(out, "url:             {} {}", v.method, escaped(&v.url))?;
    for h in &v.headers {
        let secret = if h.secret {
            "  (secret, in the OS keyring)"
        } else {
            ""
        };
        writeln!(
            out,
            "header:          {}: {}{secret}",
            escaped(&h.name),
            escaped(&h.value)
        )?;
    }
    if let Some(body) = &v.body {
        writeln!(out, "body:            {}", escaped(body))?;
    }
    writeln!(out, "first id:        {}", opt(&v.initial_last_event_id))?;
    writeln!(out, "resumes after:   {}", opt(&v.last_event_id))?;
    let max_retries = v.max_retries.map_or_else(
        || "never gives up".to_owned(),
        |n| format!("gives up after {n}"),
    );
    writeln!(
        out,
        "retry:           {} ms first, {} ms at most, {max_retries}",
        v.retry_initial_ms, v.retry_max_ms
    )?;
    let idle = match v.idle_timeout_ms {
        None => "auto (3× the usual gap between arrivals, at least 45 s)".to_owned(),
        Some(0) => "off".to_owned(),
        Some(ms) => format!("{ms} ms"),
    };
    writeln!(out, "idle timeout:    {idle}")?;
    let stale = v.stale_after_secs.map_or_else(
        || "auto (5 usual gaps between messages, 2 s to 60 s)".to_owned(),
        |s| format!("{s} s"),
    );
    writeln!(out, "stale after:     {stale}")?;
    let ids = if v.ids_not_sequential {
        "not sequential (a jump is not a gap)"
    } else {
        "sequential (a jump is a gap)"
    };
    writeln!(out, "ids:             {ids}")?;
    let redirects = match v.redirects {
        RedirectMode::Never => "never (a redirect is an error)",
        RedirectMode::SameOrigin => "same-origin (another origin is an error)",
        RedirectMode::Any => "any (secret headers stay with the first origin)",
    };
    writeln!(out, "redirects:       {redirects}")?;
    let reconnect = match v.reconnect {
        ReconnectMode::Always => "always (after any end)",
        ReconnectMode::Error => "error (after errors only; a clean end is done)",
        ReconnectMode::Never => "never",
    };
    let chosen = if v.reconnect_by_method {
        " — the method's default"
    } else {
        ""
    };
    writeln!(out, "reconnect:       {reconnect}{chosen}")?;
    if let Some(name) = &v.end_event {
        let mut shown = String::new();
        push_escaped(&mut shown, name);
        writeln!(out, "end event:       {shown}")?;
    }
    if let Some(ms) = v.probe_every_ms {
        let every = streamwatch_engine::liveness::words(std::time::Duration::from_millis(ms));
        writeln!(out, "probe:           one run every {every}")?;
    }
    for e in &v.expectations {
        let mut shown = String::new();
        push_escaped(&mut shown, &e.target());
        writeln!(out, "expects schema:  for {shown}")?;
    }
    let proxy = v
        .proxy
        .as_deref()
        .unwrap_or("the environment's (HTTPS_PROXY, …)");
    writeln!(out, "proxy:           {proxy}")?;
    let client = if v.client_certificate {
        "yes (key in the keyring)"
    } else {
        "none"
    };
    writeln!(
        out,
        "tls:             {} extra CA certificate(s); client certificate: {client}",
        v.ca_certificates
    )?;
    writeln!(
        out,
        "keeps:           {} messages, {} days",
        v.keep_rows,
        v.keep_age_ms as f64 / 86_400_000.0
    )?;
    writeln!(out, "created:         {}", v.created_at)?;
    writeln!(out, "updated:         {}", v.updated_at)?;
    let c = &v.counters;
    writeln!(
        out,
        "stored:          {} messages now; {} messages ({} bytes) ever",
        v.messages_stored, c.messages, c.bytes
    )?;
    writeln!(
        out,
        "gaps:            {} ({} events missed)",
        c.gaps, c.missed_events
    )?;
    writeln!(
        out,
        "replayed:        {} events re-sent after a reconnect; {} id resets",
        c.replayed, c.resets
    )?;
    for g in &v.gaps.recent {
        writeln!(
            out,
            "  {}  missed {} after id {} (next {})",
            g.at, g.missed, g.after, g.next
        )?;
    }
    writeln!(out, "transitions:     {}", v.transitions.count)?;
    for t in &v.transitions.recent {
        writeln!(
            out,
            "  {}  {} -> {}  {}",
            t.at,
            t.from,
            t.to,
            escaped(&t.reason)
        )?;
    }
    Ok(())
}

fn escaped(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    push_escaped(&mut s, text);
    s
}

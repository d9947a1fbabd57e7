//! Probes through the CLI: `subs add --probe-every` (checked: 10 s to 7 days), the daemon runs
//! the probe and serves the run histograms and counter, and `runs NAME --json` prints the
//! stored run with its figures and assembled text. Against the demo server's OpenAI-style
//! endpoint.

#![cfg(unix)]

mod common;

use std::time::Duration;

use common::exposition::{self, value};
use common::store::Data;
use streamwatch_demo_server::DemoConfig;
use streamwatch_test_support::start_demo;

const PROMPT: &str = r#"{"model":"gpt-demo","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello probe"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_runs_in_the_daemon_is_measured_and_listed() {
    let server = start_demo(DemoConfig {
        llm_token: Duration::from_millis(5),
        ..DemoConfig::default()
    })
    .await;
    let data = Data::new();
    let url = server.url("/v1/chat/completions");
    let add = |every: &'static str| {
        vec![
            "subs",
            "add",
            "LLM probe",
            &url,
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            PROMPT,
            "--probe-every",
            every,
            "--run-alert-ttft-ms",
            "30000",
            "--run-alert-expect-contains",
            "hello",
        ]
    };
    let refused = data.run(&add("5s")).await;
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("every 10 seconds at the most often")
            && refused.stderr.contains("--probe-every"),
        "{}",
        refused.stderr
    );
    data.ok(&add("10m")).await;
    let shown = data.show("LLM probe").await;
    assert_eq!(shown["probe_every_ms"], 600_000, "{shown:#}");

    let mut run = data.daemon(&["--metrics", "127.0.0.1:0"]);
    let metrics_url = run.metrics_url().await;
    run.until_state("LLM probe", "open").await;
    run.until_state("LLM probe", "stopped").await;
    let text = reqwest::get(&metrics_url)
        .await
        .expect("scrape")
        .text()
        .await
        .expect("a body");
    let families = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let labels = [("subscription", "LLM probe"), ("id", "1")];
    for name in [
        "streamwatch_run_first_token_seconds_count",
        "streamwatch_run_duration_seconds_count",
        "streamwatch_run_ttfb_seconds_count",
    ] {
        assert_eq!(value(&families, name, &labels), Some(1.0), "{name}\n{text}");
    }
    let ok = [("subscription", "LLM probe"), ("id", "1"), ("result", "ok")];
    assert_eq!(
        value(&families, "streamwatch_runs_total", &ok),
        Some(1.0),
        "{text}"
    );
    assert!(
        text.contains(r#"streamwatch_run_duration_seconds_bucket{le="300.0",subscription="LLM probe",id="1"} 1"#),
        "{text}"
    );
    run.terminate().await;

    let listed = data.ok(&["runs", "LLM probe", "--json"]).await;
    let rows: Vec<serde_json::Value> = listed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(rows.len(), 1, "{}", listed.stdout);
    let r = &rows[0];
    assert_eq!(
        (r["ok"].as_bool(), r["probe"].as_bool()),
        (Some(true), Some(true)),
        "{r}"
    );
    assert_eq!(r["status"], 200);
    assert_eq!(r["end"], "done-sentinel");
    assert_eq!(r["sentinel"], "[DONE]");
    assert_eq!(r["format"], "openai-chat");
    assert!(
        r["text"]
            .as_str()
            .is_some_and(|t| t.contains("hello probe")),
        "{r}"
    );
    assert!(
        r["first_token_ms"].is_u64() && r["usage"].is_object(),
        "{r}"
    );
    // Exported as CSV for a spreadsheet: a header, then the same run with its text.
    let csv = data.ok(&["runs", "LLM probe", "--all", "--csv"]).await;
    let mut lines = csv.stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("id,probe,started_at,ended_at,ok,status,ttfb_ms")
            && header.ends_with(",text"),
        "{}",
        csv.stdout
    );
    assert!(csv.stdout.contains(",true,200,"), "{}", csv.stdout);
    assert!(csv.stdout.contains("hello probe"), "{}", csv.stdout);
    let both = data.run(&["runs", "LLM probe", "--json", "--csv"]).await;
    assert_eq!(both.code, Some(2), "{both:#?}");
    let table = data.ok(&["runs", "LLM probe"]).await;
    assert!(table.stdout.starts_with("STARTED"), "{}", table.stdout);
    assert!(
        table.stdout.contains("done-sentinel") && table.stdout.contains(" ok "),
        "{}",
        table.stdout
    );
}

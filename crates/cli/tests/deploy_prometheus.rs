//! deploy/prometheus, deploy/alertmanager and deploy/grafana: promtool accepts the scrape
//! config and the rules, amtool the routing (each alert reaches its severity's receiver), the
//! rules' unit tests pass and cover every rule both ways, and — against a real daemon's real
//! `/metrics` — every metric the rules and the dashboard name is exported, and the rules fed
//! that scrape fire exactly the alert the daemon's state calls for.

// Linux only: Debian's promtool, and the daemon stopped by SIGTERM.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::deploy::{self, promtool_ok};
use common::exposition::{self, Family};
use common::store::Data;
use serde_json::{json, Value};
use streamwatch_demo_server::DemoConfig;
use streamwatch_test_support::start_demo;

#[test]
fn promtool_checks_the_scrape_config_and_the_rules() {
    let dir = deploy::path("prometheus");
    let said = promtool_ok(&dir, &["check", "config", "prometheus.yml"]);
    assert!(said.contains("SUCCESS: 1 rule files found"), "{said}");
    let said = promtool_ok(&dir, &["check", "rules", "streamwatch.rules.yml"]);
    let alerts = alert_names().len();
    assert!(
        said.contains(&format!("SUCCESS: {alerts} rules found")),
        "{said}"
    );
}

#[test]
fn the_rules_unit_tests_pass() {
    let said = promtool_ok(
        &deploy::path("prometheus"),
        &["test", "rules", "streamwatch.rules.test.yml"],
    );
    assert!(said.contains("SUCCESS"), "{said}");
}

/// Every alert's name in the rules file.
fn alert_names() -> Vec<String> {
    let rules = deploy::yaml("prometheus/streamwatch.rules.yml");
    rules["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules").iter())
        .map(|r| r["alert"].as_str().expect("only alerting rules").to_owned())
        .collect()
}

#[test]
fn every_rule_is_tested_firing_and_quiet() {
    let tests = deploy::yaml("prometheus/streamwatch.rules.test.yml");
    let cases: Vec<&Value> = tests["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .flat_map(|t| t["alert_rule_test"].as_array().into_iter().flatten())
        .collect();
    for alert in alert_names() {
        let of_it = || cases.iter().filter(|c| c["alertname"] == alert.as_str());
        let expected = |c: &&&Value| c["exp_alerts"].as_array().map_or(0, Vec::len);
        assert!(
            of_it().any(|c| expected(&c) > 0),
            "{alert}: no test where it fires"
        );
        assert!(
            of_it().any(|c| expected(&c) == 0),
            "{alert}: no test where it stays quiet"
        );
        for case in of_it() {
            for fired in case["exp_alerts"].as_array().into_iter().flatten() {
                let labels = &fired["exp_labels"];
                assert!(
                    labels["severity"].is_string(),
                    "{alert}: expected without a severity label"
                );
                assert!(
                    fired["exp_annotations"]["description"].is_string(),
                    "{alert}: expected without its description"
                );
            }
        }
    }
}

/// Each alert's name and severity.
fn alert_severities() -> Vec<(String, String)> {
    let rules = deploy::yaml("prometheus/streamwatch.rules.yml");
    rules["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules").iter())
        .map(|r| {
            let name = r["alert"].as_str().expect("an alert").to_owned();
            let severity = r["labels"]["severity"]
                .as_str()
                .unwrap_or_else(|| panic!("{name} has no severity"))
                .to_owned();
            (name, severity)
        })
        .collect()
}

#[test]
fn alertmanager_routes_every_alert_by_its_severity() {
    let dir = deploy::path("alertmanager");
    let out = deploy::amtool(&dir, &["check-config", "alertmanager.yml"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("SUCCESS"),
        "amtool check-config:\n{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (alert, severity) in alert_severities() {
        let receiver = match severity.as_str() {
            "critical" => "oncall-pager",
            "warning" => "streams-chat",
            "info" => "streams-log",
            other => panic!("{alert}: severity {other:?} has no route"),
        };
        let out = deploy::amtool(
            &dir,
            &[
                "config",
                "routes",
                "test",
                "--config.file=alertmanager.yml",
                &format!("--verify.receivers={receiver}"),
                &format!("alertname={alert}"),
                &format!("severity={severity}"),
                "instance=sw-0:9464",
                "shard=0",
                "subscription=prices",
            ],
        );
        assert!(
            out.status.success(),
            "{alert} ({severity}) does not reach {receiver}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The `streamwatch_…` metric names in `text`.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("streamwatch_") {
        let word: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let before = rest[..at].chars().next_back();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            names.insert(word.clone());
        }
        rest = &rest[at + word.len()..];
    }
    names
}

/// Every PromQL expression of the dashboard (targets and variables).
fn dashboard_queries(dashboard: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("expr" | "definition", Value::String(s)) => out.push(s.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(dashboard, &mut out);
    out
}

fn dashboard() -> Value {
    serde_json::from_str(&deploy::text("grafana/streamwatch-dashboard.json"))
        .expect("the dashboard is valid JSON")
}

#[test]
fn the_dashboard_takes_its_datasource_as_a_variable_and_its_queries_parse() {
    let dash = dashboard();
    let vars = dash["templating"]["list"].as_array().expect("variables");
    assert!(
        vars.iter().any(|v| v["type"] == "datasource"
            && v["name"] == "datasource"
            && v["query"] == "prometheus"),
        "no Prometheus datasource variable"
    );
    let panels = dash["panels"].as_array().expect("panels");
    let mut titles = Vec::new();
    for p in panels.iter().filter(|p| p["type"] != "row") {
        titles.push(p["title"].as_str().expect("a title").to_owned());
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        for t in p["targets"].as_array().expect("targets") {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        }
    }
    for wanted in [
        "State per subscription",
        "Up per subscription",
        "Message rate",
        "Reconnects",
        "Gaps and missed events",
        "Last message age",
        "Subscriptions per daemon",
        "Message rate per daemon",
    ] {
        assert!(titles.iter().any(|t| t == wanted), "no panel {wanted:?}");
    }
    // No panel may sit on another.
    let mut cells = BTreeSet::new();
    for p in panels {
        let g = &p["gridPos"];
        let n = |k: &str| g[k].as_u64().expect("gridPos");
        assert!(
            n("x") + n("w") <= 24,
            "{} is wider than the grid",
            p["title"]
        );
        for y in n("y")..n("y") + n("h") {
            for x in n("x")..n("x") + n("w") {
                assert!(
                    cells.insert((x, y)),
                    "{} overlaps another panel",
                    p["title"]
                );
            }
        }
    }
    // promtool parses each query as a recording rule, once Grafana's variables are filled in.
    let queries = dashboard_queries(&dash);
    assert!(queries.len() > 20, "{queries:?}");
    let rules: Vec<Value> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let q = q
                .replace("$__rate_interval", "1m")
                .replace("$job", "streamwatch")
                .replace("$instance", ".*")
                .replace("$subscription", ".*");
            // label_values(METRIC, LABEL) is Grafana's, not PromQL: its selector must parse.
            let q = match q.strip_prefix("label_values(") {
                Some(inner) => inner
                    .rsplit_once(',')
                    .expect("label_values(m, l)")
                    .0
                    .to_owned(),
                None => q,
            };
            json!({"record": format!("dashboard:query_{i}"), "expr": q})
        })
        .collect();
    let dir = tempfile::tempdir().expect("a scratch folder");
    let file = dir.path().join("dashboard.rules.json");
    let groups = json!({"groups": [{"name": "dashboard", "rules": rules}]});
    std::fs::write(&file, groups.to_string()).expect("write");
    promtool_ok(dir.path(), &["check", "rules", "dashboard.rules.json"]);
}

/// A PromQL series for `name` with `labels`, quoted as promtool wants it.
fn series(name: &str, labels: &[(String, String)]) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// The scrape as promtool input series: each sample held for half an hour, with the labels a
/// Prometheus scraping `instance` as job "streamwatch", shard 0, would add.
fn input_series(families: &[Family], instance: &str) -> Vec<Value> {
    let target = |mut labels: Vec<(String, String)>| {
        labels.push(("job".into(), "streamwatch".into()));
        labels.push(("instance".into(), instance.into()));
        labels.push(("shard".into(), "0".into()));
        labels
    };
    let mut out = vec![json!({"series": series("up", &target(Vec::new())), "values": "1x30"})];
    for s in families.iter().flat_map(|f| &f.samples) {
        let labels = target(s.labels.clone().into_iter().collect());
        out.push(json!({"series": series(&s.name, &labels), "values": format!("{}x30", s.value)}));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_scrape_has_every_metric_the_rules_and_dashboard_use_and_fires_the_right_alert() {
    let demo = start_demo(DemoConfig {
        heartbeat: None,
        ..DemoConfig::default()
    })
    .await;
    // Shard 0 of the Kubernetes example, pointed at the demo server, plus a stream whose server
    // is gone (a port nobody listens on): it retries, and only it may raise an alert.
    let (_, shard0) = deploy::configmap_files()
        .into_iter()
        .find(|(k, _)| k == "shard-0.json")
        .expect("the ConfigMap has shard-0.json");
    let mut config = deploy::pointed_at(&shard0, &demo.url("/events?rate=20"));
    let healthy: Vec<String> = config["subscriptions"]
        .as_array()
        .expect("subscriptions")
        .iter()
        .map(|s| s["name"].as_str().expect("a name").to_owned())
        .collect();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let gone = format!("http://{}/events", closed.local_addr().expect("addr"));
    drop(closed);
    config["subscriptions"]
        .as_array_mut()
        .expect("subscriptions")
        .push(json!({"name": "gone", "url": gone,
                     "retry": {"initial_ms": 100, "max_ms": 500}}));
    let data = Data::new();
    let file = data.path().join("shard-0.json");
    std::fs::write(&file, config.to_string()).expect("write the config");
    let file = file.display().to_string();
    let mut daemon = data.daemon(&["--config", &file, "--metrics", "127.0.0.1:0"]);
    let url = daemon.metrics_url().await;

    // Scrape until every healthy stream has had a message and the gone one has failed twice.
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let (text, families) = loop {
        let text = client
            .get(&url)
            .send()
            .await
            .expect("the daemon answers")
            .text()
            .await
            .expect("a body");
        let families = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        // Healthy means open, not stale and with a message: a scrape taken during a hiccup of
        // a loaded machine would (rightly) raise more alerts than the one this test expects.
        let ready = healthy.iter().all(|name| {
            let of = |metric| exposition::value(&families, metric, &[("subscription", name)]);
            of("streamwatch_last_message_age_seconds").is_some()
                && of("streamwatch_up") == Some(1.0)
                && of("streamwatch_stale") == Some(0.0)
        }) && exposition::value(
            &families,
            "streamwatch_retry_attempt",
            &[("subscription", "gone")],
        )
        .is_some_and(|n| n >= 2.0);
        if ready {
            break (text, families);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the streams did not settle in time:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    daemon.terminate().await;

    let exported: BTreeSet<String> = families
        .iter()
        .flat_map(|f| f.samples.iter().map(|s| s.name.clone()))
        .collect();
    for (what, used) in [
        (
            "deploy/prometheus/streamwatch.rules.yml",
            metric_names(&deploy::text("prometheus/streamwatch.rules.yml")),
        ),
        (
            "deploy/grafana/streamwatch-dashboard.json",
            metric_names(&dashboard_queries(&dashboard()).join("\n")),
        ),
    ] {
        assert!(used.len() >= 5, "{what}: {used:?}");
        let missing: Vec<&String> = used.difference(&exported).collect();
        assert!(
            missing.is_empty(),
            "{what} uses metrics the daemon does not export: {missing:?}\nscrape:\n{text}"
        );
    }

    // The real series, held for 30 minutes: at 10 minutes the only firing alert is the gone
    // stream being down, with the labels the daemon and Prometheus gave it.
    let instance = url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .to_owned();
    let gone_id = families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| s.name == "streamwatch_up" && s.labels["subscription"] == "gone")
        .map(|s| s.labels["id"].clone())
        .expect("the gone stream has a series");
    let firing = series(
        "ALERTS",
        &[
            ("alertname".into(), "StreamwatchStreamDown".into()),
            ("alertstate".into(), "firing".into()),
            ("severity".into(), "critical".into()),
            ("job".into(), "streamwatch".into()),
            ("instance".into(), instance.clone()),
            ("shard".into(), "0".into()),
            ("subscription".into(), "gone".into()),
            ("id".into(), gone_id),
        ],
    );
    let rules = deploy::path("prometheus/streamwatch.rules.yml");
    let test = json!({
        "rule_files": [rules.display().to_string()],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": input_series(&families, &instance),
            "promql_expr_test": [
                {"expr": "ALERTS{alertstate=\"firing\"}", "eval_time": "10m",
                 "exp_samples": [{"labels": firing, "value": 1}]},
                {"expr": "ALERTS", "eval_time": "3m",
                 "exp_samples": [{"labels": firing.replace("firing", "pending"), "value": 1}]},
            ],
        }],
    });
    let dir = tempfile::tempdir().expect("a scratch folder");
    let file = dir.path().join("real_scrape.test.json");
    std::fs::write(&file, serde_json::to_string_pretty(&test).expect("json")).expect("write");
    let said = promtool_ok(dir.path(), &["test", "rules", "real_scrape.test.json"]);
    assert!(said.contains("SUCCESS"), "{said}");
    // Kept up until the daemon had stopped, so nothing else went down meanwhile.
    drop(demo);
}

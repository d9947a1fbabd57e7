//! deploy/container and deploy/kubernetes: the image runs the daemon as a non-root user with
//! its data in a volume, its ENTRYPOINT is a command line the real daemon starts with, and the
//! Kubernetes manifests fit that image and each other (ports, volumes, the config each shard
//! mounts, labels), with every subscriptions file in the ConfigMap accepted by the real CLI.

// Linux only: a Linux container image, and the daemon stopped by SIGTERM.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::deploy;
use common::store::Data;
use serde_json::Value;
use streamwatch_demo_server::DemoConfig;
use streamwatch_test_support::start_demo;

/// The instructions of the Containerfile's last stage (the image that runs), joined across
/// line continuations.
fn runtime_stage() -> Vec<String> {
    let text = deploy::text("container/Containerfile");
    let mut lines = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && pending.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(line);
                lines.push(std::mem::take(&mut pending));
            }
        }
    }
    let last_from = lines
        .iter()
        .rposition(|l| l.starts_with("FROM "))
        .expect("a FROM");
    lines.split_off(last_from)
}

fn instruction(stage: &[String], name: &str) -> Vec<String> {
    stage
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("{name} ")))
        .map(str::to_owned)
        .collect()
}

/// The one argument after `flag` in `args`.
fn flag<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} in {args:?}"));
    args.get(at + 1).expect("a value after the flag")
}

/// The metrics port the ENTRYPOINT serves on.
fn entrypoint_port() -> u16 {
    let entry = deploy::container_entrypoint();
    let addr: std::net::SocketAddr = flag(&entry, "--metrics").parse().expect("an address");
    assert!(
        addr.ip().is_unspecified(),
        "inside a container the metrics must listen on every interface, not {addr}"
    );
    addr.port()
}

#[test]
fn the_image_runs_the_cli_as_a_non_root_user_with_a_data_volume() {
    let stage = runtime_stage();
    let user = instruction(&stage, "USER");
    assert_eq!(user.len(), 1, "{stage:#?}");
    let uid = user[0].split(':').next().expect("a user");
    assert!(
        uid.parse::<u32>().is_ok_and(|n| n != 0),
        "USER must be a numeric non-root uid (Kubernetes' runAsNonRoot checks it): {uid}"
    );
    assert_eq!(instruction(&stage, "VOLUME"), ["/data"]);
    assert!(
        instruction(&stage, "ENV").contains(&"STREAMWATCH_DATA_DIR=/data".to_owned()),
        "{stage:#?}"
    );
    assert_eq!(
        instruction(&stage, "EXPOSE"),
        [entrypoint_port().to_string()]
    );
    // The binary copied in is the one the ENTRYPOINT runs, built from the CLI's package.
    let entry = deploy::container_entrypoint();
    let copied = instruction(&stage, "COPY --from=build");
    assert!(
        copied
            .iter()
            .any(|c| c.ends_with(&format!(" {}", entry[0]))),
        "{copied:?} does not put {}",
        entry[0]
    );
    let whole = deploy::text("container/Containerfile");
    assert!(
        whole.contains("cargo build --release --locked -p streamwatch-cli --bin streamwatch"),
        "the build stage must build the CLI"
    );
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("the CLI's manifest");
    assert!(manifest.contains("name = \"streamwatch-cli\""));
    assert!(manifest.contains("[[bin]]\nname = \"streamwatch\""));
    assert_eq!(
        std::path::Path::new(env!("CARGO_BIN_EXE_streamwatch")).file_name(),
        std::path::Path::new(&entry[0]).file_name()
    );
}

/// Copies `from` into `to` as a container build would send it: without what the ignore file's
/// patterns (a path from the root, or `**/NAME` anywhere) leave out.
fn copy_context(from: &Path, to: &Path, rel: &Path, ignored: &[String]) {
    for entry in std::fs::read_dir(from.join(rel)).expect("read a folder") {
        let entry = entry.expect("an entry");
        let rel = rel.join(entry.file_name());
        let name = entry.file_name().to_string_lossy().into_owned();
        let skip = ignored.iter().any(|p| match p.strip_prefix("**/") {
            Some(anywhere) => name == anywhere,
            None => Path::new(p) == rel,
        });
        if skip {
            continue;
        }
        let kind = entry.file_type().expect("a file type");
        if kind.is_dir() {
            std::fs::create_dir(to.join(&rel)).expect("mkdir");
            copy_context(from, to, &rel, ignored);
        } else if kind.is_symlink() {
            let target = std::fs::read_link(entry.path()).expect("readlink");
            std::os::unix::fs::symlink(target, to.join(&rel)).expect("symlink");
        } else {
            std::fs::copy(entry.path(), to.join(&rel)).expect("copy");
        }
    }
}

#[test]
fn the_build_context_resolves_the_cli_locked_without_the_desktop_stack() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ignored: Vec<String> = deploy::text("container/Containerfile.dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    for big in ["target", ".git", "**/node_modules"] {
        assert!(
            ignored.iter().any(|p| p == big),
            "{big} is sent to the builder"
        );
    }
    let context = tempfile::tempdir().expect("a scratch folder");
    copy_context(&root, context.path(), Path::new(""), &ignored);
    // What `cargo build --locked -p streamwatch-cli` resolves in the image's build stage, here
    // from the local registry cache: the lock file fits, every path dependency is in the
    // context, and nothing of the desktop app (tauri, WebKitGTK, GTK) needs its libraries.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "-p", "streamwatch-cli", "--locked", "--offline"])
        .args(["-e", "normal,build", "--prefix", "none"])
        .current_dir(context.path())
        .output()
        .expect("cargo runs");
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cargo cannot resolve the CLI in the build context:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tree.contains("streamwatch-engine"), "{tree}");
    for desktop in ["tauri", "webkit2gtk", "gtk", "wry"] {
        assert!(
            !tree
                .lines()
                .any(|l| l.starts_with(&format!("{desktop} "))
                    || l.starts_with(&format!("{desktop}-"))),
            "the CLI's build pulls in {desktop}:\n{tree}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entrypoint_starts_the_daemon_on_a_configmap_file() {
    let demo = start_demo(DemoConfig {
        heartbeat: None,
        ..DemoConfig::default()
    })
    .await;
    let entry = deploy::container_entrypoint();
    let in_image = flag(&entry, "--config").to_owned();
    let data = Data::new();
    // Shard 1's file from the ConfigMap, pointed at the demo server, where the image expects it.
    let (_, shard1) = deploy::configmap_files()
        .into_iter()
        .find(|(k, _)| k == "shard-1.json")
        .expect("the ConfigMap has shard-1.json");
    let config = deploy::pointed_at(&shard1, &demo.url("/events?rate=5"));
    let names: BTreeSet<String> = config["subscriptions"]
        .as_array()
        .expect("subscriptions")
        .iter()
        .map(|s| s["name"].as_str().expect("a name").to_owned())
        .collect();
    let file = data.path().join("subs.json");
    std::fs::write(&file, config.to_string()).expect("write");
    let file = file.display().to_string();
    let args: Vec<String> = entry[1..]
        .iter()
        .map(|a| {
            if *a == in_image {
                file.clone()
            } else if a.ends_with(&format!(":{}", entrypoint_port())) {
                // Any free port on loopback: tests never listen beyond it, nor collide.
                "127.0.0.1:0".to_owned()
            } else {
                a.clone()
            }
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // The data directory comes from STREAMWATCH_DATA_DIR, as the image's ENV gives it.
    let mut daemon = data.daemon_exact(&args);
    let url = daemon.metrics_url().await;
    for name in &names {
        daemon.until_state(name, "open").await;
    }
    let scrape = reqwest::get(&url)
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    assert!(
        scrape.contains(&format!("streamwatch_subscriptions {}", names.len())),
        "{scrape}"
    );
    let ended = tokio::time::timeout(Duration::from_secs(20), daemon.terminate())
        .await
        .expect("the daemon stops in time");
    let added: BTreeSet<String> = ended
        .log
        .iter()
        .filter(|l| l["type"] == "config" && l["change"] == "added")
        .filter_map(|l| l["subscription"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(added, names, "{:#?}", ended.log);
    assert!(
        data.path().join("streamwatch.db").exists(),
        "the database is not in STREAMWATCH_DATA_DIR"
    );
    drop(demo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_configmap_file_is_accepted_as_written() {
    let files = deploy::configmap_files();
    assert!(files.len() >= 2, "{files:?}");
    for (key, text) in files {
        let data = Data::new();
        let file = data.path().join(&key);
        std::fs::write(&file, &text).expect("write");
        // `import` runs the same parser and checks as `run --config`, and connects nowhere.
        data.ok(&["import", &file.display().to_string()]).await;
        let listed: Value =
            serde_json::from_str(&data.ok(&["subs", "list", "--json"]).await.stdout)
                .expect("subs list --json prints JSON");
        let listed: BTreeSet<&str> = listed
            .as_array()
            .expect("a list")
            .iter()
            .map(|s| s["name"].as_str().expect("a name"))
            .collect();
        let declared: Value = serde_json::from_str(&text).expect("JSON");
        let want = declared["subscriptions"].as_array().expect("subscriptions");
        let names: BTreeSet<&str> = want
            .iter()
            .map(|s| s["name"].as_str().expect("a name"))
            .collect();
        assert_eq!(listed, names, "{key}");
        for sub in want {
            let name = &sub["name"];
            assert!(
                sub["headers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .all(|h| h["secret"] != true),
                "{key}: {name} has a secret header, which a container cannot keep (no keyring)"
            );
        }
    }
}

/// Every object in deploy/kubernetes, by file.
fn manifests() -> Vec<(String, Value)> {
    let dir = deploy::path("kubernetes");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("deploy/kubernetes")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .flat_map(|f| {
            deploy::yaml_docs(&format!("kubernetes/{f}"))
                .into_iter()
                .map(move |d| (f.clone(), d))
        })
        .collect()
}

fn labels_match(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .expect("matchLabels")
        .iter()
        .all(|(k, v)| labels[k] == *v)
}

#[test]
fn the_kubernetes_manifests_fit_the_image_and_each_other() {
    let all = manifests();
    let of = |kind: &str| -> Vec<&Value> {
        all.iter()
            .filter(|(_, d)| d["kind"] == kind)
            .map(|(_, d)| d)
            .collect()
    };
    let kustomization = of("Kustomization");
    let listed: BTreeSet<&str> = kustomization[0]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().expect("a file"))
        .collect();
    for (file, doc) in &all {
        let optional = doc["kind"] == "ServiceMonitor" || doc["kind"] == "Kustomization";
        assert!(
            optional || listed.contains(file.as_str()),
            "{file} is not in kustomization.yaml"
        );
        assert!(doc["apiVersion"].is_string(), "{file}: no apiVersion");
        if doc["kind"] != "Kustomization" && doc["kind"] != "Namespace" {
            assert_eq!(doc["metadata"]["namespace"], "streamwatch", "{file}");
        }
    }
    let configmap = of("ConfigMap")[0];
    let claims: BTreeSet<&str> = of("PersistentVolumeClaim")
        .iter()
        .map(|c| c["metadata"]["name"].as_str().expect("a name"))
        .collect();
    let entry = deploy::container_entrypoint();
    let config_in_image = std::path::Path::new(flag(&entry, "--config"));
    let port = entrypoint_port();
    let deployments = of("Deployment");
    assert!(deployments.len() >= 2, "one Deployment per shard");
    let mut keys = BTreeSet::new();
    let mut volumes_used = BTreeSet::new();
    let mut pod_labels = Vec::new();
    for d in &deployments {
        let name = d["metadata"]["name"].as_str().expect("a name");
        let spec = &d["spec"];
        assert_eq!(
            spec["replicas"], 1,
            "{name}: two pods must never share a database"
        );
        assert_eq!(spec["strategy"]["type"], "Recreate", "{name}");
        let pod = &spec["template"]["spec"];
        let labels = &spec["template"]["metadata"]["labels"];
        assert!(
            labels_match(&spec["selector"]["matchLabels"], labels),
            "{name}"
        );
        pod_labels.push(labels.clone());
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        assert!(
            pod["securityContext"]["runAsUser"]
                .as_u64()
                .is_some_and(|u| u != 0),
            "{name}"
        );
        let containers = pod["containers"].as_array().expect("containers");
        assert_eq!(containers.len(), 1, "{name}");
        let c = &containers[0];
        assert!(
            c["command"].is_null() && c["args"].is_null(),
            "{name}: the image's ENTRYPOINT is the command line the tests start"
        );
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true, "{name}");
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
        assert_eq!(
            sc["capabilities"]["drop"],
            serde_json::json!(["ALL"]),
            "{name}"
        );
        assert_eq!(c["ports"][0]["containerPort"], port, "{name}");
        assert_eq!(c["ports"][0]["name"], "metrics", "{name}");
        let env = c["env"].as_array().expect("env");
        assert!(
            env.iter()
                .any(|e| e["name"] == "STREAMWATCH_DATA_DIR" && e["value"] == "/data"),
            "{name}"
        );
        for probe in ["livenessProbe", "readinessProbe"] {
            assert_eq!(c[probe]["httpGet"]["path"], "/metrics", "{name} {probe}");
            assert_eq!(c[probe]["httpGet"]["port"], "metrics", "{name} {probe}");
        }
        let mounts = c["volumeMounts"].as_array().expect("mounts");
        let volumes = pod["volumes"].as_array().expect("volumes");
        let volume = |mount_path: &str| -> &Value {
            let m = mounts
                .iter()
                .find(|m| m["mountPath"] == mount_path)
                .unwrap_or_else(|| panic!("{name}: nothing mounted at {mount_path}"));
            volumes
                .iter()
                .find(|v| v["name"] == m["name"])
                .unwrap_or_else(|| panic!("{name}: no volume {}", m["name"]))
        };
        let data = volume("/data");
        let claim = data["persistentVolumeClaim"]["claimName"]
            .as_str()
            .expect("/data is a PersistentVolumeClaim");
        assert!(claims.contains(claim), "{name}: no claim {claim}");
        assert!(volumes_used.insert(claim.to_owned()), "{claim} shared");
        // The ConfigMap is mounted whole where the ENTRYPOINT reads its --config, holding this
        // shard's key under the file's name.
        let dir = config_in_image
            .parent()
            .expect("a folder")
            .to_str()
            .expect("utf-8");
        let config = volume(dir);
        assert_eq!(
            config["configMap"]["name"], configmap["metadata"]["name"],
            "{name}"
        );
        let items = config["configMap"]["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{name}");
        let file_name = config_in_image.file_name().expect("a file").to_str();
        assert_eq!(items[0]["path"].as_str(), file_name, "{name}");
        let key = items[0]["key"].as_str().expect("a key");
        assert!(
            configmap["data"][key].is_string(),
            "{name}: the ConfigMap has no {key}"
        );
        assert!(keys.insert(key.to_owned()), "{key} used by two shards");
        assert!(volume("/tmp")["emptyDir"].is_object(), "{name}: /tmp");
    }
    // The Service reaches every shard's pod on the metrics port; its name is the job the rules
    // and the scrape config use.
    let service = of("Service")[0];
    for labels in &pod_labels {
        assert!(labels_match(&service["spec"]["selector"], labels));
    }
    assert_eq!(service["spec"]["ports"][0]["port"], port);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "metrics");
    let prometheus = deploy::yaml("prometheus/prometheus.yml");
    assert_eq!(
        prometheus["scrape_configs"][0]["job_name"],
        service["metadata"]["name"]
    );
    assert!(deploy::text("prometheus/streamwatch.rules.yml").contains("job=\"streamwatch\""));
    let monitor = of("ServiceMonitor")[0];
    assert!(labels_match(
        &monitor["spec"]["selector"]["matchLabels"],
        &service["metadata"]["labels"]
    ));
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
    for labels in &pod_labels {
        for copied in monitor["spec"]["podTargetLabels"]
            .as_array()
            .expect("labels")
        {
            let copied = copied.as_str().expect("a label");
            assert!(labels[copied].is_string(), "pods lack the {copied} label");
        }
    }
    // The example scrape config reaches the daemons on the same port.
    for target in prometheus["scrape_configs"][0]["static_configs"]
        .as_array()
        .expect("targets")
        .iter()
        .flat_map(|s| s["targets"].as_array().expect("targets"))
    {
        let target = target.as_str().expect("host:port");
        assert!(target.ends_with(&format!(":{port}")), "{target}");
    }
}

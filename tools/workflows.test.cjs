// What the workflows must keep in step with the rest of the repository.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const YAML = require("yaml");

const root = path.join(__dirname, "..");
const read = (p) => fs.readFileSync(path.join(root, p), "utf8");

test("the release workflow bundles with the Tauri CLI packaging/package.json pins", () => {
  const pinned = JSON.parse(read("packaging/package.json")).devDependencies["@tauri-apps/cli"];
  const release = YAML.parse(read(".github/workflows/release.yml"));
  const step = release.jobs.bundles.steps.find((s) => String(s.uses).startsWith("tauri-apps/tauri-action"));
  assert.ok(step, "a tauri-action step");
  assert.strictEqual(step.with.tauriScript, `npx --yes @tauri-apps/cli@${pinned}`);
});

test("the release workflow makes each platform's bundles and a draft", () => {
  const release = YAML.parse(read(".github/workflows/release.yml"));
  const bundles = Object.fromEntries(
    release.jobs.bundles.strategy.matrix.include.map((m) => [m.os.split("-")[0], m.bundles])
  );
  assert.deepStrictEqual(bundles, {
    windows: "msi,nsis",
    macos: "app,dmg",
    ubuntu: "appimage",
  });
  // The .deb and .rpm are the tested ones: scripts/package.sh, never tauri-action's defaults.
  const linux = release.jobs.bundles.steps.find((s) => String(s.run).includes("bash scripts/package.sh"));
  assert.ok(linux, "a step running scripts/package.sh");
  assert.strictEqual(linux.if, "runner.os == 'Linux'");
  assert.deepStrictEqual(release.on.push.tags, ["v*"]);
  assert.match(release.jobs.draft.steps[0].run, /-F draft=true/);
});

test("CI runs the project's test command on Linux and tests on Windows and macOS", () => {
  const ci = YAML.parse(read(".github/workflows/ci.yml"));
  assert.deepStrictEqual(ci.jobs.test.strategy.matrix.os.map((os) => os.split("-")[0]), [
    "ubuntu",
    "windows",
    "macos",
  ]);
  const runs = ci.jobs.test.steps.filter((s) => s.run).map((s) => s.run);
  assert.ok(runs.includes("bash scripts/dev.sh test"));
  for (const crate of ["engine", "app-api", "cli", "demo-server"]) {
    assert.ok(runs.some((r) => r.includes(`-p streamwatch-${crate}`)), crate);
  }
});

// The workflow linter fails on what actionlint finds and on what shellcheck finds in a bash
// run: step (at the workflow's line), skips PowerShell steps, and passes a clean workflow.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

function lint(yaml) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-test-"));
  const file = path.join(dir, "wf.yml");
  fs.writeFileSync(file, yaml);
  const run = spawnSync(process.execPath, [path.join(__dirname, "actionlint.cjs"), file], {
    encoding: "utf8",
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return { code: run.status, out: run.stdout + run.stderr };
}

test("a clean workflow passes", () => {
  const { code, out } = lint(`on: push
jobs:
  a:
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "\${{ github.sha }}"
`);
  assert.strictEqual(code, 0, out);
  assert.match(out, /0 finding\(s\)/);
});

test("an undefined expression property is actionlint's finding", () => {
  const { code, out } = lint(`on: push
jobs:
  a:
    runs-on: ubuntu-22.04
    steps:
      - run: echo "\${{ matrix.os }}"
`);
  assert.strictEqual(code, 1, out);
  assert.match(out, /wf\.yml:6:\d+: property "os" is not defined/);
});

test("shellcheck's findings in a bash step fail, at the workflow's line", () => {
  const { code, out } = lint(`on: push
jobs:
  a:
    runs-on: ubuntu-22.04
    steps:
      - run: |
          echo ok
          cd somewhere
`);
  assert.strictEqual(code, 1, out);
  assert.match(out, /wf\.yml:8:\d+: shellcheck SC2164/);
});

test("PowerShell steps on Windows are not given to shellcheck", () => {
  const { code, out } = lint(`on: push
jobs:
  a:
    runs-on: windows-latest
    steps:
      - run: cd somewhere
`);
  assert.strictEqual(code, 0, out);
});

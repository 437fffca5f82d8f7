#!/usr/bin/env node
// kms-share: run scenario documents and ask the engine questions from a shell, through the
// WebAssembly build. Same commands, output and exit status as the Rust CLI:
//
//   kms-share run SCENARIO.json [--check]                    the result document; exit 1 if an expect failed
//   kms-share explain SCENARIO.json CALLER ACTION RESOURCE   the decision
//   kms-share matrix SCENARIO.json INSTANCE-ID               the access matrix
//   kms-share --help | --version
//
// `migrate` (a version 1 document in version 2's names) is in the native and Python
// CLIs only: the WebAssembly module leaves the converter out to stay small.
//
// exit status: 0 ok, 1 an expect failed, 2 bad input.
import { readFileSync } from "node:fs";
import { Organization, runScenarioJson } from "kms-share";

const USAGE = `usage:
  kms-share run SCENARIO.json [--check]
  kms-share explain SCENARIO.json CALLER ACTION RESOURCE
  kms-share matrix SCENARIO.json INSTANCE-ID
  kms-share --help | --version

exit status: 0 ok, 1 an expect failed, 2 bad input`;

class Usage extends Error {}

function read(path) {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new Usage(`cannot read \`${path}\`: ${e.message}`);
  }
}

// The engine's error as the Rust CLI prints it: `code: message (rule)`.
function describe(e) {
  if (e instanceof Usage || typeof e?.code !== "string") return e?.message ?? String(e);
  return `${e.code}: ${e.message}${e.rule ? ` (${e.rule})` : ""}`;
}

function organization(path) {
  const text = read(path);
  try {
    return Organization.fromScenario(text).organization;
  } catch (e) {
    throw new Usage(`${path}: ${describe(e)}`);
  }
}

function main(args) {
  const [command, file, ...rest] = args;
  if (args.length === 1 && ["--help", "-h", "help"].includes(command)) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (args.length === 1 && ["--version", "-V"].includes(command)) {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    process.stdout.write(`kms-share ${version}\n`);
    return 0;
  }
  if (command === "migrate") {
    throw new Usage("migrate is in the native `kms-share` and in `python -m kms_share`: this build leaves the converter out");
  }
  if (command === "run" && file && (rest.length === 0 || (rest.length === 1 && rest[0] === "--check"))) {
    const text = read(file);
    let out;
    try {
      out = runScenarioJson(text, rest.length === 1);
    } catch (e) {
      throw new Usage(`${file}: ${describe(e)}`);
    }
    process.stdout.write(out + "\n");
    return JSON.parse(out).passed ? 0 : 1;
  }
  if (command === "explain" && file && rest.length === 3) {
    const [caller, action, resource] = rest;
    const decision = organization(file).explain({ caller, action, resource });
    process.stdout.write(JSON.stringify(decision, null, 2) + "\n");
    return 0;
  }
  if (command === "matrix" && file && rest.length === 1) {
    const matrix = organization(file).accessMatrix(rest[0]);
    process.stdout.write(JSON.stringify(matrix, null, 2) + "\n");
    return 0;
  }
  throw new Usage(USAGE);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`kms-share: ${describe(e)}\n`);
  process.exitCode = 2;
}

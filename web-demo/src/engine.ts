// The engine, as this page uses it: the kms-share npm package's browser build
// (copied to ./pkg by build.mjs). Types come from the package's generated .d.ts.
import init, { Organization } from './pkg/kms_share.js';
import type { RunResult } from './pkg/kms_share.js';

export type { Decision, AccessMatrix, Effect, StepResult, State, RunResult, Step } from './pkg/kms_share.js';
export type Org = Organization;

/** Load and instantiate the WebAssembly module. */
export async function ready(): Promise<void> {
  await init();
}

/** Run a scenario document on a fresh organization. Throws the engine's Error (code, rule). */
export function fromScenario(text: string): { org: Organization; result: RunResult } {
  const r = Organization.fromScenario(text);
  return { org: r.organization, result: r.result };
}

// Builds the simulator into dist/: compiles src/*.ts with tsc, copies the page,
// the default story (tests/scenarios/02-simulator-default-story.json), docs/rules.md and the
// browser build of the wasm package (KMS_SHARE_PKG, default ../bindings-wasm/pkg/web).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const pkg = resolve(here, process.env.KMS_SHARE_PKG ?? '../bindings-wasm/pkg/web');
if (!existsSync(join(pkg, 'kms_share.js'))) {
  console.error(`build: the wasm package is missing at ${pkg} (run \`make wasm-pkg\` first)`);
  process.exit(2);
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(pkg, join(dist, 'pkg'), { recursive: true });
// tsc reads the package's generated types from src/pkg (not committed).
rmSync(join(here, 'src/pkg'), { recursive: true, force: true });
cpSync(pkg, join(here, 'src/pkg'), { recursive: true });
execFileSync(process.execPath, [join(here, 'node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
for (const f of ['index.html', 'style.css']) cpSync(join(here, f), join(dist, f));
cpSync(join(here, '../tests/scenarios/02-simulator-default-story.json'), join(dist, 'default-story.json'));
// The rule ids the page cites, each with what it says (generated from core/src/rules.rs).
cpSync(join(here, '../docs/rules.md'), join(dist, 'rules.md'));
console.log(`build: simulator built in ${dist}`);

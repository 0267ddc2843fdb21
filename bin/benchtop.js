#!/usr/bin/env node
// Entry point installed as `benchtop`. Benchtop's sources are TypeScript run by Node's type
// stripping (Node >= 22.18, or 22.12+ with a flag). On an older Node, re-run this command
// with the Node 24 that the project pins in node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (process.features.typescript) {
  await import(main).then((m) => m.main());
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  const node = existsSync(pinned) ? pinned : process.execPath;
  const flags = existsSync(pinned) ? [] : ['--experimental-strip-types', '--no-warnings=ExperimentalWarning'];
  const result = spawnSync(node, [...flags, main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

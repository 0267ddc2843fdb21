#!/usr/bin/env -S node --expose-gc
// Entry point installed as `benchtop`. Benchtop's sources are TypeScript run by Node's type
// stripping (Node >= 22.18, or 22.12+ with a flag). On an older Node, re-run this file with the
// Node 24 that the project pins in node_modules.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

if (process.features.typescript) {
  // Stripping types and compiling every module on each call is most of a short command's time
  // (`benchtop get` in a loop): Node keeps the result on disk and reuses it while the file is unchanged.
  module.enableCompileCache?.();
  const main = await import('../src/cli/main.ts');
  await main.main();
} else if (process.env._BENCHTOP_REEXECUTED) {
  // Not BENCHTOP_…: those name configuration settings.
  process.stderr.write(`benchtop: ${process.execPath} (Node ${process.version}) cannot run TypeScript\n`);
  process.exit(1);
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  const node = existsSync(pinned) ? pinned : process.execPath;
  const flags = [
    // The server frees its start-up garbage with gc() once it is up (src/app/startup-memory.ts).
    '--expose-gc',
    ...(existsSync(pinned) ? [] : ['--experimental-strip-types', '--no-warnings=ExperimentalWarning']),
  ];
  const child = spawn(node, [...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, _BENCHTOP_REEXECUTED: '1' },
  });
  // Ctrl-C reaches both processes (the terminal signals the whole group): this one waits for the
  // child to stop gracefully (a run closes its files) instead of dying first and hiding it. A
  // SIGTERM sent to this process alone (kill, systemd) is passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { serverConfig, simulatorConfig } from '../lib/bench-configs.ts';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { startBenchtop, startSimulators } from '../lib/benchtop-process.ts';
import { nodeBin, repoRoot } from '../lib/child-process.ts';
import { waitAllReady } from '../lib/fanout-rig.ts';
import { makeResult } from '../lib/results.ts';
import { alternate, type Contender } from '../lib/rounds.ts';
import { median } from '../lib/stats.ts';

const BIN = `${repoRoot}bin/benchtop.js`;
const NODE = 'node -e 0';

/** Wall time of one process, spawn to exit, in ms; fails with its stderr unless it exits 0. */
function wallMs(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`${[command, ...args].join(' ')} exited ${code}: ${stderr.slice(-500)}`));
    });
  });
}

/**
 * A Node on the PATH outside the project that cannot run TypeScript (Debian's Node 20, say), so
 * `benchtop` re-executes itself with the pinned Node: the cost a user pays who has not put
 * node_modules/.bin first. Null when there is none.
 */
function systemNodeWithoutTypescript(): string | null {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['-p', 'Boolean(process.features.typescript)'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === 'false') return candidate;
  }
  return null;
}

/**
 * 8. Command-line start-up, as users script it (`caget` style, one process per call):
 * `benchtop --version`, `benchtop get dmm.voltage` and `benchtop set dmm.range V` against a
 * running server (its DMM simulated over real TCP in another process), each a fresh process of
 * bin/benchtop.js on the pinned Node, beside a bare `node -e 0` in the same rounds. Each round
 * times `calls` invocations of every contender (after one untimed call, which also fills Node's
 * compile cache) and keeps their median; the rows give the median and spread of the rounds.
 */
export const cliStartupBenchmark: Benchmark = {
  name: 'cli',
  title: 'Command-line start-up: benchtop --version, get, set vs node -e 0',
  async run(ctx) {
    const calls = pick(ctx, { quick: 5, full: 20 });
    const sim = await startSimulators({ name: 'cli', config: simulatorConfig(['dmm']) });
    try {
      const server = await startBenchtop({
        name: 'cli',
        config: serverConfig({ ports: sim.ports, dmmPollMs: 1000 }),
      });
      try {
        await waitAllReady(server.url, 30_000);
        const { BENCHTOP_CONFIG: _config, NODE_DISABLE_COMPILE_CACHE: _off, ...base } = process.env;
        const env = { ...base, BENCHTOP_URL: server.url };
        const systemNode = systemNodeWithoutTypescript();
        const timed = (
          name: string,
          command: string,
          args: (call: number) => string[],
          extraEnv: NodeJS.ProcessEnv = {},
          unavailable: string | null = null,
        ): Contender => ({
          name,
          unavailable,
          async run() {
            const e = { ...env, ...extraEnv };
            await wallMs(command, args(-1), e);
            const times: number[] = [];
            for (let call = 0; call < calls; call++) times.push(await wallMs(command, args(call), e));
            return median(times);
          },
        });
        const outcome = await alternate(
          ctx.rounds,
          [
            timed(NODE, nodeBin, () => ['-e', '0']),
            timed('version', nodeBin, () => [BIN, '--version']),
            timed('version-no-cache', nodeBin, () => [BIN, '--version'], { NODE_DISABLE_COMPILE_CACHE: '1' }),
            timed('get', nodeBin, () => [BIN, 'get', 'dmm.voltage']),
            // Alternate the value so that every call changes the range on the instrument.
            timed('set', nodeBin, (call) => [BIN, 'set', 'dmm.range', call % 2 === 0 ? '10' : '100']),
            timed(
              'version-reexec',
              systemNode ?? 'node',
              () => [BIN, '--version'],
              {},
              systemNode ? null : 'no Node without TypeScript support outside the project here',
            ),
          ],
          ctx.log,
        );
        const anchors = { [NODE]: outcome[NODE]! };
        const note = `${ctx.rounds} rounds × ${calls} calls each (after one untimed call), median per round; wall time from spawn to exit`;
        return [
          makeResult({
            benchmark: 'cli',
            metric: 'benchtop --version, wall time',
            unit: 'ms',
            ours: outcome.version!,
            anchors,
            targets: [{ kind: 'ratio-at-most', anchor: NODE, ratio: 3 }],
            notes: [
              note,
              'bin/benchtop.js on the pinned Node, as `npx benchtop` runs it; compile cache warm',
            ],
          }),
          makeResult({
            benchmark: 'cli',
            metric: 'benchtop --version without the compile cache (NODE_DISABLE_COMPILE_CACHE=1)',
            unit: 'ms',
            ours: outcome['version-no-cache']!,
            anchors,
            notes: ['what the first call after an install or an upgrade costs'],
          }),
          makeResult({
            benchmark: 'cli',
            metric: 'benchtop get dmm.voltage, wall time',
            unit: 'ms',
            ours: outcome.get!,
            anchors,
            targets: [{ kind: 'at-most', value: 250 }],
            notes: [note, 'includes the request: server → actor → SCPI query over TCP → reply'],
          }),
          makeResult({
            benchmark: 'cli',
            metric: 'benchtop set dmm.range V, wall time',
            unit: 'ms',
            ours: outcome.set!,
            anchors,
            targets: [{ kind: 'at-most', value: 250 }],
            notes: [note, 'GET the description, PUT with wait: write, SYST:ERR? check and read back'],
          }),
          makeResult({
            benchmark: 'cli',
            metric: 'benchtop --version on a Node without TypeScript (re-exec with the pinned Node)',
            unit: 'ms',
            ours: outcome['version-reexec']!,
            anchors,
            notes: [systemNode ? `${systemNode} bin/benchtop.js --version` : 'not measured'],
          }),
        ];
      } finally {
        await server.stop();
      }
    } finally {
      await sim.stop();
    }
  },
};

/**
 * Benchtop's benchmarks, side by side with the anchors (issue 7).
 *
 *   npm run bench                      every benchmark, the durations
 *   npm run bench -- scpi fanout       some of them
 *   npm run bench -- --quick           short durations: a smoke run, figures indicative only
 *   npm run bench -- --rounds 7        rounds for the alternating ours/anchor benchmarks
 *   npm run bench -- --profile fanout  also write --cpu-prof profiles of the measured processes
 *                                      under bench/results/profiles/ and print their top functions
 *
 * Prints a table and writes bench/results/latest.json ({machine, versions, results}).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchmarks } from './benchmarks/index.ts';
import type { BenchContext } from './lib/benchmark.ts';
import { summarizeProfiles } from './lib/cpu-profile.ts';
import { machine, versions } from './lib/machine.ts';
import { type BenchResult, makeResult, type ResultsFile, resultsFileProblems } from './lib/results.ts';
import { resultsTable } from './lib/table.ts';

const resultsDir = new URL('./results/', import.meta.url).pathname;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string', default: join(resultsDir, 'latest.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    `usage: npm run bench -- [--quick] [--rounds N] [--profile] [${benchmarks.map((b) => b.name).join('|')} …]`,
  );
  process.exit(0);
}

const unknown = positionals.filter((p) => !benchmarks.some((b) => b.name === p));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}
const selected =
  positionals.length === 0 ? benchmarks : benchmarks.filter((b) => positionals.includes(b.name));
const rounds = values.rounds ? Number(values.rounds) : values.quick ? 2 : 5;
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`--rounds must be a whole number ≥ 1; got ${values.rounds}`);
  process.exit(2);
}

const profileDir = join(resultsDir, 'profiles');
if (values.profile) {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
}
const started = Date.now();
const log = (message: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${message}\n`);
const ctx: BenchContext = {
  quick: values.quick,
  rounds,
  nodeArgs: (label) => (values.profile ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, label)] : []),
  log,
};

const runMachine = {
  ...machine(),
  run: {
    started_at: new Date(started).toISOString(),
    quick: values.quick,
    rounds,
    benchmarks: selected.map((b) => b.name),
  },
};
const runVersions = await versions();
const results: BenchResult[] = [];
for (const benchmark of selected) {
  log(`${benchmark.name}: ${benchmark.title}`);
  const loadBefore = loadavg()[0]!;
  try {
    const rows = await benchmark.run(ctx);
    // A busy machine (other jobs) slows every figure: say how busy it was, next to the figure.
    const load = `1-min load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (${availableParallelism()} cores)`;
    for (const row of rows) row.notes = [...(row.notes ?? []), load];
    results.push(...rows);
    for (const row of rows)
      log(`  ${row.metric}: ${row.ours} ${row.unit}${row.met === false ? ' (target missed)' : ''}`);
  } catch (error) {
    const message = (error as Error).stack ?? String(error);
    log(`${benchmark.name} failed: ${message}`);
    results.push(
      makeResult({
        benchmark: benchmark.name,
        metric: benchmark.title,
        unit: '',
        ours: { missing: `the benchmark failed: ${(error as Error).message.split('\n')[0]}` },
      }),
    );
  }
}

const file: ResultsFile = { machine: runMachine, versions: runVersions, results };
const problems = resultsFileProblems(file);
if (problems.length > 0) throw new Error(`results file has the wrong shape: ${problems.join('; ')}`);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(values.out, `${JSON.stringify(file, null, 2)}\n`);
console.log(resultsTable(results));
console.log(`\nwritten to ${values.out} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
if (values.profile) {
  for (const label of readdirSync(profileDir)) {
    console.log(`\nCPU profile ${label}: top functions by self time`);
    console.log(summarizeProfiles(join(profileDir, label)));
  }
}

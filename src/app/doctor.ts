import { constants, readFileSync } from 'node:fs';
import { access, mkdir, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import { toBenchtopError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { ProcessMap, recipeProblems, validRecipe } from '../engine/recipes/recipe-check.ts';
import { parseRecipeText } from '../engine/recipes/recipe-model.ts';
import { openTimeSeriesStore } from '../storage/timeseries/open-timeseries-store.ts';
import { Benchtop } from './benchtop.ts';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  message: string;
  /** What to do about it, for a failed check. */
  fix?: string;
}

const MIN_FREE_BYTES = 1024 ** 3;

/**
 * `benchtop doctor`: everything Benchtop needs, checked the way `start` would use it — each
 * directory (created if missing, writable, free space), each database (opened and queried),
 * each enabled instrument (started and given `timeoutMs` to become ready; in simulation mode
 * against its simulator on a free port, so a running server is not disturbed), and the
 * `[process]` map and stored recipes against the instruments' signals.
 */
export async function runDoctor(
  loaded: LoadedConfig,
  logger: Logger,
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const { config } = loaded;
  const checks: DoctorCheck[] = [];
  const directories: [string, string][] = [
    ['storage.output_dir', config.storage.output_dir],
    ['backup.dir', config.backup.dir],
  ];
  if (config.logging.file) directories.push(['logging.file', dirname(config.logging.file)]);
  for (const [setting, dir] of directories) checks.push(await checkDirectory(setting, dir));
  if (!checks.every((c) => c.ok)) return checks;

  try {
    const store = await openTimeSeriesStore(config.storage);
    await store.query({ signals: ['__doctor__'], from: 0, to: 1, buckets: 1 });
    await store.close();
    checks.push({ name: `database: parameter log (${store.kind})`, ok: true, message: 'opens and answers' });
  } catch (error) {
    const e = toBenchtopError(error);
    checks.push({
      name: 'database: parameter log',
      ok: false,
      message: e.message,
      fix: config.storage.postgres
        ? 'check [storage.postgres] url (host, port, user, password, database) and that PostgreSQL is running and reachable'
        : `check that ${config.storage.output_dir} is writable and not on a full disk`,
    });
  }

  // Simulators on free ports: a server already running keeps its own.
  for (const id of Object.keys(config.simulation.ports)) config.simulation.ports[id] = 0;
  let benchtop: Benchtop;
  try {
    benchtop = new Benchtop(loaded, logger);
    checks.push({ name: 'databases: catalog, recipes, alarms, security', ok: true, message: 'open' });
  } catch (error) {
    const e = toBenchtopError(error);
    checks.push({
      name: 'databases: catalog, recipes, alarms, security',
      ok: false,
      message: e.message,
      fix: `a database in ${config.storage.output_dir} cannot be opened: check its permissions, or restore it (benchtop backup restore)`,
    });
    return checks;
  }
  const lastError = new Map<string, string>();
  benchtop.bus.on('actor.state', (c) => {
    if (c.error) lastError.set(c.id, c.error.message);
  });
  try {
    await benchtop.startAcquisition();
    await waitReady(benchtop, timeoutMs);
    const started = new Map(benchtop.instruments.list().map((i) => [i.id, i]));
    for (const entry of config.instruments.filter((e) => e.enabled)) {
      const instrument = started.get(entry.id);
      const name = `instrument ${entry.id} (${entry.type})`;
      if (!instrument) {
        checks.push({
          name,
          ok: false,
          message: `no driver for type ${entry.type}`,
          fix: 'fix [[instruments]] type (see the README instrument table)',
        });
      } else if (instrument.state === 'ready') {
        const identity = instrument.identity?.model ?? instrument.identity?.raw ?? '';
        checks.push({ name, ok: true, message: `ready${identity ? `: ${identity}` : ''}` });
      } else {
        const why = instrument.status().lastError?.message ?? lastError.get(entry.id) ?? 'no answer';
        checks.push({
          name,
          ok: false,
          message: `${instrument.state} after ${timeoutMs / 1000} s: ${why}`,
          fix: config.simulation.enabled
            ? 'its simulator did not answer: check the instrument config (benchtop validate-config)'
            : 'is it powered, cabled and reachable at the configured host/port or serial port? A serial port held by a running Benchtop is busy',
        });
      }
    }
    checks.push(...processChecks(benchtop));
  } finally {
    await benchtop.stop();
  }
  return checks;
}

async function checkDirectory(setting: string, dir: string): Promise<DoctorCheck> {
  const name = `directory ${setting} (${resolve(dir)})`;
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    return {
      name,
      ok: false,
      message: (error as Error).message,
      fix: `create it and give the user running Benchtop write access (chown), or change ${setting}`,
    };
  }
  const s = await statfs(dir);
  const free = Number(s.bavail) * Number(s.bsize);
  if (free < MIN_FREE_BYTES) {
    return {
      name,
      ok: false,
      message: `only ${(free / 1024 ** 2).toFixed(0)} MiB free`,
      fix: 'free space (retention settings, old backups) or move it to a larger disk',
    };
  }
  return { name, ok: true, message: `writable, ${(free / 1024 ** 3).toFixed(1)} GiB free` };
}

/** The `[process]` map's signals and the stored recipes against the instruments now ready. */
function processChecks(benchtop: Benchtop): DoctorCheck[] {
  const process = benchtop.config.process;
  if (Object.keys(process.valves).length === 0) return [];
  const devices = benchtop.engine.devices();
  const map = new ProcessMap(process);
  const missing = [
    ...Object.values(process.valves).flatMap((v) => [v.signal, v.feedback, v.interlock]),
    ...Object.values(process.gases).map((g) => g.flow_signal),
    ...Object.values(process.parameters),
    ...process.sample_signals,
  ].filter((p): p is string => typeof p === 'string' && devices.signal(p) === undefined);
  const checks: DoctorCheck[] = [
    missing.length === 0
      ? { name: '[process] map', ok: true, message: 'every signal exists' }
      : {
          name: '[process] map',
          ok: false,
          message: `no such signal: ${[...new Set(missing)].join(', ')}`,
          fix: 'fix [process] (or the point table: a point is a signal named instrument.point)',
        },
  ];
  const base = benchtop.loaded.file ? dirname(benchtop.loaded.file) : '.';
  for (const file of process.recipes) {
    const name = `recipe file ${file}`;
    try {
      validRecipe(parseRecipeText(readFileSync(resolve(base, file), 'utf8')), map, devices);
      checks.push({ name, ok: true, message: 'valid' });
    } catch (error) {
      checks.push({
        name,
        ok: false,
        message: toBenchtopError(error).message,
        fix: 'fix the file ([process] recipes paths are relative to the configuration file)',
      });
    }
  }
  for (const info of benchtop.recipes.list()) {
    const problems = recipeProblems(benchtop.recipes.get(info.name).recipe, map, devices);
    checks.push(
      problems.length === 0
        ? { name: `recipe ${info.name} v${info.version}`, ok: true, message: 'valid' }
        : {
            name: `recipe ${info.name} v${info.version}`,
            ok: false,
            message: problems.map((p) => `${p.path}: ${p.message}`).join('; '),
            fix: 'save a corrected version (benchtop recipe run FILE, or PUT /api/v1/recipes/NAME)',
          },
    );
  }
  return checks;
}

function waitReady(benchtop: Benchtop, timeoutMs: number): Promise<void> {
  const allReady = () => benchtop.instruments.list().every((i) => i.state === 'ready');
  if (allReady()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const off = benchtop.bus.on('actor.state', () => {
      if (allReady()) done();
    });
    function done() {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}

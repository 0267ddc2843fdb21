import { isAbsolute, join } from 'node:path';
import type { Benchtop } from '../../app/benchtop.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { BenchtopError } from '../../core/errors.ts';
import { createLogger, prettyDestination } from '../../core/logger.ts';
import type { RunInfo } from '../../engine/run-engine.ts';
import type { ApiClient } from '../client/api-client.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';
import { ProgressBar } from './run-progress-bar.ts';
import { type RunView, runView, showRun } from './run-view.ts';

export interface RunRequest {
  plan: string;
  args: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface RunIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
  json: boolean;
}

/** Exit code for a finished run: 0 only for success. */
export function exitCodeOf(view: RunView): number {
  return view.status === 'success' ? 0 : 1;
}

/**
 * `benchtop run --local`: builds Benchtop from the configuration like `start` does, but without
 * the server; waits for the plan's instruments, runs the plan with a progress bar, prints the
 * run and its files. Ctrl-C aborts the run (its data is kept); a second Ctrl-C exits at once.
 */
export async function runLocal(
  request: RunRequest,
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  io: RunIo,
): Promise<number> {
  const loaded = loadBenchtopConfig({
    file: resolveConfigFile(flags.config, env),
    env,
    flags: flagOverrides(flags),
  });
  const logger = createLogger({
    level: flags.logLevel ?? 'warn',
    format: 'pretty',
    destination: prettyDestination({
      destination: 2,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    }),
  });
  // Loaded here: a run on the server (the usual case) needs none of Benchtop's own machinery.
  const { Benchtop } = await import('../../app/benchtop.ts');
  const benchtop = new Benchtop(loaded, logger);
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    // Before the run starts there is nothing to keep; during it, abort so its files close properly.
    if (interrupts > 1 || !benchtop.engine.current()) process.exit(130);
    benchtop.engine.abort('interrupted from the command line');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await benchtop.startAcquisition();
    const engine = benchtop.engine;
    const { devices } = engine.plans.validate(request.plan, request.args, engine.devices());
    await waitForInstruments(benchtop, devices, loaded.config.actors.spawn_timeout_ms);
    const bar = new ProgressBar(io.err, request.plan);
    const { uid } = engine.submit(request.plan, request.args, request.metadata);
    const offProgress = benchtop.bus.on('run.progress', (p) => {
      if (p.uid === uid) bar.update({ ...p, suspension: runView(engine.get(uid) ?? {}).suspension });
    });
    const offWarning = benchtop.bus.on('run.warning', (w) => {
      if (w.uid === uid) bar.note(`warning: ${w.message}`);
    });
    const info = await engine.whenFinished(uid);
    offProgress();
    offWarning();
    bar.finish();
    const view = runView(withAbsoluteFiles(info, loaded.config.storage.output_dir));
    io.out.write(io.json ? `${JSON.stringify(view, null, 2)}\n` : showRun(view));
    return exitCodeOf(view);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await benchtop.stop();
    logger.flush?.();
  }
}

/**
 * `benchtop run` against a server: POST /api/v1/runs, then GET /api/v1/runs/{uid} until the run
 * has finished, drawing the progress bar. Ctrl-C stops following; the run goes on on the server.
 */
export async function runRemote(
  client: ApiClient,
  request: RunRequest,
  io: RunIo,
  pollMs = 500,
): Promise<number> {
  const created = await client.request<{ uid?: string; run?: { uid?: string } }>(
    'POST',
    '/api/v1/runs',
    request,
  );
  const uid = created.uid ?? created.run?.uid;
  if (!uid)
    throw new BenchtopError('INTERNAL', 'the server accepted the run but returned no uid', { created });
  io.err.write(`run ${uid} submitted to ${client.options.url}\n`);
  const bar = new ProgressBar(io.err, request.plan);
  let following = true;
  const stopFollowing = () => {
    following = false;
  };
  process.once('SIGINT', stopFollowing);
  try {
    const seen = new Set<string>();
    for (;;) {
      const view = runView(await client.request<unknown>('GET', `/api/v1/runs/${encodeURIComponent(uid)}`));
      for (const w of view.warnings) {
        if (!seen.has(w)) bar.note(`warning: ${w}`);
        seen.add(w);
      }
      if (view.finished) {
        bar.finish();
        io.out.write(io.json ? `${JSON.stringify(view, null, 2)}\n` : showRun(view));
        return exitCodeOf(view);
      }
      bar.update({ ...view.progress, state: view.state, suspension: view.suspension });
      if (!following) {
        bar.finish();
        io.err.write(`stopped following run ${uid}; it goes on on the server (benchtop runs show ${uid})\n`);
        return 130;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    process.off('SIGINT', stopFollowing);
  }
}

/** Waits until every instrument the plan uses is connected, or fails naming the ones that are not. */
async function waitForInstruments(benchtop: Benchtop, devices: string[], timeoutMs: number): Promise<void> {
  const ids = [...new Set(devices.map((d) => d.split('.')[0]!))];
  const notReady = () => ids.filter((id) => benchtop.instruments.get(id).state !== 'ready');
  if (notReady().length === 0) return;
  const ready = new Promise<void>((resolve) => {
    const off = benchtop.bus.on('actor.state', () => {
      if (notReady().length > 0) return;
      off();
      resolve();
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([ready, timeout]);
  clearTimeout(timer);
  if (outcome !== 'timeout') return;
  const lines = notReady().map((id) => {
    const status = benchtop.instruments.get(id).status();
    return `${id} is ${status.state}${status.lastError ? `: ${status.lastError.message}` : ''}`;
  });
  throw new BenchtopError(
    'INSTRUMENT_UNAVAILABLE',
    `instruments not ready after ${timeoutMs} ms: ${lines.join('; ')}`,
    {
      instruments: notReady(),
    },
  );
}

function withAbsoluteFiles(info: RunInfo, outputDir: string): RunInfo {
  return { ...info, files: info.files.map((f) => (isAbsolute(f) ? f : join(outputDir, f))) };
}

import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { instrumentsUnchecked } from '../../config/instrument-schemas.ts';
import { loadConfig } from '../../config/load.ts';
import { BenchtopError } from '../../core/errors.ts';
import { CATALOG_FILE, RunCatalog } from '../../storage/catalog/run-catalog.ts';
import type { RunStatus } from '../../storage/catalog/run-record.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';
import { serverOrLocal, type TargetFlags } from '../server-or-local.ts';
import { type RunView, runView, showRun, showRunTable } from './run-view.ts';

export interface RunsListFilter {
  plan?: string;
  status?: string;
  /** ISO date/time, or an age: `30m`, `12h`, `7d`. */
  since?: string;
  limit?: string;
}

/** `--since 2026-01-01T00:00Z` or `--since 2h` → seconds since the epoch. */
export function parseSince(text: string, nowMs: number): number {
  const age = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (age) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return nowMs / 1000 - Number(age[1]) * unit;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `--since "${text}" is neither a date (2026-01-31T08:00Z) nor an age (2h, 7d)`,
      {
        since: text,
      },
    );
  }
  return ms / 1000;
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new BenchtopError('VALIDATION_FAILED', `--limit must be a whole number ≥ 1; got "${text}"`, {
      limit: text,
    });
  }
  return limit;
}

/** The catalog of the configured `output_dir`, opened for the length of `use`. */
export async function withLocalCatalog<T>(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  use: (catalog: RunCatalog, outputDir: string) => Promise<T> | T,
): Promise<T> {
  // Only the storage settings matter here: instruments are not checked (no driver code loaded).
  const { config } = loadConfig({
    instrumentSchemas: instrumentsUnchecked,
    file: resolveConfigFile(flags.config, env),
    env,
    flags: flagOverrides(flags),
  });
  const outputDir = config.storage.output_dir;
  // Reading must not leave an empty catalog (and a data directory) wherever the command was typed.
  if (!existsSync(join(outputDir, CATALOG_FILE))) {
    throw new BenchtopError(
      'NOT_FOUND',
      `no run catalog in ${outputDir} (storage.output_dir): no run was recorded there`,
      { outputDir },
    );
  }
  const catalog = RunCatalog.inOutputDir(outputDir);
  try {
    return await use(catalog, outputDir);
  } finally {
    catalog.close();
  }
}

export function listLocalRuns(catalog: RunCatalog, filter: RunsListFilter, nowMs = Date.now()): RunView[] {
  const limit = parseLimit(filter.limit);
  return catalog
    .search({
      ...(filter.plan ? { plan: filter.plan } : {}),
      ...(filter.status ? { status: filter.status.split(',') as RunStatus[] } : {}),
      ...(filter.since ? { since: parseSince(filter.since, nowMs) } : {}),
      ...(limit !== undefined ? { limit } : {}),
    })
    .map((record) => runView(record));
}

export function showLocalRun(catalog: RunCatalog, outputDir: string, uid: string): RunView {
  const record = catalog.get(uid);
  if (!record) throw new BenchtopError('RUN_NOT_FOUND', `no run ${uid} in ${catalog.path}`, { uid });
  const view = runView(record);
  return { ...view, files: view.files.map((f) => (isAbsolute(f) ? f : join(outputDir, f))) };
}

export async function listRemoteRuns(
  client: ApiClient,
  filter: RunsListFilter,
  nowMs = Date.now(),
): Promise<RunView[]> {
  const query = new URLSearchParams();
  if (filter.plan) query.set('plan', filter.plan);
  if (filter.status) query.set('status', filter.status);
  if (filter.since) query.set('since', String(parseSince(filter.since, nowMs)));
  const limit = parseLimit(filter.limit);
  if (limit !== undefined) query.set('limit', String(limit));
  const body = await client.request<unknown>('GET', `/api/v1/runs${query.size > 0 ? `?${query}` : ''}`);
  if (Array.isArray(body)) return body.map(runView);
  // The server lists queued and running runs under `live`, catalog entries under `runs`.
  const { live = [], runs = [] } = body as { live?: unknown[]; runs?: unknown[] };
  const views = [...live, ...runs].map(runView);
  return views.filter((v, i) => views.findIndex((w) => w.uid === v.uid) === i);
}

export async function showRemoteRun(client: ApiClient, uid: string): Promise<RunView> {
  return runView(await client.request<unknown>('GET', `/api/v1/runs/${encodeURIComponent(uid)}`));
}

export function printRuns(views: RunView[], json: boolean, out: NodeJS.WritableStream): void {
  out.write(json ? `${JSON.stringify(views, null, 2)}\n` : showRunTable(views));
}

export function printRun(view: RunView, json: boolean, out: NodeJS.WritableStream): void {
  out.write(json ? `${JSON.stringify(view, null, 2)}\n` : showRun(view));
}

type RunsFlags = ConfigFlags & TargetFlags & { json?: boolean };

/** `benchtop runs list`: the server's catalog, or the local one (--local, or no server answers). */
export async function runsListAction(inv: Invocation<RunsFlags & RunsListFilter, unknown>): Promise<void> {
  const views = await serverOrLocal(inv.options, inv.env, inv.err, {
    server: (client) => listRemoteRuns(client, inv.options),
    local: () => withLocalCatalog(inv.options, inv.env, (catalog) => listLocalRuns(catalog, inv.options)),
  });
  printRuns(views, inv.options.json === true, inv.out);
}

/** `benchtop runs show <uid>` */
export async function runsShowAction(inv: Invocation<RunsFlags, { uid: string }>): Promise<void> {
  const { uid } = inv.args;
  const view = await serverOrLocal(inv.options, inv.env, inv.err, {
    server: (client) => showRemoteRun(client, uid),
    local: () =>
      withLocalCatalog(inv.options, inv.env, (catalog, outputDir) => showLocalRun(catalog, outputDir, uid)),
  });
  printRun(view, inv.options.json === true, inv.out);
}

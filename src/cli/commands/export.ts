import { copyFile, mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { BenchtopError, toBenchtopError } from '../../core/errors.ts';
import { parseAgentFileName } from '../../distributed/remote-frames.ts';
import { openArrowRun } from '../../storage/arrow/arrow-run-reader.ts';
import type { RunCatalog } from '../../storage/catalog/run-catalog.ts';
import type { RunRecord } from '../../storage/catalog/run-record.ts';
import { type EXPORT_FORMATS, exportRun } from '../../storage/export/export-run.ts';
import { openHdf5Run } from '../../storage/export/hdf5-run-reader.ts';
import { openRunDataReader, type RunDataReaderFactory } from '../../storage/export/run-data-reader.ts';
import { FRAMES_FILE_SUFFIX } from '../../storage/hdf5/run-file-layout.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';
import type { ConfigFlags } from '../config-source.ts';
import { serverOrLocal, type TargetFlags } from '../server-or-local.ts';
import { downloadRunFile } from './run-file-download.ts';
import { ProgressBar } from './run-progress-bar.ts';
import { withLocalCatalog } from './runs.ts';

export { CLI_EXPORT_FORMATS } from '../../storage/export/export-formats.ts';

import { CLI_EXPORT_FORMATS } from '../../storage/export/export-formats.ts';
export type CliExportFormat = (typeof CLI_EXPORT_FORMATS)[number];

/** Readers by the format a run was stored in; export converts from these. */
const READERS: Record<string, RunDataReaderFactory> = { arrow: openArrowRun, hdf5: openHdf5Run };

export interface ExportIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/** What export needs to know about a run, from the local catalog or the server's. */
type ExportableRun = Pick<RunRecord, 'uid' | 'status' | 'format' | 'files' | 'files_deleted_at'>;

/**
 * `benchtop export <uid> --format … --out DIR`: each stream of the run becomes
 * `DIR/<stream>.<format>`, with a progress bar in rows. `hdf5` copies the run's HDF5 file
 * (HDF5 is a storage format, not a conversion target).
 */
export async function exportCommand(
  catalog: RunCatalog,
  outputDir: string,
  uid: string,
  format: string,
  out: string,
  io: ExportIo,
): Promise<string[]> {
  checkFormat(format);
  const run = catalog.get(uid);
  if (!run) throw new BenchtopError('RUN_NOT_FOUND', `no run ${uid} in ${catalog.path}`, { uid });
  checkExportable(run, format);
  refuseAgentFiles(run);
  const destDir = resolve(out);
  if (format === 'hdf5') {
    const written: string[] = [];
    await mkdir(destDir, { recursive: true });
    for (const file of hdf5Files(run)) {
      const target = join(destDir, basename(file));
      await copyFile(join(outputDir, file), target);
      written.push(target);
    }
    for (const f of written) io.out.write(`${f}\n`);
    return written;
  }
  return convert(run, outputDir, format, destDir, io);
}

/**
 * `benchtop export <uid>` against a server: downloads the run's files from it
 * (`GET /api/v1/runs/{uid}` lists them, `GET /api/v1/runs/{uid}/files/{name}` sends each), then
 * converts them here like a local export. The download is staged in a hidden directory inside
 * `--out` (same disk as the result, removed afterwards); `hdf5` downloads the file straight to
 * `--out`.
 */
export async function exportRemoteCommand(
  client: ApiClient,
  uid: string,
  format: string,
  out: string,
  io: ExportIo,
): Promise<string[]> {
  checkFormat(format);
  const run = await client.request<Partial<ExportableRun> & { live?: { state: string } }>(
    'GET',
    `/api/v1/runs/${encodeURIComponent(uid)}`,
  );
  if (run.status === undefined) {
    // Only the engine knows it (queued, or cancelled before it started): nothing was recorded.
    const state = run.live?.state ?? 'not recorded';
    throw new BenchtopError('RUN_STATE_CONFLICT', `run ${uid} is ${state}: it has no files to export`, {
      uid,
      state,
    });
  }
  const recorded = run as ExportableRun;
  checkExportable(recorded, format);
  if (recorded.format !== 'hdf5')
    refuseAgentFiles(recorded, 'its Arrow run files keep no per-frame record of them');
  const destDir = resolve(out);
  if (format === 'hdf5') {
    const written: string[] = [];
    for (const file of hdf5Files(recorded)) {
      const target = join(destDir, basename(file));
      await downloadFromHubOrAgent(client, recorded, file, target, io);
      written.push(target);
    }
    for (const f of written) io.out.write(`${f}\n`);
    return written;
  }
  const staging = join(destDir, `.benchtop-download-${safeName(uid)}`);
  try {
    await rm(staging, { recursive: true, force: true });
    for (const file of recorded.files)
      await downloadFromHubOrAgent(client, recorded, file, stagedPath(staging, recorded, file), io);
    return await convert(recorded, staging, format, destDir, io);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Where a downloaded file goes in the staging directory: the hub's own files at their paths, a
 * camera's frames file kept on an agent (`agent://…`) beside the run file, where the run file's
 * external link to it (`<camera>.frames.h5:/data`) resolves, so the frames are exported too.
 */
function stagedPath(staging: string, run: ExportableRun, file: string): string {
  if (!parseAgentFileName(file)) return insideDir(staging, file);
  const runFile = run.files.find(
    (f) => f.endsWith('.h5') && !f.endsWith(FRAMES_FILE_SUFFIX) && !parseAgentFileName(f),
  );
  return insideDir(staging, join(runFile ? dirname(runFile) : '.', basename(file)));
}

/**
 * Downloads one run file; a frames file on an agent comes through the hub, which fetches it from
 * the agent. When that fails (the agent is offline) the export fails naming the agent and the
 * file: it never goes on without the frames.
 */
async function downloadFromHubOrAgent(
  client: ApiClient,
  run: ExportableRun,
  file: string,
  target: string,
  io: ExportIo,
): Promise<void> {
  const onAgent = parseAgentFileName(file);
  try {
    await download(client, run, file, target, io);
  } catch (error) {
    if (!onAgent) throw error;
    const e = toBenchtopError(error);
    throw new BenchtopError(
      e.code,
      `run ${run.uid}: its camera frames ${basename(file)} are on agent ${onAgent.agentId} (${onAgent.path}), and the hub could not fetch them: ${e.message}. Nothing was exported; try again when agent ${onAgent.agentId} is back`,
      { uid: run.uid, file, agent: onAgent.agentId, path: onAgent.path },
      { cause: error },
    );
  }
}

/**
 * A hub's run with frames on an agent that this export cannot include: a local export cannot
 * reach them (the hub's server can), and an Arrow run does not record them. Refused, never
 * exported without its frames.
 */
function refuseAgentFiles(
  run: ExportableRun,
  why = "they are not in this output directory; export it from the hub's server (benchtop export --url <hub>), which fetches them from the agent",
): void {
  const remote = run.files.map(parseAgentFileName).filter((f) => f !== null);
  if (remote.length === 0) return;
  throw new BenchtopError(
    'VALIDATION_FAILED',
    `run ${run.uid}: its camera frames are on agent ${remote.map((f) => `${f.agentId} (${f.path})`).join(', ')}; ${why}`,
    { uid: run.uid, agents: remote.map((f) => f.agentId), files: remote.map((f) => f.path) },
  );
}

async function download(
  client: ApiClient,
  run: ExportableRun,
  file: string,
  target: string,
  io: ExportIo,
): Promise<void> {
  const bar = new ProgressBar(io.err, `download ${basename(file)}`);
  await downloadRunFile(client, run.uid, file, target, (received, total) =>
    bar.update({ done: received, total, eta_s: null, state: 'bytes' }),
  );
  bar.finish();
}

async function convert(
  run: ExportableRun,
  outputDir: string,
  format: string,
  destDir: string,
  io: ExportIo,
): Promise<string[]> {
  const reader = await openRunDataReader(run, outputDir, READERS);
  const bar = new ProgressBar(io.err, `export ${format}`);
  try {
    const result = await exportRun({
      reader,
      format: format as (typeof EXPORT_FORMATS)[number],
      destDir,
      onProgress: (done, total) => bar.update({ done, total, eta_s: null, state: 'rows' }),
    });
    bar.finish();
    for (const skipped of result.skipped) bar.note(`skipped ${skipped.stream}: ${skipped.reason}`);
    for (const f of result.files) io.out.write(`${f}\n`);
    return result.files;
  } finally {
    await reader.close();
  }
}

function checkFormat(format: string): void {
  if (!(CLI_EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `--format must be one of ${CLI_EXPORT_FORMATS.join(', ')}; got "${format}"`,
      { format },
    );
  }
}

function checkExportable(run: ExportableRun, format: string): void {
  if (run.status === 'running') throw runStillGoing(run.uid, 'running');
  if (run.files_deleted_at !== null) {
    throw new BenchtopError(
      'NOT_FOUND',
      `run ${run.uid}: its files were removed by retention at ${new Date(run.files_deleted_at * 1000).toISOString()}`,
      { uid: run.uid, filesDeletedAt: run.files_deleted_at },
    );
  }
  if (format === 'hdf5' && hdf5Files(run).length === 0) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `run ${run.uid} was stored as ${run.format}, not HDF5; export it as arrow, parquet or csv`,
      { uid: run.uid, stored: run.format },
    );
  }
}

function hdf5Files(run: ExportableRun): string[] {
  return run.format === 'hdf5' ? run.files.filter((f) => f.endsWith('.h5')) : [];
}

function runStillGoing(uid: string, state: string): BenchtopError {
  return new BenchtopError(
    'RUN_STATE_CONFLICT',
    `run ${uid} is still ${state}; export it when it has ended`,
    {
      uid,
      state,
    },
  );
}

/** `dir/file`, refusing a file name from the server that would land outside `dir`. */
function insideDir(dir: string, file: string): string {
  const target = resolve(dir, file);
  if (!target.startsWith(dir + sep)) {
    throw new BenchtopError('VALIDATION_FAILED', `the server listed a run file outside the run: "${file}"`, {
      file,
    });
  }
  return target;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** `benchtop export <uid>`: from the server, or from the local catalog (--local, or no server answers). */
export async function exportAction(
  inv: Invocation<ConfigFlags & TargetFlags & { format: string; out: string }, { uid: string }>,
): Promise<void> {
  const { uid } = inv.args;
  const { format, out } = inv.options;
  const io = { out: inv.out, err: inv.err };
  await serverOrLocal(inv.options, inv.env, inv.err, {
    server: (client) => exportRemoteCommand(client, uid, format, out, io),
    local: () =>
      withLocalCatalog(inv.options, inv.env, (catalog, outputDir) =>
        exportCommand(catalog, outputDir, uid, format, out, io),
      ),
  });
}

import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  EventDescriptor,
  RunStart,
  RunStop,
  StreamDatum,
  StreamResource,
} from '../../core/documents.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { WriterStats } from '../../engine/run-storage.ts';

export const MANIFEST_FILE = 'run.json';
export const MANIFEST_FORMAT = 'benchtop-arrow-run';

export interface ManifestFile {
  /** Path relative to the run directory. */
  path: string;
  stream: string;
  descriptor: string;
  kind: 'events' | 'frames';
  /** For frames: the data key the frames belong to. */
  data_key?: string;
  /** Row count, set when the writer closes (or recovery rebuilds the file). */
  rows?: number;
}

/**
 * run.json: the documents that are not rows (start, descriptors, stream resources and datums,
 * stop) and an index of the run's Arrow files, so a reader needs no naming convention.
 * `status` is `open` until the writer closes; an `open` run.json after the process is gone
 * means the run was cut short (see recover-run.ts).
 */
export interface RunManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  status: 'open' | 'complete' | 'failed' | 'recovered';
  start: RunStart;
  descriptors: EventDescriptor[];
  stream_resources: StreamResource[];
  stream_datums: StreamDatum[];
  stop: RunStop | null;
  files: ManifestFile[];
  /** The writer's counters when it closed (drops, first error). */
  writer: WriterStats | null;
}

export function newManifest(start: RunStart): RunManifest {
  return {
    format: MANIFEST_FORMAT,
    version: 1,
    status: 'open',
    start,
    descriptors: [],
    stream_resources: [],
    stream_datums: [],
    stop: null,
    files: [],
    writer: null,
  };
}

/** Replaces run.json atomically: a crash leaves the previous version, never half a file. */
export async function writeManifest(runDir: string, manifest: RunManifest): Promise<number> {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const path = join(runDir, MANIFEST_FILE);
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
  return Buffer.byteLength(text);
}

export async function readManifest(runDir: string): Promise<RunManifest> {
  const manifest = JSON.parse(await readFile(join(runDir, MANIFEST_FILE), 'utf8')) as RunManifest;
  if (manifest.format !== MANIFEST_FORMAT) {
    throw new BenchtopError(
      'STORAGE_ERROR',
      `${join(runDir, MANIFEST_FILE)} is not a Benchtop Arrow run manifest`,
      {
        runDir,
        format: manifest.format,
      },
    );
  }
  return manifest;
}

import { type FileHandle, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type RecordBatch, RecordBatchReader } from 'apache-arrow';
import { BenchtopError } from '../../core/errors.ts';
import type {
  RunDataReader,
  RunDataReaderFactory,
  StreamData,
  StreamInfo,
} from '../export/run-data-reader.ts';
import { MANIFEST_FILE, type ManifestFile, type RunManifest, readManifest } from './run-manifest.ts';

const streamName = (file: ManifestFile) => file.path.replace(/\.arrow$/, '');

async function openReader(handle: FileHandle) {
  const reader = await RecordBatchReader.from(handle);
  await reader.open();
  return reader;
}

async function withFileReader<T>(
  path: string,
  use: (reader: Awaited<ReturnType<typeof openReader>>) => Promise<T>,
): Promise<T> {
  const handle = await open(path, 'r');
  try {
    return await use(await openReader(handle));
  } finally {
    await handle.close();
  }
}

/**
 * Reads a run written by ArrowRunWriter. Batches are read one at a time from the file
 * (random access through the footer), so exporting a long camera run never holds it all.
 */
export class ArrowRunReader implements RunDataReader {
  readonly runUid: string;
  private readonly runDir: string;
  private readonly manifest: RunManifest;

  private constructor(runDir: string, manifest: RunManifest) {
    this.runDir = runDir;
    this.manifest = manifest;
    this.runUid = manifest.start.uid;
  }

  /** Refuses a run whose writer never closed: its files have no footer until recoverArrowRun. */
  static async open(runDir: string): Promise<ArrowRunReader> {
    const manifest = await readManifest(runDir);
    if (manifest.status === 'open') {
      throw new BenchtopError(
        'RUN_STATE_CONFLICT',
        `run ${manifest.start.uid} in ${runDir} is still being written, or was cut short (recover it first)`,
        { runUid: manifest.start.uid, runDir },
      );
    }
    return new ArrowRunReader(runDir, manifest);
  }

  async streams(): Promise<StreamInfo[]> {
    return this.manifest.files.map((file) => ({
      name: streamName(file),
      stream: file.stream,
      kind: file.kind,
      ...(file.data_key === undefined ? {} : { dataKey: file.data_key }),
      rows: file.rows ?? 0,
    }));
  }

  async read(stream: string): Promise<StreamData> {
    const file = this.manifest.files.find((f) => streamName(f) === stream);
    if (!file) {
      throw new BenchtopError('NOT_FOUND', `run ${this.runUid} has no stream "${stream}"`, {
        runUid: this.runUid,
        stream,
        streams: this.manifest.files.map(streamName),
      });
    }
    const path = join(this.runDir, file.path);
    // The schema is read now and the batches from a second handle opened only when iterated,
    // so a caller that never iterates leaks no file descriptor.
    const schema = await withFileReader(path, async (reader) => reader.schema);
    async function* batches(): AsyncGenerator<RecordBatch> {
      const handle = await open(path, 'r');
      try {
        for await (const batch of await openReader(handle)) yield batch;
      } finally {
        await handle.close();
      }
    }
    return { schema, batches: batches() };
  }

  async close(): Promise<void> {}
}

/** The catalog lists run.json among an Arrow run's files; its directory is the run. */
export const openArrowRun: RunDataReaderFactory = async (run, outputDir) => {
  const manifest = run.files.find((f) => basename(f) === MANIFEST_FILE);
  if (!manifest) {
    throw new BenchtopError('STORAGE_ERROR', `run ${run.uid}: no ${MANIFEST_FILE} among its files`, {
      runUid: run.uid,
      files: run.files,
    });
  }
  return ArrowRunReader.open(join(outputDir, dirname(manifest)));
};

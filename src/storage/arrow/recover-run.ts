import { createReadStream } from 'node:fs';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatch, RecordBatchReader, type Schema, Table } from 'apache-arrow';
import { BenchtopError } from '../../core/errors.ts';
import { IpcFileAppender } from './ipc-file-appender.ts';
import { type ManifestFile, readManifest, writeManifest } from './run-manifest.ts';
import { SchemaMeta } from './stream-schema.ts';

/** `ARROW1` plus two bytes of padding: where the stream starts in a file written by IpcFileAppender. */
const STREAM_OFFSET = 8;
const MAGIC = Buffer.from('ARROW1');

/** True when the file ends with the footer and trailing magic (it was closed). */
export async function hasFooter(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 2 * STREAM_OFFSET + 4) return false;
    const tail = Buffer.alloc(MAGIC.length);
    await handle.read(tail, 0, tail.length, size - tail.length);
    return tail.equals(MAGIC);
  } finally {
    await handle.close();
  }
}

export interface StreamPrefix {
  schema: Schema;
  batches: AsyncGenerator<RecordBatch>;
  /** Set once `batches` is exhausted: true when the last message was cut off (and skipped). */
  torn(): boolean;
}

/**
 * Reads a footerless file (a run cut short) as the IPC stream it contains, batch by batch.
 * A batch cut off by the crash is skipped; everything before it is returned.
 */
export async function openStreamPrefix(path: string): Promise<StreamPrefix | null> {
  const { size } = await stat(path);
  if (size <= STREAM_OFFSET) return null;
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  try {
    reader = await RecordBatchReader.from(createReadStream(path, { start: STREAM_OFFSET }));
    await reader.open();
  } catch {
    return null; // not even the schema made it to disk
  }
  let torn = false;
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      for await (const batch of reader) yield batch;
    } catch {
      torn = true;
    }
  }
  return { schema: reader.schema, batches: batches(), torn: () => torn };
}

/** All rows a footerless file holds, as a table (small files and tests; recovery streams). */
export async function readStreamPrefix(path: string): Promise<Table> {
  const prefix = await openStreamPrefix(path);
  if (!prefix) {
    throw new BenchtopError('STORAGE_ERROR', `${path}: no Arrow schema found after the file magic`, { path });
  }
  const batches: RecordBatch[] = [];
  for await (const batch of prefix.batches) batches.push(batch);
  return new Table(prefix.schema, batches);
}

export interface RecoveredFile {
  path: string;
  /** complete: had its footer; recovered: footer rebuilt; empty: nothing readable, removed. */
  status: 'complete' | 'recovered' | 'empty';
  /** Rows kept (null for complete files, which are not read). */
  rows: number | null;
  /** A partly written batch at the end was dropped. */
  torn: boolean;
}

export interface RecoveryReport {
  runDir: string;
  /** run.json's status before recovery (`open` means the writer never closed). */
  previousStatus: string;
  files: RecoveredFile[];
}

async function rewriteWithFooter(path: string, prefix: StreamPrefix): Promise<number> {
  const temporary = `${path}.recovering`;
  await rm(temporary, { force: true });
  const out = new IpcFileAppender(temporary, prefix.schema);
  await out.open();
  let rows = 0;
  for await (const batch of prefix.batches) {
    out.append(batch.schema === prefix.schema ? batch : new RecordBatch(prefix.schema, batch.data));
    await out.write();
    rows += batch.numRows;
  }
  await out.close();
  await rename(temporary, path);
  return rows;
}

function manifestEntry(path: string, schema: Schema): ManifestFile {
  const dataKey = schema.metadata.get(SchemaMeta.dataKey);
  return {
    path,
    stream: schema.metadata.get(SchemaMeta.stream) ?? path.replace(/\.arrow$/, ''),
    descriptor: schema.metadata.get(SchemaMeta.descriptorUid) ?? '',
    kind: dataKey === undefined ? 'events' : 'frames',
    ...(dataKey === undefined ? {} : { data_key: dataKey }),
  };
}

/**
 * Makes a run cut short by a crash readable as a normal Arrow run: every `.arrow` file without
 * a footer is rewritten from its stream body (minus a torn last batch) with a footer, files
 * missing from run.json's index are added from their schema metadata, and run.json's status
 * becomes `recovered`. Files that were closed are left alone. Safe to run twice.
 */
export async function recoverArrowRun(runDir: string): Promise<RecoveryReport> {
  const manifest = await readManifest(runDir);
  const previousStatus = manifest.status;
  const files: RecoveredFile[] = [];
  const names = (await readdir(runDir)).filter((n) => n.endsWith('.arrow')).sort();
  for (const name of names) {
    const path = join(runDir, name);
    if (await hasFooter(path)) {
      files.push({ path: name, status: 'complete', rows: null, torn: false });
      continue;
    }
    const prefix = await openStreamPrefix(path);
    if (!prefix) {
      await rm(path);
      manifest.files = manifest.files.filter((f) => f.path !== name);
      files.push({ path: name, status: 'empty', rows: 0, torn: false });
      continue;
    }
    const rows = await rewriteWithFooter(path, prefix);
    files.push({ path: name, status: 'recovered', rows, torn: prefix.torn() });
    const entry = manifest.files.find((f) => f.path === name);
    if (entry) entry.rows = rows;
    else manifest.files.push({ ...manifestEntry(name, prefix.schema), rows });
  }
  if (manifest.status === 'open') manifest.status = 'recovered';
  await writeManifest(runDir, manifest);
  return { runDir, previousStatus, files };
}

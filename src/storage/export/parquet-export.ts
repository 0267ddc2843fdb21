import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { type RecordBatch, type Schema, Table, tableToIPC } from 'apache-arrow';
import type { StreamData } from './run-data-reader.ts';

/**
 * Row groups are cut at this size: large enough for efficient column scans, small enough that
 * a camera stream is never held whole in WebAssembly memory.
 */
const MAX_ROW_GROUP_BYTES = 64 * 1024 * 1024;

/** Arrow readers hand out a zero-row placeholder for a file without batches; Parquet wants none. */
async function* nonEmpty(batches: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
  for await (const batch of batches) if (batch.numRows > 0) yield batch;
}

type ParquetWasm = typeof import('parquet-wasm');
let parquetWasm: Promise<ParquetWasm> | null = null;

/** parquet-wasm compiles ~5 MB of WebAssembly on import: only when a Parquet export runs. */
function loadParquetWasm(): Promise<ParquetWasm> {
  parquetWasm ??= import('parquet-wasm');
  return parquetWasm;
}

/**
 * Plain Parquet key-value metadata for readers that ignore the embedded Arrow schema (DuckDB's
 * `parquet_kv_metadata`, Spark): the schema's own keys (run uid, plan, stream) and
 * `benchtop.fields`, each column's units and source as JSON.
 */
export function parquetKeyValues(schema: Schema): Map<string, string> {
  const kv = new Map(schema.metadata);
  const fields: Record<string, Record<string, string>> = {};
  for (const field of schema.fields) {
    if (field.metadata.size > 0) fields[field.name] = Object.fromEntries(field.metadata);
  }
  kv.set('benchtop.fields', JSON.stringify(fields));
  return kv;
}

function toWasmTable(wasm: ParquetWasm, table: Table) {
  return wasm.Table.fromIPCStream(tableToIPC(table, 'stream'));
}

/**
 * One stream as a Parquet file, written by arrow-rs (parquet-wasm): Snappy-compressed (every
 * Parquet reader has it), timestamps as TIMESTAMP(MICROS, UTC), and the Arrow schema embedded
 * (`ARROW:schema`) so pyarrow gets units and source back as field metadata.
 */
export async function writeParquetFile(data: StreamData, path: string): Promise<void> {
  const wasm = await loadParquetWasm();
  const properties = () =>
    new wasm.WriterPropertiesBuilder()
      .setCompression(wasm.Compression.SNAPPY)
      .setMaxRowGroupBytes(MAX_ROW_GROUP_BYTES)
      .setKeyValueMetadata(parquetKeyValues(data.schema))
      .build();

  const batches = nonEmpty(data.batches)[Symbol.asyncIterator]();
  const first = await batches.next();
  if (first.done) {
    // No rows: a file with the schema alone, so readers still see the columns.
    await writeFile(path, wasm.writeParquet(toWasmTable(wasm, new Table(data.schema)), properties()), {
      flag: 'wx',
    });
    return;
  }

  async function* wasmBatches() {
    let next: IteratorResult<RecordBatch> = first;
    while (!next.done) {
      const table = toWasmTable(wasm, new Table(data.schema, [next.value]));
      try {
        yield table.recordBatch(0)!;
      } finally {
        table.free();
      }
      next = await batches.next();
    }
  }
  const parquet = await wasm.transformParquetStream(ReadableStream.from(wasmBatches()), properties());
  await parquet.pipeTo(Writable.toWeb(createWriteStream(path, { flags: 'wx' })));
}

import { open } from 'node:fs/promises';
import { csvHeader, csvRows } from './csv-encoding.ts';
import type { StreamData } from './run-data-reader.ts';

/** One stream as RFC 4180 CSV (UTF-8, CRLF), units in the header: `meter_power [W]`. */
export async function writeCsvFile(data: StreamData, path: string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.write(csvHeader(data.schema));
    for await (const batch of data.batches) await handle.write(csvRows(batch));
  } finally {
    await handle.close();
  }
}

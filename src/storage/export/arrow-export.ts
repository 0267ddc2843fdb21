import { RecordBatch } from 'apache-arrow';
import { IpcFileAppender } from '../arrow/ipc-file-appender.ts';
import type { StreamData } from './run-data-reader.ts';

/** One stream as an Arrow IPC file (what ArrowRunWriter writes, whatever the run's own format). */
export async function writeArrowFile(data: StreamData, path: string): Promise<void> {
  const out = new IpcFileAppender(path, data.schema);
  await out.open();
  try {
    for await (const batch of data.batches) {
      if (batch.numRows === 0) continue; // a reader's placeholder for a stream without rows
      // Readers may hand out batches with an equal but separate schema object; rebinding is free.
      out.append(batch.schema === data.schema ? batch : new RecordBatch(data.schema, batch.data));
      await out.write();
    }
    await out.close();
  } catch (err) {
    await out.abandon();
    throw err;
  }
}

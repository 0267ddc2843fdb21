import {
  BoundedWriteQueue,
  type BoundedWriteQueueOptions,
  type WriteBatchShape,
  type WriteQueueStats,
} from '../../storage/bounded-write-queue.ts';
import type { LineStore, LineWriteBatch } from './line-store.ts';

export interface LineWriteQueueOptions
  extends Omit<BoundedWriteQueueOptions<LineWriteBatch>, 'write' | 'shape'> {
  store: LineStore;
}

export type LineWriteQueueStats = WriteQueueStats;

/** A batch's parts, defects and events count as records; batches merge table by table. */
const lineBatches: WriteBatchShape<LineWriteBatch> = {
  records: (b) => b.parts.length + b.defects.length + b.events.length,
  merge: (batches) => ({
    parts: batches.flatMap((b) => b.parts),
    defects: batches.flatMap((b) => b.defects),
    events: batches.flatMap((b) => b.events),
  }),
};

/** The bounded write queue between the line trackers and the line store. */
export class LineWriteQueue extends BoundedWriteQueue<LineWriteBatch> {
  constructor(options: LineWriteQueueOptions) {
    const { store, ...rest } = options;
    super({ ...rest, write: (batch) => store.write(batch), shape: lineBatches });
  }
}

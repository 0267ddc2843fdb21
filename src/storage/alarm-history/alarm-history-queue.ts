import { randomUUID } from 'node:crypto';
import { BoundedWriteQueue, type BoundedWriteQueueOptions } from '../bounded-write-queue.ts';
import type { AlarmHistoryRow } from './postgres-alarm-history.ts';

/** An alarm event before it is queued (the alarm service's AlarmEvent has this shape). */
export type AlarmHistoryEvent = Omit<AlarmHistoryRow, 'id'>;

export interface AlarmHistoryQueueOptions
  extends Omit<BoundedWriteQueueOptions<AlarmHistoryRow[]>, 'write' | 'shape'> {
  history: { write(rows: readonly AlarmHistoryRow[]): Promise<void> };
}

/**
 * The bounded write queue between the alarm service and the PostgreSQL alarm history: `record`
 * never waits on the database, an outage holds the events and writes them once it is over, and
 * an outage longer than the queue can hold is refused and counted (the events stay in
 * alarms.sqlite either way).
 */
export class AlarmHistoryQueue extends BoundedWriteQueue<AlarmHistoryRow[]> {
  constructor(options: AlarmHistoryQueueOptions) {
    const { history, ...rest } = options;
    super({
      ...rest,
      write: (rows) => history.write(rows),
      shape: { records: (rows) => rows.length, merge: (batches) => batches.flat() },
    });
  }

  /**
   * Queues one event under a key of its own, which every retry of its write reuses. False when
   * the queue is full (the event is counted in `stats.rejectedBatches`).
   */
  record(event: AlarmHistoryEvent): boolean {
    return this.enqueue([
      {
        id: randomUUID(),
        time: event.time,
        alarm: event.alarm,
        event: event.event,
        condition: event.condition,
        severity: event.severity,
        value: event.value,
        user: event.user,
        comment: event.comment,
      },
    ]);
  }
}

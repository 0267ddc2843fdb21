import {
  AckPolicy,
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { BusConfig } from './bus-connection.ts';
import { subjects } from './subjects.ts';

/** The site's parameter-log stream: a transit buffer on file storage, limits retention (PostgreSQL is the record). */
export function logStreamName(site: string): string {
  return `LOG_${site.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export const LOG_WRITER_DURABLE = 'hub-log-writer';

/** Creates the stream if it is missing (agents and hubs both may be first); only 2.9 options. */
export async function ensureLogStream(jsm: JetStreamManager, site: string, bus: BusConfig): Promise<string> {
  const name = logStreamName(site);
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams
      .add({
        name,
        subjects: [subjects.allLogs(site)],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age: nanos(bus.log_stream_max_age_days * 86_400_000),
        max_bytes: bus.log_stream_max_bytes,
        duplicate_window: nanos(120_000),
        num_replicas: 1,
      })
      .catch(async (error: unknown) => {
        // Another process created it at the same moment.
        await jsm.streams.info(name).catch(() => {
          throw error;
        });
      });
  }
  return name;
}

/** The hub's durable pull consumer: explicit ack, so an unacknowledged batch is delivered again. */
export async function ensureLogConsumer(jsm: JetStreamManager, stream: string): Promise<void> {
  try {
    await jsm.consumers.info(stream, LOG_WRITER_DURABLE);
  } catch {
    await jsm.consumers.add(stream, {
      durable_name: LOG_WRITER_DURABLE,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
      max_ack_pending: 20_000,
    });
  }
}

import {
  AckPolicy,
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** A stream name from a site id (NATS allows letters, digits, `_` and `-` there). */
export function siteStreamName(prefix: string, site: string): string {
  return `${prefix}_${site.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * Creates a site stream if it is missing (agents and hubs both may be first): file storage,
 * limits retention, the oldest discarded at the limits, a 2-minute duplicate window for the
 * publishers' message ids. Only options nats-server 2.9 knows.
 */
export async function ensureSiteStream(
  jsm: JetStreamManager,
  stream: { name: string; subject: string; maxAgeDays: number; maxBytes: number },
): Promise<string> {
  const { name } = stream;
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams
      .add({
        name,
        subjects: [stream.subject],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age: nanos(stream.maxAgeDays * 86_400_000),
        max_bytes: stream.maxBytes,
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

/** A hub's durable pull consumer: explicit ack, so an unacknowledged message is delivered again. */
export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
): Promise<void> {
  try {
    await jsm.consumers.info(stream, durable);
  } catch {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
      max_ack_pending: 20_000,
    });
  }
}

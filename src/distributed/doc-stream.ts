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

/**
 * The site's run documents (`daq.doc.<site>.>`): file storage, limits retention kept longer than
 * the LOG stream (`[bus] doc_stream_max_age_days`), so a hub or reader that was away catches up;
 * the database is the record. Only 2.9 options.
 */
export function docStreamName(site: string): string {
  return `DOCS_${site.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export const DOC_WRITER_DURABLE = 'hub-doc-writer';

export async function ensureDocStream(jsm: JetStreamManager, site: string, bus: BusConfig): Promise<string> {
  const name = docStreamName(site);
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams
      .add({
        name,
        subjects: [subjects.allDocuments(site)],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age: nanos(bus.doc_stream_max_age_days * 86_400_000),
        max_bytes: bus.doc_stream_max_bytes,
        duplicate_window: nanos(120_000),
        num_replicas: 1,
      })
      .catch(async (error: unknown) => {
        await jsm.streams.info(name).catch(() => {
          throw error;
        });
      });
  }
  return name;
}

/** The hub's durable pull consumer of documents: explicit ack, resumed from its ack floor. */
export async function ensureDocConsumer(jsm: JetStreamManager, stream: string): Promise<void> {
  try {
    await jsm.consumers.info(stream, DOC_WRITER_DURABLE);
  } catch {
    await jsm.consumers.add(stream, {
      durable_name: DOC_WRITER_DURABLE,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
      max_ack_pending: 20_000,
    });
  }
}

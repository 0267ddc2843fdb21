import type { JetStreamManager } from '@nats-io/jetstream';
import type { BusConfig } from './bus-connection.ts';
import { ensureDurableConsumer, ensureSiteStream, siteStreamName } from './site-stream.ts';
import { subjects } from './subjects.ts';

/**
 * The site's run documents (`daq.doc.<site>.>`): kept longer than the LOG stream
 * (`[bus] doc_stream_max_age_days`), so a hub or reader that was away catches up; the database
 * is the record.
 */
export function docStreamName(site: string): string {
  return siteStreamName('DOCS', site);
}

export const DOC_WRITER_DURABLE = 'hub-doc-writer';

export function ensureDocStream(jsm: JetStreamManager, site: string, bus: BusConfig): Promise<string> {
  return ensureSiteStream(jsm, {
    name: docStreamName(site),
    subject: subjects.allDocuments(site),
    maxAgeDays: bus.doc_stream_max_age_days,
    maxBytes: bus.doc_stream_max_bytes,
  });
}

/** The hub's durable pull consumer of documents, resumed from its ack floor. */
export function ensureDocConsumer(jsm: JetStreamManager, stream: string): Promise<void> {
  return ensureDurableConsumer(jsm, stream, DOC_WRITER_DURABLE);
}

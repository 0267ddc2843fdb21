import type { JetStreamManager } from '@nats-io/jetstream';
import type { BusConfig } from './bus-connection.ts';
import { ensureDurableConsumer, ensureSiteStream, siteStreamName } from './site-stream.ts';
import { subjects } from './subjects.ts';

/** The site's parameter-log stream: a transit buffer on file storage, limits retention (PostgreSQL is the record). */
export function logStreamName(site: string): string {
  return siteStreamName('LOG', site);
}

export const LOG_WRITER_DURABLE = 'hub-log-writer';

export function ensureLogStream(jsm: JetStreamManager, site: string, bus: BusConfig): Promise<string> {
  return ensureSiteStream(jsm, {
    name: logStreamName(site),
    subject: subjects.allLogs(site),
    maxAgeDays: bus.log_stream_max_age_days,
    maxBytes: bus.log_stream_max_bytes,
  });
}

/** The hub's durable pull consumer of log batches, resumed from its ack floor. */
export function ensureLogConsumer(jsm: JetStreamManager, stream: string): Promise<void> {
  return ensureDurableConsumer(jsm, stream, LOG_WRITER_DURABLE);
}

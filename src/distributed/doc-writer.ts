import { type Consumer, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.ts';
import type { PostgresRunDocuments, StoredRunDocument } from '../storage/catalog/postgres-run-documents.ts';
import type { BusConfig } from './bus-connection.ts';
import { DOC_WRITER_DURABLE, ensureDocConsumer, ensureDocStream } from './doc-stream.ts';
import { decode, RunDocumentMessage } from './messages.ts';

/**
 * The hub's run-document writer: fetches documents from the DOCS stream's durable consumer,
 * writes each fetch in one insert keyed by document uid, then acknowledges them; a hub that
 * dies in between gets them again from the ack floor, and the key makes that harmless.
 */
export class DocWriter {
  private readonly nc: NatsConnection;
  private readonly store: PostgresRunDocuments;
  private readonly site: string;
  private readonly bus: BusConfig;
  private readonly log: Logger;
  private stopped = false;
  private loop: Promise<void> | null = null;
  /** Documents stored new (a repeated one is not counted). */
  written = 0;

  constructor(options: {
    nc: NatsConnection;
    store: PostgresRunDocuments;
    site: string;
    bus: BusConfig;
    logger: Logger;
  }) {
    this.nc = options.nc;
    this.store = options.store;
    this.site = options.site;
    this.bus = options.bus;
    this.log = options.logger.child({ component: 'doc-writer' });
  }

  start(): void {
    this.loop = this.run();
  }

  private async consumer(): Promise<Consumer> {
    const jsm = await jetstreamManager(this.nc);
    const stream = await ensureDocStream(jsm, this.site, this.bus);
    await ensureDocConsumer(jsm, stream);
    return jetstream(this.nc).consumers.get(stream, DOC_WRITER_DURABLE);
  }

  private async run(): Promise<void> {
    let consumer: Consumer | null = null;
    while (!this.stopped) {
      try {
        consumer ??= await this.consumer();
        const messages = await consumer.fetch({ max_messages: 500, expires: 1_000 });
        const got: { ack: () => void }[] = [];
        const documents: StoredRunDocument[] = [];
        for await (const m of messages) {
          try {
            const message = decode(RunDocumentMessage, m.data, 'run document');
            documents.push({
              uid: String(message.doc.uid),
              run: message.run,
              name: message.name,
              host: message.host,
              streamSeq: m.seq,
              doc: message.doc,
            });
            got.push(m);
          } catch (error) {
            this.log.error({ err: error, seq: m.seq }, 'dropped an unreadable run document');
            m.term();
          }
        }
        if (got.length === 0) continue;
        this.written += await this.store.insert(documents);
        for (const m of got) m.ack();
      } catch (error) {
        if (this.stopped) break;
        this.log.warn({ err: error }, 'run-document writer: retrying');
        consumer = null;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

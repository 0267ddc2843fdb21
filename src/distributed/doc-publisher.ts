import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventBus } from '../core/bus.ts';
import type { RunDocument } from '../core/documents.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { BusConfig } from './bus-connection.ts';
import { ensureDocStream } from './doc-stream.ts';
import { encode, PROTOCOL_VERSION, RunDocumentMessage } from './messages.ts';
import { subjects } from './subjects.ts';

/** Documents waiting for the bus at most (a long outage); beyond, they are dropped and counted. */
const QUEUE_CAPACITY = 200_000;

/**
 * The hub runs the plans (reference: "benchtop hub: API/UI, plans, …"), so it is the one that
 * publishes each run's documents, in order, on `daq.doc.<site>.<hub>.<run>` into the DOCS
 * stream, with the document's uid as `Nats-Msg-Id`. Sent one at a time and retried while the
 * server is away; the run itself never waits for the bus (the catalog and files have every
 * document already). The queue is bounded in memory: what overflows it is counted and logged.
 */
export class DocPublisher {
  private readonly nc: NatsConnection;
  private readonly site: string;
  private readonly host: string;
  private readonly bus: BusConfig;
  private readonly log: Logger;
  private readonly queue: { subject: string; uid: string; data: Uint8Array }[] = [];
  private js: JetStreamClient | null = null;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private off: (() => void) | null = null;
  published = 0;
  dropped = 0;

  constructor(options: { nc: NatsConnection; site: string; host: string; bus: BusConfig; logger: Logger }) {
    this.nc = options.nc;
    this.site = options.site;
    this.host = options.host;
    this.bus = options.bus;
    this.log = options.logger.child({ component: 'doc-publisher' });
  }

  start(events: EventBus<BenchtopEvents>): void {
    this.off = events.on('run.document', ({ uid, document }) => this.enqueue(uid, document));
    this.loop = this.run();
  }

  private enqueue(run: string, document: RunDocument): void {
    if (this.queue.length >= QUEUE_CAPACITY) {
      if (this.dropped++ % 1000 === 0)
        this.log.error(
          { dropped: this.dropped, capacity: QUEUE_CAPACITY },
          `run documents not published: the queue for the bus is full (${this.dropped} dropped so far; the catalog still has them)`,
        );
      return;
    }
    const doc = document.doc as unknown as Record<string, unknown>;
    const message: RunDocumentMessage = {
      v: PROTOCOL_VERSION,
      host: this.host,
      run,
      name: document.name,
      doc,
    };
    this.queue.push({
      subject: subjects.documents(this.site, this.host, run),
      uid: String(doc.uid),
      data: encode(RunDocumentMessage, message),
    });
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const next = this.queue[0];
      if (!next) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
        this.wakeUp = null;
        continue;
      }
      try {
        if (!this.js) {
          await ensureDocStream(await jetstreamManager(this.nc), this.site, this.bus);
          this.js = jetstream(this.nc);
        }
        await this.js.publish(next.subject, next.data, { msgID: next.uid });
        this.queue.shift();
        this.published++;
      } catch (error) {
        if (this.stopped) break;
        this.log.warn({ err: error, waiting: this.queue.length }, 'run documents: the bus is away; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Sends what is queued (while the bus answers, at most `graceMs`), then stops. */
  async stop(graceMs = 2_000): Promise<void> {
    this.off?.();
    const until = Date.now() + graceMs;
    while (this.queue.length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }
}

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventBus } from '../core/bus.ts';
import type { RunDocument } from '../core/documents.ts';
import { isBenchtopError } from '../core/errors.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import { openSqliteDatabase } from '../storage/sqlite-database.ts';
import type { BusConfig } from './bus-connection.ts';
import { ensureDocStream } from './doc-stream.ts';
import { encode, PROTOCOL_VERSION, RunDocumentMessage } from './messages.ts';
import { subjects } from './subjects.ts';

/** What the publisher reads: the hub's run catalog (every document, in order per run). */
export interface DocumentSource {
  documents(uid: string, query: { limit: number; offset: number }): RunDocument[];
  search(query: { since: number; limit: number }): { uid: string }[];
}

const PAGE = 500;

/**
 * The hub runs the plans (reference: "benchtop hub: API/UI, plans, …"), so it publishes each
 * run's documents, in order, on `daq.doc.<site>.<hub>.<run>` into the DOCS stream with the
 * document uid as `Nats-Msg-Id`. The catalog is the outbox: a run with new documents is marked,
 * and the publisher sends from its cursor (`<output_dir>/doc-publish.sqlite`, advanced only after
 * JetStream acknowledged), so a NATS outage or a hub restart only delays documents; at start-up
 * it catches up on the runs of the stream's retention period. The run never waits for the bus.
 */
export class DocPublisher {
  private readonly nc: NatsConnection;
  private readonly site: string;
  private readonly host: string;
  private readonly bus: BusConfig;
  private readonly log: Logger;
  private readonly source: DocumentSource;
  private readonly db: DatabaseSync;
  private readonly getCursor: StatementSync;
  private readonly setCursor: StatementSync;
  /** Runs with documents maybe not yet sent, and a count of marks (a mark during a send keeps it). */
  private readonly dirty = new Map<string, number>();
  private js: JetStreamClient | null = null;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private off: (() => void) | null = null;
  published = 0;

  constructor(options: {
    nc: NatsConnection;
    site: string;
    host: string;
    bus: BusConfig;
    logger: Logger;
    source: DocumentSource;
    /** The cursor database's path. */
    path: string;
  }) {
    this.nc = options.nc;
    this.site = options.site;
    this.host = options.host;
    this.bus = options.bus;
    this.source = options.source;
    this.log = options.logger.child({ component: 'doc-publisher' });
    this.db = openSqliteDatabase(options.path, [
      {
        version: 1,
        description: 'how many documents of each run are on the bus',
        sql: 'CREATE TABLE published (run_uid TEXT PRIMARY KEY, count INTEGER NOT NULL)',
      },
    ]);
    this.getCursor = this.db.prepare('SELECT count FROM published WHERE run_uid = ?');
    this.setCursor = this.db.prepare(
      'INSERT INTO published (run_uid, count) VALUES (?, ?) ON CONFLICT (run_uid) DO UPDATE SET count = excluded.count',
    );
  }

  /** Every document waiting is sent: none marked, none behind its cursor (tests, shutdown). */
  get idle(): boolean {
    return this.dirty.size === 0;
  }

  start(events: EventBus<BenchtopEvents>): void {
    this.off = events.on('run.document', ({ uid }) => this.mark(uid));
    // Catch up on what an outage or a restart left behind (within the stream's retention).
    const since = (Date.now() - this.bus.doc_stream_max_age_days * 86_400_000) / 1000;
    for (const run of this.source.search({ since, limit: 1000 })) this.mark(run.uid);
    this.loop = this.run();
  }

  private mark(run: string): void {
    this.dirty.set(run, (this.dirty.get(run) ?? 0) + 1);
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const next = this.dirty.entries().next().value;
      if (next === undefined) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
        this.wakeUp = null;
        continue;
      }
      const [run, marks] = next;
      try {
        if ((await this.sendFrom(run)) && this.dirty.get(run) === marks) this.dirty.delete(run);
      } catch (error) {
        if (isBenchtopError(error) && error.code === 'NOT_FOUND') {
          this.dirty.delete(run);
          continue;
        }
        if (this.stopped) break;
        this.log.warn({ err: error, run }, 'run documents: the bus is away; retrying');
        this.js = null;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Sends one page of the run's documents after its cursor; true when none is left. */
  private async sendFrom(run: string): Promise<boolean> {
    const row = this.getCursor.get(run) as { count: number } | undefined;
    let offset = Number(row?.count ?? 0);
    const page = this.source.documents(run, { limit: PAGE, offset });
    if (page.length === 0) return true;
    if (!this.js) {
      await ensureDocStream(await jetstreamManager(this.nc), this.site, this.bus);
      this.js = jetstream(this.nc);
    }
    const subject = subjects.documents(this.site, this.host, run);
    for (const document of page) {
      if (this.stopped) return false;
      const doc = document.doc as unknown as Record<string, unknown>;
      const message: RunDocumentMessage = {
        v: PROTOCOL_VERSION,
        host: this.host,
        run,
        name: document.name,
        doc,
      };
      await this.js.publish(subject, encode(RunDocumentMessage, message), { msgID: String(doc.uid) });
      this.setCursor.run(run, ++offset);
      this.published++;
    }
    return page.length < PAGE && this.source.documents(run, { limit: 1, offset }).length === 0;
  }

  /** Sends what is waiting (while the bus answers, at most `graceMs`), then stops. */
  async stop(graceMs = 2_000): Promise<void> {
    this.off?.();
    const until = Date.now() + graceMs;
    while (!this.idle && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
    this.db.close();
  }
}

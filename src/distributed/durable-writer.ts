import { type Consumer, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.ts';

export interface DurableWriterOptions<T> {
  nc: NatsConnection;
  logger: Logger;
  /** Log component, and what one message is in log lines ("parameter-log batch"). */
  component: string;
  what: string;
  /** Makes sure the stream and the durable consumer exist; says which they are. */
  open(jsm: JetStreamManager): Promise<{ stream: string; durable: string }>;
  /** The items of one message; throws for a message no Benchtop can read. */
  decode(data: Uint8Array, seq: number): T[];
  /** Stores one fetch's items; resolves with how many count as written. */
  write(items: T[]): Promise<number>;
}

/** Messages per fetch: one insert's worth (a parameter-log batch holds up to a few thousand samples). */
const FETCH_MESSAGES = 100;

/**
 * A hub's loop from a durable JetStream consumer into a store: fetch, write the whole fetch in
 * one go, and only then acknowledge it. A hub that dies in between gets the messages again from
 * the consumer's ack floor, so the store's keys must make a repeat harmless. An unreadable
 * message is terminated (it must not block the rest) and logged.
 *
 * A failed write is retried with the same messages until it succeeds: left unacknowledged,
 * they would only come back after the consumer's ack wait, behind later ones. No fetch is
 * outstanding while a write runs: a write that holds the event loop (the SQLite store writes
 * synchronously) would otherwise make the fetch miss its idle heartbeats and end, and the
 * messages it had on their way come back only after the ack wait too.
 */
export class DurableWriter<T> {
  private readonly options: DurableWriterOptions<T>;
  private readonly log: Logger;
  private stopped = false;
  private loop: Promise<void> | null = null;
  written = 0;

  constructor(options: DurableWriterOptions<T>) {
    this.options = options;
    this.log = options.logger.child({ component: options.component });
  }

  start(): void {
    this.loop = this.run();
  }

  private async consumer(): Promise<Consumer> {
    const { stream, durable } = await this.options.open(await jetstreamManager(this.options.nc));
    return jetstream(this.options.nc).consumers.get(stream, durable);
  }

  private async run(): Promise<void> {
    let consumer: Consumer | null = null;
    while (!this.stopped) {
      try {
        consumer ??= await this.consumer();
        const messages = await consumer.fetch({ max_messages: FETCH_MESSAGES, expires: 1_000 });
        const got: { ack: () => void }[] = [];
        const items: T[] = [];
        // A fetch that ends in an error (missed heartbeats, a lost connection) still delivered
        // what it yielded before: written and acked now, not left for the ack wait.
        let ended: unknown = null;
        try {
          for await (const m of messages) {
            try {
              items.push(...this.options.decode(m.data, m.seq));
              got.push(m);
            } catch (error) {
              this.log.error({ err: error, seq: m.seq }, `dropped an unreadable ${this.options.what}`);
              m.term();
            }
          }
        } catch (error) {
          ended = error;
        }
        if (got.length > 0) await this.writeAndAck(items, got);
        if (ended) throw ended;
      } catch (error) {
        if (this.stopped) break;
        this.log.warn({ err: error }, `${this.options.component}: retrying`);
        consumer = null;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** One fetch into the store, retried until it is there (or the writer stops), then acked. */
  private async writeAndAck(items: T[], got: { ack: () => void }[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.written += await this.options.write(items);
        break;
      } catch (error) {
        // Stopped: unacknowledged, the messages come back to the next writer from the ack floor.
        if (this.stopped) return;
        this.log.warn(
          { err: error, attempt, messages: got.length },
          `${this.options.component}: store write failed, retrying`,
        );
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    for (const m of got) m.ack();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

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

/**
 * A hub's loop from a durable JetStream consumer into a store: fetch, write the whole fetch in
 * one go, and only then acknowledge it. A hub that dies in between gets the messages again from
 * the consumer's ack floor, so the store's keys must make a repeat harmless. An unreadable
 * message is terminated (it must not block the rest) and logged.
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
        const messages = await consumer.fetch({ max_messages: 500, expires: 1_000 });
        const got: { ack: () => void }[] = [];
        const items: T[] = [];
        for await (const m of messages) {
          try {
            items.push(...this.options.decode(m.data, m.seq));
            got.push(m);
          } catch (error) {
            this.log.error({ err: error, seq: m.seq }, `dropped an unreadable ${this.options.what}`);
            m.term();
          }
        }
        if (got.length === 0) continue;
        this.written += await this.options.write(items);
        for (const m of got) m.ack();
      } catch (error) {
        if (this.stopped) break;
        this.log.warn({ err: error }, `${this.options.component}: retrying`);
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

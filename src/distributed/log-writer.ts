import { type Consumer, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.ts';
import type { Sample, TimeSeriesStore } from '../storage/timeseries/timeseries-store.ts';
import type { BusConfig } from './bus-connection.ts';
import { ensureLogConsumer, ensureLogStream, LOG_WRITER_DURABLE } from './log-stream.ts';
import { decode, LogBatch } from './messages.ts';

/**
 * The hub's parameter-log writer: fetches batches from the durable consumer, writes them in
 * one insert per fetch (the store's `ON CONFLICT (signal, time) DO NOTHING` makes redelivery
 * and replay harmless), and only then acknowledges them, so a hub that dies mid-write
 * resumes from the consumer's ack floor.
 */
export class LogWriter {
  private readonly nc: NatsConnection;
  private readonly store: TimeSeriesStore;
  private readonly site: string;
  private readonly bus: BusConfig;
  private readonly log: Logger;
  private stopped = false;
  private loop: Promise<void> | null = null;
  written = 0;

  constructor(options: {
    nc: NatsConnection;
    store: TimeSeriesStore;
    site: string;
    bus: BusConfig;
    logger: Logger;
  }) {
    this.nc = options.nc;
    this.store = options.store;
    this.site = options.site;
    this.bus = options.bus;
    this.log = options.logger.child({ component: 'log-writer' });
  }

  start(): void {
    this.loop = this.run();
  }

  private async consumer(): Promise<Consumer> {
    const jsm = await jetstreamManager(this.nc);
    const stream = await ensureLogStream(jsm, this.site, this.bus);
    await ensureLogConsumer(jsm, stream);
    return jetstream(this.nc).consumers.get(stream, LOG_WRITER_DURABLE);
  }

  private async run(): Promise<void> {
    let consumer: Consumer | null = null;
    while (!this.stopped) {
      try {
        consumer ??= await this.consumer();
        const messages = await consumer.fetch({ max_messages: 500, expires: 1_000 });
        const got: { ack: () => void }[] = [];
        const samples: Sample[] = [];
        for await (const m of messages) {
          try {
            const batch = decode(LogBatch, m.data, 'log batch');
            for (const s of batch.samples)
              samples.push({
                signal: s.signal,
                time: s.time,
                value: s.value,
                ...(s.quality ? { quality: s.quality } : {}),
              });
            got.push(m);
          } catch (error) {
            // A batch no Benchtop can read: acknowledged so it does not block the rest; logged.
            this.log.error({ err: error, seq: m.seq }, 'dropped an unreadable parameter-log batch');
            m.term();
          }
        }
        if (got.length === 0) continue;
        await this.store.insert(samples);
        for (const m of got) m.ack();
        this.written += samples.length;
      } catch (error) {
        if (this.stopped) break;
        this.log.warn({ err: error }, 'parameter-log writer: retrying');
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

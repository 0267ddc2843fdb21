import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BenchtopError } from '../core/errors.ts';
import type { Sample, TimeSeriesStore } from '../storage/timeseries/timeseries-store.ts';
import type { BusConfig } from './bus-connection.ts';
import type { LogOutbox } from './log-outbox.ts';
import { ensureLogStream } from './log-stream.ts';
import { encode, LogBatch, PROTOCOL_VERSION } from './messages.ts';
import { subjects } from './subjects.ts';

/** The agent's parameter-log "store": the on-disk outbox, which the forwarder drains to the bus. */
export function outboxStore(outbox: LogOutbox, wake: () => void): TimeSeriesStore {
  return {
    kind: 'nats-outbox',
    insert: async (samples: readonly Sample[]) => {
      outbox.append(samples);
      wake();
    },
    query: async () => {
      throw new BenchtopError('NOT_FOUND', "an agent's parameter log is queried on the hub");
    },
    deleteOlderThan: async () => 0,
    close: async () => {},
  };
}

/**
 * Sends the outbox to JetStream in order, one batch at a time, removing each only after the
 * stream acknowledged it; while the server is away it waits and tries again (the outbox keeps
 * filling meanwhile). `agentId:seq` is the message id, so a batch sent twice around a cut is
 * stored once by the stream's dedupe window, and in any case once by PostgreSQL's key.
 */
export class LogForwarder {
  private readonly nc: NatsConnection;
  private readonly outbox: LogOutbox;
  private readonly agentId: string;
  private readonly site: string;
  private readonly bus: BusConfig;
  private js: JetStreamClient | null = null;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  sentBatches = 0;
  /** Attempts that failed (server away, stream missing, publish timed out): the batch stayed in the outbox. */
  failedSends = 0;

  constructor(options: {
    nc: NatsConnection;
    outbox: LogOutbox;
    agentId: string;
    site: string;
    bus: BusConfig;
  }) {
    this.nc = options.nc;
    this.outbox = options.outbox;
    this.agentId = options.agentId;
    this.site = options.site;
    this.bus = options.bus;
  }

  wake(): void {
    this.wakeUp?.();
  }

  start(): void {
    this.loop = this.run();
  }

  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = null;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.js) {
          await ensureLogStream(await jetstreamManager(this.nc), this.site, this.bus);
          this.js = jetstream(this.nc);
        }
        const entries = this.outbox.peek(50);
        if (entries.length === 0) {
          await this.pause(1_000);
          continue;
        }
        for (const entry of entries) {
          if (this.stopped) return;
          const batch: LogBatch = {
            v: PROTOCOL_VERSION,
            agentId: this.agentId,
            seq: entry.seq,
            samples: entry.samples,
          };
          await this.js.publish(subjects.log(this.site, this.agentId), encode(LogBatch, batch), {
            msgID: `${this.agentId}:${entry.seq}`,
            timeout: 5_000,
          });
          this.outbox.remove(entry.seq);
          this.sentBatches++;
        }
      } catch {
        // Disconnected, or the stream is not there yet: the batches stay in the outbox.
        this.failedSends++;
        if (!this.stopped) await this.pause(500);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }
}

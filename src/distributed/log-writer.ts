import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.ts';
import type { Sample, TimeSeriesStore } from '../storage/timeseries/timeseries-store.ts';
import type { BusConfig } from './bus-connection.ts';
import { DurableWriter } from './durable-writer.ts';
import { ensureLogConsumer, ensureLogStream, LOG_WRITER_DURABLE } from './log-stream.ts';
import { decode, LogBatch } from './messages.ts';

/**
 * The hub's parameter-log writer: batches from the LOG stream's durable consumer into the
 * time-series store, one insert per fetch. The store's `ON CONFLICT (signal, time) DO NOTHING`
 * makes redelivery and replay harmless. `written` counts samples.
 */
export class LogWriter extends DurableWriter<Sample> {
  constructor(options: {
    nc: NatsConnection;
    store: TimeSeriesStore;
    site: string;
    bus: BusConfig;
    logger: Logger;
  }) {
    super({
      nc: options.nc,
      logger: options.logger,
      component: 'log-writer',
      what: 'parameter-log batch',
      open: async (jsm) => {
        const stream = await ensureLogStream(jsm, options.site, options.bus);
        await ensureLogConsumer(jsm, stream);
        return { stream, durable: LOG_WRITER_DURABLE };
      },
      decode: (data) =>
        decode(LogBatch, data, 'log batch').samples.map((s) => ({
          signal: s.signal,
          time: s.time,
          value: s.value,
          ...(s.quality ? { quality: s.quality } : {}),
        })),
      write: async (samples) => {
        await options.store.insert(samples);
        return samples.length;
      },
    });
  }
}

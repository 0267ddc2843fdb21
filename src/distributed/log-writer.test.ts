import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { silentLogger } from '../core/logger.ts';
import type { Sample, TimeSeriesStore } from '../storage/timeseries/timeseries-store.ts';
import { type BusConfig, connectBus } from './bus-connection.ts';
import { ensureLogStream, LOG_WRITER_DURABLE } from './log-stream.ts';
import { LogWriter } from './log-writer.ts';
import { encode, LogBatch, PROTOCOL_VERSION } from './messages.ts';
import { subjects } from './subjects.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';

/** A store whose first `failures` inserts throw (a database that is briefly away). */
class FlakyStore implements TimeSeriesStore {
  readonly kind = 'flaky';
  readonly rows: Sample[] = [];
  attempts = 0;
  private failures: number;
  private readonly onRows: () => void;
  constructor(failures: number, onRows: () => void) {
    this.failures = failures;
    this.onRows = onRows;
  }
  async insert(samples: readonly Sample[]): Promise<void> {
    this.attempts++;
    if (this.failures-- > 0) throw new Error('connection refused (test)');
    this.rows.push(...samples);
    this.onRows();
  }
  async query() {
    return [];
  }
  async deleteOlderThan() {
    return 0;
  }
  async close() {}
}

const bus = (url: string): BusConfig => ({
  url,
  request_timeout_ms: 5_000,
  lease_ttl_ms: 15_000,
  log_stream_max_age_days: 1,
  log_stream_max_bytes: 64 * 1024 ** 2,
  doc_stream_max_age_days: 1,
  doc_stream_max_bytes: 64 * 1024 ** 2,
  clock_offset_alarm_ms: 100,
});

describe('LogWriter (real nats-server)', () => {
  const nats = new PrivateNatsServer();
  let nc: NatsConnection;
  before(async () => {
    await nats.start();
    nc = await connectBus(bus(nats.url), 'test:log-writer');
  });
  after(async () => {
    await nc?.drain();
    await nats.dispose();
  });

  it('retries a failed store write with the same batches, so nothing waits for redelivery', async () => {
    const stream = await ensureLogStream(await jetstreamManager(nc), 'lab', bus(nats.url));
    const js = jetstream(nc);
    const batches = 600; // more than one fetch holds, before and after the change to 100 a fetch
    for (let seq = 1; seq <= batches; seq++)
      await js.publish(
        subjects.log('lab', 'host1'),
        encode(LogBatch, {
          v: PROTOCOL_VERSION,
          agentId: 'host1',
          seq,
          samples: [0, 1].map((i) => ({ signal: `s${i}`, time: seq, value: seq * 10 + i })),
        }),
        { msgID: `host1:${seq}` },
      );
    let allIn: () => void = () => {};
    const stored = new Promise<void>((resolve) => {
      allIn = resolve;
    });
    const store = new FlakyStore(1, () => {
      if (store.rows.length >= batches * 2) allIn();
    });
    const writer = new LogWriter({ nc, store, site: 'lab', bus: bus(nats.url), logger: silentLogger() });
    writer.start();
    await stored;
    await writer.stop();

    assert.equal(writer.written, batches * 2);
    const keys = store.rows.map((r) => `${r.signal}@${r.time}`);
    assert.equal(new Set(keys).size, batches * 2, 'each sample stored once');
    // In the agent's order: batches left unacknowledged would come back after later ones.
    const times = store.rows.map((r) => r.time);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'stored in order',
    );
    assert.ok(store.attempts > 1, `the failed writes were retried (${store.attempts} attempts)`);
    // Every message acknowledged once its write went in; none delivered twice.
    await nc.flush();
    const info = await (await jetstreamManager(nc)).consumers.info(stream, LOG_WRITER_DURABLE);
    assert.equal(info.num_ack_pending, 0);
    assert.equal(info.num_redelivered, 0);
    assert.equal(info.ack_floor.stream_seq, batches);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { BenchtopMetrics } from '../metrics/benchtop-metrics.ts';
import { FANOUT_SLICE_CLIENTS, StreamHub } from './stream-hub.ts';

function hubWith(clients: number) {
  const bus = new EventBus<BenchtopEvents>();
  const metrics = new BenchtopMetrics({
    bus,
    instruments: {
      list: () => [],
      get: () => {
        throw new Error('none');
      },
    } as never,
    dataDir: '.',
  });
  const hub = new StreamHub({ bus, clock: new ManualClock(), metrics, logger: silentLogger() });
  const inboxes: string[][] = [];
  for (let i = 0; i < clients; i++) {
    const inbox: string[] = [];
    inboxes.push(inbox);
    const { client } = hub.connect(
      { bufferedAmount: 0, send: (d) => inbox.push(String(d)), close: () => {} },
      null,
    );
    client.subscribeSignal('dmm.voltage', 1000);
    client.subscribeSignal('dmm.current', 1000);
  }
  return { bus, hub, inboxes };
}

const reading = (signal: string, value: number): Reading => ({
  instrument: 'dmm',
  signal,
  value,
  timestamp: 0,
  quality: 'good',
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StreamHub fan-out in slices', () => {
  it('sends to one slice of clients at once and to the rest after the event loop had a turn', async () => {
    const clients = FANOUT_SLICE_CLIENTS * 2 + 10;
    const { bus, hub, inboxes } = hubWith(clients);
    bus.emit('instrument.reading', reading('voltage', 1));
    assert.equal(inboxes.filter((m) => m.length === 1).length, FANOUT_SLICE_CLIENTS);
    await nextTurn();
    assert.equal(inboxes.filter((m) => m.length === 1).length, FANOUT_SLICE_CLIENTS * 2);
    await nextTurn();
    assert.equal(inboxes.filter((m) => m.length === 1).length, clients);
    await hub.close();
  });

  it("keeps every client's messages in publishing order across slices", async () => {
    const clients = FANOUT_SLICE_CLIENTS * 3;
    const { bus, hub, inboxes } = hubWith(clients);
    bus.emit('instrument.reading', reading('voltage', 1));
    bus.emit('instrument.reading', reading('current', 2));
    bus.emit('instrument.reading', reading('voltage', 3));
    for (let i = 0; i < 10; i++) await nextTurn();
    for (const inbox of inboxes) {
      // voltage 3 is coalesced behind voltage 1 by the client's throttle (1 ms period, same instant)
      assert.deepEqual(
        inbox.map((m) => (JSON.parse(m) as { value: number }).value),
        [1, 2],
      );
    }
    await hub.close();
  });

  it('skips clients that left while their slice was waiting', async () => {
    const { bus, hub, inboxes } = hubWith(FANOUT_SLICE_CLIENTS + 5);
    bus.emit('instrument.reading', reading('voltage', 1));
    await hub.close();
    await nextTurn();
    assert.equal(inboxes.filter((m) => m.length === 1).length, FANOUT_SLICE_CLIENTS);
  });
});

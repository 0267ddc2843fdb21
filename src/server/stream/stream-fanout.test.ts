import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../core/bus.ts';
import { type Clock, ManualClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { BenchtopMetrics } from '../metrics/benchtop-metrics.ts';
import { FANOUT_CHECK_CLIENTS, StreamHub } from './stream-hub.ts';

/** Moves 1 ms at every look: every offered reading is outside the client's throttle period. */
const tickingClock = () => {
  let t = 0;
  return { now: () => t, monotonic: () => ++t, setTimeout: () => ({ cancel: () => {} }) };
};

function hubWith(clients: number, clock: Clock = new ManualClock()) {
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
  const hub = new StreamHub({ bus, clock, metrics, logger: silentLogger(), fanoutSliceMs: 0 });
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
  it('with no time left, sends to one group of clients at once and to the rest after the event loop had a turn', async () => {
    const clients = FANOUT_CHECK_CLIENTS * 2 + 10;
    const { bus, hub, inboxes } = hubWith(clients);
    bus.emit('instrument.reading', reading('voltage', 1));
    assert.equal(inboxes.filter((m) => m.length === 1).length, FANOUT_CHECK_CLIENTS);
    await nextTurn();
    assert.equal(inboxes.filter((m) => m.length === 1).length, FANOUT_CHECK_CLIENTS * 2);
    await nextTurn();
    assert.equal(inboxes.filter((m) => m.length === 1).length, clients);
    await hub.close();
  });

  it("keeps every client's messages in publishing order across slices", async () => {
    const clients = FANOUT_CHECK_CLIENTS * 3;
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
    const { bus, hub, inboxes } = hubWith(FANOUT_CHECK_CLIENTS + 5);
    bus.emit('instrument.reading', reading('voltage', 1));
    await hub.close();
    await nextTurn();
    assert.equal(inboxes.filter((m) => m.length === 1).length, FANOUT_CHECK_CLIENTS);
  });

  it('replaces a reading still waiting for its first slice by a newer one of the same signal', async () => {
    const { bus, hub, inboxes } = hubWith(FANOUT_CHECK_CLIENTS * 2, tickingClock());
    bus.emit('instrument.reading', reading('voltage', 1));
    bus.emit('instrument.reading', reading('current', 2));
    bus.emit('instrument.reading', reading('voltage', 3));
    bus.emit('instrument.reading', reading('voltage', 4));
    for (let i = 0; i < 10; i++) await nextTurn();
    for (const inbox of inboxes) {
      assert.deepEqual(
        inbox.map((m) => (JSON.parse(m) as { value: number }).value),
        [1, 2, 4],
      );
    }
    await hub.close();
  });

  it('offers a reading only to its subscribers: the one subscriber of a signal is not kept waiting behind the rest', async () => {
    const { bus, hub, inboxes } = hubWith(FANOUT_CHECK_CLIENTS * 3);
    const late: string[] = [];
    const { client } = hub.connect(
      { bufferedAmount: 0, send: (d) => late.push(String(d)), close: () => {} },
      null,
    );
    client.subscribeSignal('dmm.resistance', 1000);
    bus.emit('instrument.reading', reading('resistance', 7));
    // With no time left in the slice, a fan-out to every client would reach the last one turns later.
    assert.equal(late.length, 1);
    assert.ok(inboxes.every((m) => m.length === 0));
    client.unsubscribeSignal('dmm.resistance');
    bus.emit('instrument.reading', reading('resistance', 8));
    await nextTurn();
    assert.equal(late.length, 1);
    await hub.close();
  });

  it("corks a client's wire while it sends in one turn and uncorks it after", async () => {
    const { bus, hub } = hubWith(0);
    const events: string[] = [];
    const { client } = hub.connect(
      {
        bufferedAmount: 0,
        send: (d) => events.push(`send ${(JSON.parse(String(d)) as { value: number }).value}`),
        close: () => {},
      },
      null,
      { cork: () => events.push('cork'), uncork: () => events.push('uncork') },
    );
    client.subscribeSignal('dmm.voltage', 1000);
    client.subscribeSignal('dmm.current', 1000);
    bus.emit('instrument.reading', reading('voltage', 1));
    bus.emit('instrument.reading', reading('current', 2));
    assert.deepEqual(events, ['cork', 'send 1', 'send 2']);
    await nextTurn();
    assert.deepEqual(events, ['cork', 'send 1', 'send 2', 'uncork']);
    await hub.close();
  });
});

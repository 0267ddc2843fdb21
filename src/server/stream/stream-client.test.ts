import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import type { Reading } from '../../core/reading.ts';
import { StreamClient, type StreamSocket } from './stream-client.ts';

class FakeSocket implements StreamSocket {
  bufferedAmount = 0;
  sent: string[] = [];
  closed: { code?: number; reason?: string } | null = null;
  send(data: string | Uint8Array): void {
    this.sent.push(String(data));
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }
  values(): unknown[] {
    return this.sent.map((s) => JSON.parse(s).value);
  }
}

const reading = (value: number, signal = 'power'): Reading => ({
  instrument: 'meter',
  signal,
  value,
  timestamp: value,
  unit: 'W',
  quality: 'good',
});

function client(policy = { softLimitBytes: 1000, hardLimitBytes: 10_000 }) {
  const clock = new ManualClock();
  const socket = new FakeSocket();
  const drops: string[] = [];
  const c = new StreamClient(1, socket, clock, policy, (r) => drops.push(r));
  return { clock, socket, c, drops };
}

describe('stream client throttling', () => {
  it('spaces readings of a signal by the subscribed rate (less a jitter allowance), coalescing to the latest', async () => {
    const { clock, socket, c } = client();
    c.subscribeSignal('meter.power', 10);
    c.offerReading(reading(1));
    c.offerReading(reading(2));
    c.offerReading(reading(3));
    assert.deepEqual(socket.values(), [1]);
    await clock.advance(79);
    assert.deepEqual(socket.values(), [1]);
    await clock.advance(1);
    assert.deepEqual(socket.values(), [1, 3], 'value 2 was superseded, never sent');
    await clock.advance(1000);
    assert.deepEqual(socket.values(), [1, 3], 'nothing new, nothing sent');
  });

  it('ignores signals it did not subscribe to; wildcards take all of an instrument', () => {
    const { socket, c } = client();
    c.offerReading(reading(1));
    assert.equal(socket.sent.length, 0);
    c.subscribeSignal('meter.*', 100);
    c.offerReading(reading(2, 'wavelength'));
    c.offerReading(reading(3, 'power'));
    assert.deepEqual(socket.values(), [2, 3]);
  });

  it('skips ahead while the client is slow and sends the latest value once it catches up', async () => {
    const { clock, socket, c, drops } = client();
    c.subscribeSignal('meter.power', 10);
    socket.bufferedAmount = 5_000;
    for (let v = 1; v <= 50; v++) {
      c.offerReading(reading(v));
      await clock.advance(20);
    }
    assert.equal(socket.sent.length, 0);
    assert.ok(drops.every((d) => d === 'slow_skip') && drops.length > 0);
    socket.bufferedAmount = 0;
    await clock.advance(200);
    assert.deepEqual(socket.values(), [50]);
  });

  it('disconnects a client that stops reading entirely', () => {
    const { socket, c, drops } = client();
    c.subscribeSignal('meter.power', 10);
    socket.bufferedAmount = 20_000;
    c.offerReading(reading(1));
    assert.equal(socket.closed?.code, 1013);
    assert.deepEqual(drops, ['slow_disconnect']);
    c.offerReading(reading(2));
    assert.equal(socket.sent.length, 0);
  });
});

describe('stream client flush timing', () => {
  it('a signal due sooner does not wait behind another signal’s later flush', async () => {
    const { clock, socket, c } = client();
    c.subscribeSignal('meter.power', 10);
    c.subscribeSignal('meter.wavelength', 10);
    const sent = () => socket.sent.map((s) => JSON.parse(s) as { signal: string; value: number });
    c.offerReading(reading(1, 'wavelength')); // sent at 0
    await clock.advance(50);
    c.offerReading(reading(2, 'power')); // sent at 50
    await clock.advance(10);
    c.offerReading(reading(3, 'power')); // pending, due at 130
    await clock.advance(10);
    c.offerReading(reading(4, 'wavelength')); // pending, due at 80
    await clock.advance(10);
    assert.deepEqual(
      sent().map((m) => [m.signal, m.value]),
      [
        ['wavelength', 1],
        ['power', 2],
        ['wavelength', 4],
      ],
      'wavelength went out at 80 ms',
    );
    await clock.advance(50);
    assert.deepEqual(sent().at(-1), { ...sent().at(-1), signal: 'power', value: 3 });
  });
});

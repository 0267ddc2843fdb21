import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { serverHarness } from '../../../test/support/server-harness.ts';
import type { Principal } from '../auth/roles.ts';
import type { StreamSocket } from './stream-client.ts';
import { ChannelRoles, MAX_SIGNAL_SUBSCRIPTIONS } from './stream-protocol.ts';

const SECURED = '[security]\nauth = "required"\njwt_secret = "test-secret-0123456789abcdef0123456789"\n';

class FakeSocket implements StreamSocket {
  bufferedAmount = 0;
  sent: string[] = [];
  send(data: string | Uint8Array): void {
    this.sent.push(String(data));
  }
  close(): void {}
  messages(): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  }
}

const viewer: Principal = { kind: 'key', name: 'dash', role: 'viewer', ref: 'k1' };
const operator: Principal = { kind: 'key', name: 'script', role: 'operator', ref: 'k2' };

describe('stream access: one rule per channel, bounded subscriptions', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  before(async () => {
    h = await serverHarness(SECURED);
  });
  after(async () => h.close());

  it('a viewer may not read the logs channel over the WebSocket, as GET /api/v1/logs refuses', async () => {
    const key = h.security.createKey('dash', 'viewer').key;
    assert.equal(
      (await h.app.inject({ method: 'GET', url: '/api/v1/logs', headers: { 'x-api-key': key } })).statusCode,
      403,
    );
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const ws = new WebSocket(
      `${address.replace('http', 'ws')}/api/v1/stream?api_key=${encodeURIComponent(key)}`,
    );
    const seen: Record<string, unknown>[] = [];
    const next = (type: string) =>
      new Promise<Record<string, unknown>>((resolve) =>
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as Record<string, unknown>;
          if (m.type === type) resolve(m);
        }),
      );
    ws.on('message', (d) => seen.push(JSON.parse(String(d)) as Record<string, unknown>));
    await new Promise((resolve) => ws.once('open', resolve));
    const refused = next('error');
    ws.send(JSON.stringify({ type: 'subscribe', channels: ['logs', 'states'] }));
    const error = await refused;
    assert.equal(error.code, 'FORBIDDEN');
    assert.match(String(error.message), /channel logs needs role operator/);
    h.bus.emit('log.record', { time: 'now', level: 'warn', msg: 'secret server detail' });
    const pong = next('pong');
    ws.send(JSON.stringify({ type: 'ping' }));
    await pong;
    assert.ok(!seen.some((m) => m.type === 'log.record'), 'no log record reached the viewer');
    ws.close();
  });

  it('an operator reads logs on the stream; the HTTP route takes its role from the same table', () => {
    assert.equal(ChannelRoles.logs, 'operator');
    const socket = new FakeSocket();
    const session = h.hub.connect(socket, operator);
    session.onMessage(JSON.stringify({ type: 'subscribe', channels: ['logs'] }));
    h.bus.emit('log.record', { time: 'now', level: 'warn', msg: 'for operators' });
    const types = socket.messages().map((m) => m.type);
    assert.deepEqual(types, ['subscribed', 'log.record']);
    session.onClose();
  });

  it('a client holds at most MAX_SIGNAL_SUBSCRIPTIONS, however many messages it sends', () => {
    const socket = new FakeSocket();
    const session = h.hub.connect(socket, viewer);
    const batch = (n: number) => Array.from({ length: 500 }, (_, i) => `motor.s${n}_${i}`);
    const messages = MAX_SIGNAL_SUBSCRIPTIONS / 500 + 1;
    for (let n = 0; n < messages; n++)
      session.onMessage(JSON.stringify({ type: 'subscribe', signals: batch(n) }));
    const replies = socket.messages();
    const acks = replies.filter((m) => m.type === 'subscribed');
    assert.equal(acks.length, messages - 1);
    const last = replies.at(-1)!;
    assert.deepEqual([last.type, last.code], ['error', 'VALIDATION_FAILED']);
    assert.match(String(last.message), /at most 2000 signal subscriptions per client/);
    assert.equal(
      session.client.subscriptionCount,
      MAX_SIGNAL_SUBSCRIPTIONS,
      'the refused batch added nothing',
    );
    // Re-subscribing what it holds is not growth, and unsubscribing frees room.
    session.onMessage(JSON.stringify({ type: 'subscribe', signals: batch(0) }));
    assert.equal(socket.messages().at(-1)!.type, 'subscribed');
    session.onMessage(JSON.stringify({ type: 'unsubscribe', signals: batch(0) }));
    session.onMessage(JSON.stringify({ type: 'subscribe', signals: batch(99) }));
    assert.equal(socket.messages().at(-1)!.type, 'subscribed');
    session.onClose();
  });

  it('each subscribed reply carries the change and totals, not every subscription so far', () => {
    const socket = new FakeSocket();
    const session = h.hub.connect(socket, viewer);
    for (let n = 0; n < 4; n++) {
      const signals = Array.from({ length: 500 }, (_, i) => `motor.t${n}_${i}`);
      session.onMessage(JSON.stringify({ type: 'subscribe', signals }));
    }
    const acks = socket.messages() as { signals: string[]; total: { signals: number } }[];
    assert.deepEqual(
      acks.map((a) => a.signals.length),
      [500, 500, 500, 500],
    );
    assert.deepEqual(
      acks.map((a) => a.total.signals),
      [500, 1000, 1500, 2000],
    );
    const sizes = socket.sent.map((s) => s.length);
    assert.ok(Math.max(...sizes) < Math.min(...sizes) * 1.1, `reply sizes stay flat: ${sizes.join(', ')}`);
    session.onClose();
  });
});

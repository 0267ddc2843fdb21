import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { serverHarness } from '../../../test/support/server-harness.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type {} from '../../imaging/isi-online-events.ts';
import type {} from '../../production/line-bus-events.ts';
import { stateEvent, storedDefect, storedPart } from '../../production/testing/line-record-builders.ts';

/** Collects messages from a WebSocket and lets a test await one that matches. */
function messages(ws: WebSocket) {
  const seen: Record<string, unknown>[] = [];
  const waiters: {
    match: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    seen.push(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  return {
    seen,
    next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      const already = seen.find(match);
      if (already) return Promise.resolve(already);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

describe('WebSocket stream', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let url: string;
  before(async () => {
    h = await serverHarness();
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `${address.replace('http', 'ws')}/api/v1/stream`;
  });
  after(async () => h.close());

  it('streams readings of subscribed signals and state changes', async () => {
    const ws = new WebSocket(url);
    const inbox = messages(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(
      JSON.stringify({
        type: 'subscribe',
        signals: ['motor.position'],
        channels: ['states'],
        max_rate_hz: 50,
      }),
    );
    const ack = await inbox.next((m) => m.type === 'subscribed');
    assert.deepEqual(ack.signals, ['motor.position']);
    await h.instrument.write('position', 2);
    await h.instrument.read('position');
    const r = await inbox.next((m) => m.type === 'reading' && m.value === 2);
    assert.deepEqual([r.instrument, r.signal, r.unit], ['motor', 'position', 'mm']);
    await h.supervisor.restart('motor');
    const state = await inbox.next((m) => m.type === 'actor.state' && m.state === 'ready');
    assert.equal(state.id, 'motor');
    assert.equal(h.hub.clientCount, 1);
    ws.close();
  });

  it('answers bad messages with an error and keeps the connection', async () => {
    const ws = new WebSocket(url);
    const inbox = messages(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('not json');
    assert.equal((await inbox.next((m) => m.type === 'error')).code, 'VALIDATION_FAILED');
    ws.send(JSON.stringify({ type: 'subscribe', signals: 'motor.position' }));
    await inbox.next((m) => m.type === 'error' && inbox.seen.filter((x) => x.type === 'error').length === 2);
    ws.send(JSON.stringify({ type: 'ping' }));
    await inbox.next((m) => m.type === 'pong');
    ws.close();
  });
});

describe('WebSocket stream: the lines channel', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let url: string;
  before(async () => {
    h = await serverHarness();
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `${address.replace('http', 'ws')}/api/v1/stream`;
  });
  after(async () => h.close());

  it('carries parts, defects, line states and KPI updates to its subscribers only', async () => {
    const subscriber = new WebSocket(url);
    const other = new WebSocket(url);
    const inbox = messages(subscriber);
    const otherInbox = messages(other);
    await Promise.all([subscriber, other].map((ws) => new Promise((resolve) => ws.once('open', resolve))));
    subscriber.send(JSON.stringify({ type: 'subscribe', channels: ['lines'] }));
    other.send(JSON.stringify({ type: 'subscribe', channels: ['states'] }));
    await inbox.next((m) => m.type === 'subscribed');
    await otherInbox.next((m) => m.type === 'subscribed');
    const part = storedPart({ partId: 'P7', result: 'fail' });
    h.bus.emit('line.part', { part, resultWritten: 2, latencyMs: 3 });
    h.bus.emit('line.defect', storedDefect(part, { class: 'scratch' }));
    h.bus.emit('line.state', stateEvent(part.time, 'fault', 60_000));
    const kpis = { lineId: 'assembly1', title: 'shift A', window: { start: 0, end: 1 } };
    h.bus.emit('line.kpis', kpis as unknown as BenchtopEvents['line.kpis']);
    const got = await inbox.next((m) => m.type === 'line.kpis');
    assert.equal(got.title, 'shift A');
    assert.equal(((await inbox.next((m) => m.type === 'line.part')).part as { partId: string }).partId, 'P7');
    assert.equal((await inbox.next((m) => m.type === 'line.defect')).class, 'scratch');
    assert.equal((await inbox.next((m) => m.type === 'line.state')).state, 'fault');
    // The other client asked for states only; a ping's answer shows it has been sent everything before it.
    other.send(JSON.stringify({ type: 'ping' }));
    await otherInbox.next((m) => m.type === 'pong');
    assert.deepEqual(
      otherInbox.seen.filter((m) => String(m.type).startsWith('line.')),
      [],
    );
    subscriber.close();
    other.close();
  });
});

describe('WebSocket stream: the imaging channel', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let url: string;
  before(async () => {
    h = await serverHarness();
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    url = `${address.replace('http', 'ws')}/api/v1/stream`;
  });
  after(async () => h.close());

  it('carries the online maps of a recording to its subscribers only', async () => {
    const subscriber = new WebSocket(url);
    const other = new WebSocket(url);
    const inbox = messages(subscriber);
    const otherInbox = messages(other);
    await Promise.all([subscriber, other].map((ws) => new Promise((resolve) => ws.once('open', resolve))));
    subscriber.send(JSON.stringify({ type: 'subscribe', channels: ['imaging'] }));
    other.send(JSON.stringify({ type: 'subscribe', channels: ['lines'] }));
    await inbox.next((m) => m.type === 'subscribed');
    await otherInbox.next((m) => m.type === 'subscribed');
    h.bus.emit('isi.online_maps', {
      session: 'isi-1',
      analysis: 'isi/isi-1.h5',
      at: 1,
      frames: { LR: 3, RL: 0, TB: 0, BT: 0 },
      full_width: 4,
      full_height: 2,
      width: 4,
      height: 2,
      layers: { azimuth: { min: 0, max: 1, data: 'AAAAAAAAAAA=' } },
      final: false,
    });
    const got = await inbox.next((m) => m.type === 'isi.online_maps');
    assert.equal(got.analysis, 'isi/isi-1.h5');
    other.send(JSON.stringify({ type: 'ping' }));
    await otherInbox.next((m) => m.type === 'pong');
    assert.deepEqual(
      otherInbox.seen.filter((m) => String(m.type).startsWith('isi.')),
      [],
    );
    subscriber.close();
    other.close();
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Frame } from '../../core/frame.ts';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import { silentLogger } from '../../core/logger.ts';
import { IsiSessionService } from '../../imaging/isi-session-service.ts';
import { IsiSessionWriter } from '../../imaging/isi-session-writer.ts';
import { installErrorReplies } from '../error-reply.ts';
import { installReplyCheck } from '../reply-check.ts';
import { isiRoutes } from './isi-routes.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-routes-'));
after(() => rmSync(root, { recursive: true, force: true }));
const T0 = 1_700_000_000_000;

async function app(clock: ManualClock): Promise<FastifyInstance> {
  const service = new IsiSessionService({
    outputDir: root,
    bus: new EventBus<BenchtopEvents>(),
    clock,
    log: silentLogger(),
  });
  const a = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  installReplyCheck(a as unknown as FastifyInstance);
  installErrorReplies(a as unknown as FastifyInstance);
  await a.register(isiRoutes(service, {} as InstrumentDirectory), { prefix: '/api/v1' });
  return a as unknown as FastifyInstance;
}

describe('ISI playback routes', () => {
  it('lists a session file on disk, replays it while it is written and serves its frames', async () => {
    mkdirSync(join(root, 'isi'), { recursive: true });
    const writer = await IsiSessionWriter.create(join(root, 'isi', 'older.h5'), {
      session: 'older',
      camera: 'cam',
      display: 'screen',
      startedAt: T0,
      parameters: {},
    });
    for (let n = 0; n < 4; n++)
      writer.appendCameraFrame('TB', {
        frameNumber: n,
        timestamp: T0 + n * 100,
        width: 2,
        height: 2,
        pixels: Uint16Array.of(n, n + 1, n + 2, 65535),
      } as unknown as Frame);
    await writer.flush();
    const clock = new ManualClock();
    const a = await app(clock);
    const list = await a.inject({ method: 'GET', url: '/api/v1/isi/sessions' });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(
      list.json().map((s: { id: string; camera: string }) => [s.id, s.camera]),
      [['older', 'cam']],
    );
    const started = await a.inject({
      method: 'POST',
      url: '/api/v1/isi/playback',
      payload: { session: 'older' },
    });
    assert.equal(started.statusCode, 200, started.body);
    const state = started.json();
    assert.deepEqual(
      { ...state, id: undefined },
      {
        id: undefined,
        session: 'older',
        direction: 'TB',
        fps: 10,
        playing: false,
        index: 0,
        frames: 4,
      },
    );
    const control = (payload: object) =>
      a.inject({ method: 'POST', url: `/api/v1/isi/playback/${state.id}/control`, payload });
    assert.equal((await control({ action: 'play' })).statusCode, 200);
    await clock.advance(200);
    const frame = await a.inject({ method: 'GET', url: `/api/v1/isi/playback/${state.id}/frame` });
    assert.equal(frame.statusCode, 200, frame.body);
    const f = frame.json();
    assert.deepEqual(
      [f.index, f.sequence, f.width, f.height, f.timestamp_us],
      [2, 2, 2, 2, (T0 + 200) * 1000],
    );
    const pixels = Buffer.from(f.pixels_base64, 'base64');
    assert.deepEqual([...new Uint16Array(new Uint8Array(pixels).buffer)], [2, 3, 4, 65535]);
    const paused = await control({ action: 'pause' });
    assert.equal(paused.json().playing, false);
    const byIndex = await a.inject({ method: 'GET', url: `/api/v1/isi/playback/${state.id}/frame?index=3` });
    assert.equal(byIndex.json().sequence, 3);
    const beyond = await a.inject({ method: 'GET', url: `/api/v1/isi/playback/${state.id}/frame?index=9` });
    assert.equal(beyond.statusCode, 400, beyond.body);
    const badAction = await control({ action: 'rewind' });
    assert.equal(badAction.statusCode, 400);
    const missing = await a.inject({
      method: 'POST',
      url: '/api/v1/isi/playback',
      payload: { session: 'nope' },
    });
    assert.equal(missing.statusCode, 404);
    await writer.close({ stop_state: 'done' });
    await a.close();
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { EventBus } from '../../core/bus.ts';
import { ManualClock } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
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
  // No instruments: the commands about sessions and parameters need none.
  const none = {
    list: () => [],
    get: (id: string) => {
      throw new BenchtopError('NOT_FOUND', `no instrument ${id}`);
    },
  } as unknown as InstrumentDirectory;
  await a.register(isiRoutes(service, none), { prefix: '/api/v1' });
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

  it("answers the guide's command set for sessions, parameters and playback", async () => {
    const clock = new ManualClock();
    const a = await app(clock);
    const command = async (name: string, params: object = {}) => {
      const r = await a.inject({
        method: 'POST',
        url: '/api/v1/isi/command',
        payload: { command: name, params },
      });
      return { status: r.statusCode, body: r.json() };
    };
    const ping = await command('ping');
    assert.deepEqual(ping, {
      status: 200,
      body: { command: 'ping', result: { pong: true, server_time: clock.now() } },
    });
    assert.equal((await command('get_all_parameters')).body.result.stimulus.bar_width_deg, 20);
    const updated = await command('update_parameter_group', {
      group: 'stimulus',
      parameters: { bar_width_deg: 12 },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal((await command('get_all_parameters')).body.result.stimulus.bar_width_deg, 12);
    const invalid = await command('update_parameter_group', {
      group: 'stimulus',
      parameters: { contrast: 5 },
    });
    assert.deepEqual([invalid.status, invalid.body.error.code], [400, 'VALUE_INVALID']);
    assert.equal((await command('reset_to_defaults')).body.result.stimulus.bar_width_deg, 20);
    assert.equal((await command('set_acquisition_mode', { mode: 'playback' })).body.result.mode, 'playback');
    assert.equal((await command('get_system_status')).body.result.mode, 'playback');
    assert.deepEqual((await command('detect_cameras')).body.result, { cameras: [] });
    assert.equal((await command('start_preview')).status, 404, 'no camera to preview');
    const sessions = (await command('list_sessions')).body.result.sessions;
    assert.deepEqual(
      sessions.map((s: { id: string }) => s.id),
      ['older'],
    );
    assert.equal((await command('load_session', { session: 'older' })).body.result.state, 'done');
    const playback = (await command('start_playback_sequence', { session: 'older', fps: 5 })).body.result;
    assert.equal(playback.fps, 5);
    const frame = await command('get_playback_frame', { playback: playback.id, index: 1 });
    assert.deepEqual([frame.body.result.sequence, frame.body.result.frames], [1, 4]);
    assert.equal((await command('warp_drive')).status, 400);
    await a.close();
  });
});

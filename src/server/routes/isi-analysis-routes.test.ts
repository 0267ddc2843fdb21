import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { serverHarness } from '../../../test/support/server-harness.ts';
import {
  syntheticSession,
  trueAltitude,
  trueAzimuth,
} from '../../analysis/retinotopy/test-support/synthetic-session.ts';
import { writeBenchtopSession } from '../../analysis/retinotopy/test-support/write-benchtop-session.ts';
import { buildServer } from '../server.ts';

const W = 24;
const H = 18;

describe('ISI analysis API', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: Awaited<ReturnType<typeof buildServer>>['app'];
  before(async () => {
    h = await serverHarness();
    await writeBenchtopSession(
      join(h.dir, 'session.h5'),
      syntheticSession({
        width: W,
        height: H,
        fps: 4,
        cycles: 3,
        uint16: true,
        amplitude: 0.02,
        jitterUs: 2000,
      }),
    );
    ({ app } = await buildServer(h.ctx));
  });
  after(async () => {
    await app.close();
    await h.close();
  });

  it('start_analysis, then get_analysis_layer gives the maps and get_analysis_composite_image a PNG', async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/api/v1/isi/analysis',
      payload: { session: 'session.h5', parameters: { small_patch_px: 10 } },
    });
    assert.equal(started.statusCode, 200, started.body);
    assert.equal(started.json().id, 'session.h5');
    const done = await app.inject({ method: 'GET', url: '/api/v1/isi/analysis?id=session.h5&wait=true' });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().state, 'done', done.body);
    assert.equal(done.json().frames_done, done.json().frames_total);
    assert.equal(done.json().parameters.small_patch_px, 10);

    const layer = await app.inject({
      method: 'GET',
      url: '/api/v1/isi/analysis/layer?id=session.h5&layer=azimuth',
    });
    assert.equal(layer.statusCode, 200, layer.body);
    const body = layer.json();
    assert.deepEqual([body.width, body.height, body.dtype], [W, H, 'float32']);
    const bytes = Buffer.from(body.data, 'base64');
    const azimuth = new Float32Array(bytes.buffer, bytes.byteOffset, W * H);
    for (let c = 0; c < W; c++) assert.ok(Math.abs((azimuth[5 * W + c] as number) - trueAzimuth(c, W)) < 0.5);
    const alt = await app.inject({
      method: 'GET',
      url: '/api/v1/isi/analysis/layer?id=session.h5&layer=altitude',
    });
    const altBytes = Buffer.from(alt.json().data, 'base64');
    const altitude = new Float32Array(altBytes.buffer, altBytes.byteOffset, W * H);
    for (let r = 0; r < H; r++)
      assert.ok(Math.abs((altitude[r * W + 3] as number) - trueAltitude(r, H)) < 0.5);

    const png = await app.inject({
      method: 'GET',
      url: '/api/v1/isi/analysis/composite.png?id=session.h5&layers=raw_vfs:0.5,boundaries:1',
    });
    assert.equal(png.statusCode, 200, png.body);
    assert.equal(png.headers['content-type'], 'image/png');
    const file = png.rawPayload;
    assert.deepEqual([...file.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.deepEqual([file.readUInt32BE(16), file.readUInt32BE(20)], [W, H]);
    // The pixel rows inflate to H × (1 + 4W) bytes: the image is whole.
    const idatLength = file.readUInt32BE(33);
    assert.equal(file.subarray(37, 41).toString('ascii'), 'IDAT');
    assert.equal(inflateSync(file.subarray(41, 41 + idatLength)).length, H * (1 + 4 * W));
  });

  it('starting again with other parameters recomputes from the accumulated sums', async () => {
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/isi/analysis',
      payload: { session: 'session.h5', parameters: { small_patch_px: 10, camera_flip: true } },
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().state, 'computing');
    const done = await app.inject({ method: 'GET', url: '/api/v1/isi/analysis?id=session.h5&wait=true' });
    assert.equal(done.json().state, 'done');
    assert.equal(done.json().parameters.camera_flip, true);
  });

  it('refuses sessions outside the output directory, unknown parameters and unknown layers', async () => {
    const outside = await app.inject({
      method: 'POST',
      url: '/api/v1/isi/analysis',
      payload: { session: '../x.h5' },
    });
    assert.equal(outside.statusCode, 400, outside.body);
    const badParameter = await app.inject({
      method: 'POST',
      url: '/api/v1/isi/analysis',
      payload: { session: 'session.h5', parameters: { no_such: 1 } },
    });
    assert.equal(badParameter.statusCode, 400, badParameter.body);
    const badLayer = await app.inject({
      method: 'GET',
      url: '/api/v1/isi/analysis/layer?id=session.h5&layer=nope',
    });
    assert.equal(badLayer.statusCode, 400);
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/isi/analysis?id=other.h5' });
    assert.equal(unknown.statusCode, 404);
  });
});

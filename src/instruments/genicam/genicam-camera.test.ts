import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeInNamespace } from '../../../test/support/node-in-namespace.ts';
import { Benchtop } from '../../app/benchtop.ts';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import type { Frame } from '../../core/frame.ts';
import { silentLogger } from '../../core/logger.ts';
import { FakeCamera, loopbackNamespace, NAMESPACE_ENV, whyNoFakeCamera } from './fake-camera-rig.ts';

/**
 * GenicamCamera against Aravis's own fake GigE Vision camera, an independent implementation of
 * GVCP/GVSP. The fake streams to 127.0.0.1 only in a namespace with nothing but loopback, so
 * this file runs itself again inside one and passes when that run passes.
 */

const insideNamespace = process.env[NAMESPACE_ENV];

if (!insideNamespace) {
  describe('GenicamCamera against arv-fake-gv-camera-0.8', () => {
    const skip = whyNoFakeCamera();
    it('passes inside a loopback-only network namespace', { skip }, async () => {
      const namespace = loopbackNamespace('genicam');
      try {
        const run = await nodeInNamespace(namespace.name, ['--test', fileURLToPath(import.meta.url)], {
          [NAMESPACE_ENV]: namespace.name,
        });
        assert.equal(run.code, 0, `the tests inside the namespace failed:\n${run.report}`);
      } finally {
        namespace.remove();
      }
    });
  });
} else {
  describe(`GenicamCamera in namespace ${insideNamespace}`, () => {
    const fake = new FakeCamera('BT01');
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-genicam-'));
    let bt: Benchtop;
    let url: string;
    before(async () => {
      fake.start();
      const toml = `
[server]
bind_address = "127.0.0.1"
port = 0
rate_limit_per_minute = 0
[actors]
restart_backoff_initial_ms = 100
restart_backoff_max_ms = 500
max_restarts = 1000
[storage]
output_dir = "${dir}"
[[instruments]]
id = "gige"
type = "GenicamCamera"
config = { device_id = "${fake.deviceId}", pixel_format = "Mono8", roi = { width = 512, height = 512 }, frame_rate = 50, exposure_us = 5000, buffer_frames = 16 }
`;
      bt = new Benchtop(loadBenchtopConfig({ text: toml }), silentLogger());
      const identified = bt.bus.once('instrument.identity', (e) => e.instrument === 'gige');
      ({ url } = await bt.start());
      await identified;
    });
    after(async () => {
      await bt.stop();
      await fake.kill();
      rmSync(dir, { recursive: true, force: true });
    });
    const cam = () => bt.instruments.get('gige');
    const value = async (signal: string) => (await cam().read(signal)).value;

    /** Frames from camera.frame until `count` have arrived (copies of their headers only). */
    const collect = (count: number) =>
      new Promise<Pick<Frame, 'frameNumber' | 'width' | 'height' | 'bitDepth'>[]>((resolve) => {
        const seen: Pick<Frame, 'frameNumber' | 'width' | 'height' | 'bitDepth'>[] = [];
        const off = bt.bus.on('camera.frame', ({ instrument, frame }) => {
          if (instrument !== 'gige') return;
          seen.push({
            frameNumber: frame.frameNumber,
            width: frame.width,
            height: frame.height,
            bitDepth: frame.bitDepth,
          });
          if (seen.length === count) {
            off();
            resolve(seen);
          }
        });
      });

    it('benchtop cameras list finds it with the device_id a config takes, PVCAM absent or not', () => {
      const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
      const missing = join(dir, 'no-libpvcam.so.2');
      const { cameras: listed, unlisted } = JSON.parse(
        execFileSync(process.execPath, [main, 'cameras', 'list', '--json', '--pvcam-library', missing], {
          encoding: 'utf8',
        }),
      ) as {
        cameras: { type: string; id: string; address: string; protocol: string }[];
        unlisted: { type: string; reason: string }[];
      };
      assert.deepEqual(
        unlisted.map((u) => [
          u.type,
          u.reason.includes(`PVCAM runtime (${missing}), which is not installed`),
        ]),
        [['PVCAMInstrument', true]],
      );
      const found = listed.find((c) => c.type === 'GenicamCamera' && c.id === fake.deviceId);
      assert.deepEqual(
        found && [found.address, found.protocol],
        ['127.0.0.1', 'GigEVision'],
        JSON.stringify(listed),
      );
    });

    it('identifies the fake and types its SFNC features', async () => {
      assert.equal(await value('PixelFormat'), 'Mono8');
      assert.equal(await value('Width'), 512);
      assert.equal(await value('Height'), 512);
      assert.equal(await value('ExposureTime'), 5000);
      assert.equal(await value('AcquisitionFrameRate'), 50);
      // Any feature by name: the fake's serial number, as a string.
      assert.deepEqual(await cam().call('get_feature', { name: 'DeviceVendorName' }), {
        name: 'DeviceVendorName',
        value: 'Aravis',
      });
    });

    it('streams at its rate for 10 s with consecutive frame ids and zero drops', async () => {
      const frames = collect(500);
      await cam().call('start_live');
      const seen = await frames;
      const stopped = (await cam().call('stop_live')) as { framesDropped: number };
      assert.equal(stopped.framesDropped, 0);
      for (let i = 1; i < seen.length; i++) assert.equal(seen[i]!.frameNumber, seen[i - 1]!.frameNumber + 1);
      assert.ok(seen.every((f) => f.width === 512 && f.height === 512 && f.bitDepth === 8));
      assert.equal(await value('frames_dropped'), 0);
      assert.equal(await value('packets_missing'), 0);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^benchtop_camera_frames_dropped\{instrument="gige"\} 0$/m);
    });

    it('changes exposure, region and pixel format, and frames follow', async () => {
      await cam().write('ExposureTime', 2000);
      assert.equal(await value('ExposureTime'), 2000);
      await cam().call('set_roi', { x: 64, y: 32, width: 256, height: 128 });
      assert.deepEqual(
        [await value('OffsetX'), await value('OffsetY'), await value('Width'), await value('Height')],
        [64, 32, 256, 128],
      );
      await cam().write('PixelFormat', 'Mono16');
      const frames = collect(5);
      await cam().call('start_live');
      const seen = await frames;
      // Changing the region while live restarts the stream around it.
      const sized = collect(10);
      await cam().write('Width', 128);
      const resized = (await sized).slice(-3);
      await cam().call('stop_live');
      assert.ok(seen.every((f) => f.width === 256 && f.height === 128 && f.bitDepth === 16));
      assert.ok(resized.every((f) => f.width === 128 && f.height === 128 && f.bitDepth === 16));
      await assert.rejects(cam().call('set_feature', { name: 'NoSuchFeature', value: '1' }), /NoSuchFeature/);
    });

    it('records a camera_acquire run into HDF5', async () => {
      const { uid } = bt.engine.submit('camera_acquire', { camera: 'gige', frames: 20, exposure_ms: 1 });
      const run = await bt.engine.whenFinished(uid);
      assert.equal(run.exit_status, 'success', run.reason ?? '');
      assert.equal(bt.catalog.documents(uid, { name: 'event' }).length, 20);
      const file = join(dir, bt.catalog.get(uid)!.files[0]!);
      assert.ok(file.endsWith('.h5'));
      const listing = execFileSync('h5ls', ['-r', file], { encoding: 'utf8' });
      assert.match(listing, /\/entry\/data\/gige\s+Dataset \{20\/Inf, 128, 128\}/, listing);
      assert.equal(await value('ExposureTime'), 1000);
    });

    it('streams raw Bayer and RGB8, recording the pattern and the colour axis in HDF5', async () => {
      const h5 = (uid: string) => join(dir, bt.catalog.get(uid)!.files[0]!);
      const record = async () => {
        const { uid } = bt.engine.submit('camera_acquire', { camera: 'gige', frames: 3, exposure_ms: 1 });
        const run = await bt.engine.whenFinished(uid);
        assert.equal(run.exit_status, 'success', run.reason ?? '');
        return h5(uid);
      };
      const firstFrame = () =>
        new Promise<Frame>((resolve) => {
          const off = bt.bus.on('camera.frame', ({ instrument, frame }) => {
            if (instrument !== 'gige') return;
            off();
            resolve({ ...frame, pixels: frame.pixels.slice() });
          });
        });

      // The fake's GenICam description offers BayerRG8 / GB8 / GR8 / BG8 and RGB8 beside Mono8/16.
      await cam().write('PixelFormat', 'BayerGB8');
      let next = firstFrame();
      await cam().call('snap');
      const bayer = await next;
      assert.deepEqual(
        [bayer.bayerPattern, bayer.channels, bayer.bitDepth, bayer.pixels.length],
        ['GBRG', undefined, 8, 128 * 128],
      );
      const bayerFile = await record();
      assert.match(
        execFileSync('h5ls', ['-r', bayerFile], { encoding: 'utf8' }),
        /gige\s+Dataset \{3\/Inf, 128, 128\}/,
      );
      const bayerAttr = execFileSync('h5dump', ['-a', '/entry/data/gige/bayer_pattern', bayerFile], {
        encoding: 'utf8',
      });
      assert.match(bayerAttr, /"GBRG"/, bayerAttr);

      await cam().write('PixelFormat', 'RGB8');
      next = firstFrame();
      await cam().call('snap');
      const rgb = await next;
      assert.deepEqual([rgb.channels, rgb.bayerPattern, rgb.pixels.length], [3, undefined, 128 * 128 * 3]);
      const rgbFile = await record();
      assert.match(
        execFileSync('h5ls', ['-r', rgbFile], { encoding: 'utf8' }),
        /gige\s+Dataset \{3\/Inf, 128, 128, 3\}/,
      );
      const interpretation = execFileSync('h5dump', ['-a', '/entry/data/gige/interpretation', rgbFile], {
        encoding: 'utf8',
      });
      assert.match(interpretation, /"rgb-image"/, interpretation);

      // Unsupported formats are refused before the camera is touched, naming the ones read.
      await assert.rejects(cam().write('PixelFormat', 'YUV422_8'), /"BayerRG8"/);
      await assert.rejects(
        cam().call('set_feature', { name: 'PixelFormat', value: 'YUV422_8' }),
        /pixel format "YUV422_8" is not one Benchtop reads; supported: Mono8, .*RGB8, BGR8/,
      );
      assert.equal(await value('PixelFormat'), 'RGB8');

      // Switched behind Benchtop's back (the fake's raw register, here RGBa8): frames are counted
      // as dropped and a snap fails at once, naming the format and the supported ones.
      const rgba8 = 0x02200016;
      await cam().call('set_feature', { name: 'PixelFormatRegister', value: String(rgba8) });
      await assert.rejects(
        cam().call('snap'),
        (e: Error & { code?: string }) =>
          e.code === 'VALUE_INVALID' &&
          e.message.includes(`pixel format 0x${rgba8.toString(16)}, which Benchtop does not read`) &&
          e.message.includes('Mono8, '),
      );
      const stats = (await cam().call('stream_statistics')) as { unsupportedFormatFrames: number };
      assert.ok(stats.unsupportedFormatFrames > 0, JSON.stringify(stats));
      await cam().write('PixelFormat', 'Mono8');
      await cam().call('snap');
    });

    it('is lost when the fake is killed and recovers when it returns', async () => {
      const failed = bt.bus.once('actor.state', (c) => c.id === 'gige' && c.state !== 'ready');
      await cam().call('start_live');
      await fake.kill();
      await failed;
      const back = bt.bus.once('instrument.identity', (e) => e.instrument === 'gige');
      fake.start();
      await back;
      const snap = (await cam().call('snap')) as { width: number; height: number };
      // A fresh fake starts from its defaults, and the driver applies its configuration again.
      assert.deepEqual([snap.width, snap.height], [512, 512]);
      assert.equal(await value('PixelFormat'), 'Mono8');
    });
  });
}

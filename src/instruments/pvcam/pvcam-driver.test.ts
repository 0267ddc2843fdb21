import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import type { Frame } from '../../core/frame.ts';
import { primeBsiExpress } from './camera-model.ts';
import type { FrameMetadata } from './pvcam-driver.ts';
import {
  type CameraRig,
  FrameCollector,
  meanSignal,
  spotCentroid,
  stalledConsumer,
  startCameraRig,
} from './pvcam-test-rig.ts';

const BIAS = primeBsiExpress.biasAdu;
/** Full-frame readout at 100MHz 16bit, ms. */
const READOUT_16 = (2048 * 11.35) / 1000;

const rigs: CameraRig[] = [];
async function rig(config: Record<string, unknown> = {}): Promise<CameraRig> {
  const r = await startCameraRig({ config });
  rigs.push(r);
  return r;
}
after(async () => {
  await Promise.all(rigs.map((r) => r.close()));
});

const code = (expected: string) => (e: unknown) => isBenchtopError(e) && e.code === expected;
const value = async (r: CameraRig, signal: string) => (await r.instrument.read(signal)).value;

/** Snaps through the facade: the frame ends on the ManualClock, then renders in the worker. */
async function snap(r: CameraRig): Promise<{ meta: FrameMetadata; frame: Frame }> {
  // Read the timing first: while the snap waits for its frame, the actor takes no other command.
  const exposure = (await value(r, 'exposure_ms')) as number;
  const readout = (await value(r, 'readout_time_ms')) as number;
  const collector = new FrameCollector(r.driver);
  const pending = r.instrument.call('snap') as Promise<FrameMetadata>;
  // exposure + readout (+ a pre-sequence clear), and a hair more so float sums cannot fall short.
  await r.clock.advance(exposure + readout + 1);
  const meta = await pending;
  collector.unsubscribe();
  return { meta, frame: collector.frames.at(-1)! };
}

/** Frame timestamps are epoch ms, whose float resolution is about 0.0002 ms. */
const RATE_TOLERANCE = 0.01;

describe('PVCAMInstrument: description and settings', () => {
  it('describes every contract signal with type, unit and limits', async () => {
    const r = await rig();
    const signals = new Map(r.instrument.describe().signals.map((s) => [s.name, s]));
    for (const name of [
      'exposure_ms',
      'roi.x',
      'roi.y',
      'roi.width',
      'roi.height',
      'binning',
      'trigger_mode',
      'clear_mode',
      'readout_port',
      'speed_index',
      'gain_index',
      'bit_depth',
      'temperature',
      'frame_rate',
      'frames_acquired',
      'frames_dropped',
      'acquiring',
    ]) {
      assert.ok(signals.has(name), `signal ${name}`);
    }
    assert.deepEqual(signals.get('roi.x')!.limits, { min: 0, max: 2047 });
    assert.deepEqual(signals.get('roi.width')!.limits, { min: 1, max: 2048 });
    assert.deepEqual(signals.get('gain_index')!.limits, { min: 1, max: 3 });
    assert.equal(signals.get('bit_depth')!.writable, false);
    assert.equal(signals.get('temperature')!.monitored, true);
    assert.equal(signals.get('frame_rate')!.monitored, true);
    assert.equal(signals.get('frames_dropped')!.monitored, true);
    assert.ok(signals.get('clear_mode')!.choices!.includes('pre_exposure_post_seq'));
    assert.ok(signals.get('trigger_mode')!.choices!.includes('software_edge'));
    const actions = r.instrument.describe().actions.map((a) => a.name);
    for (const name of ['snap', 'start_live', 'stop']) assert.ok(actions.includes(name), `action ${name}`);
    assert.equal(r.instrument.identity?.model, 'Prime BSI Express (simulated)');
  });

  it('readout port, speed and gain set bit depth and the frame rate the settings allow', async () => {
    const r = await rig();
    assert.equal(await value(r, 'bit_depth'), 16);
    const rate16 = (await value(r, 'frame_rate_max')) as number;
    assert.ok(Math.abs(rate16 - 1000 / READOUT_16) < 1e-9, `16-bit ${rate16}`);
    await r.instrument.write('speed_index', 1);
    assert.equal(await value(r, 'bit_depth'), 11);
    assert.equal(await value(r, 'gain_index'), 1, 'gain 1 exists at 11 bit too');
    const rate11 = (await value(r, 'frame_rate_max')) as number;
    assert.ok(rate11 > 94 && rate11 < 96, `11-bit ${rate11}`);
    await r.instrument.write('gain_index', 3);
    // Back to 16 bit: HDR has only gain 1, so the gain follows the table.
    await r.instrument.write('speed_index', 0);
    assert.equal(await value(r, 'gain_index'), 1);
    await r.instrument.write('exposure_ms', 50);
    assert.equal(await value(r, 'frame_rate_max'), 20);
    await r.instrument.write('exposure_ms', 1);
    await r.instrument.call('set_roi', { x: 0, y: 512, width: 2048, height: 1024 });
    assert.ok(Math.abs(((await value(r, 'frame_rate_max')) as number) - 2 * rate16) < 1e-6, 'half the rows');
  });

  it('rejects bad settings before they reach the camera', async () => {
    const r = await rig();
    const before = r.backendCalls().length;
    const rejects = (signal: string, v: unknown, expected: string) =>
      assert.rejects(r.instrument.write(signal, v), code(expected), `${signal} = ${JSON.stringify(v)}`);
    await rejects('roi.x', 2048, 'VALUE_OUT_OF_RANGE');
    await rejects('roi.width', 4096, 'VALUE_OUT_OF_RANGE');
    await rejects('exposure_ms', 0, 'VALUE_OUT_OF_RANGE');
    await rejects('exposure_ms', 'long', 'VALUE_INVALID');
    await rejects('binning', 3, 'VALUE_OUT_OF_RANGE');
    await rejects('binning', 1.5, 'VALUE_INVALID');
    await rejects('trigger_mode', 'bulb', 'VALUE_INVALID');
    await rejects('gain_index', 3, 'VALUE_OUT_OF_RANGE');
    await rejects('speed_index', 2, 'VALUE_OUT_OF_RANGE');
    await rejects('bit_depth', 12, 'SIGNAL_READ_ONLY');
    await assert.rejects(
      r.instrument.call('set_roi', { x: 0, y: 0, width: 0, height: 16 }),
      code('VALIDATION_FAILED'),
    );
    assert.deepEqual(r.backendCalls().slice(before), [], 'nothing reached the backend');

    // Cross-field rules the description cannot express are checked by the driver, still before the camera.
    await r.instrument.write('roi.width', 1024);
    const afterValid = r.backendCalls().length;
    await assert.rejects(r.instrument.write('roi.x', 1025), (e) => {
      assert.ok(isBenchtopError(e, 'VALUE_OUT_OF_RANGE'));
      assert.equal(e.details.signal, 'roi.width');
      assert.deepEqual(e.details.allowed, { min: 1, max: 1023 });
      return true;
    });
    await r.instrument.write('roi.width', 1022);
    const afterNarrow = r.backendCalls().length;
    await assert.rejects(r.instrument.write('binning', 4), code('VALUE_INVALID'));
    await assert.rejects(
      r.instrument.call('set_roi', { x: 1024, y: 0, width: 2048, height: 16 }),
      code('VALUE_OUT_OF_RANGE'),
    );
    assert.equal(afterNarrow - afterValid, 1, 'only the valid write was applied');
    assert.equal(r.backendCalls().length, afterNarrow);
    assert.equal(await value(r, 'roi.x'), 0);
    assert.equal(await value(r, 'binning'), 1);
  });

  it('the sensor cools toward the setpoint', async () => {
    const r = await rig();
    const start = (await value(r, 'temperature')) as number;
    await r.clock.advance(120_000);
    const later = (await value(r, 'temperature')) as number;
    assert.ok(later < start, `${later} < ${start}`);
    assert.ok(Math.abs(later - -20) < 1, `near the setpoint: ${later}`);
    await r.instrument.write('temperature_setpoint', 0);
    await r.clock.advance(300_000);
    assert.ok(Math.abs(((await value(r, 'temperature')) as number) - 0) < 0.1);
  });
});

describe('PVCAMInstrument: snap', () => {
  it('returns one full frame with its metadata, also on the bus', async () => {
    const r = await rig();
    const onBus: Frame[] = [];
    r.bus.on('camera.frame', (e) => {
      assert.equal(e.instrument, 'camera');
      onBus.push(e.frame);
    });
    const startedAt = r.clock.now();
    const { meta, frame } = await snap(r);
    assert.equal(meta.width, 2048);
    assert.equal(meta.height, 2048);
    assert.equal(meta.bitDepth, 16);
    assert.equal(meta.exposureMs, 5);
    assert.equal(meta.frameNumber, 1);
    const expectedEnd = startedAt + primeBsiExpress.clearTimeMs + 5 + READOUT_16;
    assert.ok(
      Math.abs(meta.timestamp - expectedEnd) < 1e-6,
      `timestamp at the end of readout: ${meta.timestamp}`,
    );
    assert.equal(frame.pixels.length, 2048 * 2048);
    assert.equal(frame.pixels.buffer.byteLength, 2048 * 2048 * 2, 'pixels own their buffer');
    assert.deepEqual(onBus, [frame]);
    assert.equal(await value(r, 'frames_acquired'), 1);
    assert.equal(await value(r, 'acquiring'), false);
  });

  it('the pattern moves with stage axis 2', async () => {
    const r = await rig();
    await r.instrument.call('set_roi', { x: 768, y: 768, width: 512, height: 512 });
    const before = spotCentroid((await snap(r)).frame, BIAS);
    assert.ok(r.lab.axis(2).moveTo(1));
    await r.clock.advance(1_000);
    const after = spotCentroid((await snap(r)).frame, BIAS);
    const expected = 1 * r.lab.cameraPixelsPerMm;
    assert.ok(
      Math.abs(after.x - before.x - expected) < 0.5,
      `moved ${after.x - before.x} px, expected ${expected}`,
    );
    assert.ok(Math.abs(after.y - before.y) < 0.5, `y unchanged: ${after.y - before.y}`);
  });

  it('brightness follows the laser power reaching the camera', async () => {
    const r = await rig();
    await r.instrument.call('set_roi', { x: 768, y: 768, width: 512, height: 512 });
    const full = meanSignal((await snap(r)).frame, BIAS);
    const fullPower = r.lab.beamPowerW();
    // Put the knife edge (at -10 mm on axis 1) into the middle of the beam: half the power.
    assert.ok(r.lab.axis(1).moveTo(-10));
    await r.clock.advance(5_000);
    const half = meanSignal((await snap(r)).frame, BIAS);
    const ratio = half / full;
    const expected = r.lab.beamPowerW() / fullPower;
    assert.ok(Math.abs(ratio - expected) < 0.02, `signal ratio ${ratio}, power ratio ${expected}`);
    r.lab.laser.setShutter(false);
    await r.clock.advance(1_000);
    assert.ok(Math.abs(meanSignal((await snap(r)).frame, BIAS)) < 0.1, 'dark with the shutter closed');
  });

  it('with software_edge the driver fires the trigger itself; an external trigger mode is refused', async () => {
    const r = await rig();
    await r.instrument.write('trigger_mode', 'software_edge');
    const { meta } = await snap(r);
    assert.equal(meta.frameNumber, 1);
    assert.ok(r.backendCalls().includes('trigger'));
    await r.instrument.write('trigger_mode', 'edge_rising');
    await assert.rejects(r.instrument.call('snap'), code('VALIDATION_FAILED'));
  });
});

describe('PVCAMInstrument: live', () => {
  it('delivers consecutive frames at the rate the settings allow', async () => {
    const r = await rig({ exposure_ms: 50 });
    await r.instrument.write('binning', 4);
    const frames = new FrameCollector(r.driver);
    const started = (await r.instrument.call('start_live')) as { frameRateMax: number };
    assert.equal(started.frameRateMax, 20);
    assert.equal(await value(r, 'acquiring'), true);
    await r.clock.advance(50 + READOUT_16 + primeBsiExpress.clearTimeMs + 0.01);
    await frames.waitFor(1);
    for (let n = 2; n <= 8; n++) {
      await r.clock.advance(50);
      await frames.waitFor(n);
    }
    assert.deepEqual(frames.numbers(), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(frames.frames.every((f) => f.width === 512 && f.height === 512));
    assert.ok(Math.abs(((await value(r, 'frame_rate')) as number) - 20) < RATE_TOLERANCE);
    assert.equal(await value(r, 'frames_acquired'), 8);
    assert.equal(await value(r, 'frames_dropped'), 0);
    assert.deepEqual(await r.instrument.call('stop'), { framesAcquired: 8, framesDropped: 0 });
    assert.equal(await value(r, 'frame_rate'), 0);
  });

  it('at 11 bit and short exposure the rate is readout-limited near 95 fps', async () => {
    const r = await rig({ exposure_ms: 1, speed_index: 1 });
    await r.instrument.write('binning', 4);
    const frames = new FrameCollector(r.driver);
    await r.instrument.call('start_live');
    const period = (await value(r, 'readout_time_ms')) as number;
    await r.clock.advance(1 + period + primeBsiExpress.clearTimeMs + 0.01);
    await frames.waitFor(1);
    for (let n = 2; n <= 4; n++) {
      await r.clock.advance(period);
      await frames.waitFor(n);
    }
    const rate = (await value(r, 'frame_rate')) as number;
    assert.ok(Math.abs(rate - 1000 / period) < RATE_TOLERANCE && rate > 94 && rate < 96, `${rate} fps`);
    await r.instrument.call('stop');
  });

  it('a slow consumer causes counted overruns that match the frame-number gaps', async () => {
    const r = await rig({ buffer_frames: 4 });
    await r.instrument.write('binning', 4);
    const { frames, release } = stalledConsumer(r.driver);
    await r.instrument.call('start_live');
    const period = READOUT_16;
    // Ten frames end while the consumer sits on the first one: four slots, six frames lost.
    await r.clock.advance(5 + READOUT_16 + primeBsiExpress.clearTimeMs + 9 * period + 0.01);
    await frames.waitFor(1);
    const pushed = r.readings.filter((x) => x.signal === 'frames_dropped');
    assert.ok(
      pushed.length > 0 && (pushed[0]!.value as number) > 0,
      'the overrun is pushed on the bus unasked',
    );
    assert.equal(await value(r, 'frames_dropped'), 6);
    release();
    await frames.waitFor(4);
    for (let n = 5; n <= 7; n++) {
      await r.clock.advance(period);
      await frames.waitFor(n);
    }
    assert.deepEqual(frames.numbers(), [1, 2, 3, 4, 11, 12, 13]);
    const numbers = frames.numbers();
    const gaps = numbers.slice(1).reduce((sum, n, i) => sum + (n - numbers[i]! - 1), 0);
    assert.equal(gaps, await value(r, 'frames_dropped'));
    const summary = (await r.instrument.call('stop')) as { framesDropped: number; framesAcquired: number };
    assert.deepEqual(summary, { framesAcquired: 7, framesDropped: 6 });
  });

  it('stop stops: no frame arrives afterwards, and the next snap starts a new count', async () => {
    const r = await rig();
    await r.instrument.write('binning', 4);
    const { frames, release } = stalledConsumer(r.driver);
    await r.instrument.call('start_live');
    // The consumer sits on frame 1 while frames 2-4 end and wait in the buffer; then stop.
    await r.clock.advance(5 + READOUT_16 + primeBsiExpress.clearTimeMs + 3 * READOUT_16 + 0.01);
    await frames.waitFor(1);
    await r.instrument.call('stop');
    assert.equal(await value(r, 'acquiring'), false);
    release();
    await r.clock.advance(1_000);
    const { meta } = await snap(r);
    assert.equal(meta.frameNumber, 1);
    assert.deepEqual(
      frames.numbers(),
      [1, 1],
      'nothing buffered before stop came out after it; then the snap',
    );
  });

  it('a settings change restarts live acquisition with the new settings', async () => {
    const r = await rig();
    await r.instrument.write('binning', 4);
    const frames = new FrameCollector(r.driver);
    await r.instrument.call('start_live');
    await r.instrument.write('binning', 2);
    assert.equal(await value(r, 'acquiring'), true);
    await r.clock.advance(5 + READOUT_16 + primeBsiExpress.clearTimeMs + 0.01);
    await frames.waitFor(1);
    assert.equal(frames.frames[0]!.width, 1024);
    await r.instrument.call('stop');
  });

  it('a sequence of n frames stops by itself', async () => {
    const r = await rig();
    await r.instrument.write('binning', 4);
    const frames = new FrameCollector(r.driver);
    const stopped = r.bus.once('instrument.reading', (x) => x.signal === 'acquiring' && x.value === false);
    await r.instrument.call('start_live', { frames: 3 });
    await r.clock.advance(5 + READOUT_16 + primeBsiExpress.clearTimeMs + 2 * READOUT_16 + 0.01);
    await frames.waitFor(3);
    await stopped;
    assert.equal(await value(r, 'acquiring'), false);
    assert.deepEqual(frames.numbers(), [1, 2, 3]);
  });

  it('in software_edge mode each trigger makes one frame', async () => {
    const r = await rig();
    await r.instrument.write('binning', 4);
    await r.instrument.write('trigger_mode', 'software_edge');
    const frames = new FrameCollector(r.driver);
    await r.instrument.call('start_live');
    await r.clock.advance(1_000);
    assert.equal(frames.frames.length, 0, 'nothing without a trigger');
    assert.deepEqual(await r.instrument.call('trigger'), { accepted: true });
    assert.deepEqual(await r.instrument.call('trigger'), { accepted: false }, 'still exposing');
    await r.clock.advance(5 + READOUT_16 + primeBsiExpress.clearTimeMs + 0.01);
    await frames.waitFor(1);
    await r.clock.advance(1_000);
    assert.equal(frames.frames.length, 1);
    await r.instrument.call('stop');
    await assert.rejects(r.instrument.call('trigger'), code('VALIDATION_FAILED'));
  });
});

describe('PVCAMInstrument: frames for the run engine', () => {
  /** Lets the camera end `count` frames one period apart, waiting for each to be delivered. */
  async function runFrames(r: CameraRig, exposureMs: number, count: number): Promise<void> {
    const seen = new FrameCollector(r.driver);
    await r.clock.advance(exposureMs + READOUT_16 + primeBsiExpress.clearTimeMs + 0.01);
    await seen.waitFor(1);
    for (let n = 2; n <= count; n++) {
      await r.clock.advance(Math.max(exposureMs, READOUT_16));
      await seen.waitFor(n);
    }
    seen.unsubscribe();
  }

  it('frameSource yields the requested number of frames in order, then stops the camera', async () => {
    const r = await rig();
    await r.instrument.write('binning', 4);
    const received: number[] = [];
    const consume = (async () => {
      const request = { count: 3, exposureMs: 20, signal: new AbortController().signal };
      for await (const frame of r.driver.frameSource.acquire(request)) received.push(frame.frameNumber);
    })();
    await runFrames(r, 20, 3);
    await consume;
    assert.deepEqual(received, [1, 2, 3]);
    assert.equal(await value(r, 'exposure_ms'), 20);
    assert.equal(await value(r, 'acquiring'), false);
  });

  it('an abort ends the iteration and the acquisition', async () => {
    const r = await rig();
    await r.instrument.write('binning', 4);
    const controller = new AbortController();
    const received: number[] = [];
    const consume = (async () => {
      for await (const frame of r.driver.frameSource.acquire({ signal: controller.signal })) {
        received.push(frame.frameNumber);
        if (received.length === 2) controller.abort();
      }
    })();
    await runFrames(r, 5, 2);
    await consume;
    assert.deepEqual(received, [1, 2]);
    assert.equal(await value(r, 'acquiring'), false);
  });
});

describe('PVCAMInstrument: camera lost', () => {
  it('fails the actor, which reconnects with a fresh backend', async () => {
    const r = await rig();
    const failed = r.bus.once('actor.state', (c) => c.state === 'failed');
    const ready = r.bus.once('actor.state', (c) => c.state === 'ready');
    r.backends[0]!.loseCamera(new BenchtopError('LINK_LOST', 'camera unplugged'));
    await failed;
    await assert.rejects(r.instrument.read('temperature'), code('INSTRUMENT_UNAVAILABLE'));
    await r.clock.advance(100);
    await ready;
    assert.equal(r.backends.length, 2);
    assert.ok(r.backends[0]!.calls.includes('close'));
    assert.equal((await snap(r)).meta.frameNumber, 1);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import type { RunEvent } from '../../src/core/documents.ts';
import type { Frame } from '../../src/core/frame.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { erf, knifeEdgeTransmission, maiTaiPowerW } from '../../src/sim/physics.ts';

/**
 * The whole virtual lab through every real layer: drivers talking to their wire simulators
 * over TCP, actors, the run engine and storage, all coupled by one physical model.
 */

/** Least-squares fit of P(x) = A/2·(1 + erf(√2(x − x0)/w)) + c by a grid over w and x0. */
function fitKnifeEdge(x: number[], y: number[]): { waist: number; edge: number; amplitude: number } {
  let best = { r: Number.POSITIVE_INFINITY, waist: 0, edge: 0, amplitude: 0 };
  for (let w = 0.2; w <= 1.0; w += 0.0025) {
    for (let x0 = -0.1; x0 <= 0.1; x0 += 0.005) {
      const m = x.map((xi) => 0.5 * (1 + erf((Math.SQRT2 * (xi - x0)) / w)));
      // Linear least squares for A and c given the model shape.
      const n = m.length;
      const sm = m.reduce((a, b) => a + b, 0);
      const sy = y.reduce((a, b) => a + b, 0);
      const smm = m.reduce((a, b) => a + b * b, 0);
      const smy = m.reduce((a, b, i) => a + b * y[i]!, 0);
      const a = (n * smy - sm * sy) / (n * smm - sm * sm);
      const c = (sy - a * sm) / n;
      const r = m.reduce((acc, mi, i) => acc + (a * mi + c - y[i]!) ** 2, 0);
      if (r < best.r) best = { r, waist: w, edge: x0, amplitude: a };
    }
  }
  return best;
}

/** Column profile of a frame (sum over rows), mean-subtracted. */
function columnProfile(frame: Frame): number[] {
  const { pixels, width, height } = frame;
  const profile = new Array<number>(width).fill(0);
  for (let y = 0; y < height; y += 4) for (let x = 0; x < width; x++) profile[x]! += pixels[y * width + x]!;
  const mean = profile.reduce((a, b) => a + b, 0) / width;
  return profile.map((v) => v - mean);
}

/** The horizontal shift (pixels) that best aligns frame b with frame a, by cross-correlation. */
function horizontalShift(a: Frame, b: Frame, maxShift = 200): number {
  const pa = columnProfile(a);
  const pb = columnProfile(b);
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let s = -maxShift; s <= maxShift; s++) {
    let score = 0;
    for (let x = maxShift; x < pa.length - maxShift; x++) score += pa[x]! * pb[x + s]!;
    if (score > bestScore) {
      bestScore = score;
      best = s;
    }
  }
  return best;
}

describe('the virtual lab end to end', () => {
  let bt: Benchtop;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-lab-'));
    const loaded = loadBenchtopConfig({
      file: join(import.meta.dirname, '../../config/default.toml'),
      flags: [
        { path: ['storage', 'output_dir'], value: dir, source: 'test' },
        { path: ['simulation', 'warmup_s'], value: 1, source: 'test' },
        { path: ['logging', 'groups'], value: [], source: 'test' },
      ],
    });
    bt = new Benchtop(loaded, silentLogger());
    await bt.startAcquisition();
  });
  after(async () => bt.stop());

  const inst = (id: string) => bt.instruments.get(id);

  it('all five instruments are ready', () => {
    assert.deepEqual(
      bt.instruments
        .list()
        .map((i) => [i.id, i.state])
        .sort(),
      [
        ['camera', 'ready'],
        ['dmm', 'ready'],
        ['laser', 'ready'],
        ['meter', 'ready'],
        ['stage', 'ready'],
      ],
    );
  });

  it('the laser tuned to 800 nm with the shutter open gives the expected power on the meter', async () => {
    const laser = inst('laser');
    await laser.write('wavelength', 800);
    await laser.write('shutter', false);
    for (let i = 0; i < 100 && (await laser.read('warmup')).value !== 100; i++)
      await new Promise((r) => setTimeout(r, 50));
    await laser.write('emission', true);
    await laser.write('shutter', true);
    await inst('meter').write('wavelength', 800);
    await inst('stage').write('axis1.position', 3);
    const expected = maiTaiPowerW(800) * knifeEdgeTransmission(3, 0, 0.5);
    const measured = (await inst('meter').read('power')).value as number;
    assert.ok(Math.abs(measured - expected) / expected < 0.02, `meter ${measured} W, expected ${expected} W`);
    const laserPower = (await laser.read('power')).value as number;
    assert.ok(Math.abs(laserPower - maiTaiPowerW(800)) < 0.01, `laser reports ${laserPower} W`);
    const volts = (await inst('dmm').read('voltage')).value as number;
    assert.ok(Math.abs(volts - 4 * expected) / (4 * expected) < 0.01, `photodiode ${volts} V`);
  });

  it('a knife-edge scan of axis 1 recovers the configured beam waist within 5 %', async () => {
    const { uid } = bt.engine.submit('scan', {
      detectors: ['meter.power'],
      motor: 'stage.axis1.position',
      start: -1.5,
      stop: 1.5,
      num: 41,
    });
    const run = await bt.engine.whenFinished(uid);
    assert.equal(run.exit_status, 'success', run.reason ?? '');
    const events = bt.catalog.documents(uid, { name: 'event' }).map((d) => d.doc as RunEvent);
    assert.equal(events.length, 41);
    const x = events.map((e) => e.data['stage.axis1.position'] as number);
    const y = events.map((e) => e.data['meter.power'] as number);
    const fit = fitKnifeEdge(x, y);
    assert.ok(Math.abs(fit.waist - 0.5) / 0.5 < 0.05, `fitted waist ${fit.waist} mm`);
    assert.ok(Math.abs(fit.edge) < 0.02, `fitted edge ${fit.edge} mm`);
    assert.ok(run.files.length === 1 && run.files[0]!.endsWith('.h5'));
  });

  it('a camera frame shows the test pattern moved with axis 2', async () => {
    const camera = inst('camera');
    const snap = async () => {
      const frame = bt.bus.once('camera.frame', (f) => f.instrument === 'camera');
      await camera.call('snap', {});
      return (await frame).frame;
    };
    await inst('stage').write('axis2.position', 0);
    const before = await snap();
    await inst('stage').write('axis2.position', 1);
    const shift = horizontalShift(before, await snap());
    const expected = bt.lab!.cameraPixelsPerMm;
    assert.ok(
      Math.abs(shift - expected) < 0.1 * expected,
      `pattern moved ${shift} px for 1 mm, expected ${expected}`,
    );
  });

  /** Runs a plan to completion and returns its events (from the catalog) and the run. */
  const runPlan = async (plan: string, args: Record<string, unknown>) => {
    const { uid } = bt.engine.submit(plan, args);
    const run = await bt.engine.whenFinished(uid);
    assert.equal(run.exit_status, 'success', `${plan}: ${run.reason ?? ''}`);
    const events = bt.catalog.documents(uid, { name: 'event' }).map((d) => d.doc as RunEvent);
    return { run, events, record: bt.catalog.get(uid)! };
  };

  it('count, list_scan and time_series give exact point counts and positions', async () => {
    const count = await runPlan('count', { detectors: ['meter.power', 'dmm.voltage'], num: 5, delay: 0 });
    assert.equal(count.events.length, 5);
    assert.deepEqual(
      count.events.map((e) => e.seq_num),
      [1, 2, 3, 4, 5],
    );
    assert.ok(
      count.events.every(
        (e) => typeof e.data['meter.power'] === 'number' && typeof e.data['dmm.voltage'] === 'number',
      ),
    );

    const positions = [0.4, -0.2, 0.1];
    const list = await runPlan('list_scan', {
      motor: 'stage.axis1.position',
      positions,
      detectors: ['meter.power'],
    });
    assert.deepEqual(
      list.events.map((e) => Math.round((e.data['stage.axis1.position'] as number) * 1000) / 1000),
      positions,
    );

    const series = await runPlan('time_series', { signals: ['laser.power'], interval_s: 0.2, duration_s: 1 });
    assert.equal(series.events.length, 6, 'points at 0, 0.2, … 1.0 s');
  });

  it('grid_scan visits every point, in snake order when asked', async () => {
    const { events } = await runPlan('grid_scan', {
      detectors: ['meter.power'],
      axes: [
        { motor: 'stage.axis2.position', start: 0, stop: 1, num: 2 },
        { motor: 'stage.axis1.position', start: -0.5, stop: 0.5, num: 3 },
      ],
      snake: true,
    });
    const round = (v: unknown) => Math.round((v as number) * 1000) / 1000;
    assert.deepEqual(
      events.map((e) => [round(e.data['stage.axis2.position']), round(e.data['stage.axis1.position'])]),
      [
        [0, -0.5],
        [0, 0],
        [0, 0.5],
        [1, 0.5],
        [1, 0],
        [1, -0.5],
      ],
    );
  });

  it('camera_acquire stores the frames in the run file, by reference in the documents', async () => {
    const { run, events, record } = await runPlan('camera_acquire', {
      camera: 'camera',
      frames: 5,
      exposure_ms: 5,
    });
    assert.equal(events.length, 5);
    const datums = bt.catalog.documents(run.uid, { name: 'stream_datum' });
    const rows = datums.reduce(
      (n, d) =>
        n +
        ((d.doc as { indices: { start: number; stop: number } }).indices.stop -
          (d.doc as { indices: { start: number; stop: number } }).indices.start),
      0,
    );
    assert.equal(rows, 5);
    assert.equal(bt.catalog.documents(run.uid, { name: 'stream_resource' }).length, 1);
    assert.ok(record.files[0]!.endsWith('.h5'));
  });
});

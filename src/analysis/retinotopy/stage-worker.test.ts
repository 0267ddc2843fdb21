import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BenchtopError } from '../../core/errors.ts';
import { type AnalysisParameters, defaultAnalysisParameters } from './analysis-parameters.ts';
import { DIRECTIONS, type Direction } from './direction-recording.ts';
import type { FourierMaps } from './fourier-accumulator.ts';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { OnlineFourier } from './online-fourier.ts';
import { RetinotopyAnalysis } from './retinotopy-analysis.ts';
import { mapsFromFourier } from './retinotopy-maps.ts';
import { segmentAreas } from './segmentation/area-segmentation.ts';
import { StageWorker } from './stage-worker-client.ts';
import { syntheticSession } from './test-support/synthetic-session.ts';

const pool = new FourierWorkerPool(2);
const stages = new StageWorker();
after(() => Promise.all([pool.close(), stages.close()]));

const W = 150;
const H = 120;
/** Three areas side by side (visual field signs +, −, +), as area-segmentation.test.ts draws them. */
const zigzag = (_r: number, c: number) =>
  c < 50 ? (40 * c) / 49 : c < 100 ? 40 - (40 * (c - 50)) / 49 : (40 * (c - 100)) / 49;
// The synthetic recipe of retinotopy.md §4 with its awkward timestamps: jitter, dropped frames,
// a gap between sweeps, a recording that stops mid-cycle, noise, uint16 frames.
const session = syntheticSession({
  width: W,
  height: H,
  fps: 4,
  cycles: 3,
  recordedCycles: 2.6,
  gapS: 2,
  jitterUs: 3000,
  dropRate: 0.03,
  noise: 2e-4,
  uint16: true,
  azimuthAt: zigzag,
});
const accumulated = {} as Record<Direction, OnlineFourier>;
const fourier = {} as Record<Direction, FourierMaps>;
before(async () => {
  for (const d of DIRECTIONS) {
    const rec = session[d];
    accumulated[d] = new OnlineFourier(pool, W, H, rec.timing);
    for (let start = 0; start < rec.frameCount; start += 16) {
      const chunk = await rec.readFrames(start, Math.min(16, rec.frameCount - start));
      await accumulated[d].addFrames(chunk.frames, chunk.timestampsUs);
    }
    fourier[d] = await accumulated[d].maps();
  }
});

/** Every value the same, bit for bit (Object.is: NaN equals NaN, −0 differs from +0). */
function assertSameValues(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  assert.equal(actual.constructor, expected.constructor, `${name}: element type`);
  assert.equal(actual.length, expected.length, `${name}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]))
      assert.fail(`${name}[${i}]: ${actual[i]} in the worker, ${expected[i]} here`);
  }
}

/** Runs `work` while a setImmediate chain turns on this thread; how many turns it made. */
async function immediateTurnsDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; turns: number; atCall: number }> {
  let turns = 0;
  let done = false;
  const turn = () => {
    turns++;
    if (!done) setImmediate(turn);
  };
  setImmediate(turn);
  const pending = work();
  const atCall = turns;
  const result = await pending;
  done = true;
  return { result, turns, atCall };
}

describe('the stage worker (stage 1 read-out, stages 2–4)', () => {
  for (const leakageCorrection of [true, false]) {
    it(`stage 1's read-out is the in-thread one bit for bit (leakage_correction ${leakageCorrection})`, async () => {
      for (const d of DIRECTIONS) {
        const here = await accumulated[d].maps({ leakageCorrection });
        const there = await stages.readOut(accumulated[d], { leakageCorrection });
        assert.deepEqual([there.width, there.height, there.frames], [here.width, here.height, here.frames]);
        assert.ok(here.frames > 0);
        for (const key of ['phase', 'magnitude', 'deltaROverR', 'coherence', 'mean'] as const)
          assertSameValues(`${d} ${key}`, there[key], here[key]);
      }
    });
  }

  for (const cameraFlip of [false, true]) {
    it(`position maps, delays and field signs are the in-thread ones bit for bit (camera_flip ${cameraFlip})`, async () => {
      const options = { cameraFlip, coherenceThreshold: 0.3 };
      const here = mapsFromFourier(fourier, session, options);
      const there = await stages.maps(fourier, session, options);
      assert.equal(there.width, W);
      assert.equal(there.height, H);
      assert.equal(there.fourier, fourier);
      for (const key of [
        'azimuth',
        'altitude',
        'azimuthDelay',
        'altitudeDelay',
        'rawVfs',
        'coherenceVfs',
      ] as const)
        assertSameValues(key, there[key], here[key]);
      // The field is not trivially zero: the comparison has something to compare.
      assert.ok(here.rawVfs.some((v) => v > 0.5) && here.rawVfs.some((v) => v < -0.5));
      // The caller's stage-1 maps stay its own (the worker got copies).
      assert.equal(fourier.LR.phase.length, W * H);
    });
  }

  it('a read-out holds the frames added before it was asked for, not those added while it runs', async () => {
    const rec = session.LR;
    const online = new OnlineFourier(pool, W, H, rec.timing);
    const half = Math.floor(rec.frameCount / 2);
    const first = await rec.readFrames(0, half);
    await online.addFrames(first.frames, first.timestampsUs);
    const here = await online.maps();
    const pending = stages.readOut(online);
    const rest = await rec.readFrames(half, rec.frameCount - half);
    const adding = online.addFrames(rest.frames, rest.timestampsUs);
    const there = await pending;
    await adding;
    assert.equal(there.frames, here.frames);
    assertSameValues('phase', there.phase, here.phase);
    assert.ok(online.framesUsed > here.frames);
  });

  const variants: [string, Partial<AnalysisParameters>][] = [
    ['Zhuang', {}],
    ['Zhuang, camera flipped', { camera_flip: true }],
    ['Zhuang, no split or merge', { split_ratio: 1e9, merge_overlap: 0 }],
    ['Garrett', { method: 'garrett' }],
  ];
  for (const [name, overrides] of variants) {
    it(`the segmentation (${name}) is the in-thread one bit for bit`, async () => {
      const p = { ...defaultAnalysisParameters(), ...overrides };
      const maps = mapsFromFourier(fourier, session, {});
      const grid = { width: W, height: H };
      const here = segmentAreas(maps.azimuth, maps.altitude, grid, p);
      const there = await stages.segment(maps.azimuth, maps.altitude, grid, p);
      assert.ok(here.areas.length > 0, 'the maps have areas');
      assert.deepStrictEqual(there.areas, here.areas);
      assertSameValues('areaMap', there.areaMap, here.areaMap);
      assertSameValues('boundaryMap', there.boundaryMap, here.boundaryMap);
      assertSameValues('signMap', there.signMap, here.signMap);
      assertSameValues('signMapFiltered', there.signMapFiltered, here.signMapFiltered);
    });
  }

  it('keeps the event loop free: immediates go on turning while a segmentation runs', async () => {
    const maps = mapsFromFourier(fourier, session, {});
    const grid = { width: W, height: H };
    const p = defaultAnalysisParameters();
    // On the calling thread (the old path) the segmentation is done before any immediate can run.
    const inThread = await immediateTurnsDuring(async () =>
      segmentAreas(maps.azimuth, maps.altitude, grid, p),
    );
    assert.equal(inThread.turns, 0);
    const inWorker = await immediateTurnsDuring(() => stages.segment(maps.azimuth, maps.altitude, grid, p));
    assert.equal(inWorker.atCall, 0);
    assert.ok(inWorker.turns > 0, 'no immediate ran while the worker segmented');
    assert.deepStrictEqual(inWorker.result.areas, inThread.result.areas);
  });

  it('RetinotopyAnalysis runs stages 2–4 in the worker: the event loop turns during results()', async () => {
    const analysis = new RetinotopyAnalysis(pool, stages, session);
    await analysis.accumulateAll(64);
    const { result, turns } = await immediateTurnsDuring(() => analysis.results(defaultAnalysisParameters()));
    assert.ok(turns > 0);
    const maps = mapsFromFourier(fourier, session, { coherenceThreshold: 0.3 });
    assertSameValues('azimuth', result.azimuth, maps.azimuth);
    const areas = segmentAreas(maps.azimuth, maps.altitude, result.grid, defaultAnalysisParameters()).areas;
    assert.deepStrictEqual(result.segmentation.areas, areas);
  });

  it('a stage error comes back as the error it is: class, code, message and details', async () => {
    const grid = { width: W, height: H };
    const short = new Float64Array(10);
    await assert.rejects(stages.segment(short, short, grid, defaultAnalysisParameters()), (err: unknown) => {
      assert.ok(err instanceof BenchtopError);
      assert.equal(err.code, 'VALUE_INVALID');
      assert.equal(err.message, 'segmentation: azimuth has 10 values, a 150 × 120 grid needs 18000');
      assert.deepEqual(err.details, {
        stage: 'segmentation',
        map: 'azimuth',
        values: 10,
        width: W,
        height: H,
      });
      return true;
    });
    // The worker is still there for the next request.
    const maps = mapsFromFourier(fourier, session, {});
    const there = await stages.maps(fourier, session, {});
    assertSameValues('azimuth', there.azimuth, maps.azimuth);
  });

  it('a worker that dies fails its request with a clear error and is started again for the next', async () => {
    let spawned = 0;
    const crashing = new StageWorker({
      spawn: () =>
        spawned++ === 0
          ? // Dies on its first request, as a thread killed mid-computation would.
            new Worker("require('node:worker_threads').parentPort.once('message', () => process.exit(3))", {
              eval: true,
            })
          : new Worker(new URL('./stage-worker.ts', import.meta.url)),
    });
    try {
      const maps = mapsFromFourier(fourier, session, {});
      const grid = { width: W, height: H };
      await assert.rejects(crashing.segment(maps.azimuth, maps.altitude, grid, defaultAnalysisParameters()), {
        name: 'BenchtopError',
        code: 'INTERNAL',
        message: 'the retinotopy stage worker exited with code 3 during a segmentation request',
      });
      const again = await crashing.segment(maps.azimuth, maps.altitude, grid, defaultAnalysisParameters());
      assert.equal(spawned, 2);
      assert.deepStrictEqual(
        again.areas,
        segmentAreas(maps.azimuth, maps.altitude, grid, defaultAnalysisParameters()).areas,
      );
      assert.equal(crashing.inFlight, 0);
    } finally {
      await crashing.close();
    }
  });

  it('closing fails what is in flight and refuses what comes after', async () => {
    const closing = new StageWorker();
    const maps = mapsFromFourier(fourier, session, {});
    const grid = { width: W, height: H };
    const inFlight = closing.segment(maps.azimuth, maps.altitude, grid, defaultAnalysisParameters());
    const failed = assert.rejects(inFlight, {
      message: 'the retinotopy stage worker was closed during a segmentation request',
    });
    await closing.close();
    await failed;
    await assert.rejects(closing.maps(fourier, session, {}), {
      message: 'the retinotopy stage worker is closed',
    });
  });
});

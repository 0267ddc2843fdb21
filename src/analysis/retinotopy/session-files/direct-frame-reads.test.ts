import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultAnalysisParameters } from '../analysis-parameters.ts';
import { DIRECTIONS } from '../direction-recording.ts';
import { FourierWorkerPool } from '../fourier-worker-pool.ts';
import { RetinotopyAnalysis } from '../retinotopy-analysis.ts';
import { StageWorker } from '../stage-worker-client.ts';
import { syntheticSession } from '../test-support/synthetic-session.ts';
import { writeBenchtopSession } from '../test-support/write-benchtop-session.ts';
import { writeGuideLayoutSession } from '../test-support/write-guide-layout.ts';
import { openBenchtopSession } from './benchtop-session.ts';
import type { GuideLayoutSession } from './guide-layout-session.ts';
import { openGuideLayoutSession } from './guide-layout-session.ts';

const PYTHON = '/usr/bin/python3';
const rechunk = fileURLToPath(new URL('../test-support/rechunk_camera_file.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'benchtop-direct-reads-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const h5py = spawnSync(PYTHON, ['-c', 'import h5py']).status === 0 ? false : 'h5py not installed';

async function analyse(directReads: boolean, open = openGuideLayoutSession, path = dir) {
  const session: GuideLayoutSession = await open(path, { directReads });
  const pool = new FourierWorkerPool(2);
  const stages = new StageWorker();
  try {
    const direct = DIRECTIONS.filter((d) => session.recordings[d].framesInFile);
    const analysis = new RetinotopyAnalysis(pool, stages, session.recordings);
    // 7 frames per chunk: chunks cross the file's chunk boundaries and the window's edges.
    await analysis.accumulateAll(7);
    const results = await analysis.results({ ...defaultAnalysisParameters(), small_patch_px: 10 });
    return { direct, results };
  } finally {
    session.close();
    await Promise.all([pool.close(), stages.close()]);
  }
}

function session() {
  return syntheticSession({
    width: 24,
    height: 18,
    fps: 4,
    cycles: 3,
    gapS: 2,
    jitterUs: 3000,
    dropRate: 0.03,
    uint16: true,
    amplitude: 0.02,
    noise: 0.01,
  });
}

describe('frames read by the workers straight from the file', () => {
  it('give the same maps, bit for bit, as frames read through HDF5', { skip: h5py }, async () => {
    await writeGuideLayoutSession(dir, session());
    // h5wasm wrote contiguous frames; three of the directions as h5py writes chunked ones.
    const layouts = { LR: 1, RL: 3, TB: 0, BT: null } as const;
    for (const [d, perChunk] of Object.entries(layouts)) {
      if (perChunk === null) continue;
      const r = spawnSync(PYTHON, [rechunk, join(dir, `${d}_camera.h5`), String(perChunk)], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
    }
    const direct = await analyse(true);
    const viaHdf5 = await analyse(false);
    assert.deepEqual(direct.direct, [...DIRECTIONS], 'every direction read directly');
    assert.deepEqual(viaHdf5.direct, []);
    const azimuth = [...direct.results.azimuth].filter(Number.isFinite);
    assert.ok(azimuth.length > 0 && Math.max(...azimuth) - Math.min(...azimuth) > 10, 'real maps');
    assert.deepStrictEqual(direct.results, viaHdf5.results);
  });

  it('give the same maps, bit for bit, from a session file Benchtop recorded (SWMR, extensible array)', async () => {
    const path = join(dir, 'benchtop-session.h5');
    await writeBenchtopSession(path, session());
    const direct = await analyse(true, openBenchtopSession, path);
    const viaHdf5 = await analyse(false, openBenchtopSession, path);
    assert.deepEqual(direct.direct, [...DIRECTIONS], 'every direction read directly');
    assert.deepEqual(viaHdf5.direct, []);
    const azimuth = [...direct.results.azimuth].filter(Number.isFinite);
    assert.ok(azimuth.length > 0 && Math.max(...azimuth) - Math.min(...azimuth) > 10, 'real maps');
    assert.deepStrictEqual(direct.results, viaHdf5.results);
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultAnalysisParameters } from '../analysis-parameters.ts';
import { analyzeSession } from '../analyze-session.ts';
import { FourierWorkerPool } from '../fourier-worker-pool.ts';
import { syntheticSession, trueAltitude, trueAzimuth } from '../test-support/synthetic-session.ts';
import { writeBenchtopSession } from '../test-support/write-benchtop-session.ts';
import { writeGuideLayoutSession } from '../test-support/write-guide-layout.ts';

const dir = mkdtempSync(join(tmpdir(), 'benchtop-isi-session-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("analysis of Benchtop's own session files", () => {
  it('recovers the maps from a session file in Benchtop layout, the same as from the guide layout', async () => {
    const W = 24;
    const H = 18;
    const session = syntheticSession({
      width: W,
      height: H,
      fps: 4,
      cycles: 3,
      gapS: 2,
      jitterUs: 3000,
      dropRate: 0.03,
      uint16: true,
      amplitude: 0.02,
    });
    const file = join(dir, 'session.h5');
    await writeBenchtopSession(file, session);
    const guide = join(dir, 'guide');

    mkdirSync(guide);
    await writeGuideLayoutSession(guide, session);
    const p = { ...defaultAnalysisParameters(), small_patch_px: 10 };
    const fromFile = await analyzeSession(file, p, undefined, new FourierWorkerPool(2));
    const fromGuide = await analyzeSession(guide, p, undefined, new FourierWorkerPool(2));
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const i = r * W + c;
        assert.ok(Math.abs((fromFile.azimuth[i] as number) - trueAzimuth(c, W)) < 0.5, `azimuth ${r},${c}`);
        assert.ok(
          Math.abs((fromFile.altitude[i] as number) - trueAltitude(r, H)) < 0.5,
          `altitude ${r},${c}`,
        );
      }
    }
    // The baselines and NaN angles in Benchtop's record do not change the timing: same maps.
    assert.deepEqual(fromFile.azimuth, fromGuide.azimuth);
    assert.deepEqual(fromFile.altitude, fromGuide.altitude);
  });

  it('refuses a file that is not a Benchtop session', async () => {
    const p = defaultAnalysisParameters();
    await assert.rejects(
      analyzeSession(join(dir, 'guide', 'LR_camera.h5'), p, undefined, new FourierWorkerPool(1)),
      {
        code: 'VALUE_INVALID',
      },
    );
  });
});

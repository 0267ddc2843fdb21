import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventBus } from '../core/bus.ts';
import { ManualClock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import { silentLogger } from '../core/logger.ts';
import { IsiAnalysisService } from './isi-analysis-service.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-analysis-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a recording that ended before every direction was swept fails naming the missing ones, without a file analysis', async () => {
  const analysis = new IsiAnalysisService({ outputDir: root, log: silentLogger() });
  try {
    const online = analysis.follow({
      session: 's1',
      path: join(root, 'isi', 's1.h5'),
      bus: new EventBus<BenchtopEvents>(),
      clock: new ManualClock(),
    });
    // One LR sweep frame presented; nothing else. No session file exists at all, so a file
    // analysis, had one started, would fail with a different (file) error.
    online.begin({
      problems: [],
      refresh_hz: 60,
      frame_count: 120,
      segments: [
        { phase: 'sweep', direction: 'LR', startFrame: 0, frames: 60 },
        { phase: 'sweep', direction: 'RL', startFrame: 60, frames: 60 },
      ],
    });
    online.stimulusFrames('LR', [
      { index: 0, direction: 'LR', phase: 'sweep', sweep: 0, barDeg: -40, presentedAt: 0 },
    ]);
    assert.deepEqual(online.unswept(), ['RL', 'TB', 'BT']);
    analysis.recordingEnded(online.analysis);
    const info = await analysis.settled(online.analysis);
    assert.equal(info.state, 'failed');
    assert.match(info.error ?? '', /no sweep of RL, TB, BT; the analysis needs all four directions/);
  } finally {
    await analysis.close();
  }
});

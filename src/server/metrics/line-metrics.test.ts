import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventBus } from '../../core/bus.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { BenchtopMetrics } from './benchtop-metrics.ts';

const dir = mkdtempSync(join(tmpdir(), 'line-metrics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('line metrics', () => {
  it('exports each line’s defect rate, PLC and camera links, parts and store backlog at scrape time', async () => {
    const metrics = new BenchtopMetrics({
      bus: new EventBus<BenchtopEvents>(),
      instruments: { list: () => [], get: () => assert.fail('no instruments') },
      dataDir: dir,
    });
    let health = {
      lineId: 'assembly1',
      defectRate: 0.12,
      plcConnected: true as boolean | null,
      visionConnected: { station01: false, station02: null } as Record<string, boolean | null>,
      parts: 420,
      queuedRecords: 7,
    };
    metrics.attachLines([{ health: () => health }]);
    const text = await metrics.text();
    assert.match(text, /^benchtop_line_defect_rate\{line="assembly1"\} 0\.12$/m);
    assert.match(text, /^benchtop_line_plc_connected\{line="assembly1"\} 1$/m);
    assert.match(text, /^benchtop_line_vision_connected\{line="assembly1",station="station01"\} 0$/m);
    assert.doesNotMatch(text, /station02/, 'a station never inspected has no value yet');
    assert.match(text, /^benchtop_line_parts\{line="assembly1"\} 420$/m);
    assert.match(text, /^benchtop_line_store_queued_records\{line="assembly1"\} 7$/m);
    health = { ...health, plcConnected: false };
    assert.match(await metrics.text(), /^benchtop_line_plc_connected\{line="assembly1"\} 0$/m);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import { ManualClock } from '../core/clock.ts';
import { ProductionLines } from './production-lines.ts';
import { SqliteLineStore } from './store/sqlite-line-store.ts';
import { FakeLinePlc } from './testing/fake-line-plc.ts';
import { FakeStationVision } from './testing/fake-station-vision.ts';

const dir = mkdtempSync(join(tmpdir(), 'production-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const toml = `
[storage]
output_dir = "${dir}"
[[instruments]]
id = "plc1"
type = "MaiTai"
config = { serial_port = "/dev/null" }
[[instruments]]
id = "cam1"
type = "MaiTai"
config = { serial_port = "/dev/null" }
[[lines]]
id = "assembly1"
plc = "plc1"
part_event = "Part.Completed"
part_fields = { id = "Part.Id", sku = "Part.Sku" }
state_tag = "Line.State"
result_tag = "Quality.Result"
ideal_cycle_ms = 1200
target_per_hour = 2800
[[lines.stations]]
id = "s1"
vision = "cam1"
defect_classes = { scratch = "scratch_score" }
`;

describe('ProductionLines', () => {
  it('assembles a tracker per configured line over the adapters, tracks, and writes the backlog on stop', async () => {
    const { config } = loadBenchtopConfig({ text: toml, env: {} });
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 8));
    const plc = new FakeLinePlc(clock, {
      'Line.State': 1,
      'Part.Completed': false,
      'Part.Id': '',
      'Part.Sku': '',
    });
    const vision = new FakeStationVision();
    const asked: string[] = [];
    let tracked = 0;
    const path = join(dir, 'production.sqlite');
    const lines = await ProductionLines.open(config, {
      clock,
      adapters: {
        plc: (id) => {
          asked.push(`plc:${id}`);
          return plc;
        },
        vision: (id, station) => {
          asked.push(`vision:${id}/${station}`);
          return vision;
        },
      },
      onTracked: () => {
        tracked += 1;
      },
    });
    assert.deepEqual(asked, ['plc:plc1', 'vision:cam1/s1']);
    assert.equal(lines.store.kind, 'sqlite');
    await lines.start();
    vision.script({ fields: { scratch_score: 0.9 } }, { fields: { scratch_score: 0.1 } });
    plc.completePart({ 'Part.Id': 'A', 'Part.Sku': 'X' });
    plc.completePart({ 'Part.Id': 'B', 'Part.Sku': 'X' });
    await lines.stop();
    assert.equal(tracked, 2);
    assert.deepEqual(
      plc.writes.map((w) => w.value),
      [2, 1],
    );
    const reopened = new SqliteLineStore(path);
    const parts = await reopened.parts({ lineId: 'assembly1', from: 0, to: Number.MAX_SAFE_INTEGER });
    await reopened.close();
    assert.deepEqual(
      parts.map((p) => [p.partId, p.result]),
      [
        ['A', 'fail'],
        ['B', 'pass'],
      ],
    );
  });
});

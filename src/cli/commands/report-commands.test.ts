import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { isBenchtopError } from '../../core/errors.ts';
import { SqliteLineStore } from '../../production/store/sqlite-line-store.ts';
import { testLineConfig } from '../../production/testing/line-test-config.ts';
import { syntheticShiftRecords } from '../../production/testing/synthetic-shift.ts';
import { addCommand } from '../command-spec.ts';
import { COMMANDS } from '../main.ts';

/** The `report` command as main.ts declares it, writing to `out`. */
function reportCommand(env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Command {
  const program = new Command('benchtop').exitOverride();
  addCommand(program, COMMANDS.find((c) => c.name === 'report')!, { env, out, err: process.stderr });
  return program;
}

const dir = mkdtempSync(join(tmpdir(), 'report-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'line.toml');

before(async () => {
  // Instruments of a type this branch knows stand in for the PLC and camera (no tag lists to check).
  writeFileSync(
    config,
    `[storage]
output_dir = "${join(dir, 'data')}"
[[instruments]]
id = "line_plc"
type = "MaiTai"
config = { serial_port = "/dev/null" }
[[instruments]]
id = "vision"
type = "MaiTai"
config = { serial_port = "/dev/null" }
[[lines]]
id = "assembly1"
plc = "line_plc"
part_event = "Part.Completed"
part_fields = { id = "Part.Id", sku = "Part.Sku" }
state_tag = "Line.State"
result_tag = "Quality.Result"
ideal_cycle_ms = 1200
target_per_hour = 2800
shifts = [ { name = "A", start = "06:00", end = "14:00", breaks = ["10:00-10:20"] }, { name = "B", start = "14:00", end = "22:00" } ]
[[lines.stations]]
id = "station01"
vision = "vision"
defect_classes = { scratch = "scratch_score", dent = "dent_score" }
rework_classes = ["dent"]
`,
  );
  const store = new SqliteLineStore(join(dir, 'data', 'production.sqlite'));
  const shift = syntheticShiftRecords(testLineConfig(), {
    seed: 5,
    date: '2026-12-01',
    shiftName: 'A',
    faultAt: '09:00',
    faultMs: 10 * 60_000,
    faultCode: 'F301',
    microStopRate: 0.05,
    microStopMs: 2000,
    jitterMs: 100,
    defectRates: { scratch: 0.02, dent: 0.01 },
  });
  await store.write(shift.batch);
  await store.close();
});

async function run(args: string[]): Promise<string> {
  let text = '';
  const out = new Writable({
    write(chunk, _e, done) {
      text += String(chunk);
      done();
    },
  });
  await reportCommand({}, out).parseAsync(['report', ...args, '--config', config], { from: 'user' });
  return text;
}

describe('benchtop report', () => {
  it('shift --out report.pdf writes a one-page PDF from the store', async () => {
    const file = join(dir, 'report.pdf');
    const said = await run([
      'shift',
      '--line',
      'assembly1',
      '--date',
      '2026-12-01',
      '--shift',
      'A',
      '--out',
      file,
    ]);
    assert.match(said, /report\.pdf: Line assembly1 — shift A, 2026-12-01: \d{4,} parts, OEE \d+\.\d %/);
    assert.match(execFileSync('pdfinfo', [file]).toString(), /^Pages:\s+1$/m);
  });

  it('batch --out day.csv writes the CSV; an unknown shift or line is a clear error', async () => {
    const file = join(dir, 'day.csv');
    await run(['batch', '--line', 'assembly1', '--batch', 'B20261201', '--out', file]);
    assert.match(readFileSync(file, 'utf8'), /^downtime_reason,duration_min,stops\nF301,10,1$/m);
    await assert.rejects(
      run(['shift', '--line', 'assembly1', '--date', '2026-12-01', '--shift', 'Z', '--out', file]),
      (e) => isBenchtopError(e, 'NOT_FOUND') && /no shift "Z"/.test(e.message),
    );
    await assert.rejects(
      run(['shift', '--line', 'nope', '--date', '2026-12-01', '--shift', 'A', '--out', file]),
      (e) => isBenchtopError(e, 'NOT_FOUND'),
    );
    await assert.rejects(
      run([
        'shift',
        '--line',
        'assembly1',
        '--date',
        '2026-12-01',
        '--shift',
        'A',
        '--out',
        join(dir, 'x.txt'),
      ]),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
  });
});

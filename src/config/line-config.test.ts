import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import { ConfigError, formatIssue } from './issues.ts';
import { plannedIntervals, shiftsOverlap } from './shift-times.ts';

// A LogixPlc and a KeyenceCvx as the issue's line has them; the tests look at what [[lines]]
// validation says about the line against them.
const instruments = `
[[instruments]]
id = "line_plc"
type = "LogixPlc"
[instruments.config]
host = "127.0.0.1"
tags = [ { name = "Part.Completed", type = "BOOL" }, { name = "Part.Id", type = "DINT" }, { name = "Part.Sku", type = "DINT" }, { name = "Line.State", type = "DINT" }, { name = "Quality.Result", type = "DINT", writable = true } ]

[[instruments]]
id = "vision"
type = "KeyenceCvx"
[instruments.config]
host = "127.0.0.1"
outputs = [ { index = 0, name = "judgement", kind = "judgement" }, { index = 1, name = "scratch_score", kind = "score" }, { index = 2, name = "dent_score", kind = "score" } ]
`;

const line = (overrides: { shifts?: string; part_fields?: string; vision?: string; plc?: string } = {}) => `
[[lines]]
id = "assembly1"
plc = "${overrides.plc ?? 'line_plc'}"
part_event = "Part.Completed"
part_fields = ${overrides.part_fields ?? '{ id = "Part.Id", sku = "Part.Sku" }'}
state_tag = "Line.State"
result_tag = "Quality.Result"
ideal_cycle_ms = 1200
target_per_hour = 2800
shifts = ${overrides.shifts ?? '[ { name = "A", start = "06:00", end = "14:00", breaks = ["10:00-10:20"] }, { name = "B", start = "14:00", end = "22:00" } ]'}
[[lines.stations]]
id = "station01"
vision = "${overrides.vision ?? 'vision'}"
defect_classes = { scratch = "scratch_score", dent = "dent_score" }
`;

/** 1-based line of the first line starting with `prefix`. */
const lineOf = (text: string, prefix: string) => text.split('\n').findIndex((l) => l.startsWith(prefix)) + 1;

function lineProblems(text: string): string[] {
  try {
    const { config } = loadBenchtopConfig({ text, file: 'line.toml', env: {} });
    return config.lines.length >= 0 ? [] : ['unreachable'];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.filter((i) => i.path[0] === 'lines').map(formatIssue);
  }
}

describe('[[lines]] configuration', () => {
  it('the issue example is accepted with its defaults filled', () => {
    assert.deepEqual(lineProblems(instruments + line()), []);
    const { config } = loadBenchtopConfig({ text: instruments + line(), env: {} });
    assert.deepEqual(
      config.lines.map((l) => [l.id, l.plc, l.stations.map((s) => s.vision)]),
      [['assembly1', 'line_plc', ['vision']]],
    );
  });

  it('a line without instruments to check against loads and gets defaults', () => {
    const text = line().replace('[[lines.stations]]', '[[lines.stations]]');
    const noTags = `[[instruments]]\nid = "line_plc"\ntype = "MaiTai"\nconfig = { serial_port = "/dev/null" }\n[[instruments]]\nid = "vision"\ntype = "MaiTai"\nconfig = { serial_port = "/dev/null" }\n${text}`;
    const { config } = loadBenchtopConfig({ text: noTags, env: {} });
    const [l] = config.lines;
    assert.equal(l!.id, 'assembly1');
    assert.equal(l!.shifts[1]!.breaks.length, 0);
    assert.equal(l!.stations[0]!.defect_threshold, 0.75);
    assert.equal(l!.stations[0]!.timeout_ms, 3000);
    assert.deepEqual(l!.stations[0]!.defect_classes, { scratch: 'scratch_score', dent: 'dent_score' });
  });

  it('an unknown PLC or vision instrument is an error with its line', () => {
    const problems = lineProblems(instruments + line({ plc: 'plc9', vision: 'cam9' }));
    const text = instruments + line({ plc: 'plc9', vision: 'cam9' });
    assert.deepEqual(problems, [
      `lines[0].plc: no instrument with id "plc9" (line ${lineOf(text, 'plc = ')}, column 1)`,
      `lines[0].stations[0].vision: no instrument with id "cam9" (line ${lineOf(text, 'vision = ')}, column 1)`,
    ]);
  });

  it('a tag the PLC does not declare is an error with its line', () => {
    const text = instruments + line({ part_fields: '{ id = "Part.Id", sku = "Part.SKU" }' });
    const problems = lineProblems(text);
    assert.equal(problems.length, 1);
    assert.ok(
      problems[0]!.startsWith(
        `lines[0].part_fields.sku: tag "Part.SKU" is not in the tags of instrument "line_plc" (line ${lineOf(text, 'part_fields')},`,
      ),
      problems[0],
    );
  });

  it('an alarm_tag the PLC does not declare is an error too', () => {
    const text = (instruments + line()).replace('result_tag =', 'alarm_tag = "Alarm.Cod"\nresult_tag =');
    const problems = lineProblems(text);
    assert.equal(problems.length, 1);
    assert.ok(
      problems[0]!.startsWith(
        'lines[0].alarm_tag: tag "Alarm.Cod" is not in the tags of instrument "line_plc"',
      ),
      problems[0],
    );
  });

  it('a vision output the camera does not declare is an error', () => {
    const text = (instruments + line()).replace('dent = "dent_score"', 'dent = "dent_scor"');
    assert.deepEqual(lineProblems(text).length, 1);
    assert.match(lineProblems(text)[0]!, /defect_classes\.dent: output "dent_scor" is not in the outputs/);
  });

  it('overlapping shifts, a break outside its shift and bad times are errors', () => {
    const text =
      instruments +
      line({
        shifts:
          '[ { name = "A", start = "06:00", end = "14:00", breaks = ["15:00-15:10"] }, { name = "B", start = "13:30", end = "22:00" } ]',
      });
    const overlapping = lineProblems(text);
    assert.equal(overlapping.length, 2, overlapping.join('\n'));
    assert.match(overlapping[0]!, /shifts\[0\]\.breaks\[0\]: break 15:00-15:10 is not inside shift A/);
    assert.match(
      overlapping[1]!,
      /shifts\[1\]: shift B \(13:30-22:00\) overlaps shift A \(06:00-14:00\) \(line \d+/,
    );
    assert.ok(overlapping[1]!.includes(`(line ${lineOf(text, 'shifts')},`), overlapping[1]);
    const badTime = lineProblems(
      instruments + line({ shifts: '[ { name = "A", start = "6:00", end = "25:00" } ]' }),
    );
    assert.equal(badTime.length, 2, badTime.join('\n'));
    assert.match(badTime[0]!, /shifts\[0\]\.start: expected string matching/);
  });

  it('a night shift wraps midnight and overlaps an early shift', () => {
    const night = { name: 'N', start: '22:00', end: '06:00', breaks: [] };
    assert.equal(shiftsOverlap(night, { name: 'A', start: '05:00', end: '13:00', breaks: [] }), true);
    assert.equal(shiftsOverlap(night, { name: 'A', start: '06:00', end: '14:00', breaks: [] }), false);
    const planned = plannedIntervals({ ...night, breaks: ['02:00-02:30'] }, '2026-12-01', 60);
    assert.deepEqual(
      planned.map((p) => [new Date(p.start).toISOString(), new Date(p.end).toISOString()]),
      [
        ['2026-12-01T21:00:00.000Z', '2026-12-02T01:00:00.000Z'],
        ['2026-12-02T01:30:00.000Z', '2026-12-02T05:00:00.000Z'],
      ],
    );
  });
});

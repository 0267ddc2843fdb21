import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import { ConfigError, formatIssue } from './issues.ts';

/** A PLC of four points and a SCPI meter whose signals have dots, one write-only and one string. */
const INSTRUMENTS = `
[[instruments]]
id = "plc"
type = "ModbusPlc"
[instruments.config]
host = "127.0.0.1"
points = [
  { name = "mfc1_setpoint", table = "holding", address = 0, writable = true },
  { name = "mfc1_flow", table = "holding", address = 2 },
  { name = "pump", table = "coil", address = 0, type = "bool", writable = true },
  { name = "temperature", table = "input", address = 0 },
]

[[instruments]]
id = "dmm"
type = "ScpiInstrument"
[instruments.config]
resource = "TCPIP0::127.0.0.1::5025::SOCKET"
signals = [
  { name = "volt.dc", query = "MEAS:VOLT:DC?" },
  { name = "probe.temperature", query = "MEAS:TEMP?" },
  { name = "range", set = "VOLT:RANG {value}" },
  { name = "mode", query = "FUNC?", dtype = "string" },
]
`;

const groups = (toml: string, options: { remoteInstruments?: boolean } = {}) =>
  loadBenchtopConfig({ text: INSTRUMENTS + toml, env: {}, ...options }).config.logging.groups;

function issuesOf(toml: string, options: { remoteInstruments?: boolean } = {}): string[] {
  try {
    groups(toml, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.issues.map(formatIssue);
  }
  assert.fail('configuration was accepted');
}

/** The line of the file (INSTRUMENTS, then `toml`) where the first line of `toml` containing `text` is. */
const lineOf = (toml: string, text: string) =>
  INSTRUMENTS.split('\n').length + toml.split('\n').findIndex((l) => l.includes(text));

describe('[[logging.groups]] points', () => {
  it('"plc.*" logs every readable signal of plc, in the order its description lists them', () => {
    const [group] = groups('[[logging.groups]]\nname = "all"\npoints = "plc.*"\n');
    assert.deepEqual(group!.signals, ['plc.mfc1_setpoint', 'plc.mfc1_flow', 'plc.pump', 'plc.temperature']);
    assert.equal(group!.points, 'plc.*', 'the pattern stays as written');
  });

  it('selects only what the log can hold: readable numbers and booleans, dotted names included', () => {
    // range is write-only, mode a string, idn (built in) a string too.
    const [group] = groups('[[logging.groups]]\nname = "meter"\npoints = "dmm.*"\n');
    assert.deepEqual(group!.signals, ['dmm.volt.dc', 'dmm.probe.temperature']);
  });

  it('a list of patterns, with signals: the written list first, each signal once', () => {
    const [group] = groups(
      '[[logging.groups]]\nname = "mix"\nsignals = ["dmm.volt.dc", "plc.mfc1_flow"]\npoints = ["plc.mfc*", "*.temperature"]\n',
    );
    assert.deepEqual(group!.signals, [
      'dmm.volt.dc',
      'plc.mfc1_flow',
      'plc.mfc1_setpoint',
      'plc.temperature',
      'dmm.probe.temperature',
    ]);
  });

  it('a pattern that matches nothing names its group and the pattern, lists the instruments, and has its line', () => {
    const one = '[[logging.groups]]\nname = "ald"\npoints = "plc.mfx*"\n';
    assert.deepEqual(issuesOf(one), [
      `logging.groups[0].points: group "ald": "plc.mfx*" matches no readable number or boolean signal; instruments known: plc, dmm (line ${lineOf(one, 'points =')}, column 1)`,
    ]);
    // In a list each pattern is judged on its own; a write-only signal is not a match.
    const list =
      '[[logging.groups]]\nname = "ok"\npoints = "plc.*"\n[[logging.groups]]\nname = "bad"\npoints = ["dmm.volt*", "dmm.range"]\n';
    const [issue, ...rest] = issuesOf(list);
    assert.deepEqual(rest, []);
    assert.match(
      issue!,
      /^logging\.groups\[1\]\.points\[1\]: group "bad": "dmm\.range" matches no readable number or boolean signal; instruments known: plc, dmm \(line (\d+), column \d+\)$/,
    );
    assert.equal(Number(/line (\d+)/.exec(issue!)![1]), lineOf(list, '"dmm.range"'));
  });

  it("on a hub, patterns select among the file's own instruments and the message says how to log an agent's", () => {
    const toml = '[[logging.groups]]\nname = "far"\nsignals = ["agentplc.pump"]\npoints = "agentplc.*"\n';
    const [issue] = issuesOf(toml, { remoteInstruments: true });
    assert.match(
      issue!,
      /"agentplc\.\*" matches no readable number or boolean signal; instruments known: plc, dmm \(points select among this file's own \[\[instruments\]\]; name an agent's signals in signals\)/,
    );
    // The explicit name of the agent's signal is still fine there, as it was.
    const [group] = groups(
      '[[logging.groups]]\nname = "far"\nsignals = ["agentplc.pump"]\npoints = "plc.pump"\n',
      {
        remoteInstruments: true,
      },
    );
    assert.deepEqual(group!.signals, ['agentplc.pump', 'plc.pump']);
  });

  it('a group needs signals or points, and a pattern is checked for its characters', () => {
    assert.deepEqual(issuesOf('[[logging.groups]]\nname = "empty"\n'), [
      `logging.groups[0]: logs nothing: needs signals (instrument.signal paths) or points (a pattern such as "plc.*") (line ${lineOf('[[logging.groups]]', '[[logging.groups]]')}, column 1)`,
    ]);
    const [bad] = issuesOf('[[logging.groups]]\nname = "x"\npoints = "plc.[a-z]"\n');
    assert.match(bad!, /^logging\.groups\[0\]\.points: expected one of string matching/);
    const [wrongType, ...rest] = issuesOf('[[logging.groups]]\nname = "x"\npoints = 3\n');
    assert.match(wrongType!, /^logging\.groups\[0\]\.points: expected one of string matching .*, got 3/);
    assert.deepEqual(rest, []);
  });
});

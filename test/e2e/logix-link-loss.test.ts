import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Reading } from '../../src/core/reading.ts';
import type { LogixSimServer } from '../../src/instruments/logix/logix-sim-server.ts';

/** The whole app with a simulated Logix PLC: a pulled cable is one communication alarm and invalid values, then recovery. */
describe('LogixPlc link loss in Benchtop', () => {
  let bt: Benchtop;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-logix-'));
    const toml = `
[server]
port = 0
[actors]
restart_backoff_initial_ms = 50
restart_backoff_max_ms = 200
max_restarts = 1000
[simulation]
enabled = true
[storage]
output_dir = "${dir}"
[[instruments]]
id = "line_plc"
type = "LogixPlc"
[instruments.config]
host = "192.168.1.20"
scan_ms = 50
timeout_ms = 1000
[[instruments.config.tags]]
name = "Line.State"
type = "DINT"
[[instruments.config.tags]]
name = "Process.Pressure"
type = "REAL"
`;
    bt = new Benchtop(loadBenchtopConfig({ text: toml }), silentLogger());
    await bt.start();
  });
  after(async () => bt.stop());

  const reading = (signal: string, quality: Reading['quality']) =>
    bt.bus.once(
      'instrument.reading',
      (r) => r.instrument === 'line_plc' && r.signal === signal && r.quality === quality,
    );

  it('raises one communication alarm, marks every tag invalid, and recovers with good values', async () => {
    const plc = bt.instruments.get('line_plc');
    const firstValues = Promise.all([reading('Line.State', 'good'), reading('Process.Pressure', 'good')]);
    if (plc.lastReadings().length < 2) await firstValues;
    const events: string[] = [];
    bt.bus.on('alarm.changed', (c) => {
      if (c.alarm.id === 'comm:line_plc') events.push(c.event.event);
    });
    const sim = bt.instruments.simulator('line_plc') as LogixSimServer;
    const invalid = Promise.all([reading('Line.State', 'invalid'), reading('Process.Pressure', 'invalid')]);
    const back = Promise.all([reading('Line.State', 'good'), reading('Process.Pressure', 'good')]);
    const cleared = bt.bus.once(
      'alarm.changed',
      (c) => c.alarm.id === 'comm:line_plc' && c.event.event === 'cleared',
    );
    sim.dropConnections();
    await invalid;
    assert.equal(bt.alarms.get('comm:line_plc').active, true);
    await Promise.all([back, cleared]);
    assert.equal(bt.alarms.get('comm:line_plc').active, false);
    assert.ok(plc.lastReadings().every((r) => r.quality === 'good'));
    assert.deepEqual(events, ['activated', 'cleared'], 'one alarm, no flood');
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { parseAssignment } from '../../src/config/load.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { CvxSimulatorServer } from '../../src/instruments/keyence/cvx-sim-server.ts';
import type { LogixSimServer } from '../../src/instruments/logix/logix-sim-server.ts';
import type { LinePartEvent } from '../../src/production/line-bus-events.ts';
import type { ProductionLine } from '../../src/sim/production-line.ts';

const shipped = fileURLToPath(new URL('../../config/vision-line.toml', import.meta.url));

/**
 * config/vision-line.toml's `assembly1` tracked end to end on the simulated PLC and CV-X: the
 * LogixPlc and KeyenceCvx adapters under the LineTracker, through the whole app.
 */
describe('assembly1 tracked on the simulators', () => {
  let bt: Benchtop;
  let line: ProductionLine;
  const parts: LinePartEvent[] = [];
  const partWaiters: (() => void)[] = [];

  /** Waits for tracked parts until `done` holds (the test's timeout fails a part never tracked). */
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise<void>((resolve) => partWaiters.push(resolve));
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-line-tracking-'));
    const flags = [
      'server.port=0',
      'simulation.ports.vision=0',
      `storage.output_dir=${dir}`,
      'actors.restart_backoff_initial_ms=50',
      'actors.restart_backoff_max_ms=200',
      'actors.max_restarts=1000',
    ].map((s) => parseAssignment(s, '--set'));
    bt = new Benchtop(loadBenchtopConfig({ file: shipped, env: {}, flags }), silentLogger());
    // A faster line than the shipped 6 s cycle; the 100 ms PLC scan still sees every 200 ms pulse.
    line = bt.lab!.productionLine({ idealCycleMs: 400, completedPulseMs: 200 });
    await bt.start();
    bt.bus.on('line.part', (p) => {
      parts.push(p);
      for (const w of partWaiters.splice(0)) w();
    });
  });
  after(async () => bt.stop());

  it(
    'stores every part with the CV-X’s judgement and writes Quality.Result back',
    { timeout: 60_000 },
    async () => {
      assert.ok(bt.production, 'the [[lines]] of the shipped config are tracked');
      const plc = bt.instruments.get('line_plc');
      const simulator = bt.instruments.simulator('vision');
      assert.ok(simulator instanceof CvxSimulatorServer);
      const cvx: CvxSimulatorServer['cvx'] = simulator.cvx;
      const kpisOfAll = bt.bus.once(
        'line.kpis',
        (u) => u.kpis.produced >= 15 && u.kpis.produced === parts.length,
      );
      await plc.write('Line.RunCmd', true);
      await until(() => parts.length >= 15);
      await plc.write('Line.RunCmd', false);
      const tracker = bt.production.trackers[0]!;
      await until(() => tracker.stats.parts + tracker.stats.missedParts >= line.partCounter);
      await bt.production.queue.flush();

      const stored = await bt.production.store.parts({
        lineId: 'assembly1',
        from: 0,
        to: Number.MAX_SAFE_INTEGER,
      });
      assert.equal(stored.length, parts.length);
      assert.equal(tracker.stats.missedParts, 0, 'with the link up the PLC’s counter saw every part');
      assert.equal(new Set(stored.map((p) => p.partId)).size, stored.length, 'each part once');
      const defects = await bt.production.store.defects({
        lineId: 'assembly1',
        from: 0,
        to: Number.MAX_SAFE_INTEGER,
      });
      for (const part of stored) {
        const inspection = cvx.inspections.find((i) => String(i.part?.id) === part.partId);
        assert.ok(inspection, `the CV-X inspected part ${part.partId}`);
        assert.equal(part.result, inspection.found.length > 0 ? 'fail' : 'pass', `part ${part.partId}`);
        assert.deepEqual(
          defects
            .filter((d) => d.inspectionId === part.id)
            .map((d) => d.class)
            .sort(),
          [...inspection.found].sort(),
          `defects of part ${part.partId}`,
        );
        assert.ok(
          part.cycleTimeMs !== null && part.cycleTimeMs >= 400,
          'Station01.CycleTimeMs, never below ideal',
        );
      }
      assert.ok(
        parts.every((p) => p.resultWritten === (p.part.result === 'pass' ? 1 : 2)),
        'written back',
      );
      // The PLC program counts what was written to Quality.Result.
      const passed = stored.filter((p) => p.result === 'pass').length;
      assert.equal(line.passCount, passed);
      assert.equal(line.failCountTotal, stored.length - passed);
      assert.equal((await plc.read('Quality.PassCount')).value, passed);
      // The live KPIs (the stream's line.kpis) are computed from the same stored parts.
      const { kpis } = await kpisOfAll;
      assert.equal(kpis.good, passed);
      // The CV-X's seeded defect model fails some of the line's serials: both verdicts were checked.
      assert.ok(passed > 0 && passed < stored.length, `${passed} of ${stored.length} passed`);
    },
  );

  it(
    'PLC link loss: one communication alarm; no part invented or lost once it returns (Part.Counter reconciles)',
    { timeout: 60_000 },
    async () => {
      const plc = bt.instruments.get('line_plc');
      const tracker = bt.production!.trackers[0]!;
      const sim = bt.instruments.simulator('line_plc') as LogixSimServer;
      const activations: string[] = [];
      bt.bus.on('alarm.changed', (c) => {
        if (c.event.event === 'activated') activations.push(c.alarm.id);
      });
      await plc.write('Line.RunCmd', true);
      await until(() => parts.length >= 18);
      const lost = bt.bus.once(
        'alarm.changed',
        (c) => c.alarm.id === 'comm:line_plc' && c.event.event === 'activated',
      );
      sim.setFault({ kind: 'disconnect' });
      await lost;
      // Parts made while the link is down: the line model counts them, nobody reads them.
      const counterAtLoss = line.partCounter;
      await new Promise<void>((resolve) => {
        const off = line.onPartCompleted(() => {
          if (line.partCounter >= counterAtLoss + 3) {
            off();
            resolve();
          }
        });
      });
      const cleared = bt.bus.once(
        'alarm.changed',
        (c) => c.alarm.id === 'comm:line_plc' && c.event.event === 'cleared',
      );
      sim.setFault({ kind: 'none' });
      await cleared;
      const trackedAtReturn = parts.length;
      await until(() => parts.length >= trackedAtReturn + 3);
      await plc.write('Line.RunCmd', false);
      await until(() => tracker.stats.parts + tracker.stats.missedParts >= line.partCounter);
      await bt.production!.queue.flush();

      assert.deepEqual(activations, ['comm:line_plc'], 'one communication alarm, no flood');
      const stored = await bt.production!.store.parts({
        lineId: 'assembly1',
        from: 0,
        to: Number.MAX_SAFE_INTEGER,
      });
      assert.equal(new Set(stored.map((p) => p.partId)).size, stored.length, 'no part invented twice');
      assert.ok(tracker.stats.missedParts >= 3, `missed ${tracker.stats.missedParts}`);
      // Every part the PLC counted is either stored or counted as missed; none of them twice.
      assert.equal(stored.length + tracker.stats.missedParts, line.partCounter);
      assert.equal((await plc.read('Part.Counter')).value, line.partCounter);
    },
  );

  it(
    'a camera fault raises W204, then F205, as alarm-service alarms; the next result clears them',
    { timeout: 60_000 },
    async () => {
      const plc = bt.instruments.get('line_plc');
      const simulator = bt.instruments.simulator('vision');
      assert.ok(simulator instanceof CvxSimulatorServer);
      const changed = (id: string, event: string) =>
        bt.bus.once('alarm.changed', (c) => c.alarm.id === id && c.event.event === event);
      const w204 = changed('line:assembly1:W204', 'activated');
      const f205 = changed('line:assembly1:F205', 'activated');
      simulator.cvx.injectError(); // triggers refused (ER,TA,03) until CE
      await plc.write('Line.RunCmd', true);
      await w204;
      await f205;
      const cleared = changed('line:assembly1:W204', 'cleared');
      simulator.cvx.errorLatched = false;
      await cleared;
      await plc.write('Line.RunCmd', false);
      const listed = bt.alarms.list().filter((a) => a.kind === 'line' && a.activations > 0);
      assert.deepEqual(
        listed.map((a) => [a.id, a.state, a.severity === 'none' ? a.priority : a.severity]),
        [
          ['line:assembly1:W204', 'unack_rtn', 'medium'],
          ['line:assembly1:F205', 'unack_rtn', 'high'],
        ],
      );
      const reason = bt.alarms.history({ alarm: 'line:assembly1:W204' }).at(-1)?.comment ?? '';
      assert.match(reason, /Quality gate failure at station01: part not judged \(vision error/);
    },
  );

  it(
    "the PLC's F301 (Alarm.Code) is an alarm-service alarm and the fault's downtime is blamed on it",
    { timeout: 60_000 },
    async () => {
      const plc = bt.instruments.get('line_plc');
      const changed = (event: string) =>
        bt.bus.once('alarm.changed', (c) => c.alarm.id === 'line:assembly1:F301' && c.event.event === event);
      const raised = changed('activated');
      const cleared = changed('cleared');
      await plc.write('Line.RunCmd', true);
      await until(() => bt.production!.trackers[0]!.lineState === 'running');
      line.injectAlarm('F301', 1500);
      await raised;
      await cleared;
      await plc.write('Line.RunCmd', false);
      await bt.production!.queue.flush();
      const alarm = bt.alarms.get('line:assembly1:F301');
      assert.deepEqual([alarm.state, alarm.priority, alarm.activations], ['unack_rtn', 'high', 1]);
      const events = await bt.production!.store.events({
        lineId: 'assembly1',
        from: 0,
        to: Number.MAX_SAFE_INTEGER,
      });
      assert.ok(
        events.some((e) => e.kind === 'alarm_raised' && e.code === 'F301'),
        'recorded as a line event, so the KPIs blame the fault on F301',
      );
      assert.ok(events.some((e) => e.kind === 'state' && e.state === 'fault'));
    },
  );
});

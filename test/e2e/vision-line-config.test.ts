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

const shipped = fileURLToPath(new URL('../../config/vision-line.toml', import.meta.url));

/** The shipped vision-line configuration, as `npm start -- --config config/vision-line.toml` runs it. */
describe('config/vision-line.toml in simulation', () => {
  let bt: Benchtop;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-vision-line-'));
    // Only what must differ in a test: free ports and a scratch data directory.
    const flags = ['server.port=0', 'simulation.ports.vision=0', `storage.output_dir=${dir}`].map((s) =>
      parseAssignment(s, '--set'),
    );
    bt = new Benchtop(loadBenchtopConfig({ file: shipped, env: {}, flags }), silentLogger());
    // A faster line than the shipped 6 s cycle, built before the simulators so both share it.
    bt.lab?.productionLine({ idealCycleMs: 1000, completedPulseMs: 300 });
    await bt.start();
  });
  after(async () => bt.stop());

  it('brings the PLC and the vision system up, with the configured tags, outputs and logging group', async () => {
    const plc = bt.instruments.get('line_plc');
    const vision = bt.instruments.get('vision');
    assert.equal(plc.state, 'ready');
    assert.equal(vision.state, 'ready');
    assert.equal(plc.status().identity?.model, '1756-L83E/B');
    const signals = new Map(plc.describe().signals.map((s) => [s.name, s]));
    for (const tag of ['Line.State', 'Line.RunCmd', 'Part.Completed', 'Quality.Result', 'Process.Pressure'])
      assert.ok(signals.has(tag), tag);
    assert.deepEqual([signals.get('Temps')?.dtype, signals.get('Temps')?.shape], ['array', [10]]);
    const temps = (await plc.read('Temps')).value;
    assert.ok(Array.isArray(temps) && temps.length === 10);
    const listed = (await plc.call('list_tags')) as { tags: { name: string }[] };
    for (const name of signals.keys())
      assert.ok(
        listed.tags.some((t) => t.name === name),
        name,
      );
    const outputs = vision.describe().signals.map((s) => s.name);
    for (const name of ['total', 'scratch_score', 'dent_score', 'defect_x', 'result'])
      assert.ok(outputs.includes(name), name);
    assert.deepEqual(
      bt.config.logging.groups.map((g) => g.name),
      ['process'],
    );
  });

  it('runs the line from the PLC and the camera inspects the part the PLC reports (Part.Id)', async () => {
    const plc = bt.instruments.get('line_plc');
    const vision = bt.instruments.get('vision');
    const simulator = bt.instruments.simulator('vision');
    assert.ok(simulator instanceof CvxSimulatorServer);
    const completed = bt.bus.once(
      'instrument.reading',
      (r) => r.instrument === 'line_plc' && r.signal === 'Part.Completed' && r.value === true,
    );
    await plc.write('Line.RunCmd', true);
    await completed;
    // Stopped before looking, so no later part can reach the station between the read and the trigger.
    await plc.write('Line.RunCmd', false);
    const partId = (await plc.read('Part.Id')).value;
    assert.ok(typeof partId === 'number' && partId >= 1);
    const result = (await vision.call('trigger')) as { result: string; fields: Record<string, number> };
    const inspection = simulator.cvx.inspections.at(-1)!;
    assert.equal(inspection.part?.id, partId);
    assert.equal(result.result, inspection.line);
    assert.equal(result.fields.total, inspection.found.length > 0 ? 1 : 0);
    assert.deepEqual((await vision.read('result')).value, inspection.line.split(',').map(Number));
  });

  it('stopping the app stops the simulated line, whose timers would keep the process alive', async () => {
    const line = bt.lab!.productionLine();
    assert.ok(line.ticking, 'the line is running before the stop');
    await bt.stop();
    assert.equal(line.ticking, false);
  });
});

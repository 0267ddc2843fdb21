import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { ManualClock, systemClock } from '../../core/clock.ts';
import type { DriverContext } from '../../core/device.ts';
import { silentLogger } from '../../core/logger.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { instrumentKinds } from '../catalog.ts';
import { logixPlcKind } from './kind.ts';
import { createLinePlcSimulator, loopbackAddressFor } from './line-plc-simulator.ts';

const ISSUE_EXAMPLE = `
[[instruments]]
id = "line_plc"
type = "LogixPlc"
[instruments.config]
host = "192.168.1.20"
slot = 0
connected = true
scan_ms = 100
timeout_ms = 5000
[[instruments.config.tags]]
name = "Line.State"
type = "DINT"
[[instruments.config.tags]]
name = "Line.RunCmd"
type = "BOOL"
writable = true
`;

describe('logixPlcKind', () => {
  it('is registered as LogixPlc and its config loads as the issue writes it; LREAL and unknown keys are refused', () => {
    assert.equal(instrumentKinds.LogixPlc, logixPlcKind);
    const loaded = loadBenchtopConfig({ text: ISSUE_EXAMPLE });
    const entry = loaded.config.instruments[0]!;
    assert.equal(entry.type, 'LogixPlc');
    assert.deepEqual((entry.config as { tags: unknown[] }).tags[1], {
      name: 'Line.RunCmd',
      type: 'BOOL',
      writable: true,
    });
    assert.throws(
      () => loadBenchtopConfig({ text: ISSUE_EXAMPLE.replace('type = "DINT"', 'type = "LREAL"') }),
      /tags/,
    );
    assert.throws(
      () => loadBenchtopConfig({ text: ISSUE_EXAMPLE.replace('slot = 0', 'slott = 0') }),
      /slott/,
    );
  });

  it('in simulation the PLC listens on port 44818 of its own loopback address and the driver reaches it there', async () => {
    const lab = new VirtualLab({
      clock: new ManualClock(),
      seed: 1,
      beamWaistMm: 0.5,
      knifeEdgeMm: 0,
      warmupS: 0,
    });
    const config = { host: '192.0.2.1', tags: [{ name: 'Part.Counter', type: 'DINT' }] };
    const server = logixPlcKind.createSimulator!('line_plc', config, lab);
    const { host, port } = await server.listen(0, '127.0.0.1');
    assert.deepEqual({ host, port }, { host: loopbackAddressFor('line_plc'), port: 44818 });
    assert.notEqual(loopbackAddressFor('line_plc'), loopbackAddressFor('second_plc'));
    // A second PLC whose address is taken moves to the next free one.
    const twin = createLinePlcSimulator({
      clock: lab.clock,
      line: lab.productionLine(),
      loopbackAlias: host,
    });
    const moved = await twin.listen(0, '127.0.0.1');
    assert.notEqual(moved.host, host);
    assert.equal(moved.port, 44818);
    await twin.close();
    const driver = logixPlcKind.createDriver('line_plc', config, {
      clock: systemClock,
      log: silentLogger(),
      simulatorEndpoint: { kind: 'tcp', host, port },
    });
    const lost: unknown[] = [];
    const ctx: DriverContext = {
      id: 'line_plc',
      clock: systemClock,
      log: silentLogger(),
      lifetime: new AbortController().signal,
      linkLost: (e) => lost.push(e),
      publish: () => {},
    };
    try {
      const identity = await driver.connect(ctx);
      assert.equal(identity.model, '1756-L83E/B');
      assert.equal(
        await driver.signals['Part.Counter']!.read!({ ...ctx, signal: new AbortController().signal }),
        0,
      );
      lab.productionLine().setRunCommand(true);
      assert.equal(lab.productionLine().state, 1, 'the lab line is the one the PLC serves');
    } finally {
      await driver.disconnect();
      await server.close();
      lab.productionLine().dispose();
    }
    assert.deepEqual(lost, []);
  });
});

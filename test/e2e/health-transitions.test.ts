import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { LineSimulatorServer } from '../../src/sim/line-simulator-server.ts';

/** Health and the communication alarm follow a simulator that is killed and restored. */
describe('health when an instrument goes away and comes back', () => {
  let bt: Benchtop;
  let url: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-health-'));
    const toml = `
[server]
port = 0
health_cache_s = 0
[actors]
restart_backoff_initial_ms = 50
restart_backoff_max_ms = 200
max_restarts = 1000
[simulation]
enabled = true
warmup_s = 0
[storage]
output_dir = "${dir}"
[[instruments]]
id = "meter"
type = "Newport1830C"
config = { serial_port = "/dev/ttyUSB2" }
[[instruments]]
id = "laser"
type = "MaiTai"
config = { serial_port = "/dev/ttyUSB1" }
`;
    bt = new Benchtop(loadBenchtopConfig({ text: toml }), silentLogger());
    ({ url } = await bt.start());
  });
  after(async () => bt.stop());

  const health = async () => {
    const res = await fetch(`${url}/health`);
    return { status: res.status, body: (await res.json()) as { status: string } };
  };
  const state = (id: string, s: string) => bt.bus.once('actor.state', (c) => c.id === id && c.state === s);

  it('healthy → degraded (one down, comm alarm) → unhealthy (all down, 503) → healthy again', async () => {
    assert.deepEqual([(await health()).status, (await health()).body.status], [200, 'healthy']);

    const meterSim = bt.instruments.simulator('meter') as LineSimulatorServer;
    const laserSim = bt.instruments.simulator('laser') as LineSimulatorServer;
    const meterPort = meterSim.address!.port;
    const laserPort = laserSim.address!.port;

    const meterDown = state('meter', 'restarting');
    await meterSim.close();
    await meterDown;
    assert.deepEqual([(await health()).status, (await health()).body.status], [200, 'degraded']);
    assert.equal(bt.alarms.get('comm:meter').active, true);

    const laserDown = state('laser', 'restarting');
    await laserSim.close();
    await laserDown;
    const down = await health();
    assert.deepEqual([down.status, down.body.status], [503, 'unhealthy']);

    const meterBack = state('meter', 'ready');
    const laserBack = state('laser', 'ready');
    await meterSim.listen(meterPort, '127.0.0.1');
    await laserSim.listen(laserPort, '127.0.0.1');
    await Promise.all([meterBack, laserBack]);
    assert.deepEqual([(await health()).status, (await health()).body.status], [200, 'healthy']);
    const alarm = bt.alarms.get('comm:meter');
    assert.deepEqual([alarm.active, alarm.state], [false, 'unack_rtn'], 'cleared, still to be acknowledged');
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { until } from './testing/site-http.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * The hub's alarms about its agents, as real AlarmService alarms on /api/v1/alarms: an agent
 * whose clock is 5 s off (a preloaded skew, set right by SIGUSR2) raises `clock:<agent>` and
 * clears it; a NATS outage long enough to fill the agent's 4 KiB parameter-log buffer shows the
 * agent stale during the cut and raises `log_buffer:<agent>` once the hub hears from it again,
 * cleared when the buffer has drained.
 */

interface Alarm {
  id: string;
  kind: string;
  condition: string;
  active: boolean;
  activations: number;
  value: number | null;
}

// biome-ignore lint/suspicious/noExplicitAny: replies of many shapes, checked field by field
async function get(base: string, path: string): Promise<any> {
  return (await fetch(`${base}${path}`)).json();
}

describe("the hub's agent alarms over a private nats-server", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-site-alarms-'));
  const nats = new PrivateNatsServer();
  const procs: SiteProcess[] = [];
  let agent: SiteProcess;
  let base = '';

  const alarm = async (id: string): Promise<Alarm | undefined> =>
    ((await get(base, '/api/v1/alarms?state=all')) as { alarms: Alarm[] }).alarms.find((a) => a.id === id);

  before(async () => {
    await nats.start();
    agent = startSiteProcess(
      'agent',
      join(dir, 'agent.toml'),
      `
[application]
name = "hostA"
[agent]
id = "hostA"
heartbeat_ms = 200
stale_after_ms = 1000
log_buffer_max_bytes = 4096
log_buffer_overflow = "drop_oldest"
[bus]
url = "${nats.url}"
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'agent')}"
[[instruments]]
id = "meter"
type = "Newport1830C"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB2" }
[[logging.groups]]
name = "fast"
signals = ["meter.power", "meter.wavelength"]
interval_s = 0.05
`,
      {
        nodeArgs: ['--import', join(import.meta.dirname, 'testing/skewed-clock.ts')],
        env: { TEST_CLOCK_SKEW_MS: '5000' },
      },
    );
    procs.push(agent);
    await agent.waitFor(/parameter logging to the bus started/);
    const hub = startSiteProcess(
      'hub',
      join(dir, 'hub.toml'),
      `
instruments = []
[application]
name = "hub"
[agent]
heartbeat_ms = 200
stale_after_ms = 1000
[bus]
url = "${nats.url}"
clock_offset_alarm_ms = 1000
[server]
port = 0
[storage]
output_dir = "${join(dir, 'hub')}"
`,
    );
    procs.push(hub);
    base = String((await hub.waitFor(/Benchtop ready at/)).url);
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises the clock alarm past the threshold and clears it when the clock is set right', async () => {
    const raised = await until(
      'clock alarm active',
      () => alarm('clock:hostA'),
      (a) => a?.active === true,
    );
    assert.equal(raised?.kind, 'site');
    assert.equal(raised?.condition, 'CLOCK_OFFSET');
    assert.ok(Math.abs((raised?.value ?? 0) - 5000) < 1000, `offset ${raised?.value} ms`);
    agent.child.kill('SIGUSR2');
    const cleared = await until(
      'clock alarm cleared',
      () => alarm('clock:hostA'),
      (a) => a?.active === false,
    );
    assert.equal(cleared?.condition, 'NORMAL');
    assert.ok(Math.abs(cleared?.value ?? 1e9) < 1000, `offset ${cleared?.value} ms`);
    const history = (await get(base, '/api/v1/alarms/history?alarm=clock:hostA')) as { event: string }[];
    const kinds = history.map((e) => e.event);
    assert.deepEqual(kinds.filter((k) => k === 'activated' || k === 'cleared').sort(), [
      'activated',
      'cleared',
    ]);
  });

  it('shows the agent stale during a cut, then raises and clears the log-buffer alarm', async () => {
    const before = await until(
      'buffer alarm known, not active',
      () => alarm('log_buffer:hostA'),
      (a) => a !== undefined,
    );
    assert.equal(before?.active, false);
    assert.equal(before?.activations, 0);
    await nats.stop();
    await agent.waitFor(/parameter-log buffer full/);
    const health = await until(
      'agent stale',
      () => get(base, '/health'),
      (h) => JSON.stringify(h).includes('"liveness":"stale"'),
    );
    assert.match(JSON.stringify(health), /"agentId":"hostA"[^}]*"liveness":"stale"/);
    const meter = (await get(base, '/api/v1/instruments')) as { id: string; state: string }[];
    assert.equal(meter.find((i) => i.id === 'meter')?.state, 'failed');
    await nats.start();
    const raised = await until(
      'buffer alarm raised',
      () => alarm('log_buffer:hostA'),
      (a) => (a?.activations ?? 0) >= 1,
    );
    assert.equal(raised?.kind, 'site');
    assert.ok((raised?.value ?? 0) > 0, `dropped samples ${raised?.value}`);
    const cleared = await until(
      'buffer alarm cleared after the drain',
      () => alarm('log_buffer:hostA'),
      (a) => a?.active === false,
    );
    assert.equal(cleared?.condition, 'NORMAL');
    // Cleared but never acknowledged: still listed for the operator (ISA-18.2 unack_rtn).
    assert.equal((cleared as unknown as { state: string }).state, 'unack_rtn');
  });
});

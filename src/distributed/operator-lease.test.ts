import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { api } from './testing/site-http.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * The local operator's lease end to end: a private nats-server, `benchtop agent` and `benchtop
 * hub` as processes, and `benchtop agent lease …` run as an operator would at the agent host,
 * with the agent's configuration file.
 */

const main = join(import.meta.dirname, '../cli/main.ts');

const agentToml = (dir: string, url: string) => `
[application]
name = "hostA"
log_level = "info"
[agent]
id = "hostA"
host = "hostA.lab"
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${url}"
request_timeout_ms = 3000
lease_ttl_ms = 3000
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'hostA')}"
[[instruments]]
id = "stage"
type = "ESP300"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB0", axes = 1 }
[[instruments]]
id = "meter"
type = "Newport1830C"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB2" }
`;

const hubToml = (dir: string, url: string) => `
instruments = []
[application]
name = "hub"
log_level = "info"
[agent]
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${url}"
request_timeout_ms = 3000
lease_ttl_ms = 3000
[server]
port = 0
[storage]
output_dir = "${join(dir, 'hub')}"
`;

interface Cli {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves once stdout shows `pattern`. */
  printed(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

/** `benchtop agent lease <args>` as its own process, as the operator at the agent host runs it. */
function leaseCli(config: string, args: string[]): Cli {
  const child = spawn(process.execPath, [main, 'agent', 'lease', ...args, '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCHTOP_LOGGING__FORMAT: 'json' },
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters])
      if (w.pattern.test(out)) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    printed: (pattern) =>
      pattern.test(out)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            waiters.push({ pattern, resolve });
            void exited.then((code) =>
              reject(
                new Error(`lease ${args.join(' ')} exited with ${code} before ${pattern}:\n${out}\n${err}`),
              ),
            );
          }),
  };
}

const put = (base: string, path: string, value: unknown) =>
  api(base, path, { method: 'PUT', body: JSON.stringify({ value }) });

/** Polls the hub until `check` passes (leases arrive over a KV watch, not at a fixed time). */
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await probe();
    if (check(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}`);
}

interface Listed {
  id: string;
  state: string;
  control?: { holder: string; local: boolean; note?: string; renewedAt: number };
}

describe('a local operator lease on the agent host', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-oplease-'));
  const agentConfig = join(dir, 'a.toml');
  const nats = new PrivateNatsServer();
  const procs: SiteProcess[] = [];
  const clis: Cli[] = [];
  let base = '';
  const lease = (args: string[]) => {
    const cli = leaseCli(agentConfig, args);
    clis.push(cli);
    return cli;
  };

  before(async () => {
    await nats.start();
    const agent = startSiteProcess('agent', agentConfig, agentToml(dir, nats.url));
    procs.push(agent);
    await agent.waitFor(/joined site/);
    const hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml(dir, nats.url));
    procs.push(hub);
    base = String((await hub.waitFor(/Benchtop ready at/)).url);
    await until(
      'both instruments ready at the hub',
      async () => (await api(base, '/instruments')).body as Listed[],
      (l) => l.filter((i) => i.state === 'ready').length === 2,
    );
  });

  after(async () => {
    for (const c of clis) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('while an operator holds the stage the hub may read it but not move it; Ctrl-C gives it back', async () => {
    const held = lease(['take', '--instrument', 'stage', '--operator', 'alice', '--note', 'aligning']);
    await held.printed(/stage: controlled by operator alice at agent hostA \("aligning"\)/);

    const refused = await put(base, '/instruments/stage/signals/axis1.position', 1);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error?.code ?? refused.body.code, 'CONTROL_LEASE_HELD');
    assert.match(JSON.stringify(refused.body), /operator alice at agent hostA/);
    assert.equal(
      (await api(base, '/instruments/stage/signals/axis1.position')).status,
      200,
      'reads still work',
    );

    const listed = await until(
      'the hub shows the operator as the holder',
      async () => (await api(base, '/instruments')).body as Listed[],
      (l) => l.find((i) => i.id === 'stage')?.control?.local === true,
    );
    const control = listed.find((i) => i.id === 'stage')!.control!;
    assert.match(control.holder, /operator alice at agent hostA/);
    assert.equal(control.note, 'aligning');
    // Renewed by revision while the command runs (every lease_ttl_ms / 3 = 1 s): the hub sees it move.
    const firstRenewal = control.renewedAt;
    await until(
      'a renewal of the operator lease',
      async () => (await api(base, '/instruments')).body as Listed[],
      (l) => (l.find((i) => i.id === 'stage')?.control?.renewedAt ?? 0) > firstRenewal,
    );
    const health = await (await fetch(`${base}/health`)).json();
    assert.match(JSON.stringify(health), /"instrument":"stage","holder":"operator alice at agent hostA/);

    const audit = (await api(base, '/audit?action=signal.set')).body as {
      target: string;
      result: string;
      error: string | null;
      details: { status: number };
    }[];
    const entry = audit.find((e) => e.target === 'stage.axis1.position');
    assert.equal(entry?.result, 'error', JSON.stringify(audit));
    assert.equal(entry?.details.status, 409);
    assert.match(String(entry?.error), /operator alice at agent hostA/, 'the audit says who held it');

    held.child.kill('SIGINT');
    assert.equal(await held.exited, 0, held.err());
    assert.match(held.out(), /stage: released/);
    await until(
      'the hub sees the lease gone',
      async () => (await api(base, '/instruments')).body as Listed[],
      (l) => l.find((i) => i.id === 'stage')?.control?.local !== true,
    );
    const moved = await put(base, '/instruments/stage/signals/axis1.position', 1);
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
  });

  it('refuses the operator an instrument a hub holds, naming the hub', async () => {
    // The hub took the stage's lease with the write above and keeps renewing it.
    const take = lease(['take', '--instrument', 'stage', '--operator', 'bob']);
    assert.equal(await take.exited, 1);
    assert.match(take.err(), /stage is controlled by hub@\S+ \(lease renewed/);
    assert.equal(take.out(), '');
    assert.match(take.err(), /DELETE \/api\/v1\/instruments\/stage\/control/);
    const moved = await put(base, '/instruments/stage/signals/axis1.position', 0.5);
    assert.equal(moved.status, 200, 'the hub still drives it');

    // The hub gives it up on request; then the operator gets it.
    const released = await api(base, '/instruments/stage/control', { method: 'DELETE' });
    assert.deepEqual(released.body, { ok: true, id: 'stage', released: true });
    const again = lease(['take', '--instrument', 'stage', '--operator', 'bob']);
    await again.printed(/stage: controlled by operator bob at agent hostA;/);
    const refused = await put(base, '/instruments/stage/signals/axis1.position', 0.25);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(JSON.stringify(refused.body), /operator bob/);
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0, again.err());
    const back = await put(base, '/instruments/stage/signals/axis1.position', 0.5);
    assert.equal(back.status, 200, JSON.stringify(back.body));
  });

  it('a lease taken for a time outlives the command, shows in the list, and ends with lease release', async () => {
    const take = lease(['take', '--instrument', 'meter', '--operator', 'carol', '--ttl', '10m']);
    assert.equal(await take.exited, 0, take.err());
    assert.match(take.out(), /meter: controlled by operator carol at agent hostA for 600 s/);

    const list = lease(['list']);
    assert.equal(await list.exited, 0, list.err());
    assert.match(list.out(), /meter\toperator carol at agent hostA\tlocal\t/);
    assert.match(list.out(), /stage\thub@\S+\thub\t/);

    const refused = await put(base, '/instruments/meter/signals/wavelength', 800);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(JSON.stringify(refused.body), /operator carol/);

    const wrong = lease(['release', '--instrument', 'stage']);
    assert.equal(await wrong.exited, 1, 'a hub lease is not the operator to drop');
    assert.match(wrong.err(), /stage is controlled by hub@\S+, not by an operator at agent hostA/);

    const release = lease(['release', '--instrument', 'meter']);
    assert.equal(await release.exited, 0, release.err());
    assert.match(release.out(), /meter: released \(was operator carol at agent hostA\)/);
    const written = await put(base, '/instruments/meter/signals/wavelength', 800);
    assert.equal(written.status, 200, JSON.stringify(written.body));
  });

  it('names the instruments of the agent when asked for one it does not have', async () => {
    const take = lease(['take', '--instrument', 'laser']);
    assert.equal(await take.exited, 1);
    assert.match(take.err(), /"laser" is not an instrument of agent hostA; its instruments: stage, meter/);
  });
});

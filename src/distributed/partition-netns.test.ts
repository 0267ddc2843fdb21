import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { nodeInNamespace, whyNoNamespaces } from '../../test/support/node-in-namespace.ts';
import { openBuckets } from './buckets.ts';
import { logStreamName } from './log-stream.ts';
import { AgentBirth, decode, LogBatch } from './messages.ts';
import { kvKey } from './subjects.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';
import {
  PARTITION_ENV,
  type PartitionedHosts,
  setAgentLink,
  twoHosts,
} from './testing/network-namespaces.ts';
import { type SiteProcess, startSiteProcess } from './testing/site-process.ts';

/**
 * A real network partition: the agent in one network namespace, the hub and nats-server in
 * another, joined by a veth pair; the agent's end is taken down (`ip link set … down`, silent:
 * no reset reaches anyone) mid-run and brought up again. The test runs itself again inside the
 * hub's namespace, so it reaches the hub and the NATS server on their loopback there.
 */

const inside = process.env[PARTITION_ENV];

if (!inside) {
  describe('network partition between agent and hub (ip netns)', () => {
    const why = whyNoNamespaces();
    it(
      'agent and hub on two namespaces',
      { skip: why ? `skipped: ${why}` : false, timeout: 600_000 },
      async () => {
        const hosts = twoHosts('part');
        try {
          const run = await nodeInNamespace(
            hosts.hub.namespace,
            ['--test', '--test-reporter=spec', import.meta.filename],
            { [PARTITION_ENV]: JSON.stringify({ hub: hosts.hub, agent: hosts.agent }) },
          );
          assert.equal(run.code, 0, `the partition test inside the hub namespace failed:\n${run.report}`);
        } finally {
          hosts.remove();
        }
      },
    );
  });
} else {
  partitionTest(JSON.parse(inside) as PartitionedHosts);
}

// biome-ignore lint/suspicious/noExplicitAny: replies of many shapes, checked field by field
async function api(base: string, path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    signal: AbortSignal.timeout(10_000),
    ...init,
    headers: init?.body ? { 'content-type': 'application/json' } : {},
  });
  return { status: res.status, body: await res.json() };
}

/**
 * How long a process may take to log that it started. Generous: on a two-core machine under a
 * load of 50 a Node process printed nothing for 60 s while importing the server, and a wait that
 * short failed the test without anything being wrong. A process that exits fails the wait at once.
 */
const START_WAIT_MS = 150_000;

/** `promise`, or a failure naming what did not happen within `ms` (an awaited log line, not a sleep). */
async function within<T>(ms: number, what: string, promise: Promise<T>, proc?: SiteProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // The process's last log lines, as they are when the time is up, say where it is stuck.
      const tail = proc ? `; its last lines:\n${proc.lines.slice(-30).join('\n')}` : '';
      reject(new Error(`${what}: not within ${ms / 1000} s${tail}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until `check` passes: state crosses processes and the network, not at a fixed time. */
const started = Date.now();
/** Progress on stderr, so a slow step can be told from a stuck one in CI's log. */
function step(what: string): void {
  process.stderr.write(`  [partition +${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
}

async function until<T>(
  what: string,
  get: () => Promise<T>,
  check: (v: T) => boolean,
  limitMs = 60_000,
): Promise<T> {
  let last: T | undefined;
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    last = await get();
    if (check(last)) {
      step(what);
      return last;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`gave up waiting for ${what}; last: ${JSON.stringify(last)}`);
}

function partitionTest(hosts: PartitionedHosts): void {
  describe('inside the hub namespace', { timeout: 580_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-partition-'));
    // Listening on every address of the hub namespace: its loopback and its end of the cable.
    const nats = new PrivateNatsServer(['-a', '0.0.0.0']);
    const procs: SiteProcess[] = [];
    let nc: NatsConnection | null = null;
    let hub: SiteProcess | null = null;

    const hubToml = (name: string, suspendTimeoutS: number) => `
instruments = []
[application]
name = "${name}"
[agent]
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${nats.url}"
request_timeout_ms = 2000
[engine]
suspend_timeout_s = ${suspendTimeoutS}
[server]
port = 0
[storage]
output_dir = "${join(dir, name)}"
`;

    before(async () => {
      await nats.start();
      nc = await connect({ servers: nats.url });
    });

    after(async () => {
      // Whatever happened, the cable is up again before the namespaces go.
      try {
        setAgentLink(hosts, true);
      } catch {}
      await nc?.close();
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await nats.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the agent logs through the cut, is stale at the hub, replays in order with a fresh birth; the run suspends and resumes', async () => {
      const agent = startSiteProcess(
        'agent',
        join(dir, 'agent.toml'),
        `
[application]
name = "hostA"
[agent]
id = "hostA"
host = "hostA.lab"
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "nats://${hosts.hub.address}:${nats.port}"
request_timeout_ms = 2000
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'agent')}"
[[instruments]]
id = "meter"
type = "Newport1830C"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB2" }
[[instruments]]
id = "stage"
type = "ESP300"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB0", axes = 1 }
[[logging.groups]]
name = "cut"
signals = ["meter.power", "meter.wavelength"]
interval_s = 1
`,
        { namespace: hosts.agent.namespace },
      );
      procs.push(agent);
      await within(START_WAIT_MS, 'agent started', agent.waitFor(/parameter logging to the bus started/));
      step('agent started');
      hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml('hub', 120));
      procs.push(hub);
      const base = String(
        (await within(START_WAIT_MS, 'hub ready', hub.waitFor(/Benchtop ready at/), hub)).url,
      );
      const states = async () =>
        Object.fromEntries(
          ((await api(base, '/instruments')).body as { id: string; state: string }[]).map((i) => [
            i.id,
            i.state,
          ]),
        ) as Record<string, string>;
      await until('both remote instruments ready', states, (s) => s.meter === 'ready' && s.stage === 'ready');
      const agents = (await openBuckets(nc!, 'lab')).agents;
      const birth = async () => {
        const entry = await agents.get(kvKey('hostA'));
        return decode(AgentBirth, entry!.value, 'agent record');
      };
      const epochBefore = (await birth()).epoch;

      // A cross-host run: the hub's engine drives the stage and reads the meter on hostA.
      const submitted = await api(base, '/runs', {
        method: 'POST',
        body: JSON.stringify({
          plan: 'scan',
          args: {
            detectors: ['meter.power'],
            motor: 'stage.axis1.position',
            start: 0,
            stop: 1,
            num: 16,
            settle_s: 0.2,
          },
        }),
      });
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
      const uid = submitted.body.uid as string;
      await until(
        'two events before the cut',
        async () => (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[],
        (d) => d.length >= 2,
      );

      const outbox = new DatabaseSync(join(dir, 'agent', 'log-outbox.sqlite'), { readOnly: true });
      const pending = () =>
        Number((outbox.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n);
      const cutAt = Date.now();
      setAgentLink(hosts, false);
      let healAt = Number.NaN;
      try {
        await until(
          'the hub shows the agent stale',
          states,
          (s) => s.meter === 'failed' && s.stage === 'failed',
        );
        const suspended = await until(
          'the run suspended',
          async () => (await api(base, `/runs/${uid}`)).body as { live?: { state: string } },
          (r) => r.live?.state === 'suspended',
        );
        assert.equal(suspended.live?.state, 'suspended');
        const read = await api(base, '/instruments/meter/signals/power');
        assert.ok(read.status === 503 || read.status === 504, JSON.stringify(read.body));
        // The agent notices the silent cut by its pings (busConnectionOptions: 5 s × 2). The
        // disconnect itself may only be reported once the link is back (see Agent.watchStatus).
        await within(
          60_000,
          'the agent notices the cut',
          agent.waitFor(/stopped answering pings|lost the NATS server/),
        ).then(
          () => step('the agent noticed the cut'),
          (error: Error) => {
            throw new Error(`${error.message}; agent log:\n${agent.lines.slice(-30).join('\n')}`);
          },
        );
        await until(
          'the agent keeps logging into its outbox',
          async () => pending(),
          (n) => n >= 3,
        );
      } finally {
        healAt = Date.now();
        setAgentLink(hosts, true);
      }

      await within(
        60_000,
        'the agent reconnects after the cut',
        agent.waitFor(/NATS server back: sending a fresh birth/),
      ).then(
        () => step('the agent reconnected'),
        (error: Error) => {
          throw new Error(`${error.message}; agent log:\n${agent.lines.slice(-30).join('\n')}`);
        },
      );
      const reborn = await until('a fresh birth in KV', birth, (b) => b.epoch > epochBefore);
      assert.ok(reborn.epoch > epochBefore, 'a new epoch');
      await until('ready at the hub again', states, (s) => s.meter === 'ready' && s.stage === 'ready');
      const done = await until(
        'the run finished',
        async () => (await api(base, `/runs/${uid}`)).body as { status?: string },
        (r) => r.status !== undefined && r.status !== 'running',
      );
      assert.equal(done.status, 'success', JSON.stringify(done));
      const events = (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[];
      assert.equal(events.length, 16);
      await until(
        'the outbox drained',
        async () => pending(),
        (n) => n === 0,
      );
      outbox.close();

      // Replayed in order: the stream holds the outbox's batches in outbox order, once each.
      const jsm = await jetstreamManager(nc!);
      const stream = logStreamName('lab');
      const { state } = await jsm.streams.info(stream);
      const batches: LogBatch[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const stored = await jsm.streams.getMessage(stream, { seq });
        assert.ok(stored, `stream message ${seq}`);
        batches.push(decode(LogBatch, stored.data, 'log batch'));
      }
      const seqs = batches.map((b) => b.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        'outbox order kept',
      );
      assert.equal(new Set(seqs).size, seqs.length, 'each batch once in the stream');
      const times = batches.flatMap((b) =>
        b.samples.filter((s) => s.signal === 'meter.power').map((s) => s.time),
      );
      // In order on the 1 s deadline grid. (Whether every second was sampled is the logger's
      // business — it skips a deadline it is more than one interval late for, which a machine
      // this loaded can make happen; the 50-signal test checks completeness on a fake clock.)
      for (let i = 1; i < times.length; i++)
        assert.ok(times[i]! > times[i - 1]!, `meter.power: out of order or twice at ${times[i]}`);
      for (const t of times) assert.equal(t % 1000, 0, `meter.power at ${t}: on the deadline grid`);
      const cutTimes = times.filter((t) => t > cutAt && t < healAt);
      assert.ok(cutTimes.length >= 3, `${cutTimes.length} samples stamped during the cut`);

      // And the hub stored them all: every second of the cut, once per signal. The agent goes on
      // logging while this waits, and the hub's writer takes up to 100 stream messages at a time,
      // so the hub's total can step past the snapshot's count in one write: compare the samples
      // up to the snapshot's last time, which are exactly the snapshot's.
      const lastTime = times.at(-1)!;
      const stored = await until(
        'the hub stored everything the stream holds',
        async () => {
          const db = new DatabaseSync(join(dir, 'hub', 'timeseries.sqlite'), { readOnly: true });
          try {
            return (
              db
                .prepare(
                  "SELECT time FROM samples JOIN signals ON signals.id = samples.signal_id WHERE name = 'meter.power' AND time <= ? ORDER BY time",
                )
                .all(lastTime) as { time: number }[]
            ).map((r) => Number(r.time));
          } finally {
            db.close();
          }
        },
        (t) => t.length >= times.length,
      );
      assert.deepEqual(stored, times, 'the hub holds each sample of the stream once, at its time');
    });

    it('a cross-host run cut off longer than [engine] suspend_timeout_s fails with the reason', async () => {
      // The first hub stops cleanly (its control leases released), one with a 3 s limit takes over.
      hub!.child.kill('SIGTERM');
      await hub!.exited;
      const strict = startSiteProcess('hub', join(dir, 'strict.toml'), hubToml('strict', 3));
      procs.push(strict);
      const base = String(
        (await within(START_WAIT_MS, 'second hub ready', strict.waitFor(/Benchtop ready at/), strict)).url,
      );
      await until(
        'the stage ready at the new hub',
        async () => (await api(base, '/instruments')).body as { id: string; state: string }[],
        (l) => l.find((i) => i.id === 'stage')?.state === 'ready',
      );
      const submitted = await api(base, '/runs', {
        method: 'POST',
        body: JSON.stringify({
          plan: 'scan',
          args: {
            detectors: ['meter.power'],
            motor: 'stage.axis1.position',
            start: 0,
            stop: 1,
            num: 16,
            settle_s: 0.2,
          },
        }),
      });
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
      const uid = submitted.body.uid as string;
      await until(
        'an event before the cut',
        async () => (await api(base, `/runs/${uid}/documents?name=event`)).body as unknown[],
        (d) => d.length >= 1,
      );
      setAgentLink(hosts, false);
      try {
        const failed = await until(
          'the run failed',
          async () => (await api(base, `/runs/${uid}`)).body as { status?: string; reason?: string },
          (r) => r.status !== undefined && r.status !== 'running',
        );
        assert.equal(failed.status, 'fail', JSON.stringify(failed));
        assert.match(
          String(failed.reason),
          /(meter|stage) was unavailable for 3 s \(\[engine\] suspend_timeout_s\)/,
        );
        assert.match(String(failed.reason), /hostA/, 'the reason names the agent');
      } finally {
        setAgentLink(hosts, true);
      }
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActorBehavior } from './actor.ts';
import type { ActorStateChange } from './actor-state.ts';
import { ManualClock, settle } from './clock.ts';
import { BenchtopError, isBenchtopError } from './errors.ts';
import { backoffDelay, type RestartPolicy, Supervisor } from './supervisor.ts';

const policy: RestartPolicy = {
  maxRestarts: 3,
  windowMs: 10_000,
  initialBackoffMs: 100,
  maxBackoffMs: 1_000,
  jitter: 0,
};

function harness(
  overrides: Partial<{
    mailboxCapacity: number;
    shutdownTimeoutMs: number;
    random: () => number;
    faultedRetryMs: number;
    stableAfterMs: number;
  }> = {},
) {
  const clock = new ManualClock();
  const changes: ActorStateChange[] = [];
  const supervisor = new Supervisor({
    clock,
    mailboxCapacity: overrides.mailboxCapacity ?? 4,
    spawnTimeoutMs: 1_000,
    shutdownTimeoutMs: overrides.shutdownTimeoutMs ?? 500,
    policy,
    random: overrides.random ?? (() => 0.5),
    ...(overrides.faultedRetryMs !== undefined ? { faultedRetryMs: overrides.faultedRetryMs } : {}),
    ...(overrides.stableAfterMs !== undefined ? { stableAfterMs: overrides.stableAfterMs } : {}),
    onStateChange: (c) => changes.push(c),
  });
  const statesOf = (id: string) => changes.filter((c) => c.id === id).map((c) => c.state);
  return { clock, supervisor, changes, statesOf };
}

/** A behaviour whose replies the test releases one by one. */
function gated() {
  const gates: (() => void)[] = [];
  const behavior: ActorBehavior<string, string> = {
    handle: (msg) => new Promise<string>((resolve) => gates.push(() => resolve(`done:${msg}`))),
  };
  return { behavior, release: () => gates.shift()?.() };
}

const echo = (): ActorBehavior<string, string> => ({ handle: async (m) => `echo:${m}` });

describe('actor mailbox', () => {
  it('handles one message at a time, in order', async () => {
    const { supervisor } = harness();
    const seen: string[] = [];
    let active = 0;
    let maxActive = 0;
    const actor = await supervisor.spawn<string, string>(
      'a',
      () => ({
        handle: async (m) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await settle();
          seen.push(m);
          active--;
          return m;
        },
      }),
      { kind: 'test' },
    );
    const replies = await Promise.all(['1', '2', '3'].map((m) => actor.ask(m, { timeoutMs: 1_000 })));
    assert.deepEqual(replies, ['1', '2', '3']);
    assert.deepEqual(seen, ['1', '2', '3']);
    assert.equal(maxActive, 1);
  });

  it('rejects with MAILBOX_FULL once capacity messages are waiting, and never grows', async () => {
    const { supervisor } = harness({ mailboxCapacity: 2 });
    const g = gated();
    const actor = await supervisor.spawn('a', () => g.behavior, { kind: 'test' });
    const first = actor.ask('busy', { timeoutMs: 10_000 });
    await settle(); // 'busy' is now being handled, the mailbox is empty
    const queued = [actor.ask('q1', { timeoutMs: 10_000 }), actor.ask('q2', { timeoutMs: 10_000 })];
    await assert.rejects(actor.ask('overflow', { timeoutMs: 10_000 }), (e) =>
      isBenchtopError(e, 'MAILBOX_FULL'),
    );
    assert.equal(actor.tell('told'), false);
    assert.equal(actor.mailboxDepth, 2);
    g.release();
    assert.equal(await first, 'done:busy');
    await settle();
    g.release();
    await settle();
    g.release();
    assert.deepEqual(await Promise.all(queued), ['done:q1', 'done:q2']);
  });

  it('ask times out on the clock and the late reply is dropped', async () => {
    const { supervisor, clock } = harness();
    const g = gated();
    const actor = await supervisor.spawn('a', () => g.behavior, { kind: 'test' });
    const slow = actor.ask('slow', { timeoutMs: 200 });
    const outcome = slow.then(
      () => 'resolved',
      (e) => e,
    );
    await clock.advance(199);
    assert.equal(await Promise.race([outcome, Promise.resolve('pending')]), 'pending');
    await clock.advance(1);
    const err = await outcome;
    assert.ok(isBenchtopError(err, 'ASK_TIMEOUT'));
    assert.equal(err.details.started, true);
    g.release();
    await settle();
    // the actor keeps working after the timeout
    const next = actor.ask('next', { timeoutMs: 200 });
    await settle();
    g.release();
    assert.equal(await next, 'done:next');
  });

  it('a queued message that times out is removed without being handled', async () => {
    const { supervisor, clock } = harness();
    const handled: string[] = [];
    const gates: (() => void)[] = [];
    const actor = await supervisor.spawn<string, string>(
      'a',
      () => ({
        handle: (m) =>
          new Promise((resolve) => {
            handled.push(m);
            gates.push(() => resolve(m));
          }),
      }),
      { kind: 'test' },
    );
    void actor.ask('long', { timeoutMs: 10_000 }).catch(() => {});
    const queued = assert.rejects(
      actor.ask('queued', { timeoutMs: 100 }),
      (e) => isBenchtopError(e, 'ASK_TIMEOUT') && e.details.started === false,
    );
    await clock.advance(100);
    await queued;
    gates.shift()?.();
    await settle();
    assert.deepEqual(handled, ['long']);
  });
});

describe('supervisor restarts', () => {
  it('backoff doubles, caps and jitters', () => {
    const p = { ...policy, jitter: 0.2 };
    assert.equal(
      backoffDelay(p, 0, () => 0.5),
      100,
    );
    assert.equal(
      backoffDelay(p, 1, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelay(p, 5, () => 0.5),
      1_000,
    );
    assert.equal(
      backoffDelay(p, 0, () => 0),
      80,
    );
    assert.equal(
      backoffDelay(p, 0, () => 0.999999),
      120,
    );
  });

  it('restarts a failed actor after the backoff delay with a fresh behaviour', async () => {
    const { supervisor, clock, statesOf, changes } = harness();
    let incarnations = 0;
    let failNow: ((e: unknown) => void) | null = null;
    const actor = await supervisor.spawn<string, string>(
      'inst',
      () => {
        const n = ++incarnations;
        return {
          start: async (ctx) => {
            failNow = ctx.fail;
          },
          handle: async (m) => `${n}:${m}`,
        };
      },
      { kind: 'ESP300' },
    );
    assert.equal(await actor.ask('x', { timeoutMs: 100 }), '1:x');
    failNow!(new BenchtopError('LINK_LOST', 'cable pulled'));
    await settle();
    assert.equal(actor.state, 'restarting');
    const restarting = changes.at(-1)!;
    assert.equal(restarting.retryInMs, 100);
    assert.equal(restarting.error?.code, 'LINK_LOST');
    // commands during the outage fail fast with the reason
    await assert.rejects(
      actor.ask('y', { timeoutMs: 100 }),
      (e) => isBenchtopError(e, 'ACTOR_UNAVAILABLE') && /cable pulled/.test(e.message),
    );
    await clock.advance(99);
    assert.equal(actor.state, 'restarting');
    await clock.advance(1);
    assert.equal(actor.state, 'ready');
    assert.equal(await actor.ask('z', { timeoutMs: 100 }), '2:z');
    assert.deepEqual(statesOf('inst'), ['starting', 'ready', 'failed', 'restarting', 'starting', 'ready']);
  });

  it('gives up after maxRestarts in the window (faulted) while a sibling keeps working', async () => {
    const { supervisor, clock, statesOf } = harness();
    let starts = 0;
    const broken = await supervisor.spawn<string, string>(
      'broken',
      () => ({
        start: async () => {
          starts++;
          throw new BenchtopError('LINK_LOST', 'no answer');
        },
        handle: async (m) => m,
      }),
      { kind: 'MaiTai' },
    );
    const sibling = await supervisor.spawn('ok', echo, { kind: 'Newport1830C' });
    assert.equal(broken.state, 'restarting');
    await clock.advance(100); // restart 1 fails
    await clock.advance(200); // restart 2 fails
    await clock.advance(400); // restart 3 fails -> faulted
    assert.equal(broken.state, 'faulted');
    assert.equal(starts, 4);
    assert.equal(clock.pendingTimers(), 0, 'no further restart is scheduled');
    assert.equal(statesOf('broken').at(-1), 'faulted');
    assert.equal(await sibling.ask('still here', { timeoutMs: 100 }), 'echo:still here');
    await assert.rejects(broken.ask('x', { timeoutMs: 10 }), (e) => isBenchtopError(e, 'ACTOR_UNAVAILABLE'));
    // an operator restart brings it back with a fresh window
    await supervisor.restart('broken').catch(() => {});
    assert.equal(starts, 5);
    assert.equal(broken.state, 'restarting');
  });

  it('restarts outside the window do not count toward faulted', async () => {
    const { supervisor, clock } = harness();
    let fail: ((e: unknown) => void) | null = null;
    const actor = await supervisor.spawn<string, string>(
      'flaky',
      () => ({
        start: async (ctx) => {
          fail = ctx.fail;
        },
        handle: async (m) => m,
      }),
      { kind: 'test' },
    );
    for (let i = 0; i < 6; i++) {
      fail!(new Error('glitch'));
      await clock.advance(1_000);
      assert.equal(actor.state, 'ready', `restart ${i}`);
      await clock.advance(10_000);
    }
  });

  it('times out a start that hangs (SPAWN_TIMEOUT) and retries', async () => {
    const { supervisor, clock, changes } = harness();
    const spawning = supervisor.spawn<string, string>(
      'hang',
      () => ({ start: () => new Promise(() => {}), handle: async (m) => m }),
      { kind: 'test' },
    );
    await clock.advance(1_000);
    const actor = await spawning;
    assert.equal(actor.state, 'restarting');
    assert.equal(changes.find((c) => c.state === 'failed')?.error?.code, 'SPAWN_TIMEOUT');
  });
});

describe('supervisor shutdown', () => {
  it('stops actors in reverse start order and rejects queued work', async () => {
    const { supervisor, statesOf, changes } = harness();
    const order: string[] = [];
    for (const id of ['first', 'second', 'third']) {
      await supervisor.spawn<string, string>(
        id,
        () => ({
          handle: async (m) => m,
          stop: async () => {
            order.push(id);
          },
        }),
        { kind: 'test' },
      );
    }
    await supervisor.stopAll();
    assert.deepEqual(order, ['third', 'second', 'first']);
    assert.deepEqual(statesOf('first').slice(-2), ['stopping', 'stopped']);
    const stoppedAt = changes.filter((c) => c.state === 'stopped').map((c) => c.id);
    assert.deepEqual(stoppedAt, ['third', 'second', 'first']);
    await assert.rejects(supervisor.get<string, string>('first')!.ask('late', { timeoutMs: 10 }), (e) =>
      isBenchtopError(e, 'ACTOR_UNAVAILABLE'),
    );
  });

  it('waits for the message in hand, but no longer than the shutdown timeout', async () => {
    const { supervisor, clock } = harness({ shutdownTimeoutMs: 500 });
    let stopCalled = false;
    const actor = await supervisor.spawn<string, string>(
      'stuck',
      () => ({
        handle: () => new Promise(() => {}),
        stop: async () => {
          stopCalled = true;
        },
      }),
      { kind: 'test' },
    );
    void actor.ask('forever', { timeoutMs: 60_000 }).catch(() => {});
    const queued = assert.rejects(actor.ask('queued', { timeoutMs: 60_000 }), (e) =>
      isBenchtopError(e, 'ACTOR_STOPPED'),
    );
    await settle();
    const stopping = supervisor.stopAll();
    await queued;
    await clock.advance(499);
    assert.equal(stopCalled, false);
    await clock.advance(1);
    const { timedOut } = await stopping;
    assert.deepEqual(timedOut, ['stuck']);
    assert.equal(stopCalled, true);
    assert.equal(actor.state, 'stopped');
  });

  it('a stop hook that hangs is cut off at the timeout', async () => {
    const { supervisor, clock } = harness({ shutdownTimeoutMs: 300 });
    await supervisor.spawn<string, string>(
      'a',
      () => ({ handle: async (m) => m, stop: () => new Promise(() => {}) }),
      {
        kind: 'test',
      },
    );
    const stopping = supervisor.stopAll();
    await clock.advance(300);
    assert.deepEqual((await stopping).timedOut, ['a']);
  });

  it('retries a faulted actor every faultedRetryMs, so a device that comes back is picked up', async () => {
    const { supervisor, clock, statesOf } = harness({ faultedRetryMs: 300_000 });
    let deviceOn = false;
    let starts = 0;
    const actor = await supervisor.spawn<string, string>(
      'meter',
      () => ({
        start: async () => {
          starts++;
          if (!deviceOn) throw new BenchtopError('LINK_LOST', 'no answer');
        },
        handle: async (m) => m,
      }),
      { kind: 'Newport1830C' },
    );
    await clock.advance(100 + 200 + 400);
    assert.equal(actor.state, 'faulted');
    assert.equal(starts, 4);
    await clock.advance(299_999);
    assert.equal(starts, 4, 'no attempt before the retry interval');
    await clock.advance(1); // one attempt; the device is still off
    assert.equal(starts, 5);
    // The old restarts have left the 10 s window: the usual backoff, then faulted again.
    await clock.advance(100 + 200 + 400);
    assert.equal(starts, 8);
    assert.equal(actor.state, 'faulted');
    deviceOn = true;
    await clock.advance(300_000);
    assert.equal(starts, 9);
    assert.equal(actor.state, 'ready');
    assert.equal(await actor.ask('back', { timeoutMs: 100 }), 'back');
    assert.deepEqual(statesOf('meter').slice(-3), ['faulted', 'starting', 'ready']);
    await supervisor.stopAll();
  });

  it('a stable incarnation forgets earlier restarts: a link that keeps coming back never faults', async () => {
    const { supervisor, clock } = harness({ stableAfterMs: 2_000 });
    let fail: ((e: unknown) => void) | null = null;
    const actor = await supervisor.spawn<string, string>(
      'flaky',
      () => ({
        start: async (ctx) => {
          fail = ctx.fail;
        },
        handle: async (m) => m,
      }),
      { kind: 'test' },
    );
    // Ten drops within one restart window (maxRestarts 3): each restart is the first again.
    for (let i = 0; i < 10; i++) {
      fail!(new BenchtopError('LINK_LOST', 'cable'));
      assert.equal(actor.state, 'restarting', `drop ${i}`);
      await clock.advance(100); // the shortest backoff every time
      assert.equal(actor.state, 'ready', `drop ${i}`);
      await clock.advance(2_000);
    }
    await supervisor.stopAll();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Actor, type MessageContext } from './actor.ts';
import { ManualClock, settle } from './clock.ts';
import { BenchtopError, isBenchtopError } from './errors.ts';

function readyActor(clock: ManualClock, handle: (m: string, ctx: MessageContext) => Promise<string>) {
  const actor = new Actor<string, string>({
    id: 'a',
    kind: 'test',
    mailboxCapacity: 4,
    clock,
    onStateChange: () => {},
    onFailure: () => {},
  });
  return { actor, ready: actor.begin({ handle }, 1_000).then(() => actor.transition('ready')) };
}

describe('Actor: the message signal (made when the handler first looks)', () => {
  it('is aborted with ASK_TIMEOUT when the asker gave up before the handler looked', async () => {
    const clock = new ManualClock();
    let release: () => void = () => {};
    let seen: AbortSignal | null = null;
    const { actor, ready } = readyActor(clock, async (_m, ctx) => {
      await new Promise<void>((r) => {
        release = r;
      });
      seen = ctx.signal;
      return 'late';
    });
    await ready;
    const asked = assert.rejects(actor.ask('x', { timeoutMs: 100 }), (e) =>
      isBenchtopError(e, 'ASK_TIMEOUT'),
    );
    await settle();
    await clock.advance(100);
    await asked;
    release();
    await settle();
    assert.equal(seen!.aborted, true);
    assert.ok(isBenchtopError((seen as unknown as AbortSignal).reason, 'ASK_TIMEOUT'));
  });

  it('aborts a signal the handler holds when the asker gives up or the incarnation dies', async () => {
    const clock = new ManualClock();
    const signals: AbortSignal[] = [];
    const { actor, ready } = readyActor(clock, (_m, ctx) => {
      signals.push(ctx.signal);
      return new Promise<string>(() => {});
    });
    await ready;
    const first = assert.rejects(actor.ask('x', { timeoutMs: 100 }), (e) =>
      isBenchtopError(e, 'ASK_TIMEOUT'),
    );
    await settle();
    assert.equal(signals[0]!.aborted, false);
    await clock.advance(100);
    await first;
    assert.equal(signals[0]!.aborted, true);

    const { actor: other, ready: otherReady } = readyActor(clock, (_m, ctx) => {
      signals.push(ctx.signal);
      return new Promise<string>(() => {});
    });
    await otherReady;
    const second = assert.rejects(other.ask('y', { timeoutMs: 10_000 }), (e) =>
      isBenchtopError(e, 'LINK_LOST'),
    );
    await settle();
    other.crash(new BenchtopError('LINK_LOST', 'cable pulled'));
    await second;
    assert.equal(signals[1]!.aborted, true);
  });

  it('answers asks without arming a clock timer per ask', async () => {
    const clock = new ManualClock();
    const { actor, ready } = readyActor(clock, async (m) => `echo:${m}`);
    await ready;
    for (let i = 0; i < 100; i++) assert.equal(await actor.ask(String(i), { timeoutMs: 1_000 }), `echo:${i}`);
    assert.ok(clock.pendingTimers() <= 1, `${clock.pendingTimers()} timers pending`);
  });
});

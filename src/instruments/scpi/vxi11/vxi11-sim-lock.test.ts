import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../core/clock.ts';
import { DeviceLock } from './vxi11-sim-lock.ts';

describe('DeviceLock (the simulator device lock)', () => {
  it('lets the holder through, refuses others at once without a wait, and only the holder can release', async () => {
    const lock = new DeviceLock(new ManualClock());
    assert.equal(await lock.wait(1, true, 0), 'ok');
    assert.equal(await lock.wait(1, true, 0), 'ok', 'locking again is harmless');
    assert.equal(await lock.wait(1, false, 0), 'ok');
    assert.equal(await lock.wait(2, false, 0), 'locked');
    assert.equal(lock.release(2), false);
    assert.equal(lock.release(1), true);
    assert.equal(lock.holder, null);
  });

  it('waiters are let in on release in arrival order; one that takes the lock keeps later ones out', async () => {
    const clock = new ManualClock();
    const lock = new DeviceLock(clock);
    await lock.wait(1, true, 0);
    const use2 = lock.wait(2, false, 1000);
    const take3 = lock.wait(3, true, 1000);
    const use4 = lock.wait(4, false, 1000);
    assert.equal(lock.waiting, 3);
    lock.release(1);
    assert.equal(await use2, 'ok');
    assert.equal(await take3, 'ok');
    assert.equal(lock.holder, 3);
    await clock.advance(1000);
    assert.equal(await use4, 'locked', 'still locked by 3 when its lock_timeout ran out');
  });

  it('a wait ends with "aborted" when its signal aborts (device_abort)', async () => {
    const lock = new DeviceLock(new ManualClock());
    await lock.wait(1, true, 0);
    const controller = new AbortController();
    const waiting = lock.wait(2, false, 60_000, controller.signal);
    controller.abort();
    assert.equal(await waiting, 'aborted');
    assert.equal(lock.waiting, 0);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '../../core/frame.ts';
import { FrameRing } from './frame-ring.ts';

const frame = (frameNumber: number): Frame => ({
  pixels: new Uint16Array(4),
  width: 2,
  height: 2,
  frameNumber,
  timestamp: frameNumber,
  bitDepth: 16,
  exposureMs: 1,
});

describe('FrameRing (CIRC_NO_OVERWRITE)', () => {
  it('hands frames out in frame-number order, holding each slot until it is released', () => {
    const ring = new FrameRing(3);
    assert.ok(ring.claim(1));
    assert.ok(ring.claim(2));
    const f2 = frame(2);
    assert.ok(ring.fill(f2));
    // Frame 2 is complete but frame 1 is not: nothing may overtake frame 1.
    assert.equal(ring.oldest(), undefined);
    const f1 = frame(1);
    ring.fill(f1);
    assert.equal(ring.oldest(), f1);
    assert.equal(ring.oldest(), f1, 'oldest() does not remove');
    assert.equal(ring.release(f2), false, 'only the oldest can be released');
    assert.ok(ring.release(f1));
    assert.equal(ring.oldest(), f2);
    assert.equal(ring.held, 1);
  });

  it('counts every frame that finds all slots held, and never overwrites', () => {
    const ring = new FrameRing(2);
    assert.ok(ring.claim(1));
    assert.ok(ring.claim(2));
    assert.equal(ring.claim(3), false);
    assert.equal(ring.claim(4), false);
    assert.equal(ring.dropped, 2);
    const f1 = frame(1);
    ring.fill(f1);
    ring.fill(frame(2));
    assert.equal(ring.fill(frame(3)), false, 'a lost frame has no slot to fill');
    ring.release(f1);
    assert.ok(ring.claim(5));
    assert.equal(ring.dropped, 2);
    assert.equal(ring.held, 2);
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => new FrameRing(0), RangeError);
  });
});

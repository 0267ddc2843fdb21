import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatErrorEntry, ScpiErrorQueue } from './scpi-error-queue.ts';

describe('ScpiErrorQueue', () => {
  it('is first in, first out, and says No error when empty', () => {
    const q = new ScpiErrorQueue(5);
    q.push(-113, 'FOO?');
    q.push(-222);
    assert.deepEqual(q.next(), { code: -113, text: 'Undefined header;FOO?' });
    assert.deepEqual(q.next(), { code: -222, text: 'Data out of range' });
    assert.deepEqual(q.next(), { code: 0, text: 'No error' });
  });

  it('replaces the newest entry with -350 when it overflows and keeps the oldest', () => {
    const q = new ScpiErrorQueue(3);
    for (let i = 0; i < 6; i++) q.push(-222, `#${i}`);
    assert.equal(q.length, 3);
    assert.deepEqual(
      [q.next(), q.next(), q.next(), q.next()].map((e) => e.code),
      [-222, -222, -350, 0],
    );
  });

  it('clears', () => {
    const q = new ScpiErrorQueue();
    q.push(-100);
    q.clear();
    assert.equal(q.next().code, 0);
  });

  it('formats entries as code,"text" with doubled quotes', () => {
    assert.equal(formatErrorEntry({ code: 0, text: 'No error' }), '0,"No error"');
    assert.equal(formatErrorEntry({ code: -102, text: 'Syntax error;"x' }), '-102,"Syntax error;""x"');
  });
});

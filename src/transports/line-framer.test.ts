import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineFramer, type Terminator } from './line-framer.ts';

/** Feeds `text` split at every position and returns the lines seen for each split. */
function framesAtEverySplit(terminator: Terminator, text: string): string[][] {
  const bytes = Buffer.from(text, 'latin1');
  const results: string[][] = [];
  for (let split = 0; split <= bytes.length; split++) {
    const lines: string[] = [];
    const framer = new LineFramer(terminator, (line) => lines.push(line));
    framer.push(bytes.subarray(0, split));
    framer.push(bytes.subarray(split));
    results.push(lines);
  }
  return results;
}

describe('LineFramer', () => {
  it('LF framing strips a CR before the LF, wherever the chunks split', () => {
    for (const lines of framesAtEverySplit('\n', 'A?\r\nB\n')) assert.deepEqual(lines, ['A?', 'B']);
  });

  it('CR or LF framing ends lines at either byte and a CR LF pair makes one line', () => {
    for (const lines of framesAtEverySplit('\r|\n', 'WAV?\rSHUT 1\nREAD:POW?\r\n*STB?\n\r')) {
      assert.deepEqual(lines, ['WAV?', 'SHUT 1', 'READ:POW?', '*STB?']);
    }
  });

  it('CR or LF framing keeps an unterminated tail pending', () => {
    const lines: string[] = [];
    const framer = new LineFramer('\r|\n', (line) => lines.push(line));
    framer.push(Buffer.from('ON\rOF'));
    assert.deepEqual(lines, ['ON']);
    assert.equal(framer.pending, 'OF');
  });
});

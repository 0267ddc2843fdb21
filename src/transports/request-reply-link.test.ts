import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { isBenchtopError } from '../core/errors.ts';
import { LineLink } from './line-link.ts';
import { memoryPipe } from './memory-pipe.ts';

function link() {
  const clock = new ManualClock();
  const { transport, peer } = memoryPipe('memory:dmm');
  const line = new LineLink(transport, {
    readTermination: '\n',
    writeTermination: '\n',
    timeoutMs: 100,
    clock,
  });
  return { clock, peer, line };
}

describe('LineLink on the request/reply skeleton, over an in-memory pipe', () => {
  it('answers queries in order, whatever the chunks', async () => {
    const { peer, line } = link();
    await line.open();
    peer.onData((chunk) => {
      const command = Buffer.from(chunk).toString('latin1').trim();
      // The reply to each query split across three chunks.
      const reply = `${command.toLowerCase()}-ok\n`;
      peer.send(reply.slice(0, 2));
      peer.send(reply.slice(2, 5));
      peer.send(reply.slice(5));
    });
    assert.equal(await line.query('A?'), 'a?-ok');
    assert.equal(await line.query('B?'), 'b?-ok');
    assert.deepEqual(
      peer.received.map((c) => Buffer.from(c).toString('latin1')),
      ['A?\n', 'B?\n'],
    );
  });

  it('times out on the clock, and a late line is not taken for the next reply', async () => {
    const { clock, peer, line } = link();
    await line.open();
    const first = assert.rejects(
      line.query('SLOW?'),
      (e) => isBenchtopError(e, 'INSTRUMENT_TIMEOUT') && /SLOW\?/.test(e.message),
    );
    await clock.advance(100);
    await first;
    peer.send('late\n');
    peer.onData(() => peer.send('fresh\n'));
    assert.equal(await line.query('NEXT?'), 'fresh');
    assert.equal(line.discarded, 1);
  });

  it('a hang-up rejects everything waiting and tells the owner once', async () => {
    const { peer, line } = link();
    await line.open();
    const lost: string[] = [];
    line.onLost((e) => lost.push(e.code));
    const waiting = [line.readLine(), line.readLine()];
    peer.hangUp(new Error('cable pulled'));
    for (const w of waiting) await assert.rejects(w, (e) => isBenchtopError(e, 'LINK_LOST'));
    await assert.rejects(line.write('X'), (e) => isBenchtopError(e, 'LINK_LOST'));
    assert.deepEqual(lost, ['LINK_LOST']);
  });

  it('garbage (a line past the limit) fails the link as a protocol error', async () => {
    const clock = new ManualClock();
    const { transport, peer } = memoryPipe();
    const line = new LineLink(transport, {
      readTermination: '\n',
      writeTermination: '\n',
      timeoutMs: 100,
      clock,
      maxLineLength: 8,
    });
    await line.open();
    const lost: string[] = [];
    line.onLost((e) => lost.push(e.code));
    const reply = line.readLine();
    peer.send('0123456789abcdef');
    await assert.rejects(reply, (e) => isBenchtopError(e, 'PROTOCOL_ERROR'));
    assert.deepEqual(lost, ['PROTOCOL_ERROR']);
  });
});

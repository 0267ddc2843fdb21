import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBenchtopError } from '../core/errors.ts';
import { CommandReply, CommandRequest, decode, encode, PROTOCOL_VERSION, ReadingBatch } from './messages.ts';

const batch: ReadingBatch = {
  v: PROTOCOL_VERSION,
  agentId: 'host1',
  epoch: 5,
  seq: 7,
  inst: 'meter',
  samples: [
    { signal: 'power', value: 1.5e-3, ts: 1_700_000_000_123, unit: 'W', quality: 'good' },
    { signal: 'trace', value: [1, 2, 3], ts: 1_700_000_000_124, quality: 'invalid' },
  ],
};

test('a reading batch survives the round trip exactly', () => {
  assert.deepEqual(decode(ReadingBatch, encode(ReadingBatch, batch), 'batch'), batch);
});

test('a message cut anywhere is refused as a protocol error, never half-read', () => {
  const bytes = encode(ReadingBatch, batch);
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(
      () => decode(ReadingBatch, bytes.subarray(0, cut), 'batch'),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
      `cut at ${cut}`,
    );
  }
});

test('a wrong shape or another protocol version is refused with what is wrong', () => {
  const bad = new TextEncoder().encode(JSON.stringify({ ...batch, seq: 'x' }));
  assert.throws(() => decode(ReadingBatch, bad, 'batch'), /batch: \/seq/);
  const newer = new TextEncoder().encode(JSON.stringify({ ...batch, v: 2 }));
  assert.throws(() => decode(ReadingBatch, newer, 'batch'), /protocol version 2/);
  const notUtf8 = new Uint8Array([0xff, 0xfe]);
  assert.throws(
    () => decode(ReadingBatch, notUtf8, 'batch'),
    (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
  );
});

test('commands and replies carry their command id', () => {
  const request: CommandRequest = {
    v: 1,
    cmdId: 'hub:1',
    verb: 'read',
    args: { signal: 'power' },
    deadline: 10,
  };
  assert.deepEqual(decode(CommandRequest, encode(CommandRequest, request), 'request'), request);
  const reply: CommandReply = {
    v: 1,
    cmdId: 'hub:1',
    status: 'error',
    error: { code: 'X', message: 'y' },
    agentNow: 3,
  };
  assert.deepEqual(decode(CommandReply, encode(CommandReply, reply), 'reply'), reply);
});

test('a wrong field deep in a message is named by its path, on every decode of that schema', () => {
  const sample = { ...batch.samples[0]!, quality: 'maybe' };
  const bad = new TextEncoder().encode(JSON.stringify({ ...batch, samples: [batch.samples[0], sample] }));
  // Twice: the compiled check is built on the first decode and reused.
  for (let i = 0; i < 2; i++)
    assert.throws(() => decode(ReadingBatch, bad, 'batch'), /batch: \/samples\/1\/quality /);
  const missing = new TextEncoder().encode(JSON.stringify({ v: 1, cmdId: 'hub:1', verb: 'read', args: {} }));
  assert.throws(() => decode(CommandRequest, missing, 'request'), /request: \/deadline /);
});

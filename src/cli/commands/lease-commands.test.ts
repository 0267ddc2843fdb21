import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTtl } from './lease-commands.ts';

test('--ttl takes seconds, minutes or hours and refuses anything under a second or unreadable', () => {
  assert.equal(parseTtl('90'), 90_000);
  assert.equal(parseTtl('90s'), 90_000);
  assert.equal(parseTtl('30m'), 1_800_000);
  assert.equal(parseTtl('1.5h'), 5_400_000);
  for (const bad of ['0', '0.5s', '2d', 'soon', '', '-5m'])
    assert.throws(() => parseTtl(bad), { code: 'VALIDATION_FAILED', message: /--ttl .*at least 1 s/ }, bad);
});

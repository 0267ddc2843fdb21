import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandCache } from './command-cache.ts';
import type { CommandReply } from './messages.ts';

const reply = (cmdId: string, result: unknown): CommandReply => ({
  v: 1,
  cmdId,
  status: 'done',
  result,
  agentNow: 0,
});

test('a repeated command id gets the first reply and does not run again', async () => {
  const cache = new CommandCache();
  let runs = 0;
  const run = async () => reply('c1', ++runs);
  const [a, b] = await Promise.all([cache.handle('c1', run), cache.handle('c1', run)]);
  assert.equal(runs, 1);
  assert.deepEqual(a, b);
  assert.equal((await cache.handle('c1', run)).result, 1);
  assert.equal((await cache.handle('c2', async () => reply('c2', 'other'))).result, 'other');
});

test('the cache is bounded: the oldest ids are forgotten', async () => {
  const cache = new CommandCache(2);
  for (const id of ['a', 'b', 'c']) await cache.handle(id, async () => reply(id, id));
  assert.equal(cache.size, 2);
  let ran = false;
  await cache.handle('a', async () => {
    ran = true;
    return reply('a', 'again');
  });
  assert.equal(ran, true);
});

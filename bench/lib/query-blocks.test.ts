import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeBin } from './child-process.ts';
import { interleavedBlocks } from './query-blocks.ts';

/** A child serving blocks whose "query" is a timer turn, through the real serveQueryBlocks. */
const servingChild = [
  '--input-type=module',
  '-e',
  `import { serveQueryBlocks } from ${JSON.stringify(new URL('../children/query-blocks.ts', import.meta.url).href)};
   await serveQueryBlocks(() => new Promise((resolve) => setImmediate(resolve)));`,
];

describe('interleavedBlocks', () => {
  it('runs every client the same number of blocks, in turns, and pairs each turn', async () => {
    const logged: string[] = [];
    const outcome = await interleavedBlocks({
      clients: [
        { name: 'ours', command: nodeBin, args: servingChild },
        { name: 'anchor', command: nodeBin, args: servingChild },
        { name: 'absent', command: nodeBin, args: servingChild, unavailable: 'not installed here' },
      ],
      ours: 'ours',
      turns: 4,
      queriesPerBlock: 50,
      log: (line) => logged.push(line),
      timeoutMs: 30_000,
    });
    const ours = outcome.rates.ours as { n: number; min: number };
    const anchor = outcome.rates.anchor as { n: number; min: number };
    assert.equal(ours.n, 4);
    assert.equal(anchor.n, 4);
    assert.ok(ours.min > 0 && anchor.min > 0);
    assert.deepEqual(outcome.rates.absent, { missing: 'not installed here' });
    assert.deepEqual(Object.keys(outcome.pairedRatios), ['anchor']);
    assert.ok(Number.isFinite(outcome.pairedRatios.anchor) && outcome.pairedRatios.anchor! > 0);
    assert.match(logged.at(-1)!, /^ {2}turn 4\/4: ours \d+, anchor \d+$/);
  });

  it('names the client and its block when a client dies', async () => {
    await assert.rejects(
      interleavedBlocks({
        clients: [
          { name: 'broken', command: nodeBin, args: ['-e', 'console.log(JSON.stringify({ ready: true }))'] },
        ],
        ours: 'broken',
        turns: 1,
        queriesPerBlock: 10,
        log: () => {},
        timeoutMs: 30_000,
      }),
      /broken block 0: process exited \(0\) first/,
    );
  });
});

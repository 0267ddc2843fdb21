import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { applyThreadNice } from './thread-nice.ts';

/** The nice value of thread `tid` of this process (field 19 of /proc/…/stat). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const onLinux = process.platform === 'linux' ? false : 'per-thread nice values are Linux';

describe('applyThreadNice', () => {
  it(
    'sets the calling worker thread only: applied, read back from /proc, the main thread untouched',
    { skip: onLinux },
    async () => {
      const url = new URL('./thread-nice.ts', import.meta.url).href;
      const mainBefore = niceOf(process.pid);
      const worker = new Worker(
        `import { parentPort } from 'node:worker_threads';
       import { readlinkSync } from 'node:fs';
       const { applyThreadNice } = await import(${JSON.stringify(url)});
       const result = applyThreadNice(17);
       parentPort.postMessage({ result, tid: Number(readlinkSync('/proc/thread-self').split('/').at(-1)) });
       parentPort.once('message', () => process.exit(0));`,
        { eval: true, type: 'module' } as never,
      );
      const [{ result, tid }] = (await once(worker, 'message')) as [{ result: unknown; tid: number }];
      try {
        assert.deepEqual(result, { requested: 17, previous: mainBefore, applied: 17 });
        assert.equal(niceOf(tid), 17, 'the worker thread');
        assert.equal(niceOf(process.pid), mainBefore, 'the main thread is untouched');
      } finally {
        worker.postMessage('done');
        await once(worker, 'exit');
      }
    },
  );

  it('a refusal leaves the thread alone and says why', () => {
    const denied = Object.assign(new Error('uv_os_setpriority returned EACCES'), { code: 'EACCES' });
    const result = applyThreadNice(-10, () => {
      throw denied;
    });
    assert.equal(result.applied, null);
    assert.equal(result.requested, -10);
    assert.match(
      result.refused ?? '',
      /not permitted \(EACCES: a nice value below 0 needs root or CAP_SYS_NICE\)/,
    );
  });
});

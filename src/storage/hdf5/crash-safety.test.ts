import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { lookup3, recoverRunFile } from './run-file-recovery.ts';
import { hasCommand, hasH5py, PYTHON, RunFileReader } from './test-support/run-file-reader.ts';
import { FRAME_HEIGHT, FRAME_WIDTH, motorPosition, pixelValue } from './test-support/synthetic-run.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-hdf5-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));
const child = new URL('./test-support/kill-after-flush-child.ts', import.meta.url).pathname;

/** The child's stdout, line by line: `next(pattern)` resolves with the first matching line. */
function watchLines(proc: ChildProcess) {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve(m: RegExpMatchArray): void; reject(e: Error): void }[] = [];
  let stderr = '';
  let exitCode: number | string | null = null;
  proc.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const settle = () => {
    for (const waiter of [...waiters]) {
      const match = lines.map((l) => l.match(waiter.pattern)).find((m) => m !== null);
      if (match) waiter.resolve(match);
      else if (exitCode !== null)
        waiter.reject(new Error(`child exited (${exitCode}) before printing ${waiter.pattern}: ${stderr}`));
      else continue;
      waiters.splice(waiters.indexOf(waiter), 1);
    }
  };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    settle();
  });
  proc.on('exit', (code, signal) => {
    exitCode = code ?? signal;
    settle();
  });
  return {
    next: (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        waiters.push({ pattern, resolve, reject });
        settle();
      }),
  };
}

/** Checks what the child flushed: 10 primary events and 3 frames (maybe more, never fewer). */
function assertFlushedRun(file: RunFileReader): void {
  const seq = file.values('/entry/data/seq_num');
  assert.ok(seq.length >= 10, `at least the 10 flushed events, got ${seq.length}`);
  assert.deepEqual(seq.slice(0, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(
    file.values('/entry/data/motor_position').slice(0, 10),
    seq.slice(0, 10).map((s) => motorPosition(Number(s) - 1)),
  );
  const frames = file.dataset('/entry/data_camera/cam_image');
  assert.ok((frames.shape?.[0] ?? 0) >= 3, 'at least the 3 flushed frames');
  const first3 = frames.slice([[0, 3]]) as Uint16Array;
  for (let n = 0; n < 3; n++) {
    assert.equal(first3[(n * FRAME_HEIGHT + 5) * FRAME_WIDTH + 7], pixelValue(n, 5, 7), `frame ${n}`);
  }
  assert.deepEqual(file.values('/entry/data_camera/cam_image_frame_number').slice(0, 3), [100, 101, 102]);
}

describe('Hdf5RunWriter: crash safety', () => {
  it('a flushed run stays readable after the writing process is killed with SIGKILL', async () => {
    const outputDir = join(root, 'killed');
    const proc = spawn(process.execPath, [child, outputDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    after(() => proc.kill('SIGKILL'));
    const output = watchLines(proc);
    const [, path] = await output.next(/^flushed (.+)$/);
    assert.ok(path);
    // Kill it mid-stream, while it writes events and frames it never flushes.
    await output.next(/^unflushed 13$/);
    proc.kill('SIGKILL');
    const [, signal] = await once(proc, 'exit');
    assert.equal(signal, 'SIGKILL');

    // As left by the killed writer: SWMR readers open it (it is still marked open for SWMR write).
    const swmr = await RunFileReader.open(path, 'swmr');
    try {
      assertFlushedRun(swmr);
    } finally {
      swmr.close();
    }
    await assert.rejects(RunFileReader.open(path, 'r'), /already open for write|h5clear/);

    // After recovery (h5clear -s, without HDF5's tools) every reader opens it.
    const copy = join(root, 'killed-copy.h5');
    copyFileSync(path, copy);
    assert.equal(recoverRunFile(path).wasOpenForWrite, true);
    assert.deepEqual(recoverRunFile(path), { wasOpenForWrite: false, extendedBy: 0 }, 'idempotent');
    const plain = await RunFileReader.open(path, 'r');
    try {
      assertFlushedRun(plain);
      assert.equal(plain.has('/entry/end_time'), false, 'the run never ended');
    } finally {
      plain.close();
    }
    if (hasH5py()) {
      const read = spawnSync(
        PYTHON,
        [
          '-c',
          "import h5py, sys; f = h5py.File(sys.argv[1], 'r', swmr=True); print(f['entry/data/seq_num'][:10].tolist())",
          copy,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(read.status, 0, read.stderr);
      assert.equal(
        read.stdout.trim(),
        '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]',
        'h5py in SWMR mode reads the unrecovered file',
      );
    }
    if (hasCommand('h5dump')) {
      const dump = spawnSync('h5dump', ['-d', '/entry/data/seq_num', path], { encoding: 'utf8' });
      assert.equal(dump.status, 0, dump.stderr);
      assert.match(dump.stdout, /\(0\): 1, 2, 3, 4, 5, 6, 7, 8, 9, 10/);
    }
  });

  it('lookup3 matches the published vectors and the checksum HDF5 wrote on a superblock', () => {
    assert.equal(lookup3(new Uint8Array()), 0xdeadbeef);
    assert.equal(lookup3(Buffer.from('Four score and seven years ago')), 0x17770551);
    const killedCopy = readFileSync(join(root, 'killed-copy.h5')).subarray(0, 48);
    assert.equal(killedCopy[8], 3, 'superblock version 3 (SWMR)');
    assert.equal(lookup3(killedCopy.subarray(0, 44)), killedCopy.readUInt32LE(44));
  });
});

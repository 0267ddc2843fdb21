import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { FLUSHED_EVENTS, FLUSHED_FRAMES } from './crash-child.fixture.ts';
import { hasFooter, readStreamPrefix, recoverArrowRun } from './recover-run.ts';
import { readManifest } from './run-manifest.ts';

let root: string;
let runDir: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'benchtop-arrow-crash-'));
  const outputDir = join(root, 'data');
  const child = fork(new URL('./crash-child.fixture.ts', import.meta.url), [outputDir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Not the test runner's flags: the child is a plain script.
    execArgv: [],
  });
  const exited = once(child, 'exit');
  const [message] = await Promise.race([once(child, 'message'), exited]);
  assert.equal(message, 'flushed', 'the child exited before flushing');
  child.kill('SIGKILL');
  const [code, signal] = await exited;
  assert.equal(code, null);
  assert.equal(signal, 'SIGKILL');
  const [name] = await readdir(outputDir);
  runDir = join(outputDir, name!);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a run killed with SIGKILL after a flush', () => {
  it('leaves footerless files whose stream body holds every flushed row', async () => {
    const manifest = await readManifest(runDir);
    assert.equal(manifest.status, 'open', 'the writer never closed');
    assert.deepEqual(manifest.files.map((f) => f.path).sort(), [
      'camera.arrow',
      'camera_frames.arrow',
      'primary.arrow',
    ]);
    assert.equal(await hasFooter(join(runDir, 'primary.arrow')), false);
    const events = await readStreamPrefix(join(runDir, 'primary.arrow'));
    assert.equal(events.numRows, FLUSHED_EVENTS, 'flushed events survive; the 5 unflushed are lost');
    assert.deepEqual(
      Array.from(events.getChild('seq_num')!.toArray() as BigInt64Array),
      Array.from({ length: FLUSHED_EVENTS }, (_, i) => BigInt(i + 1)),
    );
    const frames = await readStreamPrefix(join(runDir, 'camera_frames.arrow'));
    assert.equal(frames.numRows, FLUSHED_FRAMES);
    const cameraEvents = await readStreamPrefix(join(runDir, 'camera.arrow'));
    assert.equal(cameraEvents.numRows, 0, 'a stream with no events is still a readable, empty table');
  });

  it('recovers into ordinary Arrow files, and recovering again changes nothing', async () => {
    const copy = join(root, 'copy');
    await copyRun(runDir, copy);
    const report = await recoverArrowRun(copy);
    assert.equal(report.previousStatus, 'open');
    assert.deepEqual(
      report.files.map((f) => [f.path, f.status, f.rows, f.torn]),
      [
        ['camera.arrow', 'recovered', 0, false],
        ['camera_frames.arrow', 'recovered', FLUSHED_FRAMES, false],
        ['primary.arrow', 'recovered', FLUSHED_EVENTS, false],
      ],
    );
    const table = tableFromIPC(await readFile(join(copy, 'primary.arrow')));
    assert.equal(table.numRows, FLUSHED_EVENTS);
    assert.equal(table.schema.fields.find((f) => f.name === 'meter_power')!.metadata.get('units'), 'W');
    assert.equal(tableFromIPC(await readFile(join(copy, 'camera_frames.arrow'))).numRows, FLUSHED_FRAMES);
    const manifest = await readManifest(copy);
    assert.equal(manifest.status, 'recovered');
    assert.deepEqual(
      manifest.files.map((f) => [f.path, f.rows]),
      [
        ['primary.arrow', FLUSHED_EVENTS],
        ['camera.arrow', 0],
        ['camera_frames.arrow', FLUSHED_FRAMES],
      ],
    );

    const again = await recoverArrowRun(copy);
    assert.equal(again.previousStatus, 'recovered');
    assert.ok(again.files.every((f) => f.status === 'complete'));
  });

  it('drops a batch cut off mid-write and keeps the ones before it', async () => {
    const copy = join(root, 'torn');
    await copyRun(runDir, copy);
    const path = join(copy, 'primary.arrow');
    await truncate(path, (await stat(path)).size - 100);
    const report = await recoverArrowRun(copy);
    const primary = report.files.find((f) => f.path === 'primary.arrow')!;
    assert.equal(primary.torn, true);
    // Batches of 128: the last batch (300 - 256 = 44 rows) is the torn one.
    assert.equal(primary.rows, 256);
    assert.equal(tableFromIPC(await readFile(path)).numRows, 256);
  });
});

async function copyRun(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await cp(from, to, { recursive: true });
}

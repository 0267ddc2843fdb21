import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunDocument, RunStart } from '../core/documents.ts';
import { silentLogger } from '../core/logger.ts';
import { reconciledStop } from '../storage/catalog/reconciled-stop.ts';
import { RunCatalog } from '../storage/catalog/run-catalog.ts';
import { recoverInterruptedRuns } from './interrupted-runs.ts';

/** Runs a killed process left `running`: marked interrupted (one machine) or closed with a stop (a hub). */

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A catalog with run `uid` left open: its start, two streams, 3 + 1 events, no stop. */
function catalogWithOpenRun(uid: string): { catalog: RunCatalog; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-interrupted-'));
  dirs.push(dir);
  const catalog = RunCatalog.inOutputDir(dir);
  const start: RunStart = {
    uid,
    time: 100,
    plan_name: 'count',
    plan_args: {},
    metadata: {},
    config: {},
    instruments: {},
    versions: {},
  };
  catalog.recordStart(start, 'hdf5');
  const docs: RunDocument[] = [{ name: 'start', doc: start }];
  for (const stream of ['primary', 'baseline']) {
    docs.push({
      name: 'descriptor',
      doc: {
        uid: `${uid}-${stream}`,
        run_start: uid,
        time: 100,
        name: stream,
        data_keys: { x: { dtype: 'number', shape: [], source: 'x' } },
        configuration: {},
        object_keys: {},
      },
    });
  }
  const events = [...Array.from({ length: 3 }, () => 'primary'), 'baseline'];
  events.forEach((stream, i) => {
    docs.push({
      name: 'event',
      doc: {
        uid: `${uid}-ev${i}`,
        descriptor: `${uid}-${stream}`,
        seq_num: i + 1,
        time: 101 + i,
        data: { x: i },
        timestamps: { x: 101 + i },
      },
    });
  });
  for (const doc of docs) catalog.document(doc);
  return { catalog, dir };
}

describe('runs left running by a process that died', () => {
  it('are marked interrupted on one machine, with no stop document', async () => {
    const { catalog, dir } = catalogWithOpenRun('run-a');
    assert.deepEqual(await recoverInterruptedRuns(catalog, dir, silentLogger()), ['run-a']);
    assert.equal(catalog.get('run-a')?.status, 'interrupted');
    assert.equal(catalog.documents('run-a', { name: 'stop' }).length, 0);
    catalog.close();
  });

  it('are closed with a stop document (derived uid, events counted) when a hub asks for it', async () => {
    const { catalog, dir } = catalogWithOpenRun('run-b');
    const close = { exitStatus: 'fail' as const, reason: 'hub h restarted', now: 200_000 };
    assert.deepEqual(await recoverInterruptedRuns(catalog, dir, silentLogger(), close), ['run-b']);
    const run = catalog.get('run-b')!;
    assert.equal(run.status, 'fail');
    assert.equal(run.reason, 'hub h restarted');
    assert.deepEqual(run.num_events, { primary: 3, baseline: 1 });
    const docs = catalog.documents('run-b');
    const stop = docs.at(-1)!;
    assert.equal(stop.name, 'stop');
    assert.deepEqual(
      stop.doc,
      reconciledStop('run-b', {
        time: 200,
        exitStatus: 'fail',
        reason: 'hub h restarted',
        numEvents: { primary: 3, baseline: 1 },
      }),
    );
    // Nothing is open any more: a second start-up closes nothing.
    assert.deepEqual(await recoverInterruptedRuns(catalog, dir, silentLogger(), close), []);
    catalog.close();
  });

  it('get the same stop uid for the same run, a different one for another run', () => {
    const close = { time: 1, exitStatus: 'fail' as const, reason: 'r', numEvents: {} };
    const a = reconciledStop('run-x', close).uid;
    assert.equal(reconciledStop('run-x', { ...close, time: 2 }).uid, a);
    assert.notEqual(reconciledStop('run-y', close).uid, a);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

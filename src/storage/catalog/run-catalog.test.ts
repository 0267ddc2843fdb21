import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { RunDocument, RunStart, RunStop } from '../../core/documents.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { CATALOG_FILE, RunCatalog } from './run-catalog.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-catalog-'));
  dirs.push(dir);
  return dir;
}

function openCatalog(dir = tempDir()): RunCatalog {
  return RunCatalog.inOutputDir(dir);
}

function start(uid: string, time: number, extra: Partial<RunStart> = {}): RunStart {
  return {
    uid,
    time,
    scan_id: 1,
    plan_name: 'count',
    plan_args: { num: 3 },
    metadata: {},
    config: {},
    instruments: {},
    versions: {},
    ...extra,
  };
}

function stop(runStart: string, time: number, extra: Partial<RunStop> = {}): RunStop {
  return {
    uid: `${runStart}-stop`,
    run_start: runStart,
    time,
    exit_status: 'success',
    reason: '',
    num_events: { primary: 3 },
    ...extra,
  };
}

/** A small but complete run: start, descriptor, three events, a stream resource and datum, stop. */
function runDocuments(uid: string): RunDocument[] {
  const descriptor = `${uid}-desc`;
  const docs: RunDocument[] = [
    { name: 'start', doc: start(uid, 100) },
    {
      name: 'descriptor',
      doc: {
        uid: descriptor,
        run_start: uid,
        time: 100.1,
        name: 'primary',
        data_keys: { 'meter.power': { dtype: 'number', shape: [], source: 'meter.power' } },
        configuration: {},
        object_keys: { meter: ['meter.power'] },
      },
    },
  ];
  for (let i = 1; i <= 3; i++) {
    docs.push({
      name: 'event',
      doc: {
        uid: `${uid}-ev${i}`,
        descriptor,
        seq_num: i,
        time: 100 + i,
        data: { 'meter.power': i * 0.5 },
        timestamps: { 'meter.power': 100 + i },
      },
    });
  }
  docs.push(
    {
      name: 'stream_resource',
      doc: {
        uid: `${uid}-res`,
        run_start: uid,
        data_key: 'camera.image',
        mimetype: 'application/x-hdf5',
        uri: 'file://run.h5',
        parameters: {},
      },
    },
    {
      name: 'stream_datum',
      doc: {
        uid: `${uid}-res/0`,
        stream_resource: `${uid}-res`,
        descriptor,
        indices: { start: 0, stop: 3 },
        seq_nums: { start: 1, stop: 4 },
      },
    },
    { name: 'stop', doc: stop(uid, 104) },
  );
  return docs;
}

describe('RunCatalog runs', () => {
  it('records a start as running and a stop with its outcome, events and files', () => {
    const catalog = openCatalog();
    const started = catalog.recordStart(
      start('r1', 1000.5, { metadata: { sample: 'Si-42', operator: 'ada' } }),
      'hdf5',
    );
    assert.equal(started.status, 'running');
    assert.equal(started.end_time, null);
    assert.deepEqual(started.metadata, { sample: 'Si-42', operator: 'ada' });
    assert.deepEqual(started.plan_args, { num: 3 });

    catalog.addFiles('r1', ['runs/r1.h5']);
    const stopped = catalog.recordStop(
      stop('r1', 1010.25, {
        exit_status: 'abort',
        reason: 'operator pressed stop',
        num_events: { primary: 7 },
      }),
      ['runs/r1.h5', 'runs/r1-camera.h5'],
    );
    assert.deepEqual(stopped, {
      uid: 'r1',
      scan_id: 1,
      plan_name: 'count',
      plan_args: { num: 3 },
      metadata: { sample: 'Si-42', operator: 'ada' },
      start_time: 1000.5,
      end_time: 1010.25,
      status: 'abort',
      reason: 'operator pressed stop',
      files: ['runs/r1.h5', 'runs/r1-camera.h5'],
      num_events: { primary: 7 },
      format: 'hdf5',
      files_deleted_at: null,
    });
    catalog.close();
  });

  it('refuses a second start with the same uid and a stop for a closed or unknown run', () => {
    const catalog = openCatalog();
    catalog.recordStart(start('r1', 1), 'arrow');
    assert.throws(
      () => catalog.recordStart(start('r1', 2), 'arrow'),
      (e) => isBenchtopError(e, 'RUN_STATE_CONFLICT'),
    );
    catalog.recordStop(stop('r1', 3), []);
    assert.throws(
      () => catalog.recordStop(stop('r1', 4), []),
      (e) => isBenchtopError(e, 'RUN_STATE_CONFLICT'),
    );
    assert.throws(
      () => catalog.recordStop(stop('nope', 4), []),
      (e) => isBenchtopError(e, 'RUN_NOT_FOUND'),
    );
    assert.throws(
      () => catalog.addFiles('nope', ['x']),
      (e) => isBenchtopError(e, 'RUN_NOT_FOUND'),
    );
    assert.equal(catalog.get('nope'), undefined);
    catalog.close();
  });

  it('keeps entries across reopening and versions its schema in WAL mode', () => {
    const dir = tempDir();
    const first = openCatalog(dir);
    first.recordStart(start('r1', 1), 'hdf5');
    first.close();
    const second = openCatalog(dir);
    assert.equal(second.get('r1')?.status, 'running');
    second.close();

    const db = new DatabaseSync(join(dir, CATALOG_FILE));
    const versions = db.prepare('SELECT version FROM schema_version').all() as { version: number }[];
    assert.deepEqual(
      versions.map((v) => v.version),
      [1],
    );
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    db.close();
  });

  it('refuses a catalog written by a newer schema instead of guessing', () => {
    const dir = tempDir();
    openCatalog(dir).close();
    const db = new DatabaseSync(join(dir, CATALOG_FILE));
    db.prepare("INSERT INTO schema_version VALUES (99, 'from the future', '2030-01-01')").run();
    db.close();
    assert.throws(
      () => openCatalog(dir),
      (e) => isBenchtopError(e, 'STORAGE_ERROR') && e.details.version === 99,
    );
  });
});

describe('RunCatalog search', () => {
  const catalog = openCatalog();
  // start times 100, 200, …, 600 seconds
  catalog.recordStart(
    start('a', 100, { plan_name: 'count', metadata: { sample: 'Si-42', batch: 7 } }),
    'hdf5',
  );
  catalog.recordStart(start('b', 200, { plan_name: 'scan', metadata: { sample: 'GaAs' } }), 'hdf5');
  catalog.recordStart(
    start('c', 300, { plan_name: 'scan', metadata: { sample: { name: 'Si-42' } } }),
    'arrow',
  );
  catalog.recordStart(
    start('d', 400, { plan_name: 'count', metadata: { batch: '7', cooled: true } }),
    'hdf5',
  );
  catalog.recordStart(
    start('e', 500, { plan_name: 'grid', metadata: { cooled: false, note: null } }),
    'hdf5',
  );
  catalog.recordStart(start('f', 600, { plan_name: 'count', metadata: { sample: 'ZnO 100%' } }), 'hdf5');
  catalog.recordStop(stop('a', 150), []);
  catalog.recordStop(
    stop('b', 250, { exit_status: 'fail', reason: 'Stage axis 2 hit the limit switch' }),
    [],
  );
  catalog.recordStop(stop('c', 350, { exit_status: 'abort' }), []);
  after(() => catalog.close());

  const uids = (runs: { uid: string }[]) => runs.map((r) => r.uid);

  it('lists newest first, with limit and offset', () => {
    assert.deepEqual(uids(catalog.search()), ['f', 'e', 'd', 'c', 'b', 'a']);
    assert.deepEqual(uids(catalog.search({ limit: 2, offset: 1 })), ['e', 'd']);
    assert.equal(catalog.count(), 6);
  });

  it('filters by start time: since inclusive, until exclusive', () => {
    assert.deepEqual(uids(catalog.search({ since: 200, until: 400 })), ['c', 'b']);
    assert.equal(catalog.count({ since: 200, until: 400 }), 2);
  });

  it('filters by plan and status', () => {
    assert.deepEqual(uids(catalog.search({ plan: 'count' })), ['f', 'd', 'a']);
    assert.deepEqual(uids(catalog.search({ status: 'running' })), ['f', 'e', 'd']);
    assert.deepEqual(uids(catalog.search({ status: ['fail', 'abort'] })), ['c', 'b']);
    assert.deepEqual(uids(catalog.search({ plan: 'count', status: 'success' })), ['a']);
  });

  it('matches metadata by key with typed values and dotted paths', () => {
    assert.deepEqual(uids(catalog.search({ metadata: { sample: 'Si-42' } })), ['a']);
    assert.deepEqual(uids(catalog.search({ metadata: { 'sample.name': 'Si-42' } })), ['c']);
    assert.deepEqual(uids(catalog.search({ metadata: { batch: 7 } })), ['a']);
    assert.deepEqual(uids(catalog.search({ metadata: { batch: '7' } })), ['d']);
    assert.deepEqual(uids(catalog.search({ metadata: { cooled: true } })), ['d']);
    assert.deepEqual(uids(catalog.search({ metadata: { cooled: false } })), ['e']);
    assert.deepEqual(uids(catalog.search({ metadata: { note: null } })), ['e']);
    assert.deepEqual(uids(catalog.search({ metadata: { sample: 'Si-42', batch: 7 } })), ['a']);
    assert.equal(catalog.count({ metadata: { sample: 'nothing like it' } }), 0);
  });

  it('finds text in uid, plan, reason and metadata, with % as a plain character', () => {
    assert.deepEqual(uids(catalog.search({ text: 'limit SWITCH' })), ['b']);
    assert.deepEqual(uids(catalog.search({ text: 'si-42' })), ['c', 'a']);
    assert.deepEqual(uids(catalog.search({ text: 'grid' })), ['e']);
    assert.deepEqual(uids(catalog.search({ text: '100%' })), ['f']);
    assert.deepEqual(uids(catalog.search({ text: '0%' })), ['f']);
  });

  it('rejects bad paging, statuses and metadata keys with VALIDATION_FAILED', () => {
    for (const bad of [{ limit: 0 }, { limit: 1001 }, { limit: 1.5 }, { offset: -1 }]) {
      assert.throws(
        () => catalog.search(bad),
        (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
      );
    }
    assert.throws(
      () => catalog.search({ status: 'done' as 'success' }),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => catalog.search({ metadata: { 'a..b': 1 } }),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => catalog.search({ metadata: { 'a"b': 1 } }),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => catalog.search({ since: Number.NaN }),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
  });
});

describe('RunCatalog documents', () => {
  it('stores every document of a run in order and serves them by kind and page', () => {
    const catalog = openCatalog();
    const docs = runDocuments('r1');
    catalog.recordStart(docs[0]!.doc as RunStart, 'hdf5');
    for (const d of docs) catalog.document(d);
    assert.deepEqual(catalog.documents('r1'), docs);
    assert.deepEqual(
      catalog.documents('r1', { name: 'event' }).map((d) => d.doc.uid),
      ['r1-ev1', 'r1-ev2', 'r1-ev3'],
    );
    assert.deepEqual(
      catalog.documents('r1', { limit: 2, offset: 2 }).map((d) => d.name),
      ['event', 'event'],
    );
    assert.throws(
      () => catalog.documents('r1', { limit: 0 }),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    assert.throws(
      () => catalog.documents('nope'),
      (e) => isBenchtopError(e, 'RUN_NOT_FOUND'),
    );
    catalog.close();
  });

  it('keeps runs apart and commits documents written in one turn when the event loop turns', async () => {
    const dir = tempDir();
    const catalog = openCatalog(dir);
    const one = runDocuments('one');
    const two = runDocuments('two');
    catalog.recordStart(one[0]!.doc as RunStart, 'hdf5');
    catalog.recordStart(two[0]!.doc as RunStart, 'hdf5');
    for (let i = 0; i < one.length; i++) {
      catalog.document(one[i]!);
      catalog.document(two[i]!);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    // A second connection only sees committed rows.
    const reader = new DatabaseSync(join(dir, CATALOG_FILE), { readOnly: true });
    const rows = reader.prepare("SELECT seq, uid FROM documents WHERE run_uid = 'two' ORDER BY seq").all();
    assert.deepEqual(
      rows.map((r) => r.uid),
      two.map((d) => d.doc.uid),
    );
    assert.deepEqual(
      rows.map((r) => r.seq),
      two.map((_, i) => i),
    );
    reader.close();
    catalog.close();
  });

  it('continues a run after reopening: sequence numbers go on and events find their descriptor', () => {
    const dir = tempDir();
    const docs = runDocuments('r1');
    const first = openCatalog(dir);
    first.recordStart(docs[0]!.doc as RunStart, 'hdf5');
    for (const d of docs.slice(0, 3)) first.document(d);
    first.close();
    const second = openCatalog(dir);
    for (const d of docs.slice(3)) second.document(d);
    assert.deepEqual(second.documents('r1'), docs);
    second.close();
  });

  it('refuses an event whose descriptor no run has', () => {
    const catalog = openCatalog();
    assert.throws(
      () =>
        catalog.document({
          name: 'event',
          doc: { uid: 'e', descriptor: 'ghost', seq_num: 1, time: 1, data: {}, timestamps: {} },
        }),
      (e) => isBenchtopError(e, 'RUN_NOT_FOUND') && e.details.descriptor === 'ghost',
    );
    catalog.close();
  });
});

describe('RunCatalog after a crash', () => {
  it('marks runs left running by a killed process as interrupted, and only those', async () => {
    const dir = tempDir();
    const catalog = openCatalog(dir);
    catalog.recordStart(start('finished', 1), 'hdf5');
    catalog.recordStop(stop('finished', 2), ['finished.h5']);
    catalog.close();

    // Another process records a start and a document, then dies without closing anything.
    const moduleUrl = pathToFileURL(join(import.meta.dirname, 'run-catalog.ts')).href;
    const script = `
      const { RunCatalog } = await import(${JSON.stringify(moduleUrl)});
      const catalog = RunCatalog.inOutputDir(${JSON.stringify(dir)});
      const start = { uid: 'crashed', time: 3, plan_name: 'scan', plan_args: {}, metadata: {},
        config: {}, instruments: {}, versions: {} };
      catalog.recordStart(start, 'hdf5');
      catalog.document({ name: 'start', doc: start });
      setImmediate(() => process.stdout.write('started\\n'));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '--eval', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('started')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early with code ${code}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const restarted = openCatalog(dir);
    assert.equal(restarted.get('crashed')?.status, 'running');
    assert.deepEqual(restarted.markInterrupted(), ['crashed']);
    const crashed = restarted.get('crashed');
    assert.equal(crashed?.status, 'interrupted');
    assert.equal(typeof crashed?.reason, 'string');
    assert.ok(crashed?.reason);
    assert.equal(crashed?.end_time, null);
    assert.equal(restarted.get('finished')?.status, 'success');
    assert.equal(restarted.documents('crashed').length, 1);
    assert.deepEqual(restarted.markInterrupted(), []);
    assert.throws(
      () => restarted.recordStop(stop('crashed', 9), []),
      (e) => isBenchtopError(e, 'RUN_STATE_CONFLICT'),
    );
    restarted.close();
  });
});

describe('RunCatalog on a full disk', () => {
  it('keeps a stop it cannot write and writes it with the held documents once there is space', () => {
    const dir = tempDir();
    const catalog = openCatalog(dir);
    catalog.recordStart(start('full-1', 100), 'hdf5');
    // SQLite's page limit fails writes with SQLITE_FULL exactly as a full disk does.
    const db = (catalog as unknown as { db: DatabaseSync }).db;
    const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.exec(`PRAGMA max_page_count = ${pages}`);
    const big = 'x'.repeat(64 * 1024);
    catalog.document({ name: 'start', doc: start('full-1', 100, { metadata: { big } }) });
    assert.throws(
      () => catalog.recordStop(stop('full-1', 200, { exit_status: 'fail', reason: 'disk full' }), ['a.h5']),
      (e) => isBenchtopError(e, 'STORAGE_ERROR') && /database or disk is full/.test(e.message),
    );
    assert.equal(catalog.get('full-1')?.status, 'running');
    db.exec('PRAGMA max_page_count = 1073741823');
    catalog.close();
    const reopened = openCatalog(dir);
    const record = reopened.get('full-1')!;
    assert.deepEqual([record.status, record.reason, record.files], ['fail', 'disk full', ['a.h5']]);
    assert.equal(reopened.documents('full-1').length, 1);
    reopened.close();
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BenchtopError } from '../core/errors.ts';
import { DiskSpace, type DiskState, saysDiskFull } from './disk-space.ts';

describe('DiskSpace', () => {
  it('recognises a full disk from errno, SQLite, HDF5 details and causes, and nothing else', () => {
    assert.ok(saysDiskFull(Object.assign(new Error('write failed'), { code: 'ENOSPC' })));
    assert.ok(saysDiskFull(Object.assign(new Error('write failed'), { code: 'EFBIG' })));
    assert.ok(saysDiskFull(new BenchtopError('STORAGE_ERROR', 'x', {}, { cause: { errcode: 13 } })));
    assert.ok(
      saysDiskFull(
        new BenchtopError('STORAGE_ERROR', 'file write failed', { systemError: 'No space left on device' }),
      ),
    );
    assert.ok(!saysDiskFull(Object.assign(new Error('permission denied'), { code: 'EACCES' })));
    assert.ok(!saysDiskFull(new BenchtopError('STORAGE_ERROR', 'bad chunk')));
  });

  it('turns a full-disk failure into STORAGE_FULL naming ENOSPC, the path and free bytes; clears when space returns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-disk-'));
    const changes: DiskState[] = [];
    // nearlyFullBytes 0: only what the error says counts here (the test's disk is not full).
    const disk = new DiskSpace({
      path: dir,
      nearlyFullBytes: 0,
      now: () => 1000,
      onChange: (s) => changes.push(s),
    });
    assert.equal(disk.explain(new Error('permission denied'), 'the HDF5 run writer'), undefined);
    assert.equal(disk.state().full, false);
    const full = disk.explain(
      Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
      'the HDF5 run writer',
    )!;
    assert.equal(full.code, 'STORAGE_FULL');
    assert.match(
      full.message,
      /^disk full \(ENOSPC\): the HDF5 run writer cannot write to .*: .* free of .*/,
    );
    assert.ok(full.message.includes(dir));
    assert.equal(full.details.path, dir);
    assert.equal(typeof full.details.free_bytes, 'number');
    disk.explain(Object.assign(new Error('again'), { code: 'ENOSPC' }), 'the parameter log');
    assert.deepEqual(
      changes.map((c) => [c.full, c.source, c.since]),
      [[true, 'the HDF5 run writer', 1000]],
      'one change per episode; the first cause is kept',
    );
    assert.equal(disk.check().full, false, 'this disk has more than 4 MiB free');
    assert.deepEqual(
      changes.map((c) => c.full),
      [true, false],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fieldName,
  frameDatasetPath,
  hdf5FrameResource,
  linkName,
  runFileName,
  streamGroupPath,
} from './run-file-layout.ts';

describe('run file layout', () => {
  it('names the file from the start time (UTC), the plan and the first 8 characters of the uid', () => {
    const time = Date.UTC(2026, 11, 31, 23, 59, 58, 999) / 1000;
    assert.equal(
      runFileName({ time, plan_name: 'grid_scan', uid: 'ab12cd34-ef56' }),
      '20261231-235958_grid_scan_ab12cd34.h5',
    );
    assert.equal(
      runFileName({ time, plan_name: 'my plan/../x', uid: '../../etc' }),
      '20261231-235958_my-plan-x_etc.h5',
    );
    assert.equal(runFileName({ time, plan_name: '', uid: '' }), '20261231-235958_run_nouid.h5');
  });

  it('puts primary in /entry/data, other streams beside it, and frames in their stream group', () => {
    assert.equal(streamGroupPath('primary'), '/entry/data');
    assert.equal(streamGroupPath('baseline'), '/entry/data_baseline');
    assert.equal(streamGroupPath('a/b'), '/entry/data_a_b');
    assert.equal(frameDatasetPath('camera', 'cam_image'), '/entry/data_camera/cam_image');
  });

  it("keeps data keys as dataset names unless they are not valid links or clash with the writer's own", () => {
    assert.equal(fieldName('meter.power'), 'meter.power');
    assert.equal(fieldName('a/b'), 'a_b');
    assert.equal(fieldName('time'), 'time_field');
    assert.equal(fieldName('seq_num'), 'seq_num_field');
    assert.equal(linkName('.'), '_.');
    assert.equal(linkName(''), '_');
  });

  it('builds the stream_resource that points at the frame dataset', () => {
    const start = { time: Date.UTC(2026, 0, 2, 3, 4, 5) / 1000, plan_name: 'count', uid: '0123456789' };
    assert.deepEqual(hdf5FrameResource(start, 'primary', 'cam', [48, 64]), {
      data_key: 'cam',
      mimetype: 'application/x-hdf5',
      uri: 'file://20260102-030405_count_01234567.h5',
      parameters: { dataset: '/entry/data/cam', chunk_shape: [1, 48, 64] },
    });
  });
});

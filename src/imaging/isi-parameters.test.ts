import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  defaultParameters,
  IsiParameterStore,
  PARAMETER_GROUPS,
  parameterProblems,
} from './isi-parameters.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-params-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('ISI parameters', () => {
  it("has the guide's groups, each with defaults", () => {
    assert.deepEqual(PARAMETER_GROUPS, [
      'acquisition',
      'analysis',
      'camera',
      'monitor',
      'session',
      'stimulus',
      'system',
    ]);
    const d = defaultParameters();
    assert.equal(d.stimulus.bar_width_deg, 20);
    assert.equal(d.monitor.refresh_hz, 60);
    assert.equal(d.analysis.sign_map_threshold, 0.35);
    assert.deepEqual(parameterProblems({}), [], 'missing groups take their defaults');
  });

  it('names what is wrong', () => {
    const problems = parameterProblems({ stimulus: { contrast: 2 }, camera: { fps: 'fast' }, extra: {} });
    assert.ok(
      problems.some((p) => p.startsWith('/stimulus/contrast')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('/camera/fps')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('extra') || p.startsWith('/:')),
      problems.join('\n'),
    );
  });

  it('updates a group, resets it, backs up under a label and restores', () => {
    const store = new IsiParameterStore(join(root, 'config', 'isi_parameters.json'));
    assert.deepEqual(store.read(), defaultParameters(), 'no file: the defaults');
    store.updateGroup('stimulus', { bar_width_deg: 15, drift_speed_deg_s: 12 });
    assert.equal(store.read().stimulus.bar_width_deg, 15);
    assert.equal(store.read().stimulus.contrast, 1, 'fields left out take their defaults');
    assert.match(store.backup('pre_deployment'), /backups\/isi_parameters\.pre_deployment\.json$/);
    assert.deepEqual(store.backups(), ['pre_deployment']);
    store.reset('stimulus');
    assert.equal(store.read().stimulus.bar_width_deg, 20);
    assert.throws(() => store.updateGroup('stimulus', { contrast: -1 }), /stimulus\/contrast/);
    assert.equal(store.read().stimulus.bar_width_deg, 20, 'a refused update changes nothing');
    assert.throws(() => store.updateGroup('lens', {}), /no parameter group lens/);
    assert.equal(store.restore('pre_deployment').stimulus.bar_width_deg, 15);
    assert.throws(() => store.restore('nope'), /no parameter backup "nope"/);
    assert.throws(() => store.backup('../x'), /backup label/);
    writeFileSync(store.path, JSON.stringify({ monitor: { refresh_hz: -5 } }));
    assert.match(store.validate().join('\n'), /\/monitor\/refresh_hz/);
    assert.throws(() => store.backup('broken'), /refresh_hz/);
    store.reset();
    assert.deepEqual(JSON.parse(readFileSync(store.path, 'utf8')), defaultParameters());
  });
});

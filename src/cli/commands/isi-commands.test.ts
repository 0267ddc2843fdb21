import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { syntheticSession, trueAltitude } from '../../analysis/retinotopy/test-support/synthetic-session.ts';
import { writeBenchtopSession } from '../../analysis/retinotopy/test-support/write-benchtop-session.ts';
import { writeGuideLayoutSession } from '../../analysis/retinotopy/test-support/write-guide-layout.ts';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const PYTHON = '/usr/bin/python3';
const hasH5py = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import h5py']).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'benchtop-isi-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Reads the results with h5py and prints what the test checks, as JSON. */
const READ_BACK = `
import json, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
W = f['azimuth_map'].shape[1]
out = {
  'shape': list(f['azimuth_map'].shape),
  'datasets': sorted(k for k in f.keys()),
  'directions': sorted(f['phase_map'].keys()) if 'phase_map' in f else [],
  'delay_axes': sorted(f['delay_map'].keys()) if 'delay_map' in f else [],
  'area_dtype': str(f['area_map'].dtype),
  'azimuth_row': f['azimuth_map'][40].tolist(),
  'elevation_col': f['elevation_map'][:, 10].tolist(),
  'area_row': f['area_map'][40].tolist(),
  'areas': {k: f['areas'][k][()].tolist() for k in f['areas'].keys()},
}
print(json.dumps(out))
`;

function readBack(file: string) {
  const r = spawnSync(PYTHON, ['-c', READ_BACK, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    shape: number[];
    datasets: string[];
    directions: string[];
    delay_axes: string[];
    area_dtype: string;
    azimuth_row: number[];
    elevation_col: number[];
    area_row: number[];
    areas: Record<string, number[]>;
  };
}

const W = 150;
const H = 120;
/** Three areas side by side: azimuth rises, falls, rises (visual field signs +, −, +). */
const zigzag = (_r: number, c: number) =>
  c < 50 ? (40 * c) / 49 : c < 100 ? 40 - (40 * (c - 50)) / 49 : (40 * (c - 100)) / 49;

describe('benchtop isi', { skip: hasH5py ? false : '/usr/bin/python3 with h5py is not installed' }, () => {
  const session = join(dir, 'session');
  const results = join(dir, 'results.h5');

  it('analyze: reads a guide-layout session and writes analysis_results.h5 with the maps and areas', async () => {
    spawnSync('mkdir', ['-p', session]);
    await writeGuideLayoutSession(
      session,
      syntheticSession({
        width: W,
        height: H,
        fps: 2,
        cycles: 3,
        jitterUs: 5000,
        dropRate: 0.02,
        uint16: true,
        baseline: 1000,
        amplitude: 0.02,
        azimuthAt: zigzag,
      }),
    );
    const r = await runCli([
      'isi',
      'analyze',
      session,
      '--out',
      results,
      '--set',
      'analysis.coherence_threshold=0.5',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /3 areas; results in /);
    const got = readBack(results);
    assert.deepEqual(got.shape, [H, W]);
    for (const name of [
      'azimuth_map',
      'elevation_map',
      'raw_vfs_map',
      'coherence_vfs_map',
      'area_map',
      'boundary_map',
      'areas',
      'phase_map',
      'magnitude_map',
      'coherence_map',
      'delay_map',
    ]) {
      assert.ok(got.datasets.includes(name), `${name} in ${got.datasets}`);
    }
    assert.deepEqual(got.directions, ['BT', 'LR', 'RL', 'TB']);
    assert.deepEqual(got.delay_axes, ['altitude', 'azimuth']);
    assert.equal(got.area_dtype, 'int32');
    got.azimuth_row.forEach((az, c) => {
      assert.ok(Math.abs(az - zigzag(40, c)) < 0.5, `azimuth at col ${c}: ${az}`);
    });
    got.elevation_col.forEach((alt, r) => {
      assert.ok(Math.abs(alt - trueAltitude(r, H)) < 0.5, `altitude at row ${r}: ${alt}`);
    });
    const labels = [25, 75, 125].map((c) => got.area_row[c] as number);
    assert.equal(new Set(labels).size, 3);
    const signOf = (label: number) => got.areas.sign?.[(got.areas.label ?? []).indexOf(label)];
    assert.deepEqual(labels.map(signOf), [1, -1, 1]);
    assert.equal(got.areas.AU?.length, 3);
    assert.equal(got.areas.AS?.length, 3);
  });

  it('segment: areas alone from a maps file, with parameters from --set', async () => {
    const out = join(dir, 'segmented.h5');
    const r = await runCli([
      'isi',
      'segment',
      '--maps',
      results,
      '--out',
      out,
      '--set',
      'analysis.camera_flip=true',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const got = readBack(out);
    const labels = [25, 75, 125].map((c) => got.area_row[c] as number);
    const signOf = (label: number) => got.areas.sign?.[(got.areas.label ?? []).indexOf(label)];
    assert.deepEqual(labels.map(signOf), [-1, 1, -1]);
  });

  it("analyze: reads a session file in Benchtop's own layout and writes the results beside it", async () => {
    const recorded = join(dir, 'recorded');
    spawnSync('mkdir', ['-p', recorded]);
    const file = join(recorded, 'session.h5');
    await writeBenchtopSession(
      file,
      syntheticSession({ width: 40, height: 50, fps: 2, cycles: 3, uint16: true, amplitude: 0.02 }),
    );
    const r = await runCli(['isi', 'analyze', file, '--set', 'analysis.small_patch_px=10']);
    assert.equal(r.status, 0, r.stderr);
    const got = readBack(join(recorded, 'analysis_results.h5'));
    assert.deepEqual(got.shape, [50, 40]);
    got.elevation_col.forEach((alt, row) => {
      assert.ok(Math.abs(alt - trueAltitude(row, 50)) < 0.5, `altitude at row ${row}: ${alt}`);
    });
  });

  it('refuses an unknown analysis parameter', async () => {
    const r = await runCli(['isi', 'segment', '--maps', results, '--set', 'analysis.no_such_thing=1']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /unknown analysis parameter "no_such_thing"/);
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import h5wasm, { type Dataset } from 'h5wasm/node';
import { analysisLayer } from './analysis-layers.ts';
import { defaultAnalysisParameters } from './analysis-parameters.ts';
import { analyzeSession } from './analyze-session.ts';
import { type AnatomicalSnapshot, anatomicalOnGrid } from './anatomical-on-grid.ts';
import { FourierWorkerPool } from './fourier-worker-pool.ts';
import { writeAnalysisResults } from './session-files/analysis-results-file.ts';
import { encodeNpy } from './session-files/npy-array.ts';
import { syntheticSession } from './test-support/synthetic-session.ts';
import { writeBenchtopSession } from './test-support/write-benchtop-session.ts';
import { writeGuideLayoutSession } from './test-support/write-guide-layout.ts';

const dir = mkdtempSync(join(tmpdir(), 'benchtop-isi-anatomical-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const W = 24;
const H = 18;
const session = syntheticSession({ width: W, height: H, fps: 4, cycles: 2, uint16: true, amplitude: 0.02 });
const parameters = { ...defaultAnalysisParameters(), small_patch_px: 10 };

/** A known gradient nothing like the synthetic frames' mean (which is flat with noise). */
function gradient(width: number, height: number): AnatomicalSnapshot {
  const pixels = new Float32Array(width * height);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++) pixels[r * width + c] = 100 + 3 * c + 7 * r;
  return { width, height, pixels };
}

describe('anatomical snapshot on the maps grid', () => {
  it('is the snapshot itself at the same size', () => {
    const s = gradient(W, H);
    assert.deepEqual(anatomicalOnGrid(s, { width: W, height: H }), s.pixels);
  });

  it('takes block means of an integer multiple, partial blocks at the border as the online binning does', () => {
    const s = gradient(7, 5);
    const out = anatomicalOnGrid(s, { width: 4, height: 3 }); // ⌈7/2⌉ × ⌈5/2⌉
    // Block (0,0) holds columns 0–1 and rows 0–1: mean 100 + 3·0.5 + 7·0.5.
    assert.equal(out[0], 105);
    // Block (2,3) holds column 6 and row 4 only.
    assert.equal(out[2 * 4 + 3], 100 + 3 * 6 + 7 * 4);
  });

  it('is bilinear for another size: a linear gradient stays the same gradient at the pixel centres', () => {
    const s = gradient(30, 20);
    const out = anatomicalOnGrid(s, { width: 20, height: 10 }); // 1.5 × and 2 ×: not one factor
    for (let r = 1; r < 9; r++) {
      for (let c = 1; c < 19; c++) {
        const x = (c + 0.5) * 1.5 - 0.5;
        const y = (r + 0.5) * 2 - 0.5;
        assert.ok(Math.abs((out[r * 20 + c] as number) - (100 + 3 * x + 7 * y)) < 1e-3, `${r},${c}`);
      }
    }
  });
});

describe('the anatomical layer of an analysed session', () => {
  it('is the session file’s snapshot when it has one, and the results file stores it', async () => {
    const snapshot = gradient(W, H);
    const file = join(dir, 'with-snapshot.h5');
    await writeBenchtopSession(file, session, snapshot);
    const results = await analyzeSession(file, parameters, undefined, new FourierWorkerPool(2));
    const layer = analysisLayer(results, 'anatomical');
    assert.equal(layer.source, 'snapshot');
    assert.deepEqual(layer.values, snapshot.pixels);
    assert.notDeepEqual(layer.values, Float32Array.from(results.maps?.fourier.LR.mean ?? []));

    const out = join(dir, 'with-snapshot-results.h5');
    await writeAnalysisResults(out, results);
    const h5 = new h5wasm.File(out, 'r');
    try {
      const ds = h5.get('anatomical') as Dataset;
      assert.deepEqual(ds.shape, [H, W]);
      assert.deepEqual(ds.value, snapshot.pixels);
      assert.equal(ds.attrs.source?.value, 'snapshot');
    } finally {
      h5.close();
    }
  });

  it('is the mean frame when the session has no snapshot, and the results file has no anatomical', async () => {
    const file = join(dir, 'without-snapshot.h5');
    await writeBenchtopSession(file, session);
    const results = await analyzeSession(file, parameters, undefined, new FourierWorkerPool(2));
    const layer = analysisLayer(results, 'anatomical');
    assert.equal(layer.source, 'mean_frame');
    assert.deepEqual(layer.values, Float32Array.from(results.maps?.fourier.LR.mean ?? []));
    const out = join(dir, 'without-snapshot-results.h5');
    await writeAnalysisResults(out, results);
    const h5 = new h5wasm.File(out, 'r');
    try {
      assert.equal(h5.get('anatomical'), null);
    } finally {
      h5.close();
    }
  });

  it("bins a guide layout's anatomical.npy taken at twice the frames' resolution", async () => {
    const guide = join(dir, 'guide');
    mkdirSync(guide);
    await writeGuideLayoutSession(guide, session);
    const snapshot = gradient(2 * W, 2 * H);
    writeFileSync(
      join(guide, 'anatomical.npy'),
      encodeNpy({ dtype: '<f4', shape: [2 * H, 2 * W], data: snapshot.pixels }),
    );
    const results = await analyzeSession(guide, parameters, undefined, new FourierWorkerPool(2));
    const layer = analysisLayer(results, 'anatomical');
    assert.equal(layer.source, 'snapshot');
    // Each 2 × 2 block of 100 + 3c + 7r averages to 100 + 3(2c + ½) + 7(2r + ½).
    for (let r = 0; r < H; r++)
      for (let c = 0; c < W; c++)
        assert.equal(layer.values[r * W + c], 100 + 3 * (2 * c + 0.5) + 7 * (2 * r + 0.5), `${r},${c}`);
  });
});

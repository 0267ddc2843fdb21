import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { LayerName } from '../../src/analysis/retinotopy/analysis-layers.ts';
import { compositeRgba, type PaintedLayer } from '../../src/analysis/retinotopy/layer-colours.ts';
import { syntheticSession } from '../../src/analysis/retinotopy/test-support/synthetic-session.ts';
import { writeBenchtopSession } from '../../src/analysis/retinotopy/test-support/write-benchtop-session.ts';
import type { IsiAnalysisInfo, IsiAnalysisLayer } from '../../src/server/api-types.ts';
import { hasH5py, PYTHON } from '../../src/storage/hdf5/test-support/run-file-reader.ts';
import { BenchtopChild } from './support/benchtop-child.ts';
import { CHROMIUM, ConsoleWatch, launchBrowser } from './support/browser.ts';
import { ensureDashboardBuilt } from './support/dashboard-build.ts';

/**
 * The ISI analysis page in Chromium against a real Benchtop: a session (two areas of opposite
 * field sign, written as a Benchtop session file) is analysed from the page; the layers are
 * painted over the mean frame exactly as the layer colour scales and opacities say; a segmentation
 * parameter edited on the page is recomputed live; the view exports as a PNG and the results file
 * downloads and opens in h5py. A second session holds an anatomical snapshot: it is painted
 * under the layers instead, and the caption says which image it is.
 */
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed (apt-get install chromium)`;
const W = 64;
const H = 48;
const SESSION = 'isi/synthetic.h5';
const WITH_SNAPSHOT = 'isi/with-snapshot.h5';

/** The snapshot of the second session: a gradient, nothing like the frames' flat mean. */
const snapshot = (() => {
  const pixels = new Float32Array(W * H);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) pixels[r * W + c] = 500 + 20 * c + 5 * r;
  return { width: W, height: H, pixels };
})();

const toml = (outputDir: string) => `
[application]
name = "isi-analysis-e2e"
log_level = "info"

[storage]
default_backend = "hdf5"
output_dir = ${JSON.stringify(outputDir)}

[server]
rate_limit_per_minute = 0
`;

describe('ISI analysis page in Chromium', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-analysis-e2e-'));
  let server: BenchtopChild;
  let browser: { context: BrowserContext; close: () => Promise<void> };
  let page: Page;
  let consoleWatch: ConsoleWatch;
  let url: string;

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}/api/v1${path}`);
    assert.equal(response.status, 200, path);
    return (await response.json()) as T;
  };
  const layer = async (name: LayerName, session = SESSION) => {
    const l = await api<IsiAnalysisLayer>(
      `/isi/analysis/layer?id=${encodeURIComponent(session)}&layer=${name}`,
    );
    const bytes = Buffer.from(l.data, 'base64');
    return { ...l, name, values: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
  };
  /** The canvas's pixels as the page painted them. */
  // A string expression: it runs in the page, whose DOM types this (Node) project does not load.
  const canvasPixels = async () =>
    (await page.evaluate(
      `(() => { const c = document.querySelector('canvas[aria-label="Analysis layers"]'); return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); })()`,
    )) as number[];

  before(async () => {
    ensureDashboardBuilt();
    const data = join(root, 'data');
    mkdirSync(join(data, 'isi'), { recursive: true });
    // Azimuth rises across the left half and falls across the right: two areas, signs + and −.
    const session = syntheticSession({
      width: W,
      height: H,
      fps: 2,
      cycles: 2,
      uint16: true,
      amplitude: 0.02,
      azimuthAt: (_row, col) =>
        col < W / 2 ? -40 + (80 * col) / (W / 2) : 40 - (80 * (col - W / 2)) / (W / 2),
    });
    await writeBenchtopSession(join(data, SESSION), session);
    await writeBenchtopSession(join(data, WITH_SNAPSHOT), session, snapshot);
    writeFileSync(join(root, 'benchtop.toml'), toml(data));
    server = new BenchtopChild(join(root, 'benchtop.toml'));
    url = await server.start();
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    consoleWatch = new ConsoleWatch(page);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'analyses a session from the page and paints its layers with their scales and opacities',
    { timeout: 180_000 },
    async () => {
      await page.goto(`${url}/imaging/analysis?session=${encodeURIComponent(SESSION)}`);
      const state = page.getByRole('status', { name: 'Analysis state' });
      await state.filter({ hasText: 'not analysed' }).waitFor();
      await page.getByRole('button', { name: 'Analyse' }).click();
      await state.filter({ hasText: 'done' }).waitFor({ timeout: 120_000 });
      const info = await api<IsiAnalysisInfo>(`/isi/analysis?id=${encodeURIComponent(SESSION)}`);
      assert.deepEqual(info.areas.map((a) => a.sign).sort(), [-1, 1]);
      const areas = page.getByRole('table', { name: 'Visual areas' });
      await areas.getByRole('row').nth(2).waitFor();
      assert.equal(await areas.getByRole('row').count(), 3);

      // The default view: VFS at 0.6 and boundaries at 1 over the mean frame.
      const canvas = page.getByRole('img', { name: 'Analysis layers' });
      await canvas.and(page.locator('[data-painted="anatomical:1,raw_vfs:0.6,boundaries:1"]')).waitFor();
      await page.getByRole('img', { name: /^VFS colour scale/ }).waitFor();
      const [anatomical, vfs, boundaries, azimuth] = await Promise.all(
        (['anatomical', 'raw_vfs', 'boundaries', 'azimuth'] as const).map((n) => layer(n)),
      );
      assert.equal(anatomical!.source, 'mean_frame');
      await page
        .getByTestId('anatomical-caption')
        .filter({ hasText: 'Anatomical: mean frame (no snapshot taken)' })
        .waitFor();
      const expect = (stack: PaintedLayer[]) => Array.from(compositeRgba(stack, W * H));
      assert.deepEqual(
        await canvasPixels(),
        expect([
          { layer: anatomical!, opacity: 1 },
          { layer: vfs!, opacity: 0.6 },
          { layer: boundaries!, opacity: 1 },
        ]),
      );

      // Azimuth on at 100 %, VFS off: the azimuth colour scale over the mean frame.
      await page.getByRole('checkbox', { name: 'Azimuth' }).check();
      await page.getByRole('slider', { name: 'Azimuth opacity' }).fill('100');
      await page.getByRole('checkbox', { name: 'VFS' }).uncheck();
      await canvas.and(page.locator('[data-painted="anatomical:1,azimuth:1,boundaries:1"]')).waitFor();
      await page.getByRole('img', { name: /^Azimuth colour scale -?\d/ }).waitFor();
      assert.deepEqual(
        await canvasPixels(),
        expect([
          { layer: anatomical!, opacity: 1 },
          { layer: azimuth!, opacity: 1 },
          { layer: boundaries!, opacity: 1 },
        ]),
      );
      assert.deepEqual(consoleWatch.take([/404/]), []);
    },
  );

  it('recomputes the areas live when a segmentation parameter changes', { timeout: 180_000 }, async () => {
    // A sign threshold above any |VFS| leaves no area.
    await page.getByRole('spinbutton', { name: 'sign_map_threshold' }).fill('1.5');
    const rows = page.getByRole('table', { name: 'Visual areas' }).getByRole('row');
    await page.waitForFunction(
      `document.querySelectorAll('table[aria-label="Visual areas"] tbody tr').length === 0`,
      undefined,
      { timeout: 120_000 },
    );
    assert.equal(await rows.count(), 1);
    const info = await api<IsiAnalysisInfo>(`/isi/analysis?id=${encodeURIComponent(SESSION)}`);
    assert.equal(info.parameters.sign_map_threshold, 1.5);
    assert.deepEqual(info.areas, []);
    await page.getByRole('spinbutton', { name: 'sign_map_threshold' }).fill('0.35');
    await rows.nth(2).waitFor({ timeout: 120_000 });
    await page.getByRole('status', { name: 'Analysis state' }).filter({ hasText: 'done' }).waitFor();
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('exports the view as PNG and downloads the results file', { timeout: 120_000 }, async () => {
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export PNG' }).click(),
    ]);
    const pngPath = join(root, 'view.png');
    await png.saveAs(pngPath);
    const bytes = readFileSync(pngPath);
    assert.deepEqual([...bytes.subarray(1, 4)], [...Buffer.from('PNG')]);
    assert.equal(bytes.readUInt32BE(16), W);
    assert.equal(bytes.readUInt32BE(20), H);

    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download results file' }).click(),
    ]);
    assert.equal(file.suggestedFilename(), 'analysis_results.h5');
    const h5 = join(root, 'downloaded.h5');
    await file.saveAs(h5);
    assert.deepEqual([...readFileSync(h5).subarray(0, 4)], [0x89, 0x48, 0x44, 0x46]);
    if (hasH5py()) {
      const read = spawnSync(
        PYTHON,
        [
          '-c',
          'import sys, h5py; f = h5py.File(sys.argv[1], "r"); print(f["area_map"].shape, len(f["areas/label"]))',
          h5,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(read.status, 0, read.stderr);
      assert.equal(read.stdout.trim(), `(${H}, ${W}) 2`);
    }
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('paints a session with a snapshot over the snapshot and says so', { timeout: 180_000 }, async () => {
    await page.goto(`${url}/imaging/analysis?session=${encodeURIComponent(WITH_SNAPSHOT)}`);
    const state = page.getByRole('status', { name: 'Analysis state' });
    await state.filter({ hasText: 'not analysed' }).waitFor();
    await page.getByRole('button', { name: 'Analyse' }).click();
    await state.filter({ hasText: 'done' }).waitFor({ timeout: 120_000 });
    await page
      .getByTestId('anatomical-caption')
      .filter({ hasText: 'Anatomical: snapshot under green light' })
      .waitFor();
    const anatomical = await layer('anatomical', WITH_SNAPSHOT);
    assert.equal(anatomical.source, 'snapshot');
    assert.deepEqual(anatomical.values, snapshot.pixels);
    // Every layer off: the canvas is the snapshot in grey.
    await page.getByRole('checkbox', { name: 'VFS' }).uncheck();
    await page.getByRole('checkbox', { name: 'Boundaries' }).uncheck();
    const canvas = page.getByRole('img', { name: 'Analysis layers' });
    await canvas.and(page.locator('[data-painted="anatomical:1"]')).waitFor();
    assert.deepEqual(
      await canvasPixels(),
      Array.from(compositeRgba([{ layer: { ...anatomical, name: 'anatomical' }, opacity: 1 }], W * H)),
    );
    if (hasH5py()) {
      const read = spawnSync(
        PYTHON,
        [
          '-c',
          'import sys, h5py; f = h5py.File(sys.argv[1], "r"); a = f["anatomical"]; print(a.shape, a.dtype, a.attrs["source"], float(a[0, 1] - a[0, 0]))',
          join(root, 'data', 'isi', 'with-snapshot', 'analysis_results.h5'),
        ],
        { encoding: 'utf8' },
      );
      assert.equal(read.status, 0, read.stderr);
      assert.equal(read.stdout.trim(), `(${H}, ${W}) float32 snapshot 20.0`);
    }
    // The 404 is the page asking for the analysis before it was started.
    assert.deepEqual(consoleWatch.take([/404/]), []);
  });
});

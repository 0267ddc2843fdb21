import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { instrumentCatalog } from '../../src/instruments/catalog.ts';
import { catalogOf } from '../../src/instruments/kind.ts';
import { testCameraKind } from '../../src/instruments/testing/test-camera/kind.ts';
import { CHROMIUM, launchBrowser } from './support/browser.ts';
import { ensureDashboardBuilt } from './support/dashboard-build.ts';

/**
 * A second camera type that names everything its own way (the test-only TestCamera) is a camera
 * to the API, the run engine and the dashboard because its description says so: it is shown on
 * the camera page and records a camera_acquire run, with nothing in web/ or src/engine/ for it.
 */

const catalog = catalogOf([...Object.values(instrumentCatalog.kinds), testCameraKind]);
const toml = `
[server]
bind_address = "127.0.0.1"
port = 0
rate_limit_per_minute = 0

[[instruments]]
id = "cam2"
type = "TestCamera"
config = { width = 32, height = 24, exposure_s = 0.02 }
`;

describe('a second camera type, by capability', () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-second-camera-'));
  let bt: Benchtop;
  let url: string;
  before(async () => {
    const loaded = loadBenchtopConfig(
      { text: toml, flags: [{ path: ['storage', 'output_dir'], value: dir, source: 'test' }] },
      catalog,
    );
    bt = new Benchtop(loaded, silentLogger(), { catalog });
    ({ url } = await bt.start());
  });
  after(async () => {
    await bt.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the API describes it as a camera with its own role names', async () => {
    const detail = (await (await fetch(`${url}/api/v1/instruments/cam2`)).json()) as {
      capabilities: { kind: string; signals: Record<string, string>; actions: Record<string, string> }[];
    };
    assert.deepEqual(detail.capabilities, [
      {
        kind: 'camera',
        signals: { exposure: 'exposure_time', frames_dropped: 'lost_frames', acquiring: 'streaming' },
        actions: { start_live: 'begin', stop_live: 'halt', snap: 'grab' },
      },
    ]);
  });

  it('records a camera_acquire run: every frame in the run file, by reference in the documents', async () => {
    const { uid } = bt.engine.submit('camera_acquire', { camera: 'cam2', frames: 4, exposure_ms: 1 });
    const run = await bt.engine.whenFinished(uid);
    assert.equal(run.exit_status, 'success', run.reason ?? '');
    assert.equal(bt.catalog.documents(uid, { name: 'event' }).length, 4);
    assert.equal(bt.catalog.documents(uid, { name: 'stream_resource' }).length, 1);
    assert.ok(bt.catalog.get(uid)!.files[0]!.endsWith('.h5'));
  });

  it('count takes a frame from it as a detector named by its bare id', async () => {
    const { uid } = bt.engine.submit('count', { detectors: ['cam2'], num: 2, delay: 0 });
    const run = await bt.engine.whenFinished(uid);
    assert.equal(run.exit_status, 'success', run.reason ?? '');
    assert.equal(bt.catalog.documents(uid, { name: 'event' }).length, 2);
  });

  const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed`;
  it('the dashboard shows it on the camera page and streams its live view', { skip }, async () => {
    ensureDashboardBuilt();
    const browser = await launchBrowser();
    try {
      const page: Page = browser.context.pages()[0] ?? (await browser.context.newPage());
      await page.goto(`${url}/camera`);
      await page.getByRole('heading', { name: 'Camera: cam2' }).waitFor();
      // Its exposure is offered as the exposure control, under its own name.
      await page.getByRole('button', { name: 'Set exposure_time' }).waitFor();
      await page.getByRole('button', { name: 'Start live' }).click();
      await page
        .getByRole('status', { name: 'cam2.streaming', exact: true })
        .filter({ hasText: 'true' })
        .waitFor();
      await page.waitForFunction(
        `Number(document.querySelector('[aria-label="Previews received"]')?.textContent) > 1`,
      );
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page
        .getByRole('status', { name: 'cam2.streaming', exact: true })
        .filter({ hasText: 'false' })
        .waitFor();
    } finally {
      await browser.close();
    }
  });
});

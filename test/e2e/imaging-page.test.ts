import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { typedConfig } from '../../src/instruments/kind.ts';
import { protocolOf, StimulusDisplayConfig } from '../../src/instruments/stimulus-display/config.ts';
import { computeSchedule, frameAt } from '../../src/instruments/stimulus-display/protocol-schedule.ts';
import { BenchtopChild } from './support/benchtop-child.ts';
import { CHROMIUM, ConsoleWatch, launchBrowser } from './support/browser.ts';
import { ensureDashboardBuilt } from './support/dashboard-build.ts';

/**
 * The imaging page in headless Chromium against a simulated rig (a StimulusDisplay presented by
 * its /stimulus page in a second tab, the PVCAM simulator's cortex scene): the mode switch, the
 * live camera with its histogram and saturation read-out, the anatomical snapshot, single
 * stimulus frames, the protocol schedule, a recording followed to its end (direction, sweep,
 * elapsed/remaining, dropped-frame counters, clock offset), then the session played back with
 * the scrubber.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed (apt-get install chromium)`;

/** 10 Hz (headless Chromium on a busy machine draws slowly): 3 + 13 + 3 + 10 + 3 = 32 frames. */
const display = {
  monitor_width_cm: 50,
  monitor_height_cm: 28.8675,
  distance_cm: 25,
  refresh_hz: 10,
  bar_width_deg: 20,
  checker_size_deg: 10,
  speed_deg_s: 100,
  directions: ['LR', 'TB'],
  cycles: 1,
  baseline_s: 0.3,
  gap_s: 0,
  camera_fps: 10,
  stall_timeout_s: 3,
};

const inline = (o: Record<string, unknown>) =>
  `{ ${Object.entries(o)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ')} }`;

const toml = (outputDir: string) => `
[application]
name = "imaging-e2e"
log_level = "info"

[simulation]
enabled = true

[storage]
default_backend = "hdf5"
output_dir = ${JSON.stringify(outputDir)}

[server]
rate_limit_per_minute = 0

[[instruments]]
id = "screen"
type = "StimulusDisplay"
config = ${inline(display)}

[[instruments]]
id = "cam"
type = "PVCAMInstrument"
config = { camera_name = "PrimeBSI", simulated_scene = "cortex", exposure_ms = 100 }
`;

describe('imaging page in Chromium', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'benchtop-imaging-e2e-'));
  const schedule = computeSchedule(
    protocolOf(typedConfig('StimulusDisplay', StimulusDisplayConfig, 'screen', display)),
  );
  let server: BenchtopChild;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let presenter: Page;
  let consoleWatch: ConsoleWatch;
  let url: string;

  const text = async (name: string) =>
    ((await page.getByRole('status', { name, exact: true }).first().textContent()) ?? '').trim();
  const waitText = (name: string, pattern: RegExp, timeout = 60_000) =>
    page.getByRole('status', { name, exact: true }).first().filter({ hasText: pattern }).waitFor({ timeout });

  before(async () => {
    ensureDashboardBuilt();
    const config = join(root, 'benchtop.toml');
    writeFileSync(config, toml(join(root, 'data')));
    server = new BenchtopChild(config);
    url = await server.start();
    browser = await launchBrowser();
    presenter = browser.context.pages()[0] ?? (await browser.context.newPage());
    await presenter.goto(`${url}/stimulus?display=screen`);
    await presenter
      .getByRole('status', { name: 'Stimulus state', exact: true })
      .filter({ hasText: 'idle' })
      .waitFor();
    page = await browser.context.newPage();
    consoleWatch = new ConsoleWatch(page);
  });
  after(async () => {
    await browser?.close();
    await server?.stop().catch(() => server.kill());
    rmSync(root, { recursive: true, force: true });
  });

  it('previews, records a session with its progress and counters, and plays it back', async () => {
    await page.goto(`${url}/imaging`);
    await page.getByRole('heading', { name: 'Imaging' }).waitFor();
    const mode = page.getByRole('radiogroup', { name: 'Mode' });
    await mode.getByRole('radio', { name: 'Preview' }).check();

    // The schedule, as the display computes it.
    await waitText('Schedule frames', new RegExp(`^${schedule.frameCount} frames$`));
    assert.equal(await text('Schedule duration'), `${schedule.totalS.toFixed(1)} s`);
    const schedulePanel = page.getByRole('region', { name: 'Protocol schedule' });
    for (const d of schedule.directions)
      await schedulePanel.getByRole('row', { name: new RegExp(`^${d.direction} `) }).waitFor();

    // Single stimulus frames: the sixth frame is the LR sweep's third.
    const slider = page.getByRole('slider', { name: 'Preview frame' });
    await slider.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    const f5 = frameAt(schedule, 5)!;
    await waitText(
      'Previewed frame',
      new RegExp(`^frame 5: sweep LR sweep 1, bar at ${f5.barDeg!.toFixed(1)}°$`),
    );

    // Live camera: previews arrive, with the histogram and the saturation read-out.
    await page.getByRole('button', { name: 'Start preview' }).click();
    await page.waitForFunction(
      `Number(document.querySelector('[aria-label="Previews received"]')?.textContent) > 2`,
      undefined,
      { timeout: 60_000 },
    );
    await page.getByRole('img', { name: 'Histogram of the preview' }).waitFor();
    await waitText('Saturation', /saturated/i);
    // The focus aid: the frame's focus score against the best seen, reset on demand.
    await page
      .getByRole('status', { name: 'Focus', exact: true })
      .filter({ hasText: /^focus \d/ })
      .waitFor();
    const held = Number(
      await page.getByRole('meter', { name: 'Focus relative to peak' }).getAttribute('value'),
    );
    assert.ok(held > 0 && held <= 1, `focus relative to peak: ${held}`);
    await page.getByRole('button', { name: 'Reset focus peak' }).click();

    await page.getByRole('button', { name: 'Capture anatomical' }).click();
    await page.getByText(/^Anatomical image: \d+ × \d+, mean of 4 frames/).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Stop preview' }).click();

    // Record: the session runs the protocol once (the stimulus tab presents it).
    await mode.getByRole('radio', { name: 'Record' }).check();
    await page.getByRole('button', { name: 'Record' }).click();
    await waitText('Direction', /^(LR|TB)$/);
    await waitText('Sweep', /^1 of 1$/);
    await waitText('Run state', /^done$/, 120_000);
    assert.equal(await text('Stimulus frame'), `${schedule.frameCount} of ${schedule.frameCount}`);
    assert.equal(await text('Elapsed'), `${schedule.totalS.toFixed(1)} s`);
    assert.equal(await text('Remaining'), '0.0 s');
    assert.match(await text('Display frames dropped'), /^\d+$/);
    assert.match(await text('Display frames late'), /^\d+$/);
    assert.match(await text('Camera frames dropped'), /^\d+$/);
    assert.match(await text('Clock offset'), /^-?\d+(\.\d+)?( ms)?$/);
    const sessions = page.getByRole('region', { name: 'Sessions' });
    await sessions
      .locator('[data-testid^="session-state-"]')
      .filter({ hasText: /^done$/ })
      .waitFor({ timeout: 60_000 });

    // Playback with the scrubber.
    await mode.getByRole('radio', { name: 'Playback' }).check();
    await sessions.getByRole('button', { name: /^isi-/ }).first().click();
    await waitText('Playback position', /^frame 1 of \d+$/);
    const total = Number(/of (\d+)/.exec(await text('Playback position'))![1]);
    assert.ok(total >= 10, `${total} camera frames in the first direction`);
    await page.getByRole('slider', { name: 'Scrubber' }).focus();
    await page.keyboard.press('End');
    await waitText('Playback position', new RegExp(`^frame ${total} of ${total}$`));
    await page.keyboard.press('Home');
    await waitText('Playback position', /^frame 1 of /);
    await page.getByRole('button', { name: 'Play' }).click();
    await page
      .getByRole('status', { name: 'Playback position', exact: true })
      .filter({ hasNotText: /^frame 1 of / })
      .waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('img', { name: 'Playback frame' }).waitFor();
    assert.match(await text('Playback frame time'), /^\d{4}-\d\d-\d\dT.*\(camera frame \d+\)$/);

    assert.deepEqual(consoleWatch.take(), []);
    mkdirSync(join(ROOT, 'test-artifacts', 'screenshots'), { recursive: true });
    await page.screenshot({
      path: join(ROOT, 'test-artifacts', 'screenshots', 'imaging.png'),
      fullPage: true,
    });
  });
});

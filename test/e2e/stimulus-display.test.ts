import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { readSession } from '../../src/imaging/isi-session-reader.ts';
import { typedConfig } from '../../src/instruments/kind.ts';
import { protocolOf, StimulusDisplayConfig } from '../../src/instruments/stimulus-display/config.ts';
import { computeSchedule, frameAt } from '../../src/instruments/stimulus-display/protocol-schedule.ts';
import { BenchtopChild } from './support/benchtop-child.ts';
import { CHROMIUM, ConsoleWatch, launchBrowser } from './support/browser.ts';
import { ensureDashboardBuilt } from './support/dashboard-build.ts';

/**
 * The stimulus page in headless Chromium against a real Benchtop: a short protocol is presented
 * frame by frame, every frame reported once and as the schedule computes it, with times on the
 * server's clock; a page whose main thread stops is declared stalled by the server.
 */

const hasChromium = existsSync(CHROMIUM);
const skip = hasChromium ? false : `${CHROMIUM} not installed (apt-get install chromium)`;

/**
 * 90° × 60° field; bar 20°, 100°/s at a 10 Hz refresh (few frames: headless Chromium on a busy
 * machine draws as slowly as a few Hz): LR sweeps ±65° in 1.3 s (13 frames), TB ±50° in 10.
 */
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
  // Headless Chromium on a loaded machine (the full suite at load 14) can draw nothing for over
  // a second; 3 s without a frame is a hung page, not a slow one.
  stall_timeout_s: 3,
};

const toml = (outputDir: string) => `
[application]
name = "stimulus-e2e"
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
config = ${tomlInline(display)}

[[instruments]]
id = "cam"
type = "PVCAMInstrument"
config = { camera_name = "PrimeBSI", simulated_scene = "cortex", exposure_ms = 100 }
`;

function tomlInline(o: Record<string, unknown>): string {
  return `{ ${Object.entries(o)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ')} }`;
}

const root = mkdtempSync(join(tmpdir(), 'benchtop-stimulus-e2e-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('stimulus page in Chromium', { skip }, () => {
  let server: BenchtopChild;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let consoleWatch: ConsoleWatch;
  let url: string;
  const schedule = computeSchedule(
    protocolOf(typedConfig('StimulusDisplay', StimulusDisplayConfig, 'screen', display)),
  );

  const call = async (action: string, args: Record<string, unknown> = {}) => {
    const response = await fetch(`${url}/api/v1/instruments/screen/actions/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ args }),
    });
    const body = (await response.json()) as { result: Record<string, unknown> };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.result;
  };

  before(async () => {
    ensureDashboardBuilt();
    const configPath = join(root, 'benchtop.toml');
    writeFileSync(configPath, toml(join(root, 'data')));
    server = new BenchtopChild(configPath);
    url = await server.start();
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    consoleWatch = new ConsoleWatch(page);
    await page.goto(`${url}/stimulus?display=screen`);
    // The offset is measured before the page accepts a run.
    await page
      .getByRole('status', { name: 'Stimulus state', exact: true })
      .filter({ hasText: 'idle' })
      .waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the schedule before the run', async () => {
    const s = await call('schedule');
    assert.equal(s.frame_count, schedule.frameCount);
    assert.equal(schedule.frameCount, 3 + 13 + 3 + 10 + 3);
    const offset = Number(
      await page.getByRole('status', { name: 'Clock offset', exact: true }).textContent(),
    );
    const uncertainty = Number(
      await page.getByRole('status', { name: 'Clock uncertainty', exact: true }).textContent(),
    );
    // Browser and server share this machine's clock: the offset is within its uncertainty (and a few ms).
    assert.ok(Math.abs(offset) <= uncertainty + 5, `offset ${offset} ± ${uncertainty} ms`);
  });

  it('presents every frame once, as scheduled, on the server clock', async () => {
    const frames: {
      index: number;
      phase: string;
      direction: string | null;
      bar_deg: number | null;
      presented_at: number;
    }[] = [];
    // Capture what the page reports, as the server receives it.
    await page.route('**/api/v1/instruments/screen/actions/report', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { args: { frames: typeof frames } };
      frames.push(...body.args.frames);
      await route.continue();
    });
    const run = await call('start', { lead_s: 0.5 });
    await page
      .getByRole('status', { name: 'Stimulus state', exact: true })
      .filter({ hasText: 'done' })
      .waitFor({ timeout: 120_000 });
    const final = (await call('protocol')).run as Record<string, number | string>;
    assert.equal(final.id, run.id);
    assert.equal(final.state, 'done');
    assert.equal(final.presented, schedule.frameCount);
    assert.equal(final.dropped, 0);
    assert.equal(final.mismatched, 0);
    assert.equal(frames.length, schedule.frameCount);
    frames.forEach((f, i) => {
      const expected = frameAt(schedule, i)!;
      assert.equal(f.index, i);
      assert.equal(f.phase, expected.phase);
      assert.equal(f.direction, expected.direction);
      assert.equal(f.bar_deg, expected.barDeg);
      if (i > 0) assert.ok(f.presented_at > frames[i - 1]!.presented_at, `frame ${i} not after ${i - 1}`);
    });
    // Frame 0 was not shown before the run's start (at most half a refresh early).
    assert.ok(frames[0]!.presented_at >= (run.start_at as number) - 50 - 1, 'frame 0 before the start');
    await page.unroute('**/api/v1/instruments/screen/actions/report');
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('records a session: the cortex camera and the presented frames in one file', async () => {
    const send = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const reply = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, 200, JSON.stringify(reply));
      return reply;
    };
    // 128 × 128 frames: a 512² ROI binned 4 × 4.
    await send('POST', '/instruments/cam/actions/set_roi', {
      args: { x: 768, y: 768, width: 512, height: 512 },
    });
    await send('PUT', '/instruments/cam/signals/binning', { value: 4 });
    const started = await send('POST', '/isi/sessions', { camera: 'cam', display: 'screen', lead_s: 1 });
    let info = started;
    while (info.state === 'recording') {
      await new Promise((r) => setTimeout(r, 200));
      const response = await fetch(`${url}/api/v1/isi/sessions/${started.id}`);
      info = (await response.json()) as Record<string, unknown>;
    }
    const result = info.result as Record<string, unknown>;
    assert.equal(info.state, 'done', JSON.stringify(info));
    assert.equal(result.stimulusFrames, schedule.frameCount);
    assert.equal(result.cameraFramesLost, 0);
    assert.ok((result.cameraFrames as number) > 0);
    const session = await readSession(info.path as string);
    const indices = [
      ...session.directions.LR!.stimulus.frame_indices,
      ...session.directions.TB!.stimulus.frame_indices,
    ];
    assert.deepEqual(indices, [...Array(schedule.frameCount).keys()]);
    assert.deepEqual(session.directions.LR!.camera.shape.slice(1), [128, 128]);
    // The camera imaged the lit cortex (the dark test pattern would sit at the ~100 ADU bias).
    const first = session.directions.LR!.camera.frames.subarray(0, 128 * 128);
    const mean = first.reduce((a, b) => a + b, 0) / first.length;
    assert.ok(mean > 500, `mean ${mean} ADU`);
    const exported = (await send('POST', `/isi/sessions/${started.id}/export`, {})) as { files: string[] };
    assert.equal(exported.files.length, 5);
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('detects a stalled page', async () => {
    // The page's main thread stops for 10 s (a hung tab: no frames, no reports) in the same turn
    // as it shows "presenting", from an observer installed before the run starts: waiting for
    // that state from here first could, on a loaded machine, let the 3.2 s run end before the block.
    await page.evaluate(`(() => {
      const state = () => document.querySelector('output[aria-label="Stimulus state"]')?.textContent;
      window.__states = [state()];
      window.__stalled = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
          const now = state();
          if (now !== window.__states.at(-1)) window.__states.push(now);
          if (now !== 'presenting') return;
          observer.disconnect();
          const t = performance.now();
          while (performance.now() - t < 10000) {}
          resolve(true);
        });
        observer.observe(document.body, { childList: true, characterData: true, subtree: true });
      });
    })()`);
    const run = await call('start', { lead_s: 0.3 });
    const blocked = await page.evaluate(
      'Promise.race([window.__stalled, new Promise((r) => setTimeout(() => r(false), 60000))])',
    );
    assert.ok(
      blocked,
      `the page never showed "presenting"; it showed ${await page.evaluate('JSON.stringify(window.__states)')}`,
    );
    const stalled = (await call('protocol')).run as Record<string, string>;
    assert.equal(stalled.id, run.id);
    assert.equal(stalled.state, 'stalled');
    assert.match(stalled.reason, /the page reported no frame for 3 s/);
    // Its next report learns the run is over, and it stops drawing it.
    await page
      .getByRole('status', { name: 'Stimulus state', exact: true })
      .filter({ hasText: 'stalled' })
      .waitFor();
    assert.deepEqual(consoleWatch.take(), []);
  });
});

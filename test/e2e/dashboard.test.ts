import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it as test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { BenchtopChild, benchtopCommand } from './support/benchtop-child.ts';
import { CHROMIUM, ConsoleWatch, launchBrowser, WriteLog } from './support/browser.ts';
import { ensureDashboardBuilt } from './support/dashboard-build.ts';

/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * Benchtop on the simulated lab: what an operator does, checked the way they would see it.
 * One server and one browser serve the scenarios in order; a second server with
 * authentication required covers the viewer. Screenshots go to test-artifacts/screenshots/.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
const hasChromium = existsSync(CHROMIUM);
const skip = hasChromium ? false : `${CHROMIUM} not installed (apt-get install chromium)`;

const INSTRUMENTS = ['dmm', 'stage', 'camera', 'meter', 'laser'];
const VIEWER_PASSWORD = 'viewer-password-1';
/** A refused request is logged by the browser itself; a test that causes one on purpose names it. */
const REFUSED = (status: number) =>
  new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

const root = mkdtempSync(join(tmpdir(), 'benchtop-dashboard-e2e-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** config/default.toml (the simulated lab) with a temporary output_dir, a 1 s laser warm-up and an alarm that is active at once. */
function writeConfig(name: string, extra: string): string {
  let toml = readFileSync(join(ROOT, 'config', 'default.toml'), 'utf8');
  const outputDir = join(root, name, 'data');
  mkdirSync(outputDir, { recursive: true });
  const edit = (from: string, to: string) => {
    assert.ok(toml.includes(from), `config/default.toml no longer contains ${JSON.stringify(from)}`);
    toml = toml.replace(from, to);
  };
  edit('[simulation]\nenabled = true', '[simulation]\nenabled = true\nwarmup_s = 1');
  edit('output_dir = "./data"', `output_dir = ${JSON.stringify(outputDir)}`);
  toml += `
# The browser and the test share 127.0.0.1; the API's per-address limit is not under test here.
[server]
rate_limit_per_minute = 0

[[alarms]]
id = "laser-humidity"
signal = "laser.humidity"
description = "Cavity humidity above 1 % (purge the laser head)"
high = 1
priority = "high"
${extra}`;
  const path = join(root, name, 'benchtop.toml');
  writeFileSync(path, toml);
  return path;
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The text of an `<output>`/status element as a number, once it is one. */
async function numberIn(page: Page, name: string): Promise<number> {
  const text = await page.getByRole('status', { name, exact: true }).textContent();
  return Number(text);
}

/** Waits until the status element's number is above `than` (the page updates it outside React). */
async function waitForNumberAbove(page: Page, name: string, than: number): Promise<void> {
  // A string expression: it runs in the page, whose DOM types this (Node) project does not load.
  await page.waitForFunction(
    `Number(document.querySelector('[aria-label="${name}"]')?.textContent) > ${than}`,
  );
}

function status(page: Page, name: string) {
  return page.getByRole('status', { name, exact: true });
}

let scenarios = 0;
let passed = 0;
/** A test that counts its success, so screenshots are only kept from a run where all passed. */
function it(name: string, fn: () => Promise<void>): void {
  scenarios++;
  test(name, async () => {
    try {
      await fn();
    } catch (error) {
      throw await explained(error);
    }
    passed++;
  });
}

/**
 * The failure with what the page showed as errors and what the server logged as warnings, so a
 * timeout on a loaded CI machine says whether the write was refused, the instrument fell over, or
 * the value never came.
 */
async function explained(error: unknown): Promise<Error> {
  const alerts = await currentPage
    ?.getByRole('alert')
    .allTextContents()
    .catch((e: unknown) => [`(alerts unreadable: ${String(e)})`]);
  const problems = currentServer?.recentProblems() ?? [];
  const states = await fetch(`${currentServer?.url}/api/v1/instruments`)
    .then(async (r) =>
      JSON.stringify(
        ((await r.json()) as { id: string; state: string; lastError: unknown }[]).map((i) => [
          i.id,
          i.state,
          i.lastError,
        ]),
      ),
    )
    .catch((e: unknown) => `(unreadable: ${String(e)})`);
  const writes = currentWrites?.recent() ?? [];
  const consoleErrors = currentConsole?.peek() ?? [];
  const message = error instanceof Error ? error.message : String(error);
  return new Error(
    `${message}\npage alerts: ${JSON.stringify(alerts ?? [])}\ninstrument states: ${states}\npage console errors: ${JSON.stringify(consoleErrors)}\npage's writes (last ${writes.length}):\n${writes.join('\n')}\nserver warnings and errors (last ${problems.length}):\n${problems.join('\n')}`,
    { cause: error },
  );
}
let currentPage: Page | undefined;
let currentServer: BenchtopChild | undefined;
let currentWrites: WriteLog | undefined;
let currentConsole: ConsoleWatch | undefined;

describe('dashboard on the simulated lab', { skip }, () => {
  let server: BenchtopChild;
  let browser: { context: BrowserContext; close: () => Promise<void> };
  let page: Page;
  let consoleWatch: ConsoleWatch;
  let url: string;
  const firstScan: string[] = [];

  before(async () => {
    ensureDashboardBuilt();
    server = new BenchtopChild(writeConfig('lab', ''));
    url = await server.start();
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    consoleWatch = new ConsoleWatch(page);
    currentPage = page;
    currentServer = server;
    currentWrites = new WriteLog(page);
    currentConsole = consoleWatch;
  });
  after(async () => {
    await browser?.close();
    await server?.stop().catch(() => server.kill());
  });

  it('shows the five instruments ready on the overview, with live values and health', async () => {
    await page.goto(`${url}/`);
    for (const id of INSTRUMENTS) await status(page, `${id} state`).filter({ hasText: 'ready' }).waitFor();
    assert.equal(await page.getByRole('article').count(), INSTRUMENTS.length);
    // A monitored value arrives over the WebSocket and is shown with its unit.
    await status(page, 'laser.warmup').filter({ hasText: /^\d+$/ }).waitFor();
    await status(page, 'Overall health')
      .filter({ hasText: /healthy|degraded/ })
      .waitFor();
    await status(page, 'Live stream').filter({ hasText: 'live' }).waitFor();
    await screenshot(page, 'overview');
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('sets the laser wavelength from the form and the readback follows', async () => {
    await page.getByRole('link', { name: 'laser', exact: true }).first().click();
    await page.getByRole('heading', { name: 'laser', exact: true }).waitFor();
    const input = page.getByRole('spinbutton', { name: 'wavelength', exact: true });
    await input.fill('900');
    await page.getByRole('button', { name: 'Set wavelength' }).click();
    // wavelength_actual is what the laser reports while it tunes; it settles on the setpoint.
    await status(page, 'laser.wavelength_actual')
      .filter({ hasText: /^900\.0$/ })
      .waitFor();
    await status(page, 'laser.wavelength').filter({ hasText: /^900$/ }).waitFor();
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('refuses an out-of-range wavelength before sending it', async () => {
    const puts: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() === 'PUT') puts.push(r.url());
    };
    page.on('request', onRequest);
    await page.getByRole('spinbutton', { name: 'wavelength', exact: true }).fill('2000');
    await page.getByRole('button', { name: 'Set wavelength' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'laser.wavelength: 2000 nm is out of range (allowed 690..1040 nm)' })
      .waitFor();
    await page.getByRole('spinbutton', { name: 'wavelength', exact: true }).fill('850.5');
    await page.getByRole('button', { name: 'Set wavelength' }).click();
    await page.getByRole('alert').filter({ hasText: 'expected an integer, got 850.5' }).waitFor();
    page.off('request', onRequest);
    assert.deepEqual(puts, [], 'nothing was sent for the refused values');
    await status(page, 'laser.wavelength').filter({ hasText: /^900$/ }).waitFor();
    await screenshot(page, 'instrument');
    assert.deepEqual(consoleWatch.take(), []);
  });

  it("shows the server's refusal (interlock), then switches the laser on from the UI", async () => {
    const shutter = page.getByRole('switch', { name: 'shutter', exact: true });
    const emission = page.getByRole('switch', { name: 'emission', exact: true });
    await status(page, 'laser.shutter').filter({ hasText: 'false' }).waitFor();
    await shutter.click();
    await status(page, 'laser.shutter').filter({ hasText: 'true' }).waitFor();
    // The Mai Tai refuses emission with the shutter open: the server's message and code are shown.
    await emission.click();
    await page.getByRole('alert').filter({ hasText: 'the shutter is open; close it first' }).waitFor();
    await page.getByRole('alert').filter({ hasText: '[INTERLOCK]' }).waitFor();
    assert.equal(await emission.isChecked(), false, 'the switch shows the state the laser is really in');
    await shutter.click();
    await status(page, 'laser.shutter').filter({ hasText: 'false' }).waitFor();
    await status(page, 'laser.warmup').filter({ hasText: '100' }).waitFor();
    await emission.click();
    await status(page, 'laser.emission').filter({ hasText: 'true' }).waitFor();
    await shutter.click();
    await status(page, 'laser.shutter').filter({ hasText: 'true' }).waitFor();
    assert.deepEqual(consoleWatch.take([REFUSED(409)]), []);
  });

  it('restarts an instrument from its page (the way out of faulted) and it comes back ready', async () => {
    await page.goto(`${url}/instruments/dmm`);
    const badge = status(page, 'dmm state');
    await badge.filter({ hasText: 'ready' }).waitFor();
    // A working instrument is restarted only after a confirmation.
    page.once('dialog', (dialog) => void dialog.accept());
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/instruments/dmm/restart'));
    await page.getByRole('button', { name: 'Restart', exact: true }).click();
    const response = await answered;
    assert.equal(response.status(), 200);
    assert.deepEqual([(await response.json()).previous, (await response.json()).state], ['ready', 'ready']);
    await badge.filter({ hasText: 'ready' }).waitFor();
    await page.getByRole('button', { name: 'Restart', exact: true }).waitFor();
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('runs a knife-edge scan: the plot fills in, progress ends, the run is in the catalog', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Scans' }).click();
    await page.getByLabel('Plan', { exact: true }).selectOption('scan');
    await page.getByLabel('detectors').selectOption(['meter.power']);
    await page.getByLabel('motor').selectOption('stage.axis1.position');
    await page.getByRole('spinbutton', { name: /^start/ }).fill('-1.5');
    await page.getByRole('spinbutton', { name: /^stop/ }).fill('1.5');
    await page.getByRole('spinbutton', { name: /^num/ }).fill('31');
    await page.getByLabel(/^Metadata/).fill('sample=knife-edge');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await status(page, 'Run state').filter({ hasText: 'finished' }).waitFor({ timeout: 90_000 });
    await status(page, 'Points received').filter({ hasText: /^31$/ }).waitFor();
    assert.equal(await page.getByRole('progressbar', { name: 'Run progress' }).getAttribute('value'), '31');
    await page.getByRole('figure', { name: /^Plot of run / }).waitFor();
    await screenshot(page, 'scans');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Runs' }).click();
    await page.getByLabel('Metadata', { exact: true }).fill('sample=knife-edge');
    await page.getByRole('button', { name: 'Search' }).click();
    await status(page, 'Runs found')
      .filter({ hasText: /^1 run$/ })
      .waitFor();
    const row = page.getByRole('row').filter({ hasText: 'scan' }).filter({ hasText: 'success' });
    firstScan.push((await row.getByRole('link').textContent()) ?? '');
    await screenshot(page, 'runs');

    await row.getByRole('link').click();
    await page.getByRole('list', { name: 'Documents summary' }).getByText('event: 31').waitFor();
    await page.getByRole('button', { name: /^Download .*\.h5$/ }).waitFor();
    await page.getByRole('figure', { name: /^Plot of run / }).waitFor();
    await screenshot(page, 'run-detail');
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('follows a run started elsewhere, and compares two runs on one plot', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Scans' }).click();
    await page.getByLabel('Plan', { exact: true }).waitFor();
    // A second, shorter scan submitted through the API: the Scans page picks it up by itself.
    const response = await fetch(`${url}/api/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        plan: 'scan',
        args: {
          detectors: ['meter.power'],
          motor: 'stage.axis1.position',
          start: -1,
          stop: 1,
          num: 11,
          settle_s: 0,
        },
        metadata: { sample: 'knife-edge' },
      }),
    });
    assert.equal(response.status, 201);
    const { uid } = (await response.json()) as { uid: string };
    await page.getByRole('link', { name: uid.slice(0, 8) }).waitFor();
    await status(page, 'Run state').filter({ hasText: 'finished' }).waitFor({ timeout: 90_000 });
    await status(page, 'Points received').filter({ hasText: /^11$/ }).waitFor();

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Runs' }).click();
    await page.getByLabel('Metadata', { exact: true }).fill('sample=knife-edge');
    await page.getByRole('button', { name: 'Search' }).click();
    await status(page, 'Runs found')
      .filter({ hasText: /^2 runs$/ })
      .waitFor();
    await page.getByRole('checkbox', { name: `Compare run ${uid.slice(0, 8)}` }).check();
    await page.getByRole('checkbox', { name: `Compare run ${firstScan[0]}` }).check();
    await page.getByRole('button', { name: /^Compare selected/ }).click();
    await page.getByRole('heading', { name: new RegExp(`^Compare .*${firstScan[0]}`) }).waitFor();
    await page.getByRole('figure', { name: 'Comparison plot' }).waitFor();
    await screenshot(page, 'compare');
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('shows camera frames arriving, with the counters moving', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Camera' }).click();
    await page.getByRole('heading', { name: 'Camera: camera' }).waitFor();
    const exposure = page.getByRole('spinbutton', { name: 'exposure_ms', exact: true });
    await status(page, 'exposure_ms value')
      .filter({ hasText: /^\d+\.\d{3}$/ })
      .waitFor();
    // A value that changes while the operator is in the field (here another client sets it) is
    // shown beside it but leaves what they select and type alone: "50", not "2050".
    await exposure.click();
    await exposure.press('ControlOrMeta+a');
    const elsewhere = await fetch(`${url}/api/v1/instruments/camera/signals/exposure_ms`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 20 }),
    });
    assert.equal(elsewhere.status, 200);
    await status(page, 'exposure_ms value')
      .filter({ hasText: /^20\.000$/ })
      .waitFor();
    // A longer exposure keeps the simulated sensor's load down on a small machine.
    await exposure.pressSequentially('50');
    assert.equal(await exposure.inputValue(), '50');
    await page.getByRole('button', { name: 'Set exposure_ms' }).click();
    await status(page, 'exposure_ms value')
      .filter({ hasText: /^50\.000$/ })
      .waitFor();
    await page.getByRole('button', { name: 'Start live' }).click();
    await waitForNumberAbove(page, 'Previews received', 2);
    const frame = await numberIn(page, 'Frame number');
    await waitForNumberAbove(page, 'Frame number', frame);
    await status(page, 'camera.acquiring').filter({ hasText: 'true' }).waitFor();
    await status(page, 'Display window in counts').filter({ hasText: /\d/ }).waitFor();
    // A line profile drawn with the mouse.
    await page.getByRole('radio', { name: 'Line profile' }).check();
    const view = await page.getByRole('img', { name: 'Live view of camera' }).boundingBox();
    assert.ok(view);
    await page.mouse.move(view.x + view.width * 0.2, view.y + view.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(view.x + view.width * 0.8, view.y + view.height * 0.5, { steps: 5 });
    await page.mouse.up();
    await page.getByText('Choose “Line profile” and drag across the image.').waitFor({ state: 'detached' });
    await screenshot(page, 'camera');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await status(page, 'camera.acquiring').filter({ hasText: 'false' }).waitFor();
    // An ROI drawn on the middle of the full frame becomes the middle half of the sensor.
    await page.getByRole('radio', { name: 'ROI' }).check();
    await page.mouse.move(view.x + view.width * 0.25, view.y + view.height * 0.25);
    await page.mouse.down();
    await page.mouse.move(view.x + view.width * 0.75, view.y + view.height * 0.75, { steps: 5 });
    await page.mouse.up();
    await status(page, 'roi.width value')
      .filter({ hasText: /^10[0-9][0-9]$/ })
      .waitFor();
    await status(page, 'roi.x value')
      .filter({ hasText: /^(49|5[0-3])[0-9]$/ })
      .waitFor();
    await page.getByRole('button', { name: 'Full frame' }).click();
    await status(page, 'roi.width value')
      .filter({ hasText: /^2048$/ })
      .waitFor();
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('acknowledges an alarm with a comment', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Alarms' }).click();
    const card = page.getByRole('article', { name: 'laser-humidity' });
    await status(page, 'laser-humidity state').filter({ hasText: 'active, unacknowledged' }).waitFor();
    await card.getByLabel('Comment').fill('purge line checked');
    await card.getByRole('button', { name: 'Acknowledge laser-humidity' }).click();
    await status(page, 'laser-humidity state').filter({ hasText: 'active, acknowledged' }).waitFor();
    await page
      .getByRole('row')
      .filter({ hasText: 'acknowledged' })
      .filter({ hasText: 'purge line checked' })
      .waitFor();
    await screenshot(page, 'alarms');
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('plots the parameter log and shows the system page', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'History' }).click();
    await page.getByLabel('Signals').selectOption(['laser.humidity', 'meter.power']);
    await status(page, 'History summary')
      .filter({ hasText: /^2 signals, [1-9]/ })
      .waitFor();
    await page.getByRole('figure', { name: 'History plot' }).waitFor();
    await screenshot(page, 'history');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'System' }).click();
    await status(page, 'Overall health')
      .filter({ hasText: /healthy|degraded/ })
      .waitFor();
    await page.getByRole('list', { name: 'Recent log lines' }).getByText('Benchtop ready at').waitFor();
    await page.getByText('"output_dir"').waitFor();
    await page.getByText('Data points').waitFor();
    await screenshot(page, 'system');
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('fits a tablet screen', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    for (const [path, name] of [
      ['/', 'overview'],
      ['/instruments/laser', 'instrument'],
      ['/scans', 'scans'],
    ]) {
      await page.goto(`${url}${path}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      const overflow = (await page.evaluate(
        'document.documentElement.scrollWidth - window.innerWidth',
      )) as number;
      assert.ok(overflow <= 0, `${path} is ${overflow} px wider than a 768 px screen`);
      await screenshot(page, `${name}-tablet`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('shows that it is disconnected while the server restarts, and reconnects by itself', async () => {
    await page.goto(`${url}/`);
    await status(page, 'Live stream').filter({ hasText: 'live' }).waitFor();
    const port = server.port;
    await server.stop();
    const banner = page.getByRole('alert').filter({ hasText: 'Disconnected from the Benchtop server' });
    await banner.waitFor();
    await screenshot(page, 'disconnected');
    await server.start(port);
    await banner.waitFor({ state: 'detached', timeout: 60_000 });
    await status(page, 'Live stream').filter({ hasText: 'live' }).waitFor();
    for (const id of INSTRUMENTS) await status(page, `${id} state`).filter({ hasText: 'ready' }).waitFor();
    // Live values flow again on the new connection.
    const before = await status(page, 'dmm.voltage').getAttribute('title');
    await page.waitForFunction(
      `document.querySelector('[aria-label="dmm.voltage"]')?.getAttribute('title') !== ${JSON.stringify(before)}`,
    );
    // While the server went down and was away, the browser logged the failed requests and
    // connection attempts (503 from instruments already stopping, then refused, reset or cut off).
    assert.deepEqual(
      consoleWatch.take([REFUSED(503), /net::ERR_[A-Z_]+/, /WebSocket connection to .* failed/]),
      [],
    );
  });
});

describe('dashboard with authentication, as a viewer', { skip }, () => {
  let server: BenchtopChild;
  let browser: { context: BrowserContext; close: () => Promise<void> };
  let page: Page;
  let consoleWatch: ConsoleWatch;
  let url: string;

  before(async () => {
    ensureDashboardBuilt();
    const config = writeConfig(
      'auth',
      `
[security]
auth = "required"
jwt_secret = "dashboard-e2e-secret-at-least-32-characters"
`,
    );
    await benchtopCommand(
      ['users', 'add', 'viewer', '--role', 'viewer', '--config', config],
      `${VIEWER_PASSWORD}\n`,
    );
    server = new BenchtopChild(config);
    url = await server.start();
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    consoleWatch = new ConsoleWatch(page);
    currentPage = page;
    currentServer = server;
    currentWrites = new WriteLog(page);
    currentConsole = consoleWatch;
  });
  after(async () => {
    await browser?.close();
    await server?.stop().catch(() => server.kill());
  });

  it('logs in, streams live values with its token, and finds every control disabled', async () => {
    await page.goto(`${url}/instruments/laser`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await screenshot(page, 'login');
    await page.getByLabel('User name').fill('viewer');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong user name or password' }).waitFor();
    await page.getByLabel('Password').fill(VIEWER_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();

    await page.getByRole('heading', { name: 'laser', exact: true }).waitFor();
    await page.getByText('viewer (viewer)').waitFor();
    await status(page, 'Live stream').filter({ hasText: 'live' }).waitFor();
    await status(page, 'laser.warmup').filter({ hasText: /^\d+$/ }).waitFor();
    assert.equal(await page.getByRole('spinbutton', { name: 'wavelength', exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Set wavelength' }).isDisabled(), true);
    assert.equal(await page.getByRole('switch', { name: 'shutter', exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Restart', exact: true }).isDisabled(), true);
    await screenshot(page, 'viewer-instrument');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Scans' }).click();
    await page.getByLabel('Plan', { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Start', exact: true }).isDisabled(), true);

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Camera' }).click();
    await page.getByRole('heading', { name: 'Camera: camera' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Start live' }).isDisabled(), true);

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Alarms' }).click();
    const ack = page.getByRole('button', { name: 'Acknowledge laser-humidity' });
    await ack.waitFor();
    assert.equal(await ack.isDisabled(), true);

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'System' }).click();
    await page.getByText('The configuration is shown to administrators.').waitFor();
    await page.getByText('Log lines need the operator role.').waitFor();
    // Before logging in, /auth/me answered 401, and so did the wrong password.
    assert.deepEqual(consoleWatch.take([REFUSED(401)]), []);
  });

  it('keeps the session across a reload and logs out', async () => {
    await page.reload();
    await page.getByText('viewer (viewer)').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.deepEqual(consoleWatch.take([REFUSED(401)]), []);
  });
});

/**
 * Keeps a few screenshots next to the README when asked (BENCHTOP_UPDATE_SCREENSHOTS=1 node --test
 * test/e2e/dashboard.test.ts), and only from a run in which every scenario passed.
 */
after(() => {
  if (process.env.BENCHTOP_UPDATE_SCREENSHOTS !== '1' || passed < scenarios) return;
  const docs = join(ROOT, 'docs', 'screenshots');
  mkdirSync(docs, { recursive: true });
  for (const name of ['overview', 'instrument', 'camera', 'scans'])
    copyFileSync(join(SHOTS, `${name}.png`), join(docs, `${name}.png`));
});

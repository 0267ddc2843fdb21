import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { parseAssignment } from '../../src/config/load.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { CHROMIUM, ConsoleWatch, launchBrowser } from './support/browser.ts';
import { ensureDashboardBuilt } from './support/dashboard-build.ts';

const shipped = fileURLToPath(new URL('../../config/vision-line.toml', import.meta.url));
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed (apt-get install chromium)`;

const PASSWORD = 'line-page-password-1';
const REFUSED = (status: number) =>
  new RegExp(`Failed to load resource: the server responded with a status of ${status}`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
/** As the downtime table writes a duration. */
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

/**
 * Shift A from the hour before now to two hours after, without breaks, B the rest of the day:
 * whenever the test runs, now is planned time, so a stop now is downtime.
 */
function shiftsAroundNow(): string {
  const hour = new Date().getUTCHours();
  const at = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  return JSON.stringify([
    { name: 'A', start: at(hour - 1), end: at(hour + 2) },
    { name: 'B', start: at(hour + 2), end: at(hour - 1) },
  ]);
}

/**
 * The Line page in Chromium on config/vision-line.toml's simulated line (a 400 ms cycle), with
 * authentication on and a viewer, an operator and a supervisor logging in in turn: the viewer
 * sees everything and can press nothing; the operator runs the line but can neither reset nor
 * disposition; the supervisor dispositions a defect the CV-X found, sees the SPC chart, downtime
 * by reason (of a fault it causes), the live defect timeline and a chosen shift's KPIs, and
 * emergency-stops the line.
 */
describe('line page on the simulated vision line', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'benchtop-line-page-'));
  let bt: Benchtop;
  let url: string;
  let apiKey: string;
  let browser: { context: BrowserContext; close: () => Promise<void> };
  let page: Page;
  let consoleWatch: ConsoleWatch;

  before(async () => {
    ensureDashboardBuilt();
    const flags = [
      'server.port=0',
      'server.rate_limit_per_minute=0',
      'simulation.ports.vision=0',
      `storage.output_dir=${root}`,
      'security.auth=required',
      'security.jwt_secret=line-page-e2e-secret-at-least-32-characters',
      // The shipped shifts have breaks (a stop in one is no downtime): a shift of the test's own.
      'lines[0].utc_offset_minutes=0',
      `lines[0].shifts=${shiftsAroundNow()}`,
    ].map((s) => parseAssignment(s, '--set'));
    bt = new Benchtop(loadBenchtopConfig({ file: shipped, env: {}, flags }), silentLogger());
    bt.lab!.productionLine({ idealCycleMs: 400, completedPulseMs: 200 });
    ({ url } = await bt.start());
    for (const [name, role] of [
      ['vera', 'viewer'],
      ['otto', 'operator'],
      ['suzy', 'supervisor'],
    ] as const)
      await bt.security.addUser(name, role, PASSWORD);
    apiKey = bt.security.createKey('line-page-e2e', 'viewer').key;
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    consoleWatch = new ConsoleWatch(page);
  });
  after(async () => {
    await browser?.close();
    await bt?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    assert.equal(res.status, 200, path);
    return (await res.json()) as T;
  };
  const logIn = async (name: string, role: string) => {
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.getByLabel('User name').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(`${name} (${role})`).waitFor();
    await page.getByRole('heading', { name: 'Line assembly1' }).waitFor();
    await page
      .getByTestId('line-state')
      .getByText(/stopped|running/)
      .waitFor();
  };
  const logOut = async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
  };
  const button = (name: string) => page.getByRole('button', { name, exact: true });
  const disabled = async (...names: string[]) =>
    Promise.all(names.map(async (n) => [n, await button(n).isDisabled()]));

  it('a viewer sees the line and every control is disabled', { timeout: 60_000 }, async () => {
    await page.goto(`${url}/line`);
    await logIn('vera', 'viewer');
    await page.getByTestId('line-state').getByText('stopped').waitFor();
    assert.deepEqual(await disabled('Run', 'Stop', 'Reset', 'Emergency stop'), [
      ['Run', true],
      ['Stop', true],
      ['Reset', true],
      ['Emergency stop', true],
    ]);
    assert.equal(
      await page.getByRole('combobox', { name: 'Shift' }).isDisabled(),
      false,
      'viewing is allowed',
    );
    await logOut();
  });

  it('an operator runs the line but may neither reset nor disposition', { timeout: 120_000 }, async () => {
    await logIn('otto', 'operator');
    await page.getByTestId('line-state').getByText('stopped').waitFor();
    assert.deepEqual(await disabled('Run', 'Reset', 'Emergency stop'), [
      ['Run', false],
      ['Reset', true],
      ['Emergency stop', false],
    ]);
    await button('Run').click();
    await page.getByTestId('line-state').getByText('running').waitFor();
    // The CV-X's seeded model fails some of the first serials: one shows up for review, live.
    const review = page.getByRole('table', { name: 'Defects to review' });
    const accept = review.getByRole('button', { name: /^accept defect of part/ }).first();
    await accept.waitFor({ timeout: 60_000 });
    assert.equal(await accept.isDisabled(), true, 'disposition is for supervisors');
    await logOut();
  });

  it(
    'a supervisor dispositions a defect, sees SPC, downtime, the defect timeline and a shift, and emergency-stops',
    { timeout: 120_000 },
    async () => {
      await logIn('suzy', 'supervisor');
      await page.getByTestId('line-state').getByText('running').waitFor();
      assert.equal(await button('Reset').isDisabled(), false);
      await page
        .getByTestId('line-oee')
        .getByText(/target 85\.0 %/)
        .waitFor();
      await page
        .getByTestId('line-throughput')
        .getByText(/\/ 540 parts\/h/)
        .waitFor();
      const review = page.getByRole('table', { name: 'Defects to review' });
      const accept = review.getByRole('button', { name: /^accept defect of part/ }).first();
      await accept.waitFor({ timeout: 60_000 });
      const label = (await accept.getAttribute('aria-label')) ?? '';
      const [, partId, cls] = /part (\S+) \((\w+)\)/.exec(label) ?? [];
      await accept.click();
      await review.getByRole('button', { name: label }).waitFor({ state: 'detached' });
      const defects = await api<{ defects: { partId: string; class: string; disposition: string }[] }>(
        '/api/v1/lines/assembly1/defects',
      );
      assert.equal(
        defects.defects.find((d) => d.partId === partId && d.class === cls)?.disposition,
        'accept',
      );
      await page
        .getByRole('table', { name: 'Defect Pareto' })
        .getByRole('cell', { name: cls!, exact: true })
        .waitFor();

      // The live defect timeline: the part with its class and box, as the API lists it.
      const timeline = page.getByRole('table', { name: 'Defect timeline' });
      await timeline.getByRole('cell', { name: partId!, exact: true }).first().waitFor();
      const found = defects.defects.find((d) => d.partId === partId && d.class === cls) as unknown as {
        box: { x: number; y: number } | null;
      };
      const row = timeline.getByRole('row').filter({ hasText: cls! }).filter({ hasText: partId! }).first();
      if (found.box) await row.getByText(`${found.box.x.toFixed(0)}, ${found.box.y.toFixed(0)}`).waitFor();

      // SPC: the cycle-time chart is drawn by uPlot with its limits; the page states the
      // limits and the rule violations the API computed for the same window.
      const chart = page.getByRole('figure', { name: 'SPC chart of cycle time' });
      await chart.locator('canvas').waitFor();
      await page
        .getByTestId('spc-limits')
        .getByText(/points; centre .* UCL .* LCL/)
        .waitFor();
      const report = await api<{
        kpis: { oee: number };
        cycleTimeChart?: { points: { violations: number[] }[] };
      }>('/api/v1/lines/assembly1/kpis');
      assert.ok(report.cycleTimeChart, 'the line has cycle times');
      const violations = await page.getByTestId('spc-violations').textContent();
      assert.match(violations ?? '', /Western Electric rule/);
      await page.getByRole('combobox', { name: 'SPC chart' }).waitFor();

      // Downtime by reason: the PLC faults the running line with F301 (low air pressure) for a
      // few seconds, in the shift around now; the fault's downtime is blamed on F301 (Alarm.Code),
      // and the page shows it with the duration the API computed.
      const f301Cleared = bt.bus.once(
        'alarm.changed',
        (c) => c.alarm.id === 'line:assembly1:F301' && c.event.event === 'cleared',
      );
      // The fault's end: recorded by the tracker (running again), so its duration is final.
      const runningAgain = bt.bus.once('line.state', (e) => e.state === 'running');
      // Long enough to read as at least 0.1 min in the table.
      bt.lab!.productionLine().injectAlarm('F301', 7_000);
      await Promise.all([f301Cleared, runningAgain]);
      await bt.production!.queue.flush();
      const afterFault = await api<{
        kpis: { downtime: { reason: string; stops: number; durationMs: number }[] };
      }>('/api/v1/lines/assembly1/kpis');
      const f301 = afterFault.kpis.downtime.find((d) => d.reason === 'F301');
      assert.ok(f301, `F301 among the reasons: ${JSON.stringify(afterFault.kpis.downtime)}`);
      assert.equal(f301.stops, 1);
      assert.ok(f301.durationMs > 0, `F301 for ${f301.durationMs} ms`);
      const downtime = page.getByRole('table', { name: 'Downtime by reason' });
      const f301Row = downtime
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: 'F301', exact: true }) });
      await f301Row.getByRole('cell', { name: minutes(f301.durationMs), exact: true }).waitFor();
      assert.notEqual(minutes(f301.durationMs), minutes(0), 'a duration the table shows as non-zero');

      // A shift on a date: the page asks the API for that shift's KPIs and shows them (the
      // reply it got, not a second request, which the running line would already have moved).
      const date = new Date().toISOString().slice(0, 10);
      const shiftReply = page.waitForResponse(
        (res) =>
          res.url().includes('/kpis?') && res.url().includes('shift=A') && res.url().includes(`date=${date}`),
      );
      await page.getByRole('combobox', { name: 'Shift' }).selectOption('A');
      await page.getByLabel('Shift date').fill(date);
      const shift = (await (await shiftReply).json()) as { kpis: { oee: number } };
      await page.getByRole('heading', { name: `OEE — shift A, ${date}` }).waitFor();
      await page
        .getByTestId('line-oee')
        .getByText(new RegExp(`^${pct(shift.kpis.oee).replace('.', '\\.')}`))
        .waitFor();
      await page.getByRole('combobox', { name: 'Shift' }).selectOption('');
      await page.getByRole('heading', { name: 'OEE', exact: true }).waitFor();

      if (process.env.LINE_PAGE_SCREENSHOT)
        await page.screenshot({ path: process.env.LINE_PAGE_SCREENSHOT, fullPage: true });
      const tracked = Number(await page.getByTestId('line-parts').textContent());
      assert.ok(tracked >= 1, `parts ${tracked}`);
      await button('Emergency stop').click();
      await page.getByTestId('line-state').getByText('stopped').waitFor();
      assert.equal(bt.lab!.productionLine().emergencyStopActive, true);
      const audit = bt.security.auditLog({ action: 'line.emergency_stop' });
      assert.equal(audit[0]?.result, 'ok');
      assert.equal(audit[0]?.actor, 'suzy');
      // Before each log-in /auth/me answered 401.
      assert.deepEqual(consoleWatch.take([REFUSED(401)]), []);
    },
  );
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { BenchtopChild } from './support/benchtop-child.ts';
import { CHROMIUM, ConsoleWatch, launchBrowser } from './support/browser.ts';
import { ensureDashboardBuilt } from './support/dashboard-build.ts';

/**
 * The process page in Chromium against config/ald.toml's simulated tool: the shipped 20-cycle
 * recipe picked and started from the page (time scale 0.02), its step, cycle and thickness
 * followed to the end, the valves and interlock live, a setpoint written from its form.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed (apt-get install chromium)`;

describe('process page on the simulated ALD tool', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'benchtop-process-e2e-'));
  let server: BenchtopChild;
  let browser: { context: BrowserContext; close: () => Promise<void> };
  let page: Page;
  let consoleWatch: ConsoleWatch;
  let url: string;
  let plcPort: number;

  before(async () => {
    ensureDashboardBuilt();
    let toml = readFileSync(join(ROOT, 'config', 'ald.toml'), 'utf8');
    const edit = (from: string, to: string) => {
      assert.ok(toml.includes(from), `config/ald.toml no longer contains ${JSON.stringify(from)}`);
      toml = toml.replace(from, to);
    };
    plcPort = await freePort();
    edit('plc = 1502', `plc = ${plcPort}`);
    edit('output_dir = "./data"', `output_dir = ${JSON.stringify(join(root, 'data'))}`);
    toml += '\n[server]\nrate_limit_per_minute = 0\n';
    mkdirSync(join(root, 'recipes'));
    cpSync(join(ROOT, 'config', 'recipes', 'tma-h2o-20.toml'), join(root, 'recipes', 'tma-h2o-20.toml'));
    writeFileSync(join(root, 'ald.toml'), toml);
    server = new BenchtopChild(join(root, 'ald.toml'));
    url = await server.start();
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    consoleWatch = new ConsoleWatch(page);
  });
  after(async () => {
    await browser?.close();
    await server?.stop().catch(() => server.kill());
    rmSync(root, { recursive: true, force: true });
  });

  it('runs the 20-cycle recipe from the page and follows it to 2.2 nm', async () => {
    await page.goto(`${url}/process`);
    await page.getByRole('heading', { name: 'Process' }).waitFor();
    await page
      .getByRole('combobox', { name: 'Recipe' })
      .getByText(/tma-h2o-20 v1/)
      .waitFor({ state: 'attached' });
    // Valves, interlock and parameters are live from the [process] map.
    await page.waitForFunction(`document.querySelector('[aria-label="TMA open"]')?.textContent === 'false'`);
    await page.waitForFunction(`document.querySelector('[aria-label="Interlock"]')?.textContent === 'false'`);
    await page.getByRole('spinbutton', { name: 'Time scale' }).fill('0.02');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByTestId('recipe-cycle').getByText(/of 20/).waitFor();
    await page.getByTestId('recipe-state').getByText('finished (success)').waitFor({ timeout: 120_000 });
    assert.equal(await page.getByTestId('recipe-thickness').textContent(), '2.20 nm');
    assert.match((await page.getByTestId('recipe-step').textContent()) ?? '', /^81 of 81/);
    assert.deepEqual(consoleWatch.take(), []);
    mkdirSync(join(ROOT, 'test-artifacts', 'screenshots'), { recursive: true });
    await page.screenshot({
      path: join(ROOT, 'test-artifacts', 'screenshots', 'process.png'),
      fullPage: true,
    });
  });

  it('writes a setpoint from its form and the PLC reads it back', async () => {
    const input = page.getByRole('spinbutton', { name: /mfc1_setpoint/ });
    await input.fill('42');
    await page.getByRole('button', { name: 'Set mfc1_setpoint' }).click();
    await page.getByRole('button', { name: 'Set mfc1_setpoint' }).and(page.locator(':enabled')).waitFor();
    const reply = await fetch(`${url}/api/v1/instruments/plc/signals/mfc1_setpoint`);
    assert.equal(((await reply.json()) as { value: number }).value, 42);
    assert.deepEqual(consoleWatch.take(), []);
  });

  it('shows a setpoint changed at the machine (another Modbus client wrote the register)', async () => {
    const socket = connect(plcPort, '127.0.0.1');
    await once(socket, 'connect');
    // FC16 to holding 2066-2067: 80.0 as float32, low word first.
    const pdu = Buffer.from([0x10, 0x08, 0x12, 0x00, 0x02, 0x04, 0x00, 0x00, 0x42, 0xa0]);
    socket.write(Buffer.concat([Buffer.from([0, 1, 0, 0, 0, pdu.length + 1, 1]), pdu]));
    await once(socket, 'data');
    socket.destroy();
    await page
      .getByRole('list', { name: 'Setpoints changed at the machine' })
      .getByText(/plc\.mfc1_setpoint: 42 → 80/)
      .waitFor();
    assert.deepEqual(consoleWatch.take(), []);
  });
});

/** A port nothing listens on now (the simulator's, fixed so the test can reach it). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

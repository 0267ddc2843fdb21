import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { PrivateNatsServer } from '../../src/distributed/testing/nats-server.ts';
import { api, until } from '../../src/distributed/testing/site-http.ts';
import { type SiteProcess, startSiteProcess } from '../../src/distributed/testing/site-process.ts';
import { launchBrowser } from './support/browser.ts';
import { ensureDashboardBuilt } from './support/dashboard-build.ts';

/**
 * Several machines in one dashboard: a hub with an instrument of its own and an agent with one
 * on another host, as separate processes over a private nats-server. Each card shows the host
 * the API gives (the agent's for the remote instrument, none for the hub's own), and a card
 * whose agent went silent says so next to that host.
 */

const agentToml = (dir: string, url: string) => `
[application]
name = "hostA"
log_level = "info"
[agent]
id = "hostA"
host = "hostA.lab"
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${url}"
request_timeout_ms = 3000
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'hostA')}"
[[instruments]]
id = "stage"
type = "ESP300"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB0", axes = 1 }
`;

const hubToml = (dir: string, url: string) => `
[application]
name = "hub"
log_level = "info"
[agent]
heartbeat_ms = 300
stale_after_ms = 1500
[bus]
url = "${url}"
request_timeout_ms = 3000
[server]
port = 0
rate_limit_per_minute = 0
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'hub')}"
[[instruments]]
id = "meter"
type = "Newport1830C"
poll_interval_ms = 200
config = { serial_port = "/dev/ttyUSB2" }
`;

interface Listed {
  id: string;
  state: string;
  host?: string;
}

describe('the dashboard of a hub with an agent on another host', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-site-dashboard-'));
  const nats = new PrivateNatsServer();
  const procs: SiteProcess[] = [];
  let agent: SiteProcess;
  let base = '';
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  before(async () => {
    ensureDashboardBuilt();
    await nats.start();
    agent = startSiteProcess('agent', join(dir, 'a.toml'), agentToml(dir, nats.url));
    procs.push(agent);
    await agent.waitFor(/joined site/);
    const hub = startSiteProcess('hub', join(dir, 'hub.toml'), hubToml(dir, nats.url));
    procs.push(hub);
    base = String((await hub.waitFor(/Benchtop ready at/)).url);
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  });

  after(async () => {
    await browser?.close();
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const hostOf = (id: string) => page.getByRole('status', { name: `${id} host`, exact: true });

  it('each overview card shows the host the API gives for its instrument', async () => {
    const list = await until(
      'both instruments ready',
      async () => (await api(base, '/instruments')).body as Listed[],
      (l) => l.filter((i) => i.state === 'ready').length === 2,
    );
    const byId = Object.fromEntries(list.map((i) => [i.id, i]));
    assert.equal(byId.stage?.host, 'hostA.lab');
    assert.equal(byId.meter?.host, undefined, 'the hub names no host for its own instrument');
    // The cards read each instrument's description: it carries the host as the list does.
    assert.equal((await api(base, '/instruments/stage')).body.host, 'hostA.lab');
    assert.equal((await api(base, '/instruments/meter')).body.host, undefined);

    await page.goto(`${base}/`);
    for (const id of ['stage', 'meter'])
      await page
        .getByRole('status', { name: `${id} state`, exact: true })
        .filter({ hasText: 'ready' })
        .waitFor();
    assert.equal(await hostOf('stage').textContent(), 'hostA.lab');
    assert.equal(await hostOf('meter').count(), 0);
    const stageCard = page.getByRole('article').filter({ has: page.getByRole('heading', { name: 'stage' }) });
    assert.equal(await stageCard.getByRole('status', { name: 'stage host', exact: true }).count(), 1);
  });

  it("the instrument page shows a remote instrument's host", async () => {
    await page.getByRole('link', { name: 'stage', exact: true }).first().click();
    await page.getByRole('heading', { name: 'stage', exact: true }).waitFor();
    await hostOf('stage').filter({ hasText: 'hostA.lab' }).waitFor();
    await page.getByRole('link', { name: 'meter', exact: true }).first().click();
    await page.getByRole('heading', { name: 'meter', exact: true }).waitFor();
    assert.equal(await hostOf('meter').count(), 0);
  });

  it('a card whose agent went silent shows it stale next to its host', async () => {
    await page.goto(`${base}/`);
    await hostOf('stage').filter({ hasText: 'hostA.lab' }).waitFor();
    agent.child.kill('SIGKILL');
    await agent.exited;
    const stageCard = page.getByRole('article').filter({ has: page.getByRole('heading', { name: 'stage' }) });
    await stageCard
      .getByRole('status', { name: 'stage state', exact: true })
      .filter({ hasText: 'failed' })
      .waitFor();
    await stageCard.getByText(/agent hostA on hostA\.lab .*\(stale\)/).waitFor();
    assert.equal(
      await stageCard.getByRole('status', { name: 'stage host', exact: true }).textContent(),
      'hostA.lab',
    );
    await page
      .getByRole('status', { name: 'meter state', exact: true })
      .filter({ hasText: 'ready' })
      .waitFor();
  });
});

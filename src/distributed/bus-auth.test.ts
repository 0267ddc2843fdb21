import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { startSiteProcess } from './testing/site-process.ts';

const agentToml = (dir: string, url: string, password: string) => `
[application]
name = "authagent"
[agent]
id = "authagent"
[bus]
url = "${url}"
user = "benchtop"
password = "${password}"
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, password)}"
[[instruments]]
id = "meter"
type = "Newport1830C"
config = { serial_port = "/dev/ttyUSB2" }
`;

describe('NATS credentials', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-auth-'));
  const nats = new PrivateNatsServer(['--user', 'benchtop', '--pass', 'right-secret']);

  before(() => nats.start());
  after(async () => {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an agent with a wrong password cannot join and says why', async () => {
    const agent = startSiteProcess(
      'agent',
      join(dir, 'wrong.toml'),
      agentToml(dir, nats.url, 'wrong-secret'),
    );
    const code = await agent.exited;
    assert.notEqual(code, 0);
    assert.match(agent.lines.join('\n'), /refused agent:authagent's credentials: Authorization Violation/);
  });

  it('the same agent with the right password joins', async () => {
    const agent = startSiteProcess(
      'agent',
      join(dir, 'right.toml'),
      agentToml(dir, nats.url, 'right-secret'),
    );
    try {
      await agent.waitFor(/joined site/);
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
  });
});

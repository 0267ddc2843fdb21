import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nkeys } from '@nats-io/transport-node';
import type { BenchtopError } from '../core/errors.ts';
import { connectBus } from './bus-connection.ts';
import { busConfigFor } from './testing/bus-config.ts';
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
  it('a joined agent whose password the server stops taking logs the refusal, and rejoins once it is taken again', async () => {
    const agent = startSiteProcess(
      'agent',
      join(dir, 'rotated.toml'),
      agentToml(dir, nats.url, 'right-secret'),
    );
    // The same port, another password: as if the server's config changed under a running agent.
    const changed = new PrivateNatsServer(['--user', 'benchtop', '--pass', 'rotated-secret']);
    try {
      await agent.waitFor(/joined site/);
      await nats.stop();
      changed.port = nats.port;
      await changed.start();
      const refusal = await agent.waitFor(
        /refused agent:authagent's credentials: Authorization Violation.*still retrying/,
      );
      assert.equal(refusal.level, 'error');
      // Still trying after more refusals than the client's own limit (two).
      await changed.waitForLog(/authentication error|authorization violation/i, 3);
      await changed.stop();
      await nats.start();
      await agent.waitFor(/NATS server back: sending a fresh birth/);
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
      await changed.dispose();
      if (!nats.running) await nats.start();
    }
  });
});

describe('NATS nkey credentials (real nats-server)', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-nkey-'));
  const user = nkeys.createUser();
  const seedFile = (name: string, seed: Uint8Array | string) => {
    const file = join(dir, name);
    writeFileSync(file, typeof seed === 'string' ? seed : `${new TextDecoder().decode(seed)}\n`);
    return file;
  };
  let nats: PrivateNatsServer;

  before(async () => {
    const conf = join(dir, 'nkey.conf');
    writeFileSync(conf, `authorization { users = [ { nkey: "${user.getPublicKey()}" } ] }\n`);
    nats = new PrivateNatsServer(['-c', conf]);
    await nats.start();
  });
  after(async () => {
    await nats?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the user's seed in nkey_seed_file connects", async () => {
    const nc = await connectBus(
      busConfigFor(nats.url, { nkey_seed_file: seedFile('right.nk', user.getSeed()) }),
      'agent:nk',
    );
    try {
      await nc.flush();
    } finally {
      await nc.close();
    }
  });

  it("another user's seed is refused, the error naming the server and the settings to check", async () => {
    const stranger = seedFile('stranger.nk', nkeys.createUser().getSeed());
    await assert.rejects(
      connectBus(busConfigFor(nats.url, { nkey_seed_file: stranger }), 'agent:nk'),
      (e: BenchtopError) => {
        assert.equal(e.code, 'BUS_UNAVAILABLE');
        assert.match(
          e.message,
          new RegExp(
            `the NATS server at ${nats.url} refused agent:nk's credentials: Authorization Violation`,
          ),
        );
        assert.match(e.message, /nkey_seed_file/);
        return true;
      },
    );
  });

  it('a file that holds no seed, or none at all, is a config error naming nkey_seed_file', async () => {
    const notASeed = seedFile('garbage.nk', 'not a seed\n');
    await assert.rejects(
      connectBus(busConfigFor(nats.url, { nkey_seed_file: notASeed }), 'agent:nk'),
      (e: BenchtopError) => {
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.match(e.message, new RegExp(`\\[bus\\] nkey_seed_file "${notASeed}"`));
        return true;
      },
    );
    const missing = join(dir, 'missing.nk');
    await assert.rejects(
      connectBus(busConfigFor(nats.url, { nkey_seed_file: missing }), 'agent:nk'),
      (e: BenchtopError) => {
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.match(e.message, new RegExp(`\\[bus\\] nkey_seed_file "${missing}" cannot be read`));
        return true;
      },
    );
  });
});

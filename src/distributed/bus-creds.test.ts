import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BenchtopError } from '../core/errors.ts';
import { connectBus } from './bus-connection.ts';
import { busConfigFor } from './testing/bus-config.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { makeOperator } from './testing/operator-creds.ts';
import { startSiteProcess } from './testing/site-process.ts';

describe(
  'NATS .creds files (real nats-server in operator mode, JWTs made without nsc)',
  { timeout: 60_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-creds-'));
    const operator = makeOperator();
    const file = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };
    let nats: PrivateNatsServer;

    before(async () => {
      nats = new PrivateNatsServer(['-c', file('operator.conf', operator.serverConfig)]);
      await nats.start();
    });
    after(async () => {
      await nats?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('an agent with a user .creds file of the trusted account joins the site (JetStream KV included)', async () => {
      const agent = startSiteProcess(
        'agent',
        join(dir, 'agent.toml'),
        `
[application]
name = "credsagent"
[agent]
id = "credsagent"
[bus]
url = "${nats.url}"
creds_file = "${file('host1.creds', operator.userCreds('host1'))}"
[simulation]
enabled = true
[storage]
output_dir = "${join(dir, 'agent-data')}"
[[instruments]]
id = "meter"
type = "Newport1830C"
config = { serial_port = "/dev/ttyUSB2" }
`,
      );
      try {
        await agent.waitFor(/joined site/);
      } finally {
        agent.child.kill('SIGKILL');
        await agent.exited;
      }
    });

    it('a .creds file signed by an account the server does not trust is refused, saying so', async () => {
      const creds = file('stranger.creds', operator.userCreds('stranger', operator.strangerAccount()));
      await assert.rejects(
        connectBus(busConfigFor(nats.url, { creds_file: creds }), 'agent:creds'),
        (e: BenchtopError) => {
          assert.equal(e.code, 'BUS_UNAVAILABLE');
          assert.match(
            e.message,
            new RegExp(
              `the NATS server at ${nats.url} refused agent:creds's credentials: Authorization Violation`,
            ),
          );
          assert.match(e.message, /creds_file/);
          return true;
        },
      );
    });

    it('a file that is not a .creds file is a config error naming creds_file', async () => {
      const notCreds = file('garbage.creds', 'not a creds file\n');
      await assert.rejects(
        connectBus(busConfigFor(nats.url, { creds_file: notCreds }), 'agent:creds'),
        (e: BenchtopError) => {
          assert.equal(e.code, 'CONFIG_INVALID');
          assert.match(e.message, new RegExp(`\\[bus\\] creds_file "${notCreds}"`));
          return true;
        },
      );
    });
  },
);

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BenchtopError } from '../core/errors.ts';
import { type BusConfig, connectBus } from './bus-connection.ts';
import { busConfigFor } from './testing/bus-config.ts';
import { PrivateNatsServer } from './testing/nats-server.ts';
import { startSiteProcess } from './testing/site-process.ts';
import { hasOpenssl, makeThrowawayPki, type ThrowawayPki } from './testing/throwaway-pki.ts';

const skip = !(await hasOpenssl()) && 'openssl is not installed: no certificates to test with';

/** Connects, checks the link with a round trip, closes. */
async function joins(bus: BusConfig): Promise<void> {
  const nc = await connectBus(bus, 'agent:tls');
  try {
    assert.equal(nc.info?.tls_required, true, 'the server was meant to require TLS');
    await nc.flush();
  } finally {
    await nc.close();
  }
}

/** Fails with BUS_UNAVAILABLE (or `code`) whose message matches every pattern. */
async function refused(bus: BusConfig, patterns: RegExp[], code = 'BUS_UNAVAILABLE'): Promise<void> {
  await assert.rejects(
    async () => {
      // Closed if it connects after all, so that the failed assertion does not leave it reconnecting.
      const nc = await connectBus(bus, 'agent:tls');
      await nc.close();
    },
    (error: BenchtopError) => {
      assert.equal(error.code, code, error.message);
      for (const p of patterns) assert.match(error.message, p);
      return true;
    },
  );
}

const escaped = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

describe('NATS over TLS (real nats-server, throwaway CA)', { skip, timeout: 120_000 }, () => {
  let pki: ThrowawayPki;
  // One server that only proves itself, one that also wants a client certificate, one without TLS.
  let serverTls: PrivateNatsServer;
  let mutualTls: PrivateNatsServer;
  const plain = new PrivateNatsServer();

  before(async () => {
    pki = await makeThrowawayPki();
    const tlsBlock = (extra: string) =>
      `tls { cert_file: "${pki.serverCert}", key_file: "${pki.serverKey}"${extra} }\n`;
    writeFileSync(join(pki.dir, 'server-tls.conf'), tlsBlock(''));
    writeFileSync(join(pki.dir, 'mutual-tls.conf'), tlsBlock(`, ca_file: "${pki.caFile}", verify: true`));
    serverTls = new PrivateNatsServer(['-c', join(pki.dir, 'server-tls.conf')]);
    mutualTls = new PrivateNatsServer(['-c', join(pki.dir, 'mutual-tls.conf')]);
    await Promise.all([serverTls.start(), mutualTls.start(), plain.start()]);
  });
  after(async () => {
    await Promise.all([serverTls?.dispose(), mutualTls?.dispose(), plain.dispose()]);
    pki?.dispose();
  });

  it('connects with the CA in tls_ca_file, to a certificate issued for the IP address in the url', async () => {
    await joins(busConfigFor(serverTls.url, { tls_ca_file: pki.caFile }));
  });

  it('without tls_ca_file the server is not trusted, and the error names the url and the setting', async () => {
    await refused(busConfigFor(serverTls.url), [
      escaped(`TLS with the NATS server at ${serverTls.url} failed for agent:tls`),
      /not signed by a CA this host trusts: set \[bus\] tls_ca_file/,
    ]);
  });

  it('with another CA in tls_ca_file it is refused, naming that file', async () => {
    await refused(busConfigFor(serverTls.url, { tls_ca_file: pki.otherCaFile }), [
      escaped(serverTls.url),
      escaped(`not signed by the CA in [bus] tls_ca_file (${pki.otherCaFile})`),
    ]);
  });

  it('a tls:// url never connects in the clear to a server without TLS', async () => {
    const url = plain.url.replace('nats://', 'tls://');
    await refused(busConfigFor(url), [escaped(url), /does not offer TLS, but \[bus\] asks for it/]);
  });

  it('a server that verifies clients takes the client certificate from tls_cert_file / tls_key_file', async () => {
    await joins(
      busConfigFor(mutualTls.url, {
        tls_ca_file: pki.caFile,
        tls_cert_file: pki.clientCert,
        tls_key_file: pki.clientKey,
      }),
    );
  });

  it('without a client certificate that server refuses, and the error says one is wanted', async () => {
    await refused(busConfigFor(mutualTls.url, { tls_ca_file: pki.caFile }), [
      escaped(mutualTls.url),
      /wants a client certificate: set \[bus\] tls_cert_file and tls_key_file/,
    ]);
  });

  it('a client certificate from a CA the server does not trust is refused, naming the file', async () => {
    await refused(
      busConfigFor(mutualTls.url, {
        tls_ca_file: pki.caFile,
        tls_cert_file: pki.strangerCert,
        tls_key_file: pki.strangerKey,
      }),
      [
        escaped(mutualTls.url),
        escaped(`refused this host's client certificate [bus] tls_cert_file (${pki.strangerCert})`),
      ],
    );
  });

  it('a TLS file that cannot be read, or a certificate without its key, is a config error naming the key', async () => {
    const missing = join(pki.dir, 'no-such-ca.pem');
    await refused(
      busConfigFor(serverTls.url, { tls_ca_file: missing }),
      [escaped(`[bus] tls_ca_file "${missing}" cannot be read`)],
      'CONFIG_INVALID',
    );
    await refused(
      busConfigFor(mutualTls.url, { tls_ca_file: pki.caFile, tls_cert_file: pki.clientCert }),
      [/\[bus\] tls_cert_file and tls_key_file go together/],
      'CONFIG_INVALID',
    );
  });

  const agentToml = (url: string) => `
[application]
name = "tlsagent"
[agent]
id = "tlsagent"
[bus]
url = "${url}"
tls_ca_file = "${pki.caFile}"
tls_cert_file = "${pki.clientCert}"
tls_key_file = "${pki.clientKey}"
[simulation]
enabled = true
[storage]
output_dir = "${join(pki.dir, 'agent-data')}"
[[instruments]]
id = "meter"
type = "Newport1830C"
config = { serial_port = "/dev/ttyUSB2" }
`;

  it('an agent configured with [bus] tls_* files joins the site over mutual TLS', async () => {
    const agent = startSiteProcess('agent', join(pki.dir, 'agent.toml'), agentToml(mutualTls.url));
    try {
      await agent.waitFor(/joined site/);
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
  });

  it('a joined agent logs why it cannot reconnect when the server comes back with a certificate it does not trust', async () => {
    writeFileSync(
      join(pki.dir, 'impostor.conf'),
      `tls { cert_file: "${pki.impostorCert}", key_file: "${pki.impostorKey}", ca_file: "${pki.caFile}", verify: true }\n`,
    );
    const impostor = new PrivateNatsServer(['-c', join(pki.dir, 'impostor.conf')]);
    const agent = startSiteProcess('agent', join(pki.dir, 'rotated.toml'), agentToml(mutualTls.url));
    try {
      await agent.waitFor(/joined site/);
      await mutualTls.stop();
      impostor.port = mutualTls.port;
      await impostor.start();
      const why = await agent.waitFor(/still retrying/);
      assert.equal(why.level, 'error');
      assert.match(
        String(why.msg),
        escaped(
          `TLS with the NATS server at ${mutualTls.url} failed for agent:tlsagent: the server's certificate is not signed by the CA in [bus] tls_ca_file (${pki.caFile})`,
        ),
      );
      await impostor.stop();
      await mutualTls.start();
      await agent.waitFor(/NATS server back: sending a fresh birth/);
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
      await impostor.dispose();
      if (!mutualTls.running) await mutualTls.start();
    }
  });
});

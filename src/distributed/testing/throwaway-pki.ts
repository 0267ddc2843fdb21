import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ThrowawayPki {
  dir: string;
  /** The CA that signed the server and client certificates. */
  caFile: string;
  /** A CA that signed nothing here: trusting it must not be enough. */
  otherCaFile: string;
  /** The server's certificate, issued for the IP address 127.0.0.1 only (no DNS name). */
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A server certificate for 127.0.0.1 signed by the other CA: a server the client must not trust. */
  impostorCert: string;
  impostorKey: string;
  /** A client certificate signed by the other CA. */
  strangerCert: string;
  strangerKey: string;
  dispose(): void;
}

/** A CA, a server and a client certificate, made with openssl in a temporary directory, valid a day. */
export async function makeThrowawayPki(): Promise<ThrowawayPki> {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-pki-'));
  const at = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) =>
    run('openssl', [
      'req',
      '-x509',
      ...ec,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      at(`${name}.key`),
      '-out',
      at(`${name}.pem`),
    ]);
  const issue = async (name: string, by: string, san?: string) => {
    await run('openssl', [
      'req',
      ...ec,
      '-subj',
      `/CN=${name}`,
      '-keyout',
      at(`${name}.key`),
      '-out',
      at(`${name}.csr`),
    ]);
    const ext = san ? ['-extfile', at(`${name}.ext`)] : [];
    if (san) writeFileSync(at(`${name}.ext`), `subjectAltName=${san}\n`);
    await run('openssl', [
      'x509',
      '-req',
      '-days',
      '1',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at(`${by}.pem`),
      '-CAkey',
      at(`${by}.key`),
      '-CAcreateserial',
      '-CAserial',
      at(`${name}.srl`),
      '-out',
      at(`${name}.pem`),
      ...ext,
    ]);
  };
  await Promise.all([ca('test-ca'), ca('other-ca')]);
  await Promise.all([
    issue('server', 'test-ca', 'IP:127.0.0.1'),
    issue('client', 'test-ca'),
    issue('stranger', 'other-ca'),
    issue('impostor', 'other-ca', 'IP:127.0.0.1'),
  ]);
  return {
    dir,
    caFile: at('test-ca.pem'),
    otherCaFile: at('other-ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    impostorCert: at('impostor.pem'),
    impostorKey: at('impostor.key'),
    strangerCert: at('stranger.pem'),
    strangerKey: at('stranger.key'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Whether openssl is on this machine (the TLS tests are skipped, saying so, without it). */
export async function hasOpenssl(): Promise<boolean> {
  return run('openssl', ['version']).then(
    () => true,
    () => false,
  );
}

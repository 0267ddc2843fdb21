import { readFile } from 'node:fs/promises';
import { createConnection, isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { BusTlsOptions } from './bus-connection.ts';

/**
 * One TLS handshake with a NATS server, as the client makes it (INFO in the clear, then TLS: 2.9
 * has no TLS-first), and a PING inside it. Resolves with the TLS error the server's alert caused
 * (a refused or missing client certificate), or undefined when the handshake and PING went through,
 * nothing listened, or nothing happened within `timeoutMs`.
 */
export async function probeTls(
  server: { host: string; port: number },
  tls: BusTlsOptions,
  timeoutMs: number,
): Promise<Error | undefined> {
  const [ca, cert, key] = await Promise.all(
    [tls.caFile, tls.certFile, tls.keyFile].map((f) => (f ? readFile(f) : undefined)),
  );
  return new Promise((resolve) => {
    const raw = createConnection(server.port, server.host);
    let secured: TLSSocket | undefined;
    let done = false;
    const finish = (error: Error | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      secured?.destroy();
      raw.destroy();
      resolve(error);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    raw.once('error', () => finish(undefined));
    let info = '';
    const onInfo = (chunk: Buffer) => {
      info += chunk.toString('latin1');
      if (!info.includes('\r\n')) return;
      raw.off('data', onInfo);
      secured = connect({
        socket: raw,
        ...(isIP(server.host) ? {} : { servername: server.host }),
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(tls.checkServerIdentity ? { checkServerIdentity: tls.checkServerIdentity } : {}),
      });
      secured.once('error', finish);
      secured.once('secureConnect', () => secured?.write('PING\r\n'));
      secured.once('data', () => finish(undefined));
      secured.once('close', () => finish(undefined));
    };
    raw.on('data', onInfo);
  });
}

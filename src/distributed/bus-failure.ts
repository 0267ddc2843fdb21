import type { BusConfig } from './bus-connection.ts';

export type BusFailureKind = 'auth' | 'tls' | 'unreachable';

/** Node's error code, looked for down the cause chain (the client wraps TLS errors in its own). */
function errorCode(error: unknown): string {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 5;
    e = e.cause as typeof e, i++
  )
    if (typeof e.code === 'string') return e.code;
  return '';
}

const UNTRUSTED =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED)$/;

/** What a TLS failure means and which `[bus]` setting to look at, or null when it is not one. */
function tlsProblem(bus: BusConfig, code: string, message: string): string | null {
  if (UNTRUSTED.test(code))
    return bus.tls_ca_file
      ? `the server's certificate is not signed by the CA in [bus] tls_ca_file (${bus.tls_ca_file})`
      : `the server's certificate is not signed by a CA this host trusts: set [bus] tls_ca_file to the CA that signed it`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `the server's certificate is outside its validity period`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the server's certificate is not issued for the host in [bus] url`;
  if (/^ERR_SSL_.*ALERT/.test(code))
    return bus.tls_cert_file
      ? `the server refused this host's client certificate [bus] tls_cert_file (${bus.tls_cert_file}): is it signed by a CA the server trusts?`
      : `the server wants a client certificate: set [bus] tls_cert_file and tls_key_file`;
  if (/^ERR_(SSL|TLS)_/.test(code)) return 'the TLS handshake failed';
  if (/server does not support 'tls'|tls is not available/i.test(message))
    return `the server does not offer TLS, but [bus] asks for it (a tls_* file or a tls:// url)`;
  return null;
}

/** One sentence naming the server, who connected, what failed and the `[bus]` setting to check. */
export function explainBusFailure(
  bus: BusConfig,
  name: string,
  error: Error,
): { message: string; kind: BusFailureKind } {
  // Node's hint about --use-system-ca points away from the setting that fixes it here.
  // OpenSSL's own text ("…:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:../deps/…")
  // is kept to its reason.
  const message = error.message
    .replace(/; if the root CA is installed locally.*$/s, '')
    .replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):.*$/s, '$1')
    .trim();
  if (/authori[sz]ation|authentication|permission/i.test(message))
    return {
      kind: 'auth',
      message: `the NATS server at ${bus.url} refused ${name}'s credentials: ${message} (check [bus] user/password, nkey_seed_file or creds_file)`,
    };
  const tls = tlsProblem(bus, errorCode(error), message);
  if (tls)
    return {
      kind: 'tls',
      message: `TLS with the NATS server at ${bus.url} failed for ${name}: ${tls} (${message})`,
    };
  return { kind: 'unreachable', message: `cannot connect to the NATS server at ${bus.url}: ${message}` };
}

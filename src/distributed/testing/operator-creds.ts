import { randomUUID } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createUser>;

const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A NATS JWT (v2, alg ed25519-nkey) for `subject`, signed by `issuer`, as nsc would write it. */
function jwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const claims = {
    jti: randomUUID().replaceAll('-', '').toUpperCase(),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  const body = base64url(JSON.stringify(claims));
  return `${header}.${body}.${base64url(issuer.sign(new TextEncoder().encode(`${header}.${body}`)))}`;
}

const unlimited = { subs: -1, data: -1, payload: -1 };

/**
 * An operator, one account with JetStream and users in it: what `nsc` makes, without nsc. The
 * server trusts the operator and has the account preloaded (resolver MEMORY); each user's .creds
 * file holds its JWT and seed.
 */
export function makeOperator() {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  // JetStream will not start in operator mode without a system account.
  const system = nkeys.createAccount();
  const operatorJwt = jwt(operator, operator.getPublicKey(), 'test-operator', {
    type: 'operator',
    system_account: system.getPublicKey(),
  });
  const systemJwt = jwt(operator, system.getPublicKey(), 'SYS', { type: 'account' });
  const accountJwt = jwt(operator, account.getPublicKey(), 'test-account', {
    type: 'account',
    limits: {
      ...unlimited,
      imports: -1,
      exports: -1,
      wildcards: true,
      conn: -1,
      leaf: -1,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
  });
  return {
    serverConfig: [
      `operator: "${operatorJwt}"`,
      `system_account: ${system.getPublicKey()}`,
      'resolver: MEMORY',
      `resolver_preload: { ${account.getPublicKey()}: "${accountJwt}", ${system.getPublicKey()}: "${systemJwt}" }`,
      '',
    ].join('\n'),
    /** A .creds file's text for a new user of the account, signed by `signer` (the account unless told). */
    userCreds(name: string, signer: KeyPair = account): string {
      const user = nkeys.createUser();
      const userJwt = jwt(signer, user.getPublicKey(), name, {
        type: 'user',
        ...unlimited,
        pub: {},
        sub: {},
      });
      return `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${text(user.getSeed())}\n------END USER NKEY SEED------\n`;
    },
    /** An account the server has never heard of: its users' JWTs must not be accepted. */
    strangerAccount: (): KeyPair => nkeys.createAccount(),
  };
}

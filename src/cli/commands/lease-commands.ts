import { userInfo } from 'node:os';
import type { BenchtopConfig } from '../../config/schema.ts';
import { systemClock } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

/**
 * `benchtop agent lease take|release|list`: an operator at an instrument host takes control of
 * one of its instruments, so no hub drives it meanwhile (src/distributed/operator-lease.ts). It
 * talks to the site's NATS server with the agent's own `[bus]` credentials from the same file.
 */

interface LeaseFlags extends ConfigFlags {
  instrument?: string;
  ttl?: string;
  note?: string;
  operator?: string;
  json?: boolean;
}

async function configOf(flags: ConfigFlags, env: NodeJS.ProcessEnv): Promise<BenchtopConfig> {
  const { loadBenchtopConfig } = await import('../../app/load-benchtop-config.ts');
  return loadBenchtopConfig({ file: resolveConfigFile(flags.config, env), env, flags: flagOverrides(flags) })
    .config;
}

/** `90`, `90s`, `30m`, `2h` → milliseconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(text.trim());
  const factor = { s: 1_000, m: 60_000, h: 3_600_000 }[m?.[2] ?? 's'];
  const ms = m && factor ? Number(m[1]) * factor : Number.NaN;
  if (!(ms >= 1_000))
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `--ttl ${text}: give a duration of at least 1 s, e.g. 90s, 30m or 2h`,
      {
        ttl: text,
      },
    );
  return ms;
}

/** The agent's id, and the instrument checked to be one of its own (the lease is for this host's instruments). */
function agentInstrument(
  config: BenchtopConfig,
  instrument: string | undefined,
): { agent: string; instrument: string } {
  const agent = config.agent.id;
  if (!agent)
    throw new BenchtopError(
      'CONFIG_INVALID',
      "benchtop agent lease needs [agent] id in the configuration (the agent host's file)",
    );
  const own = config.instruments.filter((i) => i.enabled).map((i) => i.id);
  if (!instrument || !own.includes(instrument))
    throw new BenchtopError(
      'INSTRUMENT_NOT_FOUND',
      `${instrument ? `"${instrument}" is not an instrument of agent ${agent}` : '--instrument is required'}; its instruments: ${own.join(', ') || 'none'}`,
      { instrument, agent, known: own },
    );
  return { agent, instrument };
}

async function leasesBucket(config: BenchtopConfig, agent: string) {
  const [{ connectBus }, { openBuckets }] = await Promise.all([
    import('../../distributed/bus-connection.ts'),
    import('../../distributed/buckets.ts'),
  ]);
  const nc = await connectBus(config.bus, `operator:${agent}`);
  try {
    return { nc, kv: (await openBuckets(nc, config.agent.site)).leases };
  } catch (error) {
    await nc.close().catch(() => {});
    throw error;
  }
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * `lease take`: without --ttl, held while the command runs (renewed every third of
 * `[bus] lease_ttl_ms`) and released on Ctrl-C or SIGTERM; with --ttl, taken for that long and
 * the command returns (`lease release` ends it sooner).
 */
export async function leaseTake(inv: Invocation<LeaseFlags, unknown>): Promise<number | undefined> {
  const config = await configOf(inv.options, inv.env);
  const { agent, instrument } = agentInstrument(config, inv.options.instrument);
  const ttlMs = inv.options.ttl !== undefined ? parseTtl(inv.options.ttl) : null;
  const operator = inv.options.operator ?? inv.env.USER ?? userInfo().username;
  const { OperatorLease } = await import('../../distributed/operator-lease.ts');
  const { describeHolder } = await import('../../distributed/control-lease.ts');
  const { nc, kv } = await leasesBucket(config, agent);
  const lease = new OperatorLease(instrument, {
    kv,
    clock: systemClock,
    agent,
    operator,
    ...(inv.options.note ? { note: inv.options.note } : {}),
    ttlMs: ttlMs ?? config.bus.lease_ttl_ms,
    hubTtlMs: config.bus.lease_ttl_ms,
  });
  let record: Awaited<ReturnType<typeof lease.take>>;
  try {
    record = await lease.take();
  } catch (error) {
    await nc.close().catch(() => {});
    throw error;
  }
  const who = describeHolder(record);
  if (ttlMs !== null) {
    await nc.close();
    inv.out.write(
      `${instrument}: controlled by ${who} for ${seconds(ttlMs)} (until ${new Date(record.renewedAt + ttlMs).toISOString()}); hubs are refused. End it sooner with: benchtop agent lease release --instrument ${instrument}\n`,
    );
    return undefined;
  }
  inv.out.write(
    `${instrument}: controlled by ${who}; hubs are refused until this command ends (Ctrl-C releases it; renewed every ${seconds(config.bus.lease_ttl_ms / 3)})\n`,
  );
  return await new Promise<number>((resolve) => {
    let ending = false;
    const end = (code: number, released: boolean) => {
      ending = true;
      lease.release().then(
        (deleted) => {
          if (released) inv.out.write(`${instrument}: ${deleted ? 'released' : 'was no longer held'}\n`);
          return finish(code);
        },
        (error: unknown) => {
          inv.err.write(
            `benchtop: could not release ${instrument} (${(error as Error).message}); it lapses ${seconds(config.bus.lease_ttl_ms)} after its last renewal\n`,
          );
          return finish(1);
        },
      );
    };
    const finish = async (code: number) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await nc.close().catch(() => {});
      resolve(code);
    };
    const onSignal = () => {
      // A second Ctrl-C while the release waits for the server: leave at once, the lease lapses.
      if (ending) process.exit(130);
      end(0, true);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    lease.keepRenewed(
      (why) => {
        inv.err.write(`benchtop: ${why}; hubs may drive ${instrument} again\n`);
        end(1, false);
      },
      (error) =>
        inv.err.write(
          `benchtop: renewing the lease of ${instrument} failed (${(error as Error).message}); retrying\n`,
        ),
    );
  });
}

/** `lease release`: drops an operator's lease on one of this agent's instruments (never a hub's). */
export async function leaseRelease(inv: Invocation<LeaseFlags, unknown>): Promise<undefined> {
  const config = await configOf(inv.options, inv.env);
  const { agent, instrument } = agentInstrument(config, inv.options.instrument);
  const { releaseOperatorLease } = await import('../../distributed/operator-lease.ts');
  const { describeHolder } = await import('../../distributed/control-lease.ts');
  const { nc, kv } = await leasesBucket(config, agent);
  try {
    const released = await releaseOperatorLease(kv, instrument, agent);
    inv.out.write(
      released
        ? `${instrument}: released (was ${describeHolder(released)})\n`
        : `${instrument}: no lease was held\n`,
    );
  } finally {
    await nc.close().catch(() => {});
  }
  return undefined;
}

/** `lease list`: every control lease on the site, hubs' and operators'. */
export async function leaseList(inv: Invocation<LeaseFlags, unknown>): Promise<undefined> {
  const config = await configOf(inv.options, inv.env);
  const agent = config.agent.id ?? 'operator';
  const { listLeases } = await import('../../distributed/operator-lease.ts');
  const { describeHolder, leaseTtlMs } = await import('../../distributed/control-lease.ts');
  const { nc, kv } = await leasesBucket(config, agent);
  try {
    const leases = await listLeases(kv);
    const now = systemClock.now();
    if (inv.options.json) {
      inv.out.write(`${JSON.stringify(leases, null, 2)}\n`);
      return undefined;
    }
    if (leases.length === 0) inv.out.write('no control leases are held\n');
    for (const l of leases) {
      const left = leaseTtlMs(l, config.bus.lease_ttl_ms) - (now - l.renewedAt);
      inv.out.write(
        `${l.instrument}\t${describeHolder(l)}\t${l.local ? 'local' : 'hub'}\trenewed ${seconds(now - l.renewedAt)} ago\t${left > 0 ? `lapses in ${seconds(left)}` : 'lapsed'}\n`,
      );
    }
  } finally {
    await nc.close().catch(() => {});
  }
  return undefined;
}

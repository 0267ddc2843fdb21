import { type KV, KvWatchInclude } from '@nats-io/kv';
import type { Logger } from '../core/logger.ts';
import type { ParameterLogGroupConfig } from '../storage/timeseries/parameter-logger.ts';
import { DelegatedLogGroups, decode, encode, PROTOCOL_VERSION } from './messages.ts';
import { fromKvKey, kvKey } from './subjects.ts';

/**
 * A hub's `[[logging.groups]]` may name signals of instruments on agents. Those are not sampled
 * at the hub (a sample read over the bus would be stamped late and lost in a cut): the hub
 * publishes them in the site's `log_groups` bucket and each agent samples the signals of its
 * own instruments on the group's schedule, stamped at acquisition, through its outbox and the
 * LOG stream like its own groups. The key stays when the hub stops, so logging goes on (and
 * is buffered in JetStream) while the hub is away.
 */

/** Splits groups into the signals this process samples and those an agent does. */
export function splitGroups(
  groups: readonly ParameterLogGroupConfig[],
  isLocal: (instrument: string) => boolean,
): { local: ParameterLogGroupConfig[]; remote: ParameterLogGroupConfig[] } {
  const local: ParameterLogGroupConfig[] = [];
  const remote: ParameterLogGroupConfig[] = [];
  for (const group of groups) {
    const mine = group.signals.filter((s) => isLocal(s.split('.')[0]!));
    const theirs = group.signals.filter((s) => !isLocal(s.split('.')[0]!));
    if (mine.length > 0) local.push({ ...group, signals: mine });
    if (theirs.length > 0) remote.push({ ...group, signals: theirs });
  }
  return { local, remote };
}

/** The hub's side: its remote groups, replacing what it published before. */
export async function publishDelegatedGroups(
  kv: KV,
  hubId: string,
  groups: readonly ParameterLogGroupConfig[],
): Promise<void> {
  const key = kvKey(hubId);
  if (groups.length === 0) {
    if (await kv.get(key)) await kv.delete(key);
    return;
  }
  await kv.put(
    key,
    encode(DelegatedLogGroups, {
      v: PROTOCOL_VERSION,
      hub: hubId,
      groups: groups.map((g) => ({ name: g.name, interval_s: g.interval_s, signals: [...g.signals] })),
    }),
  );
}

/**
 * The agent's side: watches the bucket and calls `apply` with the groups it must sample now
 * (each hub's groups cut down to this agent's instruments, named `<hub>/<group>`), whenever
 * that changes.
 */
export class DelegatedGroupWatch {
  private readonly byHub = new Map<string, ParameterLogGroupConfig[]>();
  private last = '[]';
  private stopped = false;
  private readonly kv: KV;
  private readonly owns: (instrument: string) => boolean;
  private readonly apply: (groups: ParameterLogGroupConfig[]) => void;
  private readonly log: Logger;

  constructor(options: {
    kv: KV;
    owns: (instrument: string) => boolean;
    apply: (groups: ParameterLogGroupConfig[]) => void;
    logger: Logger;
  }) {
    this.kv = options.kv;
    this.owns = options.owns;
    this.apply = options.apply;
    this.log = options.logger.child({ component: 'parameter-log' });
  }

  /** Resolves once the current values are applied; later changes follow in the background. */
  async start(): Promise<void> {
    const iterator = await this.kv.watch({ include: KvWatchInclude.LastValue });
    let initial = true;
    const settled = Promise.withResolvers<void>();
    void (async () => {
      for await (const entry of iterator) {
        if (this.stopped) break;
        if (entry.operation === 'PUT') {
          try {
            const published = decode(DelegatedLogGroups, entry.value, 'delegated log groups');
            this.byHub.set(published.hub, published.groups);
          } catch (error) {
            this.log.warn({ err: error, key: entry.key }, 'ignored unreadable delegated log groups');
          }
        } else this.byHub.delete(fromKvKey(entry.key));
        if (initial && entry.delta === 0) {
          initial = false;
          settled.resolve();
        }
        if (!initial) this.changed();
      }
    })();
    // An empty bucket sends nothing: give it until the watcher reports no pending entries.
    if ((await this.kv.status()).values === 0) {
      initial = false;
      settled.resolve();
    }
    await settled.promise;
    this.changed();
  }

  private changed(): void {
    const groups: ParameterLogGroupConfig[] = [];
    for (const [hub, list] of [...this.byHub].sort(([a], [b]) => a.localeCompare(b))) {
      for (const group of list) {
        const signals = group.signals.filter((s) => this.owns(s.split('.')[0]!));
        if (signals.length > 0)
          groups.push({ name: `${hub}/${group.name}`, interval_s: group.interval_s, signals });
      }
    }
    const now = JSON.stringify(groups);
    if (now === this.last) return;
    this.last = now;
    this.log.info({ groups }, `sampling ${groups.length} logging group(s) delegated by hubs`);
    this.apply(groups);
  }

  stop(): void {
    this.stopped = true;
  }
}

import { ChildHandle } from './child-process.ts';
import type { RoundOutcome } from './rounds.ts';
import { median, spread } from './stats.ts';

/** A client that serves timed blocks of queries on request (bench/children/query-blocks.ts). */
export interface BlockClient {
  name: string;
  command: string;
  args: readonly string[];
  /** Why it cannot run here, or null. */
  unavailable?: string | null;
}

export interface InterleavedOutcome {
  /** Each client's queries/s over its blocks. */
  rates: Record<string, RoundOutcome>;
  /** Per anchor: the median over blocks of `ours`' rate ÷ that anchor's in the same turn. */
  pairedRatios: Record<string, number>;
}

/**
 * Every client connects and warms up once, then they take turns: in each turn each client runs
 * one block of `queriesPerBlock` queries, one client at a time, the order rotated from turn to
 * turn. A turn lasts a fraction of a second, so a change in the machine's speed mid-run (this
 * VM's wake-up latency drifts) falls on all of them alike, where whole runs one after another
 * (`alternate`) each met a different machine.
 */
export async function interleavedBlocks(options: {
  clients: readonly BlockClient[];
  ours: string;
  turns: number;
  queriesPerBlock: number;
  log: (message: string) => void;
  timeoutMs: number;
}): Promise<InterleavedOutcome> {
  const available = options.clients.filter((c) => !c.unavailable);
  const children = new Map<string, ChildHandle>();
  const rates = new Map<string, number[]>(available.map((c) => [c.name, []]));
  let nextBlock = 0;
  try {
    for (const client of available) {
      const child = new ChildHandle(client.command, client.args, { stdin: true });
      children.set(client.name, child);
      await child.waitForLine((line) => line.includes('"ready"'), options.timeoutMs, `${client.name} ready`);
    }
    for (let turn = 0; turn < options.turns; turn++) {
      for (let i = 0; i < available.length; i++) {
        const client = available[(turn + i) % available.length]!;
        const child = children.get(client.name)!;
        const block = nextBlock++;
        child.writeLine(`${block} ${options.queriesPerBlock}`);
        const line = await child.waitForLine(
          (l) => l.startsWith('{') && (JSON.parse(l) as { block?: number }).block === block,
          options.timeoutMs,
          `${client.name} block ${block}`,
        );
        rates.get(client.name)!.push((JSON.parse(line) as { queries_per_s: number }).queries_per_s);
      }
      if ((turn + 1) % Math.max(1, Math.round(options.turns / 5)) === 0 || turn + 1 === options.turns) {
        const last = available.map((c) => `${c.name} ${Math.round(rates.get(c.name)!.at(-1)!)}`).join(', ');
        options.log(`  turn ${turn + 1}/${options.turns}: ${last}`);
      }
    }
  } finally {
    for (const child of children.values()) {
      if (child.running) child.writeLine('');
    }
    await Promise.all(
      [...children.values()].map(async (child) => {
        const timer = setTimeout(() => void child.stop(2_000), 10_000);
        await child.exited;
        clearTimeout(timer);
      }),
    );
  }
  const outcome: Record<string, RoundOutcome> = {};
  for (const client of options.clients) {
    const got = rates.get(client.name);
    outcome[client.name] =
      client.unavailable || !got || got.length === 0
        ? { missing: client.unavailable ?? 'no measurement' }
        : spread(got);
  }
  const pairedRatios: Record<string, number> = {};
  const ours = rates.get(options.ours);
  for (const [name, theirs] of rates) {
    if (name === options.ours || !ours || ours.length !== theirs.length) continue;
    pairedRatios[name] = median(ours.map((value, turn) => value / theirs[turn]!));
  }
  return { rates: outcome, pairedRatios };
}

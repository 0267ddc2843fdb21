import { type Spread, spread } from './stats.ts';

/** One side of a comparison: Benchtop or an anchor. A contender that cannot run says why up front. */
export interface Contender {
  name: string;
  /** Why this contender cannot run here (e.g. its Debian package is not installed), or null. */
  unavailable?: string | null;
  /** One measurement. */
  run(round: number): Promise<number>;
}

export type RoundOutcome = Spread | { missing: string };

export interface AlternateOptions {
  /**
   * Idle time before every measurement, so each contender starts from the same machine state
   * rather than from whatever the previous one left behind (see the camera benchmark).
   */
  settleMs?: number;
}

/**
 * Runs every contender once per round, rotating who goes first each round so that warm
 * caches, disk write-back or a neighbour's load do not always favour the same one. Returns
 * each contender's spread over the rounds, or why it has none.
 */
export async function alternate(
  rounds: number,
  contenders: readonly Contender[],
  log: (message: string) => void,
  options: AlternateOptions = {},
): Promise<Record<string, RoundOutcome>> {
  const values = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const errors = new Map<string, string>();
  const active = contenders.filter((c) => !c.unavailable);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < active.length; i++) {
      const contender = active[(round + i) % active.length]!;
      if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
      try {
        const value = await contender.run(round);
        values.get(contender.name)!.push(value);
        log(`  round ${round + 1}/${rounds} ${contender.name}: ${value.toPrecision(4)}`);
      } catch (error) {
        const message = (error as Error).message.split('\n')[0]!.slice(0, 300);
        errors.set(contender.name, message);
        log(`  round ${round + 1}/${rounds} ${contender.name} failed: ${message}`);
      }
    }
  }
  const outcome: Record<string, RoundOutcome> = {};
  for (const c of contenders) {
    const got = values.get(c.name)!;
    if (c.unavailable) outcome[c.name] = { missing: c.unavailable };
    else if (got.length === 0) outcome[c.name] = { missing: errors.get(c.name) ?? 'no measurement' };
    else outcome[c.name] = spread(got);
  }
  return outcome;
}

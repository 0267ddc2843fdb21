import type { Instrument } from '../core/instrument.ts';

interface Move {
  target: string;
  instrument: Instrument;
  signal: string;
  group: string | undefined;
  done: Promise<void>;
}

/**
 * The moves a run has started and not yet seen finish. A step normally waits for its move,
 * but an interrupted step stops waiting while the motor keeps going: on pause, suspend or
 * abort the engine stops what is still moving, so instruments are left at rest.
 */
export class MotionGuard {
  private readonly moves = new Set<Move>();

  track(target: string, instrument: Instrument, signal: string, done: Promise<void>, group?: string): void {
    const move: Move = { target, instrument, signal, group, done };
    this.moves.add(move);
    const finish = () => {
      this.moves.delete(move);
    };
    // A failed move is reported by whoever awaits it (the step or `wait`), not as unhandled.
    done.then(finish, finish);
  }

  /** Every unfinished move (of `group`, if given); rejects with the first failure. */
  async settle(group?: string): Promise<void> {
    const pending = [...this.moves].filter((m) => group === undefined || m.group === group);
    await Promise.all(pending.map((m) => m.done));
  }

  moving(): string[] {
    return [...this.moves].map((m) => m.target);
  }

  /**
   * Stops every device still moving, with the most specific stop action it has
   * (`axis1.stop` for `axis1.position`, else `stop`). Returns what could not be stopped.
   */
  async stopAll(): Promise<{ target: string; reason: string }[]> {
    const moves = [...this.moves];
    const failures: { target: string; reason: string }[] = [];
    await Promise.all(
      moves.map(async (move) => {
        const action = stopActionFor(move.instrument, move.signal);
        if (!action) {
          failures.push({ target: move.target, reason: `${move.instrument.id} has no stop action` });
          return;
        }
        try {
          await move.instrument.call(action, {});
        } catch (error) {
          failures.push({
            target: move.target,
            reason: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
    return failures;
  }
}

/** `axis1.stop` for `axis1.position`, then `stop`: the first the instrument declares. */
export function stopActionFor(instrument: Instrument, signal: string): string | undefined {
  const actions = new Set(instrument.describe().actions.map((a) => a.name));
  const parts = signal.split('.');
  for (let n = parts.length - 1; n >= 0; n--) {
    const name = [...parts.slice(0, n), 'stop'].join('.');
    if (actions.has(name)) return name;
  }
  return undefined;
}

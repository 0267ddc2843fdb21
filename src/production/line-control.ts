import type { LineConfig } from '../config/line-schema.ts';
import type { Clock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import type { LinePlc } from './line-interfaces.ts';

export const LineCommands = ['run', 'stop', 'reset', 'emergency_stop', 'release_emergency_stop'] as const;
export type LineCommand = (typeof LineCommands)[number];

/** How long `Line.Reset` is held true (the guide's pulse: true, then false after 1 s). */
export const RESET_PULSE_MS = 1000;

/**
 * Runs, stops, resets and emergency-stops a line by writing its PLC's command tags
 * (`run_tag`, `reset_tag`, `emergency_stop_tag`). Who may do which is the route's business;
 * this only knows the tags. The PLC's own program refuses a run during an emergency stop.
 */
export class LineControl {
  private readonly line: LineConfig;
  private readonly plc: LinePlc;
  private readonly clock: Clock;
  private readonly onError: (error: unknown) => void;

  constructor(options: { line: LineConfig; plc: LinePlc; clock: Clock; onError?: (error: unknown) => void }) {
    this.line = options.line;
    this.plc = options.plc;
    this.clock = options.clock;
    this.onError = options.onError ?? (() => {});
  }

  /** The commands this line's config has tags for. */
  get commands(): LineCommand[] {
    return LineCommands.filter((c) => this.tagOf(c) !== undefined);
  }

  /** Writes the command's tag; a reset's tag falls back to false after RESET_PULSE_MS. */
  async execute(command: LineCommand): Promise<{ tag: string; value: boolean }> {
    const tag = this.tagOf(command);
    if (tag === undefined)
      throw new BenchtopError('CONFIG_INVALID', `Line ${this.line.id} has no tag for "${command}"`, {
        line: this.line.id,
        command,
      });
    const value = command === 'run' || command === 'reset' || command === 'emergency_stop';
    await this.plc.write(tag, value);
    if (command === 'reset')
      this.clock.setTimeout(() => {
        this.plc.write(tag, false).catch((error: unknown) => this.onError(error));
      }, RESET_PULSE_MS);
    return { tag, value };
  }

  /** Any tag of the line's PLC; the PLC instrument refuses what its config does not make writable. */
  async writeTag(tag: string, value: number | boolean): Promise<void> {
    await this.plc.write(tag, value);
  }

  private tagOf(command: LineCommand): string | undefined {
    switch (command) {
      case 'run':
      case 'stop':
        return this.line.run_tag;
      case 'reset':
        return this.line.reset_tag;
      case 'emergency_stop':
      case 'release_emergency_stop':
        return this.line.emergency_stop_tag;
    }
  }
}

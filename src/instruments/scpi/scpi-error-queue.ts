/** Standard SCPI error texts for the codes the simulated DMM raises. */
export const scpiErrorText: Record<number, string> = {
  [-100]: 'Command error',
  [-101]: 'Invalid character',
  [-102]: 'Syntax error',
  [-108]: 'Parameter not allowed',
  [-109]: 'Missing parameter',
  [-113]: 'Undefined header',
  [-114]: 'Header suffix out of range',
  [-200]: 'Execution error',
  [-221]: 'Settings conflict',
  [-222]: 'Data out of range',
  [-224]: 'Illegal parameter value',
  [-350]: 'Queue overflow',
};

export interface ScpiErrorEntry {
  code: number;
  text: string;
}

/**
 * The instrument's error/event queue as SCPI-99 defines it: first in, first out; when full,
 * the newest entry is replaced by -350 "Queue overflow" and later errors are lost until
 * something is read. `*CLS` empties it, `*RST` does not.
 */
export class ScpiErrorQueue {
  private readonly entries: ScpiErrorEntry[] = [];
  private readonly capacity: number;

  constructor(capacity = 20) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.entries.length;
  }

  push(code: number, detail?: string): void {
    const base = scpiErrorText[code] ?? 'Error';
    if (this.entries.length < this.capacity) {
      this.entries.push({ code, text: detail ? `${base};${detail}` : base });
      return;
    }
    this.entries[this.capacity - 1] = { code: -350, text: scpiErrorText[-350]! };
  }

  /** Oldest entry, removed; `0,"No error"` when empty. */
  next(): ScpiErrorEntry {
    return this.entries.shift() ?? { code: 0, text: 'No error' };
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/** The `SYST:ERR?` reply text: `-113,"Undefined header"`. Quotes in the text are doubled. */
export function formatErrorEntry(entry: ScpiErrorEntry): string {
  return `${entry.code},"${entry.text.replaceAll('"', '""')}"`;
}

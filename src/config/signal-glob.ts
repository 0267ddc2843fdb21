/**
 * A `[[logging.groups]] points` pattern over `instrument.signal` paths. `*` stands for any run
 * of characters, dots included: signal names have dots of their own (`stage.axis1.position`),
 * so `plc.*` must reach every signal of `plc` however deep, and `*.temperature` any signal
 * named `temperature` at the end of a path. Every other character stands for itself.
 */
export interface SignalGlob {
  readonly pattern: string;
  matches(path: string): boolean;
  /** Whether some signal of this instrument could match (saves describing the others). */
  mayMatchInstrument(id: string): boolean;
}

export function signalGlob(pattern: string): SignalGlob {
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]-]/g, '\\$&'));
  const regex = new RegExp(`^${parts.join('.*')}$`);
  // What every match starts with: the text before the first `*`.
  const head = pattern.split('*')[0]!;
  return {
    pattern,
    matches: (path) => regex.test(path),
    mayMatchInstrument: (id) => {
      const prefix = `${id}.`;
      return prefix.startsWith(head) || head.startsWith(prefix);
    },
  };
}

/**
 * What the line application needs from its instruments, and no more. The LogixPlc and
 * KeyenceCvx drivers implement these through adapters; tests use the fakes in ./testing.
 */

/** The line's PLC: part events, part data, the line state, and the result written back. */
export interface LinePlc {
  /** Calls `listener` on each rising edge (false/0 → true/non-zero) of a BOOL/integer tag. */
  onRisingEdge(tag: string, listener: (time: number) => void): () => void;
  /** Calls `listener` whenever the tag's value changes. */
  onChange(tag: string, listener: (value: unknown, time: number) => void): () => void;
  /**
   * Calls `listener` with every value reported for the tag, repeats included (as re-sent after a
   * reconnect), and with `undefined` when its value becomes unknown (the link was lost).
   */
  onReading(tag: string, listener: (value: unknown, time: number) => void): () => void;
  read(tags: readonly string[]): Promise<Record<string, unknown>>;
  /**
   * The tags' values as of the latest tag scan, once the whole of that scan is published (so,
   * called on a part's edge, the part's id and fields from the same scan as the edge), or
   * undefined when any of them has no good scanned value (then `read` them). Optional: a PLC
   * without a scan image is always read.
   */
  scanned?(tags: readonly string[]): Promise<Record<string, unknown> | undefined>;
  /** A DINT takes a number, a BOOL (RunCmd, Reset, Emergency.Stop) a boolean. */
  write(tag: string, value: number | boolean): Promise<void>;
}

/** One inspection's outputs by name (`scratch_score`, `judgement`, `width_mm`, `scratch_x` …). */
export interface VisionResult {
  fields: Record<string, number>;
  /** The camera's frame/image id, if it gives one. */
  frameId?: string;
}

/**
 * One station's camera. `inspect` triggers and resolves with that trigger's result. The
 * tracker keeps one inspection in flight per station and aborts `signal` at its deadline; the
 * driver must then never hand that late result to the next trigger.
 */
export interface StationVision {
  inspect(signal: AbortSignal): Promise<VisionResult>;
}

/** Where the line's own alarms go (the alarm service); each is also recorded as a line event. */
export interface LineAlarmSink {
  raise(code: string, message: string, context: Record<string, unknown>): void;
  clear(code: string): void;
}

/** Written back to `result_tag`. */
export const PlcResultCodes = { pass: 1, fail: 2, rework: 3 } as const;

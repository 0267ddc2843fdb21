import type { InstrumentKind } from './kind.ts';

/**
 * Driver factories by instrument type name. Each instrument folder exports its kind; this
 * table is the only place that lists them.
 */
export const instrumentKinds: Record<string, InstrumentKind> = {};

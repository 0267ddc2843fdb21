import type { InstrumentKind } from './kind.ts';
import { newport1830cKind } from './newport1830c/kind.ts';

/**
 * Driver factories by instrument type name. Each instrument folder exports its kind; this
 * table is the only place that lists them.
 */
export const instrumentKinds: Record<string, InstrumentKind> = {
  Newport1830C: newport1830cKind,
};

import { esp300Kind } from './esp300/kind.ts';
import type { InstrumentKind } from './kind.ts';
import { logixPlcKind } from './logix/kind.ts';
import { maiTaiKind } from './maitai/kind.ts';
import { newport1830cKind } from './newport1830c/kind.ts';
import { pvcamKind } from './pvcam/kind.ts';
import { scpiKind } from './scpi/kind.ts';

/**
 * Driver factories by instrument type name. Each instrument folder exports its kind; this
 * table is the only place that lists them.
 */
export const instrumentKinds: Record<string, InstrumentKind> = {
  ESP300: esp300Kind,
  LogixPlc: logixPlcKind,
  MaiTai: maiTaiKind,
  Newport1830C: newport1830cKind,
  PVCAMInstrument: pvcamKind,
  ScpiInstrument: scpiKind,
};

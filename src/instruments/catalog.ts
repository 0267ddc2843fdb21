import type { InstrumentConfigSchemas } from '../config/instrument-schemas.ts';
import { esp300Kind } from './esp300/kind.ts';
import type { InstrumentKind } from './kind.ts';
import { maiTaiKind } from './maitai/kind.ts';
import { newport1830cKind } from './newport1830c/kind.ts';
import { pvcamKind } from './pvcam/kind.ts';
import { scpiKind } from './scpi/kind.ts';

/** Every instrument type Benchtop drives, one line each: the only list (its order is the order messages list them in). */
const kinds: readonly InstrumentKind[] = [scpiKind, esp300Kind, pvcamKind, newport1830cKind, maiTaiKind];

/** The kinds by type name. */
export const instrumentKinds: Readonly<Record<string, InstrumentKind>> = Object.fromEntries(
  kinds.map((kind) => [kind.type, kind]),
);

/** Each type's `config` schema, for the config loader, validator and redaction (injected there). */
export const instrumentConfigSchemas: InstrumentConfigSchemas = Object.fromEntries(
  kinds.map((kind) => [kind.type, kind.configSchema]),
);

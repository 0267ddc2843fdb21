import { esp300Kind } from './esp300/kind.ts';
import { genicamCameraKind } from './genicam/kind.ts';
import { keyenceCvxKind } from './keyence/kind.ts';
import { catalogOf } from './kind.ts';
import { logixPlcKind } from './logix/kind.ts';
import { maiTaiKind } from './maitai/kind.ts';
import { modbusPlcKind } from './modbus/kind.ts';
import { newport1830cKind } from './newport1830c/kind.ts';
import { pvcamKind } from './pvcam/kind.ts';
import { scpiKind } from './scpi/kind.ts';
import { stimulusDisplayKind } from './stimulus-display/kind.ts';

/**
 * Every instrument type Benchtop drives, one line each: the only list. The config loader,
 * validator and redaction get its schema table from here (injected: src/config imports no
 * instrument code); tests may build a catalog with more kinds (`catalogOf`).
 */
export const instrumentCatalog = catalogOf([
  scpiKind,
  esp300Kind,
  pvcamKind,
  genicamCameraKind,
  newport1830cKind,
  maiTaiKind,
  keyenceCvxKind,
  modbusPlcKind,
  logixPlcKind,
  stimulusDisplayKind,
]);

/** The kinds by type name. */
export const instrumentKinds = instrumentCatalog.kinds;

/** Each type's `config` schema. */
export const instrumentConfigSchemas = instrumentCatalog.configSchemas;

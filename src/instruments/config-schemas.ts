import type { TObject } from '@sinclair/typebox';
import { Esp300Config } from './esp300/config.ts';
import { LogixPlcConfig } from './logix/config.ts';
import { MaiTaiConfig } from './maitai/config.ts';
import { Newport1830cConfig } from './newport1830c/config.ts';
import { PvcamConfig } from './pvcam/config.ts';
import { ScpiConfig } from './scpi/config.ts';

/**
 * Instrument type names as the lab guide writes them, each with the schema of its `config`.
 * Kept free of driver code so validating a config file loads no drivers.
 */
export const instrumentConfigSchemas: Record<string, TObject> = {
  ScpiInstrument: ScpiConfig,
  ESP300: Esp300Config,
  PVCAMInstrument: PvcamConfig,
  Newport1830C: Newport1830cConfig,
  MaiTai: MaiTaiConfig,
  LogixPlc: LogixPlcConfig,
};

export const knownInstrumentTypes = (): string[] => Object.keys(instrumentConfigSchemas);

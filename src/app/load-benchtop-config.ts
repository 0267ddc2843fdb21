import { type LoadedConfig, type LoadOptions, loadConfig } from '../config/load.ts';
import type { DescribeInstrumentSignals } from '../config/logging-points.ts';
import { systemClock } from '../core/clock.ts';
import { describeDriver } from '../core/device.ts';
import { silentLogger } from '../core/logger.ts';
import { instrumentCatalog } from '../instruments/catalog.ts';
import type { InstrumentCatalog } from '../instruments/kind.ts';

/**
 * `loadConfig` with an instrument catalog's schemas (by default Benchtop's own): how the app, CLI
 * and tests read a configuration.
 */
export function loadBenchtopConfig(
  options: Omit<LoadOptions, 'instrumentSchemas' | 'describeSignals'> = {},
  catalog: InstrumentCatalog = instrumentCatalog,
): LoadedConfig {
  return loadConfig({
    ...options,
    instrumentSchemas: catalog.configSchemas,
    describeSignals: signalsFromDrivers(catalog),
  });
}

/**
 * An instrument's signals as its driver declares them (the one description API, CLI and UI
 * show): a driver is built, never connected. One whose config its driver refuses is not
 * described here; starting it reports why.
 */
function signalsFromDrivers(catalog: InstrumentCatalog): DescribeInstrumentSignals {
  return (entry) => {
    const kind = catalog.kinds[entry.type];
    if (!kind) return undefined;
    try {
      const driver = kind.createDriver(entry.id, entry.config, { clock: systemClock, log: silentLogger() });
      return describeDriver(entry.id, driver).signals;
    } catch {
      return undefined;
    }
  };
}

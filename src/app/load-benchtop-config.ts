import { type LoadedConfig, type LoadOptions, loadConfig } from '../config/load.ts';
import { instrumentCatalog } from '../instruments/catalog.ts';
import type { InstrumentCatalog } from '../instruments/kind.ts';

/**
 * `loadConfig` with an instrument catalog's schemas (by default Benchtop's own): how the app, CLI
 * and tests read a configuration.
 */
export function loadBenchtopConfig(
  options: Omit<LoadOptions, 'instrumentSchemas'> = {},
  catalog: InstrumentCatalog = instrumentCatalog,
): LoadedConfig {
  return loadConfig({ ...options, instrumentSchemas: catalog.configSchemas });
}

import { type LoadedConfig, type LoadOptions, loadConfig } from '../config/load.ts';
import { instrumentConfigSchemas } from '../instruments/catalog.ts';

/** `loadConfig` with the instrument catalog's schemas: how the app, CLI and tests read a configuration. */
export function loadBenchtopConfig(options: Omit<LoadOptions, 'instrumentSchemas'> = {}): LoadedConfig {
  return loadConfig({ ...options, instrumentSchemas: instrumentConfigSchemas });
}

import type { TSchema } from '@sinclair/typebox';
import { type InstrumentConfigSchemas, instrumentSchemasOf } from './instrument-schemas.ts';
import { ConfigSchema } from './schema.ts';

export const REDACTED = '***';

function redactWith(value: unknown, schema: TSchema | undefined): unknown {
  if (schema?.secret === true && value !== undefined) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactWith(v, schema?.items as TSchema | undefined));
  if (typeof value !== 'object' || value === null) return value;
  const props = (schema?.properties ?? {}) as Record<string, TSchema>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = redactWith(
      v,
      props[k] ??
        (schema?.patternProperties
          ? Object.values(schema.patternProperties as Record<string, TSchema>)[0]
          : undefined),
    );
  }
  return out;
}

/**
 * A copy of the configuration with every setting marked `secret` replaced by `***`. Instrument
 * `config` tables are redacted by their type's schema: by default the table the configuration
 * was loaded with.
 */
export function redactConfig<T>(
  config: T,
  instrumentSchemas: InstrumentConfigSchemas = instrumentSchemasOf(config),
): T {
  const out = redactWith(config, ConfigSchema) as { instruments?: { type: string; config: unknown }[] };
  for (const entry of out.instruments ?? []) {
    const schema = instrumentSchemas[entry.type];
    if (schema) entry.config = redactWith(entry.config, schema);
  }
  return out as T;
}

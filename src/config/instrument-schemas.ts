import { type TObject, Type } from '@sinclair/typebox';

/**
 * The schema of each instrument type's `config` table, by type name. The config layer knows no
 * instrument: whoever loads a configuration passes this table (the app and CLI take it from
 * src/instruments/catalog.ts), so validation, defaults and redaction follow the catalog.
 */
export type InstrumentConfigSchemas = Readonly<Record<string, TObject>>;

/** The table each loaded configuration was validated with, so redaction finds the secrets it marks. */
const schemasByConfig = new WeakMap<object, InstrumentConfigSchemas>();

export function rememberInstrumentSchemas(config: object, schemas: InstrumentConfigSchemas): void {
  schemasByConfig.set(config, schemas);
}

export function instrumentSchemasOf(config: unknown): InstrumentConfigSchemas {
  return (typeof config === 'object' && config !== null && schemasByConfig.get(config)) || {};
}

const OPEN_CONFIG: TObject = Type.Object({}, { additionalProperties: true });

/**
 * For commands that read only Benchtop's own sections (`runs --local`, `export --local` read the
 * storage settings): every instrument type is accepted and its `config` kept as written, so
 * loading the file loads no instrument code. `start` and `validate-config` check instruments.
 */
export const instrumentsUnchecked: InstrumentConfigSchemas = new Proxy(
  {},
  {
    get: (_table, type) => (typeof type === 'string' ? OPEN_CONFIG : undefined),
    has: () => true,
  },
);

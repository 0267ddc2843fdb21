import type { TSchema } from '@sinclair/typebox';
import type { ConfigIssue } from './issues.ts';
import { ConfigSchema } from './schema.ts';
import type { TomlPath } from './toml-positions.ts';

/** Environment variables with the prefix that are not settings (the CLI client uses them). */
const RESERVED = new Set([
  'BENCHTOP_CONFIG',
  'BENCHTOP_URL',
  'BENCHTOP_API_KEY',
  'BENCHTOP_TOKEN',
  'BENCHTOP_HOME',
]);

export interface Override {
  path: TomlPath;
  value: unknown;
  /** `env:BENCHTOP_SERVER__PORT` or `flag:--port` */
  source: string;
}

/** The schema node at `path`, or undefined if the schema has no such setting. */
export function schemaAt(path: TomlPath, root: TSchema = ConfigSchema): TSchema | undefined {
  let node: TSchema | undefined = root;
  for (const part of path) {
    if (!node) return undefined;
    if (node.type === 'object' && node.properties && typeof part === 'string') {
      node =
        (node.properties as Record<string, TSchema>)[part] ??
        (node.patternProperties
          ? Object.values(node.patternProperties as Record<string, TSchema>)[0]
          : undefined);
    } else if (node.type === 'object' && node.patternProperties) {
      node = Object.values(node.patternProperties as Record<string, TSchema>)[0];
    } else if (node.type === 'array' && typeof part === 'number') {
      node = node.items as TSchema;
    } else return undefined;
  }
  return node;
}

/**
 * Turns the text of an environment variable or flag into the type its setting expects.
 * Unparseable text is passed through unchanged so validation reports it with its source.
 */
export function coerce(text: string, schema: TSchema | undefined): unknown {
  if (!schema) return text;
  const types = schema.anyOf
    ? (schema.anyOf as TSchema[]).map((s) => (s.const !== undefined ? typeof s.const : s.type))
    : [schema.type];
  const trimmed = text.trim();
  if (
    (types.includes('integer') || types.includes('number')) &&
    trimmed !== '' &&
    !Number.isNaN(Number(trimmed))
  ) {
    return Number(trimmed);
  }
  if (types.includes('boolean')) {
    if (/^(true|1|yes|on)$/i.test(trimmed)) return true;
    if (/^(false|0|no|off)$/i.test(trimmed)) return false;
  }
  if (types.includes('array') || types.includes('object')) {
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
      try {
        return JSON.parse(trimmed);
      } catch {
        return text;
      }
    }
    if (types.includes('array')) {
      const items = trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
      const itemSchema = schema.items as TSchema | undefined;
      return items.map((i) => coerce(i, itemSchema));
    }
  }
  return text;
}

/**
 * `BENCHTOP_SERVER__PORT=9090` sets server.port: `__` separates levels and the rest is the key
 * in lower case. `BENCHTOP_LOG_LEVEL` and `LOG_LEVEL` set application.log_level (the former wins).
 */
export function environmentOverrides(env: NodeJS.ProcessEnv): {
  overrides: Override[];
  issues: ConfigIssue[];
} {
  const overrides: Override[] = [];
  const issues: ConfigIssue[] = [];
  const logLevel = (name: string) => {
    const v = env[name];
    if (v !== undefined && v !== '') {
      overrides.push({ path: ['application', 'log_level'], value: v.toLowerCase(), source: `env:${name}` });
    }
  };
  logLevel('LOG_LEVEL');
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('BENCHTOP_') || RESERVED.has(name) || name === 'BENCHTOP_LOG_LEVEL') continue;
    const path = name
      .slice('BENCHTOP_'.length)
      .toLowerCase()
      .split('__')
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const schema = schemaAt(path);
    if (!schema) {
      issues.push({ path, message: `environment variable ${name} names no setting`, source: `env:${name}` });
      continue;
    }
    overrides.push({ path, value: coerce(env[name] ?? '', schema), source: `env:${name}` });
  }
  logLevel('BENCHTOP_LOG_LEVEL');
  return { overrides, issues };
}

import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse, TomlError } from 'smol-toml';
import { coerce, environmentOverrides, type Override, schemaAt } from './env.ts';
import { expandInstrumentIncludes } from './includes.ts';
import { type InstrumentConfigSchemas, rememberInstrumentSchemas } from './instrument-schemas.ts';
import { ConfigError, type ConfigIssue, formatPath } from './issues.ts';
import { type DescribeInstrumentSignals, resolveLoggingPoints } from './logging-points.ts';
import { type BenchtopConfig, ConfigSchema } from './schema.ts';
import { pathKey, type TomlPath, TomlPositionIndex } from './toml-positions.ts';
import { applyInstrumentDefaults, validateConfig } from './validate.ts';

export interface LoadOptions {
  /** TOML file; omitted means defaults only. */
  file?: string;
  /** TOML text instead of a file (tests, stdin); `file` then only names it in messages. */
  text?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line overrides, highest precedence. */
  flags?: Override[];
  /**
   * Each instrument type's `config` schema (src/instruments/catalog.ts). An instrument whose
   * type is not in it is reported as an unknown type.
   */
  instrumentSchemas: InstrumentConfigSchemas;
  /**
   * A hub's configuration: its logging groups may name instruments of the site's agents, so an
   * id not among its own `[[instruments]]` is not an error there (the owning agent samples it).
   */
  remoteInstruments?: boolean;
  /**
   * The instruments' device descriptions, which `[[logging.groups]] points` globs are resolved
   * against (logging-points.ts). Without it the globs select nothing and are not checked: for
   * commands that read only Benchtop's own sections and log nothing (`runs --local`).
   */
  describeSignals?: DescribeInstrumentSignals;
}

export interface LoadedConfig {
  config: BenchtopConfig;
  file: string | undefined;
  /** Where each setting came from, keyed by its path (`server.port`): file, env:NAME, flag:--x. */
  sources: Map<string, string>;
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function setAt(root: Table, path: TomlPath, value: unknown): void {
  let node: Table | unknown[] = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const nextIsIndex = typeof path[i + 1] === 'number';
    const container = node as Record<string | number, unknown>;
    if (!isTable(container[key]) && !Array.isArray(container[key])) container[key] = nextIsIndex ? [] : {};
    node = container[key] as Table | unknown[];
  }
  (node as Record<string | number, unknown>)[path.at(-1)!] = value;
}

/** Records `source` for every leaf under `value` at `path`. */
function markSources(sources: Map<string, string>, path: TomlPath, value: unknown, source: string): void {
  if (isTable(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) markSources(sources, [...path, k], v, source);
    return;
  }
  // Overriding a table or array replaces everything recorded beneath it.
  const prefix = formatPath(path);
  for (const key of [...sources.keys()])
    if (key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`)) sources.delete(key);
  sources.set(prefix, source);
}

function parseToml(text: string, file: string | undefined): Table {
  try {
    return parse(text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split('\n')[0] ?? error.message;
      throw new ConfigError(
        [{ path: [], message: `TOML syntax error: ${first}`, line: error.line, column: error.column }],
        file,
      );
    }
    throw error;
  }
}

/** Reads, layers (defaults < file < environment < flags), validates. Throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const { file } = options;
  const sources = new Map<string, string>();
  let text = options.text;
  if (text === undefined && file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
      throw new ConfigError([{ path: [], message: `cannot read configuration: ${reason}` }], file);
    }
  }
  const fileValue = text === undefined ? {} : parseToml(text, file);
  const positions = text === undefined ? undefined : new TomlPositionIndex(text);
  const fileLabel = file ? `file:${file}` : 'file';
  markSources(sources, [], fileValue, fileLabel);

  const merged = structuredClone(fileValue);
  const { overrides: envOverrides, issues: envIssues } = environmentOverrides(options.env ?? {});
  for (const o of [...envOverrides, ...(options.flags ?? [])]) {
    setAt(merged, o.path, o.value);
    markSources(sources, o.path, o.value, o.source);
  }

  const includeIssues = expandInstrumentIncludes(merged, file, sources, options.instrumentSchemas);
  const withDefaults = Value.Default(ConfigSchema, merged) as Table;
  applyInstrumentDefaults(withDefaults, options.instrumentSchemas);
  const issues: ConfigIssue[] = [
    ...envIssues,
    ...includeIssues,
    ...validateConfig(withDefaults, options.instrumentSchemas, {
      remoteInstruments: options.remoteInstruments === true,
    }),
  ];
  if (options.describeSignals)
    issues.push(
      ...resolveLoggingPoints(withDefaults as unknown as BenchtopConfig, options.describeSignals, {
        remoteInstruments: options.remoteInstruments === true,
      }),
    );
  if (issues.length > 0) {
    for (const issue of issues) locate(issue, sources, positions);
    throw new ConfigError(issues, file);
  }
  const config = withDefaults as unknown as BenchtopConfig;
  rememberInstrumentSchemas(config, options.instrumentSchemas);
  return { config, file, sources };
}

/** Says where a bad setting was written: its line in the file, or the variable/flag that set it. */
function locate(
  issue: ConfigIssue,
  sources: Map<string, string>,
  positions: TomlPositionIndex | undefined,
): void {
  if (issue.source) return;
  for (let n = issue.path.length; n >= 1; n--) {
    const source = sources.get(formatPath(issue.path.slice(0, n)));
    if (source && !source.startsWith('file')) {
      issue.source = source;
      return;
    }
  }
  // A missing key has no line of its own: point at the table that should hold it.
  const at = positions?.find(issue.path);
  if (at) {
    issue.line = at.line;
    issue.column = at.column;
  }
}

/**
 * Parses `--set server.port=9090` style assignments into overrides, converting the text to the
 * type the schema expects.
 */
export function parseAssignment(assignment: string, flag: string): Override {
  const eq = assignment.indexOf('=');
  if (eq <= 0)
    throw new ConfigError([
      { path: [], message: `${flag} expects key=value, got "${assignment}"`, source: `flag:${flag}` },
    ]);
  const path = assignment
    .slice(0, eq)
    .trim()
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const schema = schemaAt(path);
  if (!schema) {
    throw new ConfigError([{ path, message: 'names no setting', source: `flag:${flag}` }]);
  }
  return { path, value: coerce(assignment.slice(eq + 1), schema), source: `flag:${flag}` };
}

/** The effective configuration as rows of path, value, source (`benchtop config print`). */
export function describeSources(loaded: LoadedConfig): { path: string; value: unknown; source: string }[] {
  const rows: { path: string; value: unknown; source: string }[] = [];
  const walk = (value: unknown, path: TomlPath) => {
    if (isTable(value) && Object.keys(value).length > 0 && path[path.length - 1] !== 'ports') {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
      return;
    }
    if (Array.isArray(value) && value.some(isTable)) {
      value.forEach((v, i) => {
        walk(v, [...path, i]);
      });
      return;
    }
    const key = formatPath(path);
    let source = 'default';
    for (let n = path.length; n >= 1; n--) {
      const s = loaded.sources.get(formatPath(path.slice(0, n)));
      if (s) {
        source = s;
        break;
      }
    }
    rows.push({ path: key, value, source });
  };
  walk(loaded.config, []);
  return rows;
}

export { pathKey };

import type { TObject, TSchema } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import { nextCronTime } from '../core/cron-schedule.ts';
import type { InstrumentConfigSchemas } from './instrument-schemas.ts';
import type { ConfigIssue } from './issues.ts';
import { lineIssues } from './line-validation.ts';
import { type BenchtopConfig, ConfigSchema, MAX_INSTRUMENTS_DEFAULT } from './schema.ts';
import type { TomlPath } from './toml-positions.ts';

/** Splits a TypeBox JSON pointer (`/instruments/2/config`) into a path. */
function pointerToPath(pointer: string): TomlPath {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** A short phrase for what a schema accepts: `integer > 0`, `one of "hdf5", "arrow"`. */
export function describeSchema(schema: TSchema): string {
  if (schema.anyOf) {
    const options = (schema.anyOf as TSchema[]).map((s) =>
      s.const !== undefined ? JSON.stringify(s.const) : describeSchema(s),
    );
    return `one of ${options.join(', ')}`;
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const type = String(schema.type ?? 'value');
  const bounds: string[] = [];
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.minimum !== undefined) bounds.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMaximum !== undefined) bounds.push(`< ${schema.exclusiveMaximum}`);
  if (schema.maximum !== undefined) bounds.push(`<= ${schema.maximum}`);
  if (schema.minLength === 1) bounds.push('(non-empty)');
  if (schema.pattern !== undefined) bounds.push(`matching /${schema.pattern}/`);
  if (schema.minItems !== undefined) bounds.push(`with at least ${schema.minItems} item(s)`);
  if (type === 'object' && schema.patternProperties) return 'table';
  const noun = type === 'object' ? 'table' : type;
  return [noun, bounds.join(' and ')].filter(Boolean).join(' ');
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return d[a.length]![b.length]!;
}

export function suggest(word: string, candidates: string[]): string | undefined {
  const lower = word.toLowerCase();
  const containing = candidates.find(
    (c) => c.length >= 3 && (lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower)),
  );
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const score = distance(word.toLowerCase(), c.toLowerCase());
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  if (best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3))) return best;
  return containing;
}

function issueFromError(error: ValueError, base: TomlPath): ConfigIssue {
  const path = [...base, ...pointerToPath(error.path)];
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { path, message: 'required' };
    case ValueErrorType.StringMinLength: {
      const min = Number(error.schema.minLength);
      // A secret is never echoed back, not even a wrong one: only its length is said.
      const got = error.schema.secret ? `${String(error.value).length} characters` : shown(error.value);
      return {
        path,
        message:
          min > 1
            ? `too short: needs at least ${min} characters, got ${got}`
            : `expected ${describeSchema(error.schema)}, got ${got}`,
      };
    }
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = String(path.at(-1));
      const parent = error.schema as TObject;
      const known = Object.keys(parent.properties ?? {});
      const hint = suggest(key, known);
      return {
        path,
        message: `unknown key${hint ? ` (did you mean "${hint}"?)` : known.length ? ` (known keys: ${known.join(', ')})` : ''}`,
      };
    }
    default:
      return { path, message: `expected ${describeSchema(error.schema)}, got ${shown(error.value)}` };
  }
}

/** Validates `value` against `schema`, one issue per bad path. */
export function schemaIssues(schema: TSchema, value: unknown, base: TomlPath = []): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of Value.Errors(schema, value)) {
    const issue = issueFromError(error, base);
    const key = JSON.stringify(issue.path);
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  for (const rule of requireOneOfRules(schema, value, base)) issues.push(rule);
  if (issues.length === 0) issues.push(...configCheckIssues(schema, value, base));
  return issues;
}

/**
 * `configChecks: (value) => issues` on an object schema: rules a schema cannot express (a PLC's
 * overlapping registers), run once the value has the schema's shape; paths are relative to it.
 */
function configCheckIssues(schema: TSchema, value: unknown, base: TomlPath): ConfigIssue[] {
  const check = schema.configChecks as
    | ((v: unknown) => { path: (string | number)[]; message: string }[])
    | undefined;
  if (typeof check !== 'function') return [];
  return check(value).map((issue) => ({ path: [...base, ...issue.path], message: issue.message }));
}

/** `requireOneOf: [["serial_port", "resource"]]` on an object schema: at least one must be present. */
function requireOneOfRules(schema: TSchema, value: unknown, base: TomlPath): ConfigIssue[] {
  const groups = schema.requireOneOf as string[][] | undefined;
  if (!groups || typeof value !== 'object' || value === null) return [];
  const out: ConfigIssue[] = [];
  for (const group of groups) {
    if (!group.some((k) => (value as Record<string, unknown>)[k] !== undefined)) {
      out.push({ path: [...base, group[0]!], message: `required (or ${group.slice(1).join(' / ')})` });
    }
  }
  return out;
}

/**
 * Validates a whole configuration (defaults already applied). Checks the schema, each
 * instrument's `config` against its type's schema in `instrumentSchemas`, and the
 * cross-references between sections.
 */
export function validateConfig(
  config: unknown,
  instrumentSchemas: InstrumentConfigSchemas,
  /** A hub's: logging groups may name the agents' instruments (LoadOptions.remoteInstruments). */
  options: { remoteInstruments?: boolean } = {},
): ConfigIssue[] {
  const issues = schemaIssues(ConfigSchema, config);
  const root = config as Partial<BenchtopConfig>;
  const instruments = Array.isArray(root.instruments) ? root.instruments : [];
  const ids = new Map<string, number>();
  instruments.forEach((entry, index) => {
    if (typeof entry !== 'object' || entry === null) return;
    const {
      id,
      type,
      config: instrumentConfig,
    } = entry as { id?: unknown; type?: unknown; config?: unknown };
    if (typeof id === 'string') {
      const first = ids.get(id);
      if (first !== undefined)
        issues.push({
          path: ['instruments', index, 'id'],
          message: `duplicate id "${id}" (also instruments[${first}])`,
        });
      else ids.set(id, index);
    }
    if (typeof type !== 'string') return;
    const schema = instrumentSchemas[type];
    if (!schema) {
      const known = Object.keys(instrumentSchemas);
      const hint = suggest(type, known);
      issues.push({
        path: ['instruments', index, 'type'],
        message: `unknown instrument type "${type}"${hint ? ` (did you mean "${hint}"?)` : ''}; known types: ${known.join(', ')}`,
      });
      return;
    }
    issues.push(...schemaIssues(schema, instrumentConfig ?? {}, ['instruments', index, 'config']));
  });
  const maxInstruments = root.actors?.max_instruments ?? MAX_INSTRUMENTS_DEFAULT;
  if (instruments.length > maxInstruments)
    issues.push({
      path: ['instruments'],
      message: `${instruments.length} instruments configured; at most ${maxInstruments} (actors.max_instruments). Each instrument is an actor with its own link and polls; raise actors.max_instruments only if this machine can carry them (file descriptors: systemd LimitNOFILE)`,
    });
  const ports = root.simulation?.ports;
  if (ports && typeof ports === 'object') {
    for (const id of Object.keys(ports)) {
      if (!ids.has(id))
        issues.push({ path: ['simulation', 'ports', id], message: `no instrument with id "${id}"` });
    }
  }
  const alarms = Array.isArray(root.alarms) ? root.alarms : [];
  const alarmIds = new Map<string, number>();
  alarms.forEach((alarm, a) => {
    if (typeof alarm?.signal !== 'string') return;
    const instrumentId = alarm.signal.split('.')[0]!;
    if (!ids.has(instrumentId))
      issues.push({ path: ['alarms', a, 'signal'], message: `no instrument with id "${instrumentId}"` });
    const id = alarm.id ?? alarm.signal;
    const first = alarmIds.get(id);
    if (first !== undefined)
      issues.push({
        path: ['alarms', a, 'id'],
        message: `duplicate alarm id "${id}" (also alarms[${first}])`,
      });
    else alarmIds.set(id, a);
    if (![alarm.hihi, alarm.high, alarm.low, alarm.lolo].some((v) => typeof v === 'number')) {
      issues.push({ path: ['alarms', a], message: 'needs at least one limit: hihi, high, low or lolo' });
    }
    const order = [alarm.lolo, alarm.low, alarm.high, alarm.hihi].filter(
      (v): v is number => typeof v === 'number',
    );
    if (order.some((v, i) => i > 0 && v <= order[i - 1]!)) {
      issues.push({ path: ['alarms', a], message: 'limits must increase: lolo < low < high < hihi' });
    }
  });
  const schedule = root.backup?.schedule;
  if (typeof schedule === 'string') {
    try {
      nextCronTime(schedule, Date.now());
    } catch (error) {
      issues.push({
        path: ['backup', 'schedule'],
        message: `invalid cron expression "${schedule}": ${(error as Error).message}`,
      });
    }
  }
  issues.push(...lineIssues(root.lines, instruments));
  const groups = Array.isArray(root.logging?.groups) ? root.logging.groups : [];
  groups.forEach((group, g) => {
    if (!Array.isArray(group?.signals)) return;
    if (group.signals.length === 0 && group.points === undefined)
      issues.push({
        path: ['logging', 'groups', g],
        message:
          'logs nothing: needs signals (instrument.signal paths) or points (a pattern such as "plc.*")',
      });
    group.signals.forEach((signal, s) => {
      const instrumentId = typeof signal === 'string' ? signal.split('.')[0]! : '';
      if (instrumentId && !ids.has(instrumentId) && !options.remoteInstruments) {
        issues.push({
          path: ['logging', 'groups', g, 'signals', s],
          message: `no instrument with id "${instrumentId}"`,
        });
      }
    });
  });
  return issues;
}

/** Fills defaults of the instrument `config` tables (the top-level schema leaves them open). */
export function applyInstrumentDefaults(config: unknown, instrumentSchemas: InstrumentConfigSchemas): void {
  const instruments = (config as { instruments?: unknown }).instruments;
  if (!Array.isArray(instruments)) return;
  for (const entry of instruments) {
    if (typeof entry !== 'object' || entry === null) continue;
    const schema = instrumentSchemas[(entry as { type?: string }).type ?? ''];
    const current = (entry as { config?: unknown }).config ?? {};
    if (schema && typeof current === 'object')
      (entry as { config: unknown }).config = Value.Default(schema, current);
  }
}

import type { JsonSchema } from '../api/types.ts';

/**
 * The part of JSON Schema that Benchtop's action and plan schemas use (TypeBox output):
 * types, ranges, enums/consts, string length and pattern, arrays, objects, and `allOf` of
 * `if`/`then` (limits that depend on the chosen motor). Used to build forms, and to refuse
 * invalid arguments before they are sent.
 */
export interface Problem {
  /** Slash-separated path of the field, '' for the whole value. */
  path: string;
  message: string;
}

/** A form's editable state: numbers stay text while typed, lists of numbers are comma-separated text. */
export type Draft = string | boolean | string[] | Draft[] | { [key: string]: Draft };

export function isObjectSchema(schema: JsonSchema): boolean {
  return schema.type === 'object' || schema.properties !== undefined;
}

/** Choices of a string field: `enum`, or `anyOf` of consts (TypeBox unions of literals). */
export function choicesOf(schema: JsonSchema): string[] | null {
  if (schema.enum) return schema.enum.map(String);
  if (schema.anyOf?.every((s) => s.const !== undefined)) return schema.anyOf.map((s) => String(s.const));
  return null;
}

export type FieldKind =
  | 'number'
  | 'integer'
  | 'boolean'
  | 'choice'
  | 'text'
  | 'multi-choice'
  | 'number-list'
  | 'object-list'
  | 'object';

export function fieldKind(schema: JsonSchema): FieldKind {
  if (choicesOf(schema)) return 'choice';
  if (schema.type === 'number') return 'number';
  if (schema.type === 'integer') return 'integer';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'array') {
    const items = schema.items ?? {};
    if (choicesOf(items)) return 'multi-choice';
    if (isObjectSchema(items)) return 'object-list';
    if (items.type === 'number' || items.type === 'integer') return 'number-list';
    return 'text';
  }
  if (isObjectSchema(schema)) return 'object';
  return 'text';
}

function matches(condition: JsonSchema, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const obj = value as Record<string, unknown>;
  for (const key of condition.required ?? []) if (!(key in obj) || obj[key] === undefined) return false;
  for (const [key, sub] of Object.entries(condition.properties ?? {})) {
    if (!(key in obj)) continue;
    if (sub.const !== undefined && obj[key] !== sub.const) return false;
    if (sub.enum && !sub.enum.includes(obj[key])) return false;
  }
  return true;
}

/** The object schema with the `then` parts whose `if` the value matches merged into its properties. */
export function effectiveSchema(schema: JsonSchema, value: unknown): JsonSchema {
  if (!schema.allOf) return schema;
  const properties: Record<string, JsonSchema> = { ...(schema.properties ?? {}) };
  const required = new Set(schema.required ?? []);
  for (const part of schema.allOf) {
    const applies = part.if ? matches(part.if, value) : true;
    const extra = part.if ? (applies ? part.then : undefined) : part;
    if (!extra) continue;
    for (const [key, sub] of Object.entries(extra.properties ?? {}))
      properties[key] = { ...(properties[key] ?? {}), ...sub };
    for (const key of extra.required ?? []) required.add(key);
  }
  const { allOf: _ignored, ...rest } = schema;
  return { ...rest, properties, required: [...required] };
}

function typeOk(type: string | undefined, value: unknown): boolean {
  switch (type) {
    case undefined:
      return true;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

const typeNames: Record<string, string> = {
  number: 'a number',
  integer: 'an integer',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

export function validate(schema: JsonSchema, value: unknown, path = ''): Problem[] {
  const problems: Problem[] = [];
  const add = (message: string) => problems.push({ path, message });
  const choices = choicesOf(schema);
  if (choices) {
    if (!choices.includes(value as string)) add(`must be one of ${choices.join(', ')}`);
    return problems;
  }
  if (schema.const !== undefined && value !== schema.const) add(`must be ${JSON.stringify(schema.const)}`);
  if (!typeOk(schema.type, value)) {
    add(`must be ${typeNames[schema.type ?? ''] ?? schema.type}`);
    return problems;
  }
  if (typeof value === 'number') {
    const unit = schema['x-unit'] ?? schema.unit;
    const u = unit ? ` ${unit}` : '';
    if (schema.minimum !== undefined && value < schema.minimum) add(`must be ≥ ${schema.minimum}${u}`);
    if (schema.maximum !== undefined && value > schema.maximum) add(`must be ≤ ${schema.maximum}${u}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      add(`must be > ${schema.exclusiveMinimum}${u}`);
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum)
      add(`must be < ${schema.exclusiveMaximum}${u}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      add(schema.minLength === 1 ? 'is required' : `needs at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      add(`must be at most ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      add(`must match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      add(schema.minItems === 1 ? 'choose at least one' : `needs at least ${schema.minItems} entries`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      add(`must have at most ${schema.maxItems} entries`);
    if (schema.items)
      value.forEach((v, i) => {
        problems.push(...validate(schema.items!, v, join(path, String(i))));
      });
  }
  if (schema.type === 'object' || schema.properties) {
    const obj = value as Record<string, unknown>;
    const eff = effectiveSchema(schema, obj);
    for (const key of eff.required ?? [])
      if (obj[key] === undefined) problems.push({ path: join(path, key), message: 'is required' });
    for (const [key, v] of Object.entries(obj)) {
      const sub = eff.properties?.[key];
      if (!sub) {
        if (eff.additionalProperties === false)
          problems.push({ path: join(path, key), message: 'is not allowed' });
        continue;
      }
      if (v !== undefined) problems.push(...validate(sub, v, join(path, key)));
    }
  }
  return problems;
}

function join(path: string, key: string): string {
  return path ? `${path}/${key}` : key;
}

export function initialDraft(schema: JsonSchema): Draft {
  const kind = fieldKind(schema);
  const d = schema.default;
  switch (kind) {
    case 'object': {
      const out: Record<string, Draft> = {};
      for (const [key, sub] of Object.entries(schema.properties ?? {})) out[key] = initialDraft(sub);
      return out;
    }
    case 'boolean':
      return typeof d === 'boolean' ? d : false;
    case 'multi-choice':
      return Array.isArray(d) ? d.map(String) : [];
    case 'object-list':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => initialDraft(schema.items!));
    case 'number-list':
      return Array.isArray(d) ? d.join(', ') : '';
    default:
      return d === undefined ? '' : String(d);
  }
}

/** Turns a draft into the JSON value to send, collecting what cannot be converted (text that is not a number). */
export function draftToValue(
  schema: JsonSchema,
  draft: Draft,
  path = '',
): { value: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  const kind = fieldKind(schema);
  switch (kind) {
    case 'object': {
      const obj = (draft ?? {}) as Record<string, Draft>;
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        if (!(key in obj)) continue;
        const r = draftToValue(sub, obj[key]!, join(path, key));
        problems.push(...r.problems);
        if (r.value !== undefined) out[key] = r.value;
      }
      return { value: out, problems };
    }
    case 'object-list': {
      const items = (draft as Draft[]).map((d, i) => draftToValue(schema.items!, d, join(path, String(i))));
      for (const r of items) problems.push(...r.problems);
      return { value: items.map((r) => r.value), problems };
    }
    case 'number-list': {
      const text = String(draft).trim();
      if (text === '') return { value: undefined, problems };
      const parts = text.split(/[,;\s]+/).filter(Boolean);
      const numbers = parts.map(Number);
      const bad = parts.filter((_p, i) => Number.isNaN(numbers[i]));
      if (bad.length > 0) problems.push({ path, message: `not numbers: ${bad.join(', ')}` });
      return { value: numbers, problems };
    }
    case 'number':
    case 'integer': {
      const text = String(draft).trim();
      if (text === '') return { value: undefined, problems };
      const n = Number(text);
      if (Number.isNaN(n)) problems.push({ path, message: `"${text}" is not a number` });
      return { value: Number.isNaN(n) ? text : n, problems };
    }
    case 'boolean':
      return { value: Boolean(draft), problems };
    case 'multi-choice':
      return { value: draft as string[], problems };
    default: {
      const text = String(draft);
      return { value: text === '' ? undefined : text, problems };
    }
  }
}

/** Draft → value → schema check, in one go: what a form shows before it sends anything. */
export function checkDraft(schema: JsonSchema, draft: Draft): { value: unknown; problems: Problem[] } {
  const converted = draftToValue(schema, draft);
  if (converted.problems.length > 0) return converted;
  return { value: converted.value, problems: validate(schema, converted.value) };
}

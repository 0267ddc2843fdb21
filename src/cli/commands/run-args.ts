import type { TObject, TSchema } from '@sinclair/typebox';
import { BenchtopError } from '../../core/errors.ts';

type Schema = TSchema & { type?: string; items?: Schema; properties?: Record<string, Schema> };

/**
 * Turns `--name value` tokens into a plan's arguments, typed by the plan's schema:
 * `--num 41` is a number, `--detectors a.b,c.d` (or the flag repeated) an array,
 * `--snake` alone true, and `--axes stage.axis1.position:-1:1:11,stage.axis2.position:0:2:5`
 * an array of objects whose fields follow the schema's order (JSON works too). Dashes in names
 * become underscores (`--settle-s`). Without a schema (a plan only the server knows) values
 * are guessed: numbers, booleans, comma lists.
 */
export function parsePlanArgs(plan: string, tokens: string[], schema?: TObject): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const problems: string[] = [];
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith('--') || token.length === 2) {
      problems.push(`"${token}" is not an --argument`);
      continue;
    }
    const eq = token.indexOf('=');
    const name = (eq > 0 ? token.slice(2, eq) : token.slice(2)).replaceAll('-', '_');
    const property = properties[name];
    if (schema && !property) {
      problems.push(
        `${plan} has no argument --${name} (it takes ${Object.keys(properties)
          .map((k) => `--${k}`)
          .join(', ')})`,
      );
      if (eq < 0 && tokens[i + 1] !== undefined && !tokens[i + 1]!.startsWith('--')) i++;
      continue;
    }
    let text: string | undefined;
    if (eq > 0) text = token.slice(eq + 1);
    else if (
      property?.type === 'boolean' &&
      (tokens[i + 1] === undefined || tokens[i + 1]!.startsWith('--'))
    ) {
      text = 'true';
    } else text = tokens[++i];
    if (text === undefined) {
      problems.push(`--${name} needs a value`);
      continue;
    }
    try {
      const value = property ? convert(text, property) : guess(text);
      args[name] =
        Array.isArray(value) && Array.isArray(args[name]) ? [...(args[name] as unknown[]), ...value] : value;
    } catch (error) {
      problems.push(`--${name}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) {
    throw new BenchtopError('VALIDATION_FAILED', `${plan}: ${problems.join('; ')}`, {
      plan,
      problems: problems.map((message) => ({ path: '', message })),
    });
  }
  return args;
}

/** `key=value` pairs; values typed like unknown arguments (`temperature=20.5` is a number). */
export function parseMetadata(pairs: string[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new BenchtopError('VALIDATION_FAILED', `--metadata "${pair}" is not key=value`, {
        metadata: pair,
      });
    }
    metadata[pair.slice(0, eq)] = guessScalar(pair.slice(eq + 1));
  }
  return metadata;
}

function convert(text: string, schema: Schema): unknown {
  switch (schema.type) {
    case 'number':
    case 'integer':
      return toNumber(text);
    case 'boolean':
      return toBoolean(text);
    case 'array': {
      const items = schema.items ?? ({} as Schema);
      if (text.trim().startsWith('[')) return JSON.parse(text) as unknown;
      if (items.type === 'object' && text.trim().startsWith('{')) return [JSON.parse(text) as unknown];
      return splitList(text).map((part) =>
        items.type === 'object' ? fields(part, items) : convert(part, items),
      );
    }
    case 'object':
      return text.trim().startsWith('{') ? (JSON.parse(text) as unknown) : fields(text, schema);
    default:
      return text;
  }
}

/** `stage.axis1.position:-1:1:11` → `{motor, start, stop, num}` in the schema's property order. */
function fields(text: string, schema: Schema): Record<string, unknown> {
  const names = Object.keys(schema.properties ?? {});
  const parts = text.split(':');
  if (parts.length !== names.length) {
    throw new Error(`"${text}" should be ${names.join(':')}`);
  }
  return Object.fromEntries(names.map((name, i) => [name, convert(parts[i]!, schema.properties![name]!)]));
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function toNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`expected a number, got "${text}"`);
  return value;
}

function toBoolean(text: string): boolean {
  const t = text.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(t)) return true;
  if (['false', 'no', '0', 'off'].includes(t)) return false;
  throw new Error(`expected true or false, got "${text}"`);
}

function guess(text: string): unknown {
  return text.includes(',') ? splitList(text).map(guessScalar) : guessScalar(text);
}

function guessScalar(text: string): unknown {
  if (text === 'true' || text === 'false') return text === 'true';
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) ? value : text;
}

import { Kind, type TSchema, Type } from '@sinclair/typebox';

/**
 * A TypeBox schema rebuilt from its JSON form. TypeBox's checker dispatches on a symbol (`Kind`)
 * that JSON cannot carry, so an action's argument schema that crossed the bus (a remote
 * instrument's description) would make `Value.Errors` throw "Unknown type". This rebuilds the
 * JSON Schema subset device descriptions use (objects, arrays, scalars, literals, unions);
 * anything else is accepted as Unknown with its keywords kept, so nothing is refused wrongly.
 */
export function schemaFromJson(schema: unknown): TSchema {
  if (schema === null || typeof schema !== 'object') return Type.Unknown();
  if (Kind in schema) return schema as TSchema;
  const {
    type,
    properties,
    required,
    items,
    anyOf,
    const: literal,
    enum: choices,
    ...options
  } = schema as Record<string, unknown>;
  if (Array.isArray(anyOf)) return Type.Union(anyOf.map(schemaFromJson), options);
  if (literal !== undefined && isLiteral(literal)) return Type.Literal(literal, options);
  if (Array.isArray(choices) && choices.every(isLiteral))
    return Type.Union(
      choices.map((c) => Type.Literal(c)),
      options,
    );
  switch (type) {
    case 'object': {
      const needed = new Set(Array.isArray(required) ? required.map(String) : []);
      const props: Record<string, TSchema> = {};
      for (const [name, prop] of Object.entries((properties as Record<string, unknown>) ?? {})) {
        const rebuilt = schemaFromJson(prop);
        props[name] = needed.has(name) ? rebuilt : Type.Optional(rebuilt);
      }
      return Type.Object(props, options);
    }
    case 'array':
      return Type.Array(schemaFromJson(items), options);
    case 'number':
      return Type.Number(options);
    case 'integer':
      return Type.Integer(options);
    case 'string':
      return Type.String(options);
    case 'boolean':
      return Type.Boolean(options);
    case 'null':
      return Type.Null(options);
    default:
      return Type.Unknown(schema as Record<string, unknown>);
  }
}

function isLiteral(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

import type { ReactNode } from 'react';
import type { JsonSchema } from '../api/types.ts';
import {
  choicesOf,
  type Draft,
  effectiveSchema,
  fieldKind,
  initialDraft,
  type Problem,
} from './json-schema.ts';

interface FieldsProps {
  schema: JsonSchema;
  draft: Record<string, Draft>;
  onChange: (draft: Record<string, Draft>) => void;
  /** Prefix for element ids, unique on the page. */
  idPrefix: string;
  problems: Problem[];
  disabled?: boolean;
  path?: string;
}

/**
 * Inputs for every property of an object schema: numbers with units and limits, choices as
 * selects, lists of choices as multiple selects, booleans as checkboxes, lists of objects as
 * repeatable groups. Limits that depend on another field (`allOf`/`if`/`then`, e.g. a scan's
 * start and stop after the motor) follow that field's current value.
 */
export function SchemaFields(props: FieldsProps) {
  const schema = effectiveSchema(props.schema, props.draft);
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([key, sub]) => (
        <Field
          key={key}
          name={key}
          schema={sub}
          required={required.has(key)}
          draft={props.draft[key] ?? initialDraft(sub)}
          onChange={(value) => props.onChange({ ...props.draft, [key]: value })}
          id={`${props.idPrefix}-${key}`}
          path={props.path ? `${props.path}/${key}` : key}
          problems={props.problems}
          disabled={props.disabled ?? false}
        />
      ))}
    </>
  );
}

interface FieldProps {
  name: string;
  schema: JsonSchema;
  required: boolean;
  draft: Draft;
  onChange: (draft: Draft) => void;
  id: string;
  path: string;
  problems: Problem[];
  disabled: boolean;
}

function limitsHint(schema: JsonSchema, unit: string | undefined): string | null {
  const lo = schema.minimum ?? schema.exclusiveMinimum;
  const hi = schema.maximum ?? schema.exclusiveMaximum;
  if (lo === undefined && hi === undefined) return null;
  const u = unit ? ` ${unit}` : '';
  if (lo !== undefined && hi !== undefined) return `${lo} … ${hi}${u}`;
  if (lo !== undefined) return `${schema.exclusiveMinimum !== undefined ? '>' : '≥'} ${lo}${u}`;
  return `${schema.exclusiveMaximum !== undefined ? '<' : '≤'} ${hi}${u}`;
}

function Field(props: FieldProps) {
  const { schema, draft, id, disabled } = props;
  const kind = fieldKind(schema);
  const unit = schema['x-unit'] ?? schema.unit;
  const mine = props.problems.filter((p) => p.path === props.path);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const hint = [schema.description, limitsHint(schema, unit)].filter(Boolean).join(' · ');
  const describedBy =
    [hint ? hintId : null, mine.length > 0 ? errorId : null].filter(Boolean).join(' ') || undefined;
  const invalid = mine.length > 0 ? true : undefined;
  const label = (
    <label htmlFor={id}>
      {props.name}
      {unit ? <span className="unit"> ({unit})</span> : null}
      {props.required ? null : <span className="optional"> optional</span>}
    </label>
  );
  const after = (
    <>
      {hint ? (
        <small id={hintId} className="hint">
          {hint}
        </small>
      ) : null}
      {mine.length > 0 ? (
        <small id={errorId} className="error-text" role="alert">
          {mine.map((p) => p.message).join('; ')}
        </small>
      ) : null}
    </>
  );

  if (kind === 'object-list') {
    const items = draft as Draft[];
    const itemSchema = schema.items!;
    return (
      <fieldset className="field-group" disabled={disabled}>
        <legend>{props.name}</legend>
        {items.map((item, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: list entries have no identity besides their position
          <fieldset key={i} className="field-item">
            <legend>
              {props.name} {i + 1}
            </legend>
            <SchemaFields
              schema={itemSchema}
              draft={item as Record<string, Draft>}
              onChange={(d) => props.onChange(items.map((old, j) => (j === i ? d : old)))}
              idPrefix={`${id}-${i}`}
              path={`${props.path}/${i}`}
              problems={props.problems}
              disabled={disabled}
            />
            <button
              type="button"
              className="secondary"
              disabled={items.length <= (schema.minItems ?? 0)}
              onClick={() => props.onChange(items.filter((_x, j) => j !== i))}
            >
              Remove {props.name} {i + 1}
            </button>
          </fieldset>
        ))}
        <button
          type="button"
          className="secondary"
          onClick={() => props.onChange([...items, initialDraft(itemSchema)])}
        >
          Add {props.name}
        </button>
        {after}
      </fieldset>
    );
  }

  if (kind === 'object') {
    return (
      <fieldset className="field-group" disabled={disabled}>
        <legend>{props.name}</legend>
        <SchemaFields
          schema={schema}
          draft={draft as Record<string, Draft>}
          onChange={props.onChange}
          idPrefix={id}
          path={props.path}
          problems={props.problems}
          disabled={disabled}
        />
      </fieldset>
    );
  }

  if (kind === 'boolean') {
    return (
      <div className="field checkbox-field">
        <input
          id={id}
          type="checkbox"
          checked={Boolean(draft)}
          disabled={disabled}
          onChange={(e) => props.onChange(e.target.checked)}
          aria-describedby={describedBy}
        />
        {label}
        {after}
      </div>
    );
  }

  let control: ReactNode;
  if (kind === 'choice') {
    const choices = choicesOf(schema)!;
    control = (
      <select
        id={id}
        value={String(draft)}
        disabled={disabled}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={invalid}
        aria-describedby={describedBy}
      >
        <option value="">— choose —</option>
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  } else if (kind === 'multi-choice') {
    const choices = choicesOf(schema.items!)!;
    control = (
      <select
        id={id}
        multiple
        size={Math.min(8, choices.length)}
        value={draft as string[]}
        disabled={disabled}
        onChange={(e) => props.onChange([...e.target.selectedOptions].map((o) => o.value))}
        aria-invalid={invalid}
        aria-describedby={describedBy}
      >
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  } else {
    const numeric = kind === 'number' || kind === 'integer';
    control = (
      <input
        id={id}
        type={numeric ? 'number' : 'text'}
        step={kind === 'integer' ? 1 : numeric ? 'any' : undefined}
        inputMode={numeric ? 'decimal' : undefined}
        value={String(draft)}
        disabled={disabled}
        placeholder={kind === 'number-list' ? 'comma-separated numbers' : undefined}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={invalid}
        aria-describedby={describedBy}
      />
    );
  }
  return (
    <div className="field">
      {label}
      {control}
      {after}
    </div>
  );
}

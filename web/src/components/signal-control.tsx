import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, sendJson } from '../api/http.ts';
import type { Reading, SignalDescription, SignalValue, SignalWriteReply } from '../api/types.ts';
import { checkSignalValue, limitsText, parseSignalInput } from '../forms/signal-rules.ts';
import { live, signalKey } from '../live/live-store.ts';
import { ErrorText } from './error-text.tsx';

interface Props {
  instrument: string;
  desc: SignalDescription;
  canWrite: boolean;
  /** Accessible name prefix, when the same signal appears twice on a page. */
  label?: string;
}

/** Writes a signal the way the API does; the reply's read-back goes into the live store at once. */
export async function writeSignal(
  instrument: string,
  desc: SignalDescription,
  value: SignalValue,
): Promise<void> {
  const reply = await sendJson<SignalWriteReply>(
    'PUT',
    `/api/v1/instruments/${encodeURIComponent(instrument)}/signals/${encodeURIComponent(desc.name)}`,
    { value },
  );
  if (reply.value !== undefined && reply.timestamp !== undefined) {
    const reading: Reading = {
      instrument,
      signal: desc.name,
      value: reply.value,
      timestamp: reply.timestamp,
      quality: 'good',
    };
    if (reply.unit) reading.unit = reply.unit;
    live.push(reading);
  }
}

/**
 * The input for one writable signal, built from its description: a number field with unit and
 * limits, a select for enums, a switch for booleans, a text field otherwise. Values the server
 * would refuse (limits, integer, choices) are refused here before anything is sent; when the
 * server refuses anyway (an interlock, a device error) its message is shown.
 */
export function SignalControl(props: Props) {
  const { desc } = props;
  if (desc.dtype === 'boolean') return <BooleanControl {...props} />;
  if (desc.dtype === 'enum') return <EnumControl {...props} />;
  return <TextControl {...props} />;
}

function useWrite(props: Props) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const write = async (value: SignalValue): Promise<boolean> => {
    const problem = checkSignalValue(props.instrument, props.desc, value);
    if (problem) {
      setError(new ApiError(problem.code, problem.message, 0));
      return false;
    }
    setBusy(true);
    setError(null);
    try {
      await writeSignal(props.instrument, props.desc, value);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, write, setError };
}

const roleHint = 'Needs the operator role';

function TextControl(props: Props) {
  const { desc, instrument } = props;
  const key = signalKey(instrument, desc.name);
  const [text, setText] = useState(() => {
    const known = live.get(key)?.value;
    return known === undefined || known === null || typeof known === 'boolean' ? '' : String(known);
  });
  // Refs, not state: a reading painted between a keystroke and the next render must not
  // overwrite what the user typed, nor one that arrives once they are in the field (typing
  // into a value that appears under the cursor gives "1050" for "50").
  const touched = useRef(false);
  const input = useRef<HTMLInputElement>(null);
  const { error, busy, write } = useWrite(props);
  const id = `set-${instrument}-${desc.name}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const name = props.label ?? desc.name;
  // The field starts at the current value once it is known, until the user types in it.
  useEffect(
    () =>
      live.paint(key, (r) => {
        if (touched.current || document.activeElement === input.current) return;
        if (typeof r.value === 'number' || typeof r.value === 'string') setText(String(r.value));
      }),
    [key],
  );
  const numeric = desc.dtype === 'number' || desc.dtype === 'integer';
  const limits = limitsText(desc);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void write(parseSignalInput(desc, text));
  };
  return (
    <form className="signal-control" onSubmit={submit} noValidate>
      <label htmlFor={id} className="visually-hidden">
        {name}
      </label>
      <input
        id={id}
        ref={input}
        type={numeric ? 'number' : 'text'}
        step={desc.dtype === 'integer' ? 1 : numeric ? 'any' : undefined}
        inputMode={numeric ? 'decimal' : undefined}
        value={text}
        onChange={(e) => {
          touched.current = true;
          setText(e.target.value);
        }}
        disabled={!props.canWrite || busy}
        title={props.canWrite ? (limits ? `allowed ${limits}` : undefined) : roleHint}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      {desc.unit ? <span className="unit">{desc.unit}</span> : null}
      <button type="submit" disabled={!props.canWrite || busy} title={props.canWrite ? undefined : roleHint}>
        {busy ? (desc.completes ? 'Waiting…' : 'Setting…') : `Set ${name}`}
      </button>
      {limits ? <small className="hint">{limits}</small> : null}
      <ErrorText error={error} id={`${id}-error`} />
    </form>
  );
}

function EnumControl(props: Props) {
  const { desc, instrument } = props;
  const ref = useRef<HTMLSelectElement>(null);
  const { error, busy, write } = useWrite(props);
  const id = `set-${instrument}-${desc.name}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const key = signalKey(instrument, desc.name);
  useEffect(
    () =>
      live.paint(key, (r) => {
        const el = ref.current;
        if (el && document.activeElement !== el && typeof r.value === 'string') el.value = r.value;
      }),
    [key],
  );
  return (
    <div className="signal-control">
      <label htmlFor={id} className="visually-hidden">
        {props.label ?? desc.name}
      </label>
      <select
        id={id}
        ref={ref}
        defaultValue={String(live.get(key)?.value ?? '')}
        disabled={!props.canWrite || busy}
        title={props.canWrite ? undefined : roleHint}
        onChange={async (e) => {
          const ok = await write(e.target.value);
          const known = live.get(key)?.value;
          if (!ok && ref.current && typeof known === 'string') ref.current.value = known;
        }}
      >
        {live.get(key) ? null : <option value="">—</option>}
        {(desc.choices ?? []).map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      <ErrorText error={error} />
    </div>
  );
}

function BooleanControl(props: Props) {
  const { desc, instrument } = props;
  const key = signalKey(instrument, desc.name);
  const known = () => {
    const v = live.get(key)?.value;
    return typeof v === 'boolean' ? v : null;
  };
  // A boolean changes rarely, so this one value may go through React state.
  const [checked, setChecked] = useState<boolean | null>(known);
  const { error, busy, write } = useWrite(props);
  const id = `set-${instrument}-${desc.name}`.replace(/[^A-Za-z0-9_-]/g, '-');
  useEffect(
    () =>
      live.paint(key, (r) => {
        if (typeof r.value === 'boolean') setChecked(r.value);
      }),
    [key],
  );
  return (
    <div className="signal-control">
      <label className="switch" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={checked ?? false}
          aria-checked={checked ?? false}
          disabled={!props.canWrite || busy}
          title={props.canWrite ? undefined : roleHint}
          onChange={async (e) => {
            const wanted = e.target.checked;
            // Until the instrument confirms, the switch shows what it was asked to do.
            setChecked(wanted);
            const ok = await write(wanted);
            const confirmed = live.get(key)?.value;
            if (typeof confirmed === 'boolean') setChecked(confirmed);
            else if (!ok) setChecked(!wanted);
          }}
        />
        <span className="visually-hidden">{props.label ?? desc.name}</span>
        <span className="switch-text" aria-hidden="true">
          {busy ? 'switching…' : ''}
        </span>
      </label>
      <ErrorText error={error} />
    </div>
  );
}

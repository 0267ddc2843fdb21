import { isNumeric } from '../api/instruments.ts';
import type { InstrumentDetail } from '../api/types.ts';

/** Every numeric signal of every instrument, as `instrument.signal`, with its unit. */
export function numericSignals(instruments: InstrumentDetail[]): { key: string; unit?: string }[] {
  return instruments.flatMap((i) =>
    i.signals
      .filter((s) => s.readable && isNumeric(s))
      .map((s) => ({ key: `${i.id}.${s.name}`, ...(s.unit ? { unit: s.unit } : {}) })),
  );
}

/** A multiple select of signals, grouped by instrument. */
export function SignalPicker(props: {
  id: string;
  label: string;
  instruments: InstrumentDetail[];
  value: string[];
  onChange: (value: string[]) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select
        id={props.id}
        multiple
        size={8}
        value={props.value}
        onChange={(e) => props.onChange([...e.target.selectedOptions].map((o) => o.value))}
      >
        {props.instruments.map((i) => (
          <optgroup key={i.id} label={i.id}>
            {i.signals
              .filter((s) => s.readable && isNumeric(s))
              .map((s) => (
                <option key={s.name} value={`${i.id}.${s.name}`}>
                  {i.id}.{s.name}
                  {s.unit ? ` (${s.unit})` : ''}
                </option>
              ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}

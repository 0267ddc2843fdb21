import type { LineList } from '../api/types.ts';

/** What the KPIs are computed over: the live window, or one shift of one day. */
export type KpiPeriod = { kind: 'live' } | { kind: 'shift'; shift: string; date: string };

/** Today's date where the browser is (the day a shift starts, as the API takes it). */
export function localDate(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The query the KPI route takes for a period. */
export function periodQuery(period: KpiPeriod): Record<string, string> {
  return period.kind === 'live' ? {} : { shift: period.shift, date: period.date };
}

/** A shift selector: live, or a configured shift on a chosen date. */
export function ShiftPicker(props: {
  shifts: LineList['lines'][number]['shifts'];
  period: KpiPeriod;
  onChange: (period: KpiPeriod) => void;
}) {
  const { period, onChange } = props;
  const date = period.kind === 'shift' ? period.date : localDate();
  return (
    <div className="actions">
      <label>
        Shift{' '}
        <select
          aria-label="Shift"
          value={period.kind === 'shift' ? period.shift : ''}
          onChange={(e) =>
            onChange(e.target.value ? { kind: 'shift', shift: e.target.value, date } : { kind: 'live' })
          }
        >
          <option value="">live</option>
          {props.shifts.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name} ({s.start}–{s.end})
            </option>
          ))}
        </select>
      </label>
      <label>
        Date{' '}
        <input
          type="date"
          aria-label="Shift date"
          value={date}
          disabled={period.kind === 'live'}
          onChange={(e) => {
            if (period.kind === 'shift' && e.target.value) onChange({ ...period, date: e.target.value });
          }}
        />
      </label>
    </div>
  );
}

import { useEffect, useRef } from 'react';
import { formatValue } from '../live/format.ts';
import { live } from '../live/live-store.ts';

/**
 * A signal's live value as text. It subscribes to the live store and writes the DOM itself once
 * per animation frame, so a page with many live values never re-renders for a reading.
 */
export function LiveValue(props: { signal: string; precision?: number; unit?: string; label?: string }) {
  const { signal, precision, unit } = props;
  const ref = useRef<HTMLOutputElement>(null);
  useEffect(
    () =>
      live.paint(signal, (reading) => {
        const el = ref.current;
        if (!el) return;
        el.textContent = formatValue(reading.value, precision);
        el.dataset.quality = reading.quality ?? 'good';
        el.title = `${signal} at ${new Date(reading.timestamp).toLocaleTimeString()}${
          reading.quality && reading.quality !== 'good' ? ` (${reading.quality})` : ''
        }`;
      }),
    [signal, precision],
  );
  return (
    <span className="live-value">
      <output ref={ref} data-signal={signal} aria-label={props.label ?? signal} aria-live="off">
        —
      </output>
      {unit ? <span className="unit"> {unit}</span> : null}
    </span>
  );
}

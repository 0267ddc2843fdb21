import { useEffect, useRef } from 'react';
import { formatValue } from '../live/format.ts';
import { live } from '../live/live-store.ts';

const SPARK_WIDTH = 80;
const SPARK_HEIGHT = 18;

/** An array's elements as polyline points scaled into the sparkline box. */
export function sparklinePoints(values: readonly number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const span = Math.max(...values) - min || 1;
  const step = values.length > 1 ? SPARK_WIDTH / (values.length - 1) : 0;
  return values
    .map(
      (v, i) => `${(i * step).toFixed(1)},${(SPARK_HEIGHT - ((v - min) / span) * SPARK_HEIGHT).toFixed(1)}`,
    )
    .join(' ');
}

/**
 * A signal's live value as text (an array as its first elements and a small plot of all of
 * them). It subscribes to the live store and writes the DOM itself once per animation frame,
 * so a page with many live values never re-renders for a reading.
 */
export function LiveValue(props: { signal: string; precision?: number; unit?: string; label?: string }) {
  const { signal, precision, unit } = props;
  const ref = useRef<HTMLOutputElement>(null);
  const plot = useRef<SVGSVGElement>(null);
  const line = useRef<SVGPolylineElement>(null);
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
        const array = typeof reading.value === 'object' && reading.value !== null ? reading.value : null;
        if (plot.current) plot.current.style.display = array ? '' : 'none';
        if (array && line.current) line.current.setAttribute('points', sparklinePoints(array));
      }),
    [signal, precision],
  );
  return (
    <span className="live-value">
      <output ref={ref} data-signal={signal} aria-label={props.label ?? signal} aria-live="off">
        —
      </output>
      <svg
        ref={plot}
        className="sparkline"
        width={SPARK_WIDTH}
        height={SPARK_HEIGHT}
        viewBox={`0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`}
        style={{ display: 'none' }}
        role="img"
        aria-label={`${props.label ?? signal} plot`}
      >
        <polyline ref={line} fill="none" stroke="currentColor" strokeWidth="1" />
      </svg>
      {unit ? <span className="unit"> {unit}</span> : null}
    </span>
  );
}

import { useEffect, useMemo, useRef } from 'react';
import type uPlot from 'uplot';
import { live } from '../live/live-store.ts';
import { seriesColor } from './colors.ts';
import { baseOptions, Plot } from './plot.tsx';

const MAX_POINTS = 6000;

/**
 * A live strip chart of one numeric signal over the last `windowS` seconds. Readings are
 * appended as they arrive and the chart is redrawn at most once per animation frame.
 */
export function StripChart(props: { signal: string; unit?: string; windowS?: number; height?: number }) {
  const { signal, unit } = props;
  const windowS = props.windowS ?? 120;
  const plotRef = useRef<uPlot | null>(null);
  const options = useMemo(
    () =>
      baseOptions({
        scales: { x: { time: true } },
        series: [
          {},
          {
            label: unit ? `${signal} (${unit})` : signal,
            stroke: seriesColor(0),
            width: 1.5,
            spanGaps: false,
          },
        ],
      }),
    [signal, unit],
  );
  const empty = useMemo<uPlot.AlignedData>(() => [[], []], []);

  useEffect(() => {
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    let frame = 0;
    const redraw = () => {
      frame = 0;
      const cutoff = Date.now() / 1000 - windowS;
      let drop = 0;
      while (drop < xs.length && xs[drop]! < cutoff) drop++;
      if (drop > 0) {
        xs.splice(0, drop);
        ys.splice(0, drop);
      }
      plotRef.current?.setData([xs, ys]);
    };
    const off = live.watch(signal, (r) => {
      const t = r.timestamp / 1000;
      if (xs.length > 0 && t <= xs[xs.length - 1]!) return;
      xs.push(t);
      ys.push(typeof r.value === 'number' && r.quality !== 'invalid' ? r.value : null);
      if (xs.length > MAX_POINTS) {
        xs.shift();
        ys.shift();
      }
      if (!frame) frame = requestAnimationFrame(redraw);
    });
    const known = live.get(signal);
    if (known && typeof known.value === 'number') {
      xs.push(known.timestamp / 1000);
      ys.push(known.value);
      frame = requestAnimationFrame(redraw);
    }
    return () => {
      off();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [signal, windowS]);

  return (
    <Plot
      options={options}
      data={empty}
      plotRef={plotRef}
      label={`Live chart of ${signal}`}
      height={props.height ?? 220}
    />
  );
}

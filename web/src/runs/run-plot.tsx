import { useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import { seriesColor } from '../plots/colors.ts';
import { HeatMap } from '../plots/heat-map.tsx';
import { baseOptions, Plot, valueAxis } from '../plots/plot.tsx';
import { ELAPSED, type RunData, SEQ_NUM } from './run-data.ts';

function labelOf(data: RunData, key: string): string {
  const unit = data.unitOf(key);
  return unit ? `${key} (${unit})` : key;
}

/**
 * A run's data as a line plot (x: the motor of a 1-D scan, or time) or, for a 2-D grid scan, as a
 * heat map. Redraws once per animation frame while events arrive; the axes can be changed.
 */
export function RunPlot(props: { data: RunData; idPrefix: string }) {
  const { data } = props;
  const [, setVersion] = useState(0);
  const [xKey, setXKey] = useState<string | null>(null);
  const [yKey, setYKey] = useState<string>('*');
  const plotRef = useRef<uPlot | null>(null);
  const countRef = useRef<HTMLOutputElement>(null);
  const keys = data.numericKeys();
  const keysText = keys.join(',');
  const x = xKey ?? data.defaultX();
  const ys = yKey === '*' ? data.detectorKeys().filter((k) => k !== x) : [yKey];
  const ysText = ys.join(',');

  // React only hears about new data keys (new series); values go straight to uPlot.
  useEffect(() => {
    let frame = 0;
    let known = keysText;
    const draw = () => {
      frame = 0;
      const now = data.numericKeys().join(',');
      if (now !== known) {
        known = now;
        setVersion((v) => v + 1);
      }
      plotRef.current?.setData(data.series(x, ysText ? ysText.split(',') : []));
      if (countRef.current) countRef.current.textContent = String(data.events);
    };
    draw();
    const off = data.onChange(() => {
      if (!frame) frame = requestAnimationFrame(draw);
    });
    return () => {
      off();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [data, x, ysText, keysText]);

  const options = useMemo(
    () =>
      baseOptions({
        scales: { x: { time: false } },
        series: [
          { label: labelOf(data, x) },
          ...ysText
            .split(',')
            .filter(Boolean)
            .map((k, i) => ({
              label: labelOf(data, k),
              stroke: seriesColor(i),
              width: 1.5,
              points: { show: true, size: 4 },
            })),
        ],
        axes: [{ label: labelOf(data, x) }, valueAxis()],
      }),
    [data, x, ysText],
  );
  const initial = useMemo(() => data.series(x, ysText ? ysText.split(',') : []), [data, x, ysText]);

  return (
    <div className="run-plot">
      <div className="plot-controls">
        <label htmlFor={`${props.idPrefix}-x`}>X axis</label>
        <select id={`${props.idPrefix}-x`} value={x} onChange={(e) => setXKey(e.target.value)}>
          {[...keys, ELAPSED, SEQ_NUM].map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <label htmlFor={`${props.idPrefix}-y`}>Y axis</label>
        <select id={`${props.idPrefix}-y`} value={yKey} onChange={(e) => setYKey(e.target.value)}>
          <option value="*">all detectors</option>
          {keys.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <span>
          Points:{' '}
          <output ref={countRef} aria-label="Points received">
            {data.events}
          </output>
        </span>
      </div>
      {data.grid ? <HeatMap model={data.grid} label={`Heat map of run ${data.uid}`} /> : null}
      <Plot options={options} data={initial} plotRef={plotRef} label={`Plot of run ${data.uid}`} />
    </div>
  );
}

import { useMemo, useState } from 'react';
import uPlot from 'uplot';
import { ErrorText } from '../components/error-text.tsx';
import { useAsync } from '../hooks.ts';
import { seriesColor } from '../plots/colors.ts';
import { baseOptions, Plot, valueAxis } from '../plots/plot.tsx';
import { Link } from '../router.tsx';
import { loadRunDocuments } from './load-run.ts';
import { ELAPSED, SEQ_NUM } from './run-data.ts';

/** Two runs' data on one plot, on the axes they share. */
export function CompareRuns(props: { a: string; b: string }) {
  const runs = useAsync(
    async (signal) => Promise.all([loadRunDocuments(props.a, signal), loadRunDocuments(props.b, signal)]),
    [props.a, props.b],
  );
  const [a, b] = runs.data?.map((r) => r.data) ?? [];
  const shared = useMemo(
    () => (a && b ? a.numericKeys().filter((k) => b.numericKeys().includes(k)) : []),
    [a, b],
  );
  const [xChoice, setX] = useState<string | null>(null);
  const [yChoice, setY] = useState<string | null>(null);
  const x = xChoice ?? (a && shared.includes(a.defaultX()) ? a.defaultX() : ELAPSED);
  const y = yChoice ?? shared.find((k) => k !== x && !a?.motors.includes(k)) ?? shared[0] ?? SEQ_NUM;

  const plot = useMemo(() => {
    if (!a || !b) return null;
    const data = uPlot.join([a.series(x, [y]) as uPlot.AlignedData, b.series(x, [y]) as uPlot.AlignedData]);
    const unit = a.unitOf(y);
    const options = baseOptions({
      scales: { x: { time: false } },
      series: [
        { label: x },
        {
          label: `${a.uid.slice(0, 8)} ${y}`,
          stroke: seriesColor(0),
          width: 1.5,
          spanGaps: true,
          points: { show: true, size: 4 },
        },
        {
          label: `${b.uid.slice(0, 8)} ${y}`,
          stroke: seriesColor(1),
          width: 1.5,
          spanGaps: true,
          points: { show: true, size: 4 },
        },
      ],
      axes: [
        { label: a.unitOf(x) ? `${x} (${a.unitOf(x)})` : x },
        valueAxis({ label: unit ? `${y} (${unit})` : y }),
      ],
    });
    return { data, options };
  }, [a, b, x, y]);

  return (
    <section aria-labelledby="compare-title">
      <p>
        <Link to="/runs">← All runs</Link>
      </p>
      <h1 id="compare-title">
        Compare {props.a.slice(0, 8)} and {props.b.slice(0, 8)}
      </h1>
      <ErrorText error={runs.error} />
      {plot ? (
        <div className="card">
          <div className="plot-controls">
            <label htmlFor="compare-x">X axis</label>
            <select id="compare-x" value={x} onChange={(e) => setX(e.target.value)}>
              {[...shared, ELAPSED, SEQ_NUM].map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
            <label htmlFor="compare-y">Y axis</label>
            <select id="compare-y" value={y} onChange={(e) => setY(e.target.value)}>
              {[...shared, ELAPSED, SEQ_NUM].map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          {shared.length === 0 ? (
            <p className="muted">These runs share no data keys; compare by time or point number.</p>
          ) : null}
          <Plot options={plot.options} data={plot.data} label="Comparison plot" height={360} />
        </div>
      ) : (
        <p>Loading both runs…</p>
      )}
    </section>
  );
}

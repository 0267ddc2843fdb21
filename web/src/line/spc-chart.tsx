import { useMemo, useState } from 'react';
import type uPlot from 'uplot';
import type { LineReport } from '../api/types.ts';
import { seriesColor } from '../plots/colors.ts';
import { baseOptions, Plot, type PlotOptions, valueAxis } from '../plots/plot.tsx';

type IndividualsChart = NonNullable<LineReport['cycleTimeChart']>;

const VIOLATION_COLOR = '#d55e00';

/** The charts a report offers: cycle time, then each measure output that has one. */
function chartsOf(report: LineReport): { name: string; unit: string; chart: IndividualsChart }[] {
  const charts: { name: string; unit: string; chart: IndividualsChart }[] = [];
  if (report.cycleTimeChart) charts.push({ name: 'cycle time', unit: 'ms', chart: report.cycleTimeChart });
  for (const m of report.measures) if (m.chart) charts.push({ name: m.name, unit: '', chart: m.chart });
  return charts;
}

/** Western Electric rules as the chart's legend names them. */
const RULES: Record<number, string> = {
  1: '1 point beyond 3σ',
  2: '2 of 3 beyond 2σ',
  3: '4 of 5 beyond 1σ',
  4: '8 in a row on one side',
};

/**
 * An individuals chart of the report: the values, the centre line and the ±3σ control limits,
 * and every point that breaks a Western Electric rule marked (the rules listed under it).
 */
export function SpcChart({ report }: { report: LineReport }) {
  const charts = chartsOf(report);
  const [picked, setPicked] = useState('cycle time');
  const current = charts.find((c) => c.name === picked) ?? charts[0];
  const options = useMemo<PlotOptions>(
    () =>
      baseOptions({
        scales: { x: { time: false } },
        // parts are whole numbers: no 1.5th part on the axis
        axes: [
          { label: 'part', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
          valueAxis({ label: current?.unit ?? '' }),
        ],
        series: [
          { label: 'part' },
          { label: current?.name ?? 'value', stroke: seriesColor(0), width: 1.5 },
          { label: 'centre', stroke: seriesColor(2), dash: [4, 4], points: { show: false } },
          { label: 'UCL (+3σ)', stroke: seriesColor(6), dash: [8, 4], points: { show: false } },
          { label: 'LCL (−3σ)', stroke: seriesColor(6), dash: [8, 4], points: { show: false } },
          {
            label: 'rule violation',
            stroke: VIOLATION_COLOR,
            width: 0,
            paths: () => null,
            points: { show: true, size: 9, fill: VIOLATION_COLOR, stroke: VIOLATION_COLOR },
          },
        ],
      }),
    [current?.name, current?.unit],
  );
  const data = useMemo<uPlot.AlignedData>(() => {
    const points = current?.chart.points ?? [];
    const c = current?.chart;
    return [
      points.map((p) => p.index + 1),
      points.map((p) => p.value),
      points.map(() => c?.center ?? null),
      points.map(() => c?.ucl ?? null),
      points.map(() => c?.lcl ?? null),
      points.map((p) => (p.violations.length ? p.value : null)),
    ];
  }, [current]);
  if (!current) return <p>No parts with a cycle time or measure in this window yet.</p>;
  const violating = current.chart.points.filter((p) => p.violations.length > 0);
  const rules = [...new Set(violating.flatMap((p) => p.violations))].sort();
  const fmt = (x: number) => x.toPrecision(4);
  return (
    <div>
      <label>
        Chart{' '}
        <select aria-label="SPC chart" value={current.name} onChange={(e) => setPicked(e.target.value)}>
          {charts.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <Plot options={options} data={data} label={`SPC chart of ${current.name}`} height={240} />
      <p data-testid="spc-limits">
        {current.chart.points.length} points; centre {fmt(current.chart.center)}, UCL {fmt(current.chart.ucl)}
        , LCL {fmt(current.chart.lcl)}
      </p>
      <p data-testid="spc-violations">
        {violating.length
          ? `${violating.length} points break Western Electric rules: ${rules.map((r) => RULES[r]).join('; ')}`
          : 'No Western Electric rule violations'}
      </p>
    </div>
  );
}

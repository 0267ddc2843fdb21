import type { LineReportData } from '../line-report-data.ts';

const cell = (v: unknown): string => {
  const text =
    v === null || v === undefined ? '' : typeof v === 'number' ? String(Number(v.toFixed(6))) : String(v);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
const row = (...cells: unknown[]) => `${cells.map(cell).join(',')}\n`;

/**
 * A shift or batch report as CSV: sections (KPIs, downtime, Pareto by class and by station,
 * alarms, cycle-time control limits), each with its own header row, separated by blank lines,
 * so a spreadsheet opens it and a script can split it on blank lines.
 */
export function lineReportCsv(report: LineReportData): string {
  const k = report.kpis;
  const ct = k.cycleTime;
  let out = row('report', report.title);
  out += row('from', new Date(report.window.start).toISOString());
  out += row('to', new Date(report.window.end).toISOString());
  out += '\n';
  out += row('metric', 'value');
  const metrics: [string, unknown][] = [
    ['planned_busy_min', k.plannedBusyMs / 60_000],
    ['run_min', k.actualProductionMs / 60_000],
    ['produced', k.produced],
    ['good_first_time', k.good],
    ['scrap', k.scrap],
    ['rework', k.rework],
    ['pending', k.pending],
    ['availability', k.availability],
    ['performance', k.performance],
    ['quality', k.quality],
    ['oee', k.oee],
    ['first_pass_yield', k.firstPassYield],
    ['final_yield', k.finalYield],
    ['scrap_ratio', k.scrapRatio],
    ['rework_ratio', k.reworkRatio],
    ['defect_rate', k.defectRate],
    ['throughput_per_hour', k.throughputPerHour],
    ['target_per_hour', k.targetPerHour],
    ['throughput_vs_target', k.throughputVsTarget],
    ['ideal_cycle_ms', report.idealCycleMs],
    ['cycle_ms_mean', ct?.mean],
    ['cycle_ms_p50', ct?.p50],
    ['cycle_ms_p95', ct?.p95],
    ['cycle_ms_sigma', ct?.sigma],
    ['cycle_ms_min', ct?.min],
    ['cycle_ms_max', ct?.max],
    ['cycle_ms_ucl', report.cycleTimeChart?.ucl],
    ['cycle_ms_lcl', report.cycleTimeChart?.lcl],
    ['cycle_ms_rule_violations', report.cycleTimeChart?.points.filter((p) => p.violations.length > 0).length],
  ];
  for (const [name, value] of metrics) out += row(name, value);
  out += '\n';
  out += row('downtime_reason', 'duration_min', 'stops');
  for (const d of k.downtime) out += row(d.reason, d.durationMs / 60_000, d.stops);
  out += '\n';
  out += row('defect_class', 'count', 'percent', 'cumulative_percent');
  for (const b of report.pareto.byClass) out += row(b.key, b.count, b.percent, b.cumulativePercent);
  out += '\n';
  out += row('defect_station', 'count', 'percent', 'cumulative_percent');
  for (const b of report.pareto.byStation) out += row(b.key, b.count, b.percent, b.cumulativePercent);
  out += '\n';
  out += row('alarm_code', 'count');
  for (const a of report.alarmCounts) out += row(a.code, a.count);
  if (report.measures.length > 0) {
    out += '\n';
    out += row('measure', 'mean', 'sigma', 'ucl', 'lcl', 'cp', 'cpk');
    for (const m of report.measures)
      out += row(
        m.name,
        m.chart?.center,
        m.chart?.sigma,
        m.chart?.ucl,
        m.chart?.lcl,
        m.capability?.cp,
        m.capability?.cpk,
      );
  }
  return out;
}

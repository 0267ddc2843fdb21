import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from 'pdf-lib';
import type { LineReportData } from '../line-report-data.ts';

/** A4 portrait, in points. */
export const PAGE_SIZE: [number, number] = [595.28, 841.89];
const MARGIN = 40;
const INK = rgb(0.1, 0.1, 0.12);
const GREY = rgb(0.55, 0.55, 0.6);
const BLUE = rgb(0.16, 0.38, 0.72);
const RED = rgb(0.8, 0.15, 0.15);
const GREEN = rgb(0.1, 0.55, 0.3);
const LIGHT_BLUE = rgb(0.72, 0.8, 0.93);
/** Above this many parts the chart draws per-bucket ranges and means instead of every point. */
const DETAILED_POINTS = 300;

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const fixed = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));

interface Pen {
  page: PDFPage;
  font: PDFFont;
  bold: PDFFont;
}

/** The standard fonts speak WinAnsi only: anything else (σ, X̄) is spelled out or replaced. */
function winAnsi(font: PDFFont, text: string): string {
  const spelled = text.replaceAll('σ', 'sigma').replaceAll('±', '+/-');
  try {
    font.encodeText(spelled);
    return spelled;
  } catch {
    return [...spelled]
      .map((ch) => {
        try {
          font.encodeText(ch);
          return ch;
        } catch {
          return '?';
        }
      })
      .join('');
  }
}

function text(
  pen: Pen,
  s: string,
  x: number,
  y: number,
  size = 9,
  font: PDFFont = pen.font,
  color = INK,
): void {
  pen.page.drawText(winAnsi(font, s), { x, y, size, font, color });
}

function table(
  pen: Pen,
  title: string,
  rows: [string, string][],
  x: number,
  y: number,
  width: number,
): number {
  text(pen, title, x, y, 11, pen.bold);
  let cursor = y - 16;
  for (const [label, value] of rows) {
    text(pen, label, x, cursor);
    const v = winAnsi(pen.font, value);
    text(pen, v, x + width - pen.font.widthOfTextAtSize(v, 9), cursor);
    cursor -= 13;
  }
  return cursor;
}

/** Bars by count with the cumulative-% line on a 0–100 % right axis. */
function paretoChart(pen: Pen, report: LineReportData, x: number, y: number, w: number, h: number): void {
  text(pen, 'Defect Pareto by class', x, y + h + 8, 11, pen.bold);
  const { page } = pen;
  page.drawRectangle({ x, y, width: w, height: h, borderColor: GREY, borderWidth: 0.5 });
  const bars = report.pareto.byClass.slice(0, 8);
  if (bars.length === 0) {
    text(pen, 'no defects', x + w / 2 - 20, y + h / 2, 9, pen.font, GREY);
    return;
  }
  const max = Math.max(...bars.map((b) => b.count));
  const slot = w / bars.length;
  let previous: { x: number; y: number } | undefined;
  for (const [i, b] of bars.entries()) {
    const bh = (b.count / max) * (h - 20);
    const bx = x + i * slot + slot * 0.15;
    page.drawRectangle({ x: bx, y, width: slot * 0.7, height: bh, color: BLUE });
    text(pen, String(b.count), bx, y + bh + 2, 7);
    text(pen, b.key.slice(0, 14), bx, y - 10, 7);
    const point = { x: x + i * slot + slot / 2, y: y + (b.cumulativePercent / 100) * (h - 4) };
    if (previous) page.drawLine({ start: previous, end: point, thickness: 1.2, color: RED });
    page.drawCircle({ ...point, size: 1.8, color: RED });
    previous = point;
  }
  text(pen, 'cumulative %', x + w - 55, y + h - 10, 7, pen.font, RED);
}

/** Individuals chart of cycle time: the series, centre line, ±3σ limits, ideal cycle, rule violations. */
function cycleChart(pen: Pen, report: LineReportData, x: number, y: number, w: number, h: number): void {
  text(pen, 'Cycle time (ms), individuals chart with +/-3 sigma limits', x, y + h + 8, 11, pen.bold);
  const { page } = pen;
  page.drawRectangle({ x, y, width: w, height: h, borderColor: GREY, borderWidth: 0.5 });
  const chart = report.cycleTimeChart;
  if (!chart) {
    text(pen, 'fewer than two cycle times', x + w / 2 - 50, y + h / 2, 9, pen.font, GREY);
    return;
  }
  const values = chart.points.map((p) => p.value);
  const lo = Math.min(...values, chart.lcl, report.idealCycleMs);
  const hi = Math.max(...values, chart.ucl, report.idealCycleMs);
  const span = hi - lo || 1;
  const sy = (v: number) => y + 4 + ((v - lo) / span) * (h - 8);
  const sx = (i: number) => x + 4 + (values.length === 1 ? 0 : (i / (values.length - 1)) * (w - 8));
  const hline = (v: number, color: ReturnType<typeof rgb>, label: string, dashed: boolean) => {
    page.drawLine({
      start: { x, y: sy(v) },
      end: { x: x + w, y: sy(v) },
      thickness: 0.8,
      color,
      ...(dashed ? { dashArray: [4, 3] } : {}),
    });
    text(pen, `${label} ${v.toFixed(0)}`, x + w + 3, sy(v) - 3, 7, pen.font, color);
  };
  hline(chart.ucl, RED, 'UCL', true);
  hline(chart.lcl, RED, 'LCL', true);
  hline(chart.center, GREEN, 'CL', false);
  hline(report.idealCycleMs, GREY, 'ideal', true);
  const flagged = chart.points.filter((p) => p.violations.length > 0);
  if (values.length <= DETAILED_POINTS) {
    let previous: { x: number; y: number } | undefined;
    for (const [i, v] of values.entries()) {
      const point = { x: sx(i), y: sy(v) };
      if (previous) page.drawLine({ start: previous, end: point, thickness: 0.6, color: BLUE });
      previous = point;
    }
    for (const p of flagged) page.drawCircle({ x: sx(p.index), y: sy(p.value), size: 1.6, color: RED });
  } else {
    // A long shift: one column per bucket of parts, its min–max as a light bar and its mean
    // on the line, so every part is represented and the page stays legible.
    const buckets = Math.floor((w - 8) / 2);
    const per = values.length / buckets;
    let previous: { x: number; y: number } | undefined;
    for (let b = 0; b < buckets; b++) {
      const slice = values.slice(Math.floor(b * per), Math.floor((b + 1) * per));
      if (slice.length === 0) continue;
      const bx = x + 4 + b * 2;
      page.drawLine({
        start: { x: bx, y: sy(Math.min(...slice)) },
        end: { x: bx, y: sy(Math.max(...slice)) },
        thickness: 1,
        color: LIGHT_BLUE,
      });
      const point = { x: bx, y: sy(slice.reduce((a, v) => a + v, 0) / slice.length) };
      if (previous) page.drawLine({ start: previous, end: point, thickness: 0.8, color: BLUE });
      previous = point;
    }
  }
  const beyond = chart.points.filter((p) => p.violations.includes(1)).length;
  text(
    pen,
    `${values.length} parts; ${beyond} beyond 3 sigma; ${flagged.length} flagged by Western Electric rules 1-4`,
    x,
    y - 12,
    7,
    pen.font,
    GREY,
  );
}

/** The shift or batch report as a one-page PDF, drawn with pdf-lib's primitives (no browser). */
export async function lineReportPdf(report: LineReportData, generatedAt = Date.now()): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(report.title);
  doc.setCreator('Benchtop');
  doc.setCreationDate(new Date(generatedAt));
  const page = doc.addPage(PAGE_SIZE);
  const pen: Pen = {
    page,
    font: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
  };
  const [width, height] = PAGE_SIZE;
  const k = report.kpis;
  let y = height - MARGIN - 16;
  text(pen, report.title, MARGIN, y, 16, pen.bold);
  y -= 16;
  text(
    pen,
    `${new Date(report.window.start).toISOString().slice(0, 16)}Z to ${new Date(report.window.end).toISOString().slice(0, 16)}Z, planned ${(k.plannedBusyMs / 60_000).toFixed(0)} min`,
    MARGIN,
    y,
    9,
    pen.font,
    GREY,
  );
  y -= 28;
  const colWidth = (width - 2 * MARGIN - 30) / 2;
  const ct = k.cycleTime;
  const left = table(
    pen,
    'OEE and yield',
    [
      ['OEE (target 85 %)', pct(k.oee)],
      ['Availability', pct(k.availability)],
      ['Performance', pct(k.performance)],
      ['Quality', pct(k.quality)],
      ['First-pass yield', pct(k.firstPassYield)],
      ['Final yield', pct(k.finalYield)],
      ['Scrap ratio', pct(k.scrapRatio)],
      ['Rework ratio', pct(k.reworkRatio)],
      ['Produced / good / scrap / rework', `${k.produced} / ${k.good} / ${k.scrap} / ${k.rework}`],
      [
        'Throughput vs target (parts/h)',
        `${k.throughputPerHour.toFixed(0)} / ${k.targetPerHour} (${pct(k.throughputVsTarget)})`,
      ],
      ['Cycle ms: mean / p50 / p95', `${fixed(ct?.mean)} / ${fixed(ct?.p50)} / ${fixed(ct?.p95)}`],
      ['Cycle ms: sigma / ideal', `${fixed(ct?.sigma, 1)} / ${report.idealCycleMs}`],
    ],
    MARGIN,
    y,
    colWidth,
  );
  const downtimeRows: [string, string][] = k.downtime
    .slice(0, 8)
    .map((d) => [d.reason, `${(d.durationMs / 60_000).toFixed(1)} min, ${d.stops} stop(s)`]);
  const right = table(
    pen,
    'Downtime by reason',
    downtimeRows.length ? downtimeRows : [['none', '']],
    MARGIN + colWidth + 30,
    y,
    colWidth,
  );
  const alarms = report.alarmCounts.slice(0, 6).map((a): [string, string] => [a.code, `${a.count}`]);
  const afterAlarms = table(
    pen,
    'Alarms',
    alarms.length ? alarms : [['none', '']],
    MARGIN + colWidth + 30,
    right - 10,
    colWidth,
  );
  y = Math.min(left, afterAlarms) - 40;
  const chartWidth = width - 2 * MARGIN - 45;
  paretoChart(pen, report, MARGIN, y - 150, chartWidth, 150);
  y -= 150 + 50;
  cycleChart(pen, report, MARGIN, y - 200, chartWidth, 200);
  y -= 200 + 30;
  for (const m of report.measures.slice(0, 3)) {
    if (!m.chart) continue;
    const cap = m.capability;
    text(
      pen,
      `${m.name}: mean ${m.chart.center.toFixed(4)}, sigma ${m.chart.sigma.toFixed(4)}, UCL ${m.chart.ucl.toFixed(4)}, LCL ${m.chart.lcl.toFixed(4)}${cap ? `, Cp ${cap.cp?.toFixed(2) ?? '-'}, Cpk ${cap.cpk?.toFixed(2) ?? '-'}` : ''}`,
      MARGIN,
      y,
    );
    y -= 13;
  }
  text(
    pen,
    `Benchtop line report, generated ${new Date(generatedAt).toISOString().slice(0, 19)}Z`,
    MARGIN,
    MARGIN - 15,
    7,
    pen.font,
    GREY,
  );
  return doc.save();
}

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchPeriod, type LineReportData, loadLineReport, shiftPeriod } from '../line-report-data.ts';
import { SqliteLineStore } from '../store/sqlite-line-store.ts';
import { testLineConfig } from '../testing/line-test-config.ts';
import { syntheticShiftRecords } from '../testing/synthetic-shift.ts';
import { lineReportCsv } from './line-report-csv.ts';
import { lineReportPdf, PAGE_SIZE } from './line-report-pdf.ts';

const dir = mkdtempSync(join(tmpdir(), 'line-report-'));
const store = new SqliteLineStore(join(dir, 'production.sqlite'));
const line = testLineConfig();
const shift = syntheticShiftRecords(line, {
  seed: 11,
  date: '2026-12-01',
  shiftName: 'A',
  faultAt: '08:00',
  faultMs: 25 * 60_000,
  faultCode: 'F301',
  microStopRate: 0.1,
  microStopMs: 3000,
  jitterMs: 100,
  defectRates: { scratch: 0.03, dent: 0.02 },
});
let report: LineReportData;

before(async () => {
  await store.write(shift.batch);
  report = await loadLineReport(store, line, shiftPeriod(line, '2026-12-01', 'A'));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Decodes a binary PPM (P6), what `pdftoppm` writes without a format flag. */
function readPpm(file: string): { width: number; height: number; rgb: Buffer } {
  const data = readFileSync(file);
  const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString('latin1'));
  assert.ok(header, 'not a P6 PPM');
  return { width: Number(header[1]), height: Number(header[2]), rgb: data.subarray(header[0].length) };
}

describe('shift report', () => {
  it('computes the KPIs of the stored shift, within 1 % of the shift’s truth', () => {
    const k = report.kpis;
    assert.equal(k.produced, shift.batch.parts.length);
    assert.equal(k.plannedBusyMs, 460 * 60_000);
    for (const key of ['availability', 'performance', 'quality'] as const)
      assert.ok(Math.abs(k[key] - shift.truth[key]) < 0.01, `${key} ${k[key]} vs ${shift.truth[key]}`);
    assert.deepEqual(k.downtime, [{ reason: 'F301', durationMs: 25 * 60_000, stops: 1 }]);
    assert.deepEqual(
      report.pareto.byClass.map((b) => b.key),
      ['scratch', 'dent'],
    );
    assert.equal(report.cycleTimes.length, k.produced);
    assert.ok(report.cycleTimeChart && report.cycleTimeChart.ucl > report.cycleTimeChart.center);
    assert.equal(report.measures[0]!.name, 'width_mm');
    assert.ok(Math.abs(report.measures[0]!.capability!.cp! - 0.4 / (6 * 0.03)) < 0.2);
    assert.deepEqual(report.alarmCounts, [{ code: 'F301', count: 1 }]);
  });

  it('a batch report covers the day’s parts of that batch', async () => {
    const batch = await loadLineReport(store, line, batchPeriod(line, 'B20261201'));
    assert.equal(batch.kpis.produced, shift.batch.parts.length);
    // both shifts are planned that day; shift B made nothing
    assert.equal(batch.kpis.plannedBusyMs, (460 + 480) * 60_000);
    const empty = await loadLineReport(store, line, batchPeriod(line, 'B20261202'));
    assert.equal(empty.kpis.produced, 0);
  });

  it('CSV: sections with their header rows; the KPI values are the report’s', () => {
    const csv = lineReportCsv(report);
    const sections = csv.split('\n\n');
    assert.deepEqual(
      sections.slice(1).map((s) => s.split('\n')[0]),
      [
        'metric,value',
        'downtime_reason,duration_min,stops',
        'defect_class,count,percent,cumulative_percent',
        'defect_station,count,percent,cumulative_percent',
        'alarm_code,count',
        'measure,mean,sigma,ucl,lcl,cp,cpk',
      ],
    );
    const metric = (name: string) => Number(csv.match(new RegExp(`^${name},(.*)$`, 'm'))![1]);
    assert.equal(metric('produced'), report.kpis.produced);
    assert.ok(Math.abs(metric('oee') - report.kpis.oee) < 1e-6);
    assert.match(csv, /^F301,25,1$/m);
    assert.ok(csv.startsWith('report,"Line assembly1 — shift A, 2026-12-01"\n'), csv.slice(0, 80));
  });

  it('PDF: pdftoppm renders one A4 page with ink in the KPI table, the Pareto and the cycle-time chart', async () => {
    const pdf = await lineReportPdf(report, Date.UTC(2026, 11, 1, 14, 5));
    const file = join(dir, 'report.pdf');
    writeFileSync(file, pdf);
    execFileSync('pdftoppm', ['-r', '72', '-singlefile', file, join(dir, 'page')]);
    const page = readPpm(join(dir, 'page.ppm'));
    assert.ok(Math.abs(page.width - PAGE_SIZE[0]) <= 1, `width ${page.width}`);
    assert.ok(Math.abs(page.height - PAGE_SIZE[1]) <= 1, `height ${page.height}`);
    const inked = (x0: number, y0: number, x1: number, y1: number, blue = false) => {
      let n = 0;
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) {
          const i = 3 * (y * page.width + x);
          const [r, g, b] = [page.rgb[i]!, page.rgb[i + 1]!, page.rgb[i + 2]!];
          if (blue ? b > 150 && r < 120 : r + g + b < 600) n++;
        }
      return n;
    };
    const all = inked(0, 0, page.width, page.height);
    assert.ok(all > 0.01 * page.width * page.height, `only ${all} non-white pixels`);
    // rows from the top in image coordinates: title and KPI table, then the Pareto, then the chart
    assert.ok(inked(40, 30, 300, 260) > 1000, 'KPI table');
    assert.ok(inked(40, 300, 520, 480, true) > 500, 'Pareto bars (blue)');
    assert.ok(inked(40, 480, 520, 760, true) > 300, 'cycle-time series (blue)');
    const pages = execFileSync('pdfinfo', [file]).toString();
    assert.match(pages, /^Pages:\s+1$/m);
  });
});

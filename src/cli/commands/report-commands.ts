import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { BenchtopError } from '../../core/errors.ts';
import type { Invocation } from '../command-spec.ts';
import { type ConfigFlags, flagOverrides, resolveConfigFile } from '../config-source.ts';

interface ReportFlags extends ConfigFlags {
  line: string;
  out: string;
  format?: 'pdf' | 'csv';
}

function formatOf(flags: ReportFlags): 'pdf' | 'csv' {
  if (flags.format) return flags.format;
  const ext = extname(flags.out).toLowerCase();
  if (ext === '.pdf' || ext === '.csv') return ext.slice(1) as 'pdf' | 'csv';
  throw new BenchtopError('VALIDATION_FAILED', `--out ${flags.out}: name it .pdf or .csv, or give --format`, {
    out: flags.out,
  });
}

/** Loads the config and store, builds the period's report, writes it; imports lazily (see db-commands). */
async function writeReport(
  flags: ReportFlags,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  period: { shift?: { date: string; name: string }; batch?: string },
): Promise<void> {
  const format = formatOf(flags);
  const { loadBenchtopConfig } = await import('../../app/load-benchtop-config.ts');
  const { config } = loadBenchtopConfig({
    file: resolveConfigFile(flags.config, env),
    env,
    flags: flagOverrides(flags),
  });
  const line = config.lines.find((l) => l.id === flags.line);
  if (!line) {
    throw new BenchtopError(
      'NOT_FOUND',
      `No line "${flags.line}" in the configuration (lines: ${config.lines.map((l) => l.id).join(', ') || 'none'})`,
      { line: flags.line },
    );
  }
  const { batchPeriod, loadLineReport, shiftPeriod } = await import('../../production/line-report-data.ts');
  const { openLineStore } = await import('../../production/store/open-line-store.ts');
  const store = await openLineStore(config);
  try {
    const chosen = period.shift
      ? shiftPeriod(line, period.shift.date, period.shift.name)
      : batchPeriod(line, period.batch!);
    const report = await loadLineReport(store, line, chosen);
    if (format === 'pdf') {
      const { lineReportPdf } = await import('../../production/report/line-report-pdf.ts');
      writeFileSync(flags.out, await lineReportPdf(report));
    } else {
      const { lineReportCsv } = await import('../../production/report/line-report-csv.ts');
      writeFileSync(flags.out, lineReportCsv(report));
    }
    const k = report.kpis;
    out.write(
      `${flags.out}: ${report.title}: ${k.produced} parts, OEE ${(100 * k.oee).toFixed(1)} %, FPY ${(100 * k.firstPassYield).toFixed(1)} %\n`,
    );
  } finally {
    await store.close();
  }
}

// `benchtop report shift|batch`: a production line's shift or batch report as PDF or CSV, from the store.

export async function reportShift(
  inv: Invocation<ReportFlags & { date: string; shift: string }, unknown>,
): Promise<void> {
  const flags = inv.options;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(flags.date) || Number.isNaN(Date.parse(flags.date)))
    throw new BenchtopError('VALIDATION_FAILED', `--date must be YYYY-MM-DD, not "${flags.date}"`);
  await writeReport(flags, inv.env, inv.out, { shift: { date: flags.date, name: flags.shift } });
}

export async function reportBatch(inv: Invocation<ReportFlags & { batch: string }, unknown>): Promise<void> {
  await writeReport(inv.options, inv.env, inv.out, { batch: inv.options.batch });
}

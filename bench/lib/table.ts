import type { BenchResult } from './results.ts';

/** 12345.6 → "12,346"; 3.14159 → "3.14"; 0.01234 → "0.0123": three significant digits or whole units. */
export function formatNumber(value: number | null): string {
  if (value === null) return '—';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs === 0) return '0';
  return Number(value.toPrecision(3)).toString();
}

function oursCell(r: BenchResult): string {
  const s = r.spread?.ours;
  const unit = r.unit ? ` ${r.unit}` : '';
  if (r.ours === null) return 'not measured';
  if (!s || s.n < 2) return `${formatNumber(r.ours)}${unit}`;
  return `${formatNumber(r.ours)}${unit} (${formatNumber(s.min)}–${formatNumber(s.max)})`;
}

function anchorsCell(r: BenchResult): string {
  const names = Object.keys(r.anchors);
  if (names.length === 0) return '';
  return names
    .map((name) => {
      const value = r.anchors[name] ?? null;
      if (value === null) return `${name}: missing`;
      const s = r.spread?.anchors?.[name];
      const range = s && s.n >= 2 ? ` (${formatNumber(s.min)}–${formatNumber(s.max)})` : '';
      return `${name}: ${formatNumber(value)}${range}`;
    })
    .join('; ');
}

function ratiosCell(r: BenchResult): string {
  return Object.entries(r.ratios)
    .map(([name, ratio]) => `${formatNumber(ratio)}× ${name}`)
    .join('; ');
}

function metCell(r: BenchResult): string {
  if (r.target === null) return '';
  if (r.met === null) return 'n/a';
  return r.met ? 'yes' : '**no**';
}

/**
 * The results as a Markdown table: readable in a terminal and pasted as-is into the README.
 * Figures are medians over the rounds, with min–max in parentheses.
 */
export function resultsTable(results: readonly BenchResult[]): string {
  const header = ['benchmark', 'metric', 'Benchtop (min–max)', 'anchors (min–max)', 'ratio', 'target', 'met'];
  const rows = results.map((r) => [
    r.benchmark,
    r.metric,
    oursCell(r),
    anchorsCell(r),
    ratiosCell(r),
    r.target ?? '',
    metCell(r),
  ]);
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

import { duration, type Suspension } from './run-progress-bar.ts';

/**
 * One run as the CLI shows it, whether it came from the engine (`RunInfo`: state, exit_status,
 * progress) or from the catalog (`RunRecord`: status, start/end times), locally or from the
 * server (bare, wrapped as `{ run }`, or a record with the engine's `live` view).
 */
export interface RunView {
  uid: string;
  plan: string;
  /** queued, running, paused, suspended, success, abort, fail, interrupted, cancelled */
  status: string;
  state: string;
  finished: boolean;
  reason: string | null;
  /** Seconds since the epoch. */
  start_time: number | null;
  end_time: number | null;
  progress: { done: number; total: number | null; eta_s: number | null };
  /** While suspended (from the engine's view of the run). */
  suspension: Suspension | null;
  num_events: Record<string, number>;
  files: string[];
  warnings: string[];
  args: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

const ENDED = new Set(['success', 'abort', 'fail', 'interrupted', 'cancelled']);

function suspensionOf(raw: Record<string, unknown>): Suspension | null {
  const since = num(raw.suspended_at);
  if (str(raw.state) !== 'suspended' || since === null) return null;
  const reasons = Array.isArray(raw.suspended_by) ? raw.suspended_by.map(String) : [];
  return { reasons, since, fails_at: num(raw.fails_at) };
}

export function runView(body: unknown): RunView {
  const outer = (isRecord(body) && isRecord(body.run) ? body.run : body) as Record<string, unknown>;
  // The server answers a catalog record with the engine's view of the run beside it (`live`).
  const raw = isRecord(outer.live) ? { ...outer, ...outer.live } : outer;
  const state = str(raw.state) ?? (str(raw.status) === 'running' ? 'running' : 'finished');
  const status = str(raw.exit_status) ?? (state === 'finished' ? str(raw.status) : null) ?? state;
  const progress = isRecord(raw.progress) ? raw.progress : {};
  const events = isRecord(raw.num_events) ? (raw.num_events as Record<string, number>) : {};
  return {
    uid: str(raw.uid) ?? '?',
    plan: str(raw.plan) ?? str(raw.plan_name) ?? '?',
    status,
    state,
    finished: state === 'finished' || state === 'cancelled' || ENDED.has(status),
    reason: str(raw.reason) || null,
    start_time: num(raw.started_at) ?? num(raw.start_time),
    end_time: num(raw.ended_at) ?? num(raw.end_time),
    progress: {
      done: num(progress.done) ?? Object.values(events).reduce((a, b) => a + b, 0),
      total: num(progress.total),
      eta_s: num(progress.eta_s),
    },
    suspension: suspensionOf(raw),
    num_events: events,
    files: Array.isArray(raw.files) ? raw.files.map(String) : [],
    warnings: Array.isArray(raw.warnings)
      ? raw.warnings.map((w) => (isRecord(w) ? (str(w.message) ?? JSON.stringify(w)) : String(w)))
      : [],
    args: isRecord(raw.args) ? raw.args : isRecord(raw.plan_args) ? raw.plan_args : {},
    metadata: isRecord(raw.metadata) ? raw.metadata : {},
  };
}

/** The run's details, one `key: value` per line. */
export function showRun(view: RunView): string {
  const lines = [
    `uid:      ${view.uid}`,
    `plan:     ${view.plan} ${JSON.stringify(view.args)}`,
    `status:   ${view.status}${view.reason ? ` (${view.reason})` : ''}`,
  ];
  if (view.start_time !== null) lines.push(`started:  ${iso(view.start_time)}`);
  if (view.end_time !== null) {
    const took = view.start_time !== null ? ` (${duration(view.end_time - view.start_time)})` : '';
    lines.push(`ended:    ${iso(view.end_time)}${took}`);
  }
  const events = Object.entries(view.num_events).map(([s, n]) => `${s}=${n}`);
  if (events.length > 0) lines.push(`events:   ${events.join(' ')}`);
  if (Object.keys(view.metadata).length > 0) lines.push(`metadata: ${JSON.stringify(view.metadata)}`);
  for (const w of view.warnings) lines.push(`warning:  ${w}`);
  lines.push(view.files.length > 0 ? 'files:' : 'files:    (none)');
  for (const f of view.files) lines.push(`  ${f}`);
  return `${lines.join('\n')}\n`;
}

/** One line per run: uid, plan, status, start time, events. */
export function showRunTable(views: RunView[]): string {
  if (views.length === 0) return 'no runs\n';
  const rows = views.map((v) => [
    v.uid,
    v.plan,
    v.status,
    v.start_time !== null ? iso(v.start_time) : '-',
    String(Object.values(v.num_events).reduce((a, b) => a + b, 0)),
  ]);
  const header = ['UID', 'PLAN', 'STATUS', 'STARTED', 'EVENTS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

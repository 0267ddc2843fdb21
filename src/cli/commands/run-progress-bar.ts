export interface ProgressState {
  done: number;
  total: number | null;
  eta_s: number | null;
  /** Run state (running, paused, suspended…) or an export phase. */
  state: string;
  /** While suspended: why, since when and when it fails (seconds since the epoch). */
  suspension?: Suspension | null;
}

export interface Suspension {
  reasons: string[];
  since: number;
  fails_at: number | null;
}

const BAR_WIDTH = 28;

/**
 * A progress bar on stderr. On a terminal it redraws one line in place; otherwise (a log file,
 * CI) it prints a plain line at each tenth of the total and at every state change, so the
 * output stays readable.
 */
export class ProgressBar {
  private readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly label: string;
  private readonly tty: boolean;
  private drawn = false;
  private lastState = '';
  private lastTenth = -1;

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, label: string, tty = out.isTTY === true) {
    this.out = out;
    this.label = label;
    this.tty = tty;
  }

  update(progress: ProgressState): void {
    const line = formatProgress(this.label, progress, BAR_WIDTH);
    if (this.tty) {
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
      return;
    }
    const tenth = progress.total ? Math.floor((10 * progress.done) / progress.total) : -1;
    if (progress.state !== this.lastState || tenth !== this.lastTenth) this.out.write(`${line}\n`);
    this.lastState = progress.state;
    this.lastTenth = tenth;
  }

  /** A message above the bar (warnings), without breaking it. */
  note(message: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.out.write(`${message}\n`);
    this.drawn = false;
  }

  /** Leaves the last drawn line in place and moves below it. */
  finish(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

export function formatProgress(
  label: string,
  p: ProgressState,
  width = BAR_WIDTH,
  now = Date.now() / 1000,
): string {
  const count = p.total === null ? `${p.done}` : `${p.done}/${p.total}`;
  let bar = '';
  let percent = '';
  if (p.total !== null && p.total > 0) {
    const fraction = Math.min(1, p.done / p.total);
    const filled = Math.round(fraction * width);
    bar = ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    percent = ` ${Math.floor(fraction * 100)}%`.padStart(5);
  }
  const eta =
    p.eta_s !== null && p.done < (p.total ?? Number.POSITIVE_INFINITY) ? ` ETA ${duration(p.eta_s)}` : '';
  return `${label}${bar}${percent} ${count}${eta} ${p.state}${suspensionText(p, now)}`;
}

/** ` 0:12: meter is unavailable: … (fails in 1:48)`, the elapsed time counted from `now`. */
function suspensionText(p: ProgressState, now: number): string {
  const s = p.suspension;
  if (p.state !== 'suspended' || !s) return '';
  const fails = s.fails_at !== null ? ` (fails in ${duration(s.fails_at - now)})` : '';
  return ` ${duration(now - s.since)}: ${s.reasons.join('; ') || 'no reason given'}${fails}`;
}

/** 75 → `1:15`, 3725 → `1:02:05`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

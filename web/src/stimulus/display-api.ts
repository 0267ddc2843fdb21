import type { StimulusProtocol } from '../../../src/instruments/stimulus-display/protocol-schedule.ts';
import { sendJson } from '../api/http.ts';
import { instrumentPath } from '../api/instruments.ts';

/** The StimulusDisplay driver's actions, as the presentation page calls them. */

export interface DisplayRun {
  id: string;
  start_at: number;
  state: 'pending' | 'presenting' | 'done' | 'stalled' | 'stopped';
  reason: string | null;
  frame_count: number;
}

export interface ReportedFrame {
  index: number;
  direction: 'LR' | 'RL' | 'TB' | 'BT' | null;
  sweep: number | null;
  phase: 'baseline' | 'sweep' | 'gap';
  bar_deg: number | null;
  /** Server clock, ms since the epoch. */
  presented_at: number;
}

async function call<T>(display: string, action: string, args: Record<string, unknown> = {}): Promise<T> {
  const reply = await sendJson<{ result: T }>('POST', `${instrumentPath(display)}/actions/${action}`, {
    args,
  });
  return reply.result;
}

export const displayApi = {
  protocol: (display: string) =>
    call<{
      protocol: StimulusProtocol;
      run: DisplayRun | null;
      photodiode: { signal: string; threshold: number | null } | null;
    }>(display, 'protocol'),
  serverTime: (display: string) => call<{ now: number }>(display, 'server_time'),
  report: (display: string, run: string, frames: ReportedFrame[], offsetMs: number, uncertaintyMs: number) =>
    call<DisplayRun & { accepted: number }>(display, 'report', {
      run,
      frames,
      offset_ms: offsetMs,
      uncertainty_ms: uncertaintyMs,
    }),
};

/**
 * A stimulus frame as the presentation page reported it: what it showed and when, on the
 * server's clock (the page converts its own presentation time through its measured offset).
 * Written here so the bus, recorders and the simulated cortex share one shape.
 */
export interface PresentedStimulusFrame {
  index: number;
  direction: 'LR' | 'RL' | 'TB' | 'BT' | null;
  sweep: number | null;
  phase: 'baseline' | 'sweep' | 'gap';
  /** Bar centre in degrees of azimuth (LR/RL) or altitude (TB/BT); null on the background. */
  barDeg: number | null;
  /** Presentation time, server wall-clock ms. */
  presentedAt: number;
}

/** How a presentation run stands. */
export type StimulusRunState = 'pending' | 'presenting' | 'done' | 'stalled' | 'stopped';

export interface StimulusRunChange {
  display: string;
  run: string;
  state: StimulusRunState;
  reason: string | null;
}

/** Life-cycle states of a supervised actor, published on the bus at every change. */
export const ActorStates = [
  'starting',
  'ready',
  'failed',
  'restarting',
  'stopping',
  'stopped',
  'faulted',
] as const;
export type ActorState = (typeof ActorStates)[number];

export interface ActorStateChange {
  id: string;
  /** What kind of actor this is, e.g. the instrument type `ESP300`. */
  kind: string;
  state: ActorState;
  previous: ActorState | null;
  /** Epoch milliseconds. */
  at: number;
  /** Why it failed, for failed/restarting/faulted. */
  error?: { code: string; message: string };
  /** Restarts counted in the current window. */
  restarts: number;
  /** For restarting: delay before the next attempt. */
  retryInMs?: number;
}

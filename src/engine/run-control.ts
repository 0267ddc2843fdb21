import type { ExitStatus } from '../core/documents.ts';

/** Thrown into whatever a step is waiting on when the engine interrupts it. */
export class StepInterrupted extends Error {
  constructor() {
    super('step interrupted');
    this.name = 'StepInterrupted';
  }
}

/** Thrown out of the run loop when the run must end now (abort, stop, writer failure). */
export class RunEnding extends Error {
  constructor() {
    super('run ending');
    this.name = 'RunEnding';
  }
}

export function isInterrupt(error: unknown): boolean {
  return error instanceof StepInterrupted;
}

export interface EndRequest {
  exitStatus: ExitStatus;
  reason: string;
  /** For a failure: its error code and message. */
  error?: { code: string; message: string };
}

/**
 * The requests one run's loop honours, set from outside (the engine's pause/resume/abort/stop,
 * suspensions, a failing writer) and read by the run between and during messages. Waiting
 * parts of a step listen to `stepSignal`; `interrupt` aborts them so the run reacts at once.
 */
export class RunControl {
  pauseRequested = false;
  end: EndRequest | null = null;
  /** A stop that waits for the plan's next `boundary` (the end of a recipe's cycle). */
  endAtBoundary: EndRequest | null = null;
  private readonly suspensions: () => string[];
  private stepAbort = new AbortController();
  private waiters: (() => void)[] = [];

  /** `suspensions` lists the engine's active suspension reasons (they outlive a run). */
  constructor(suspensions: () => string[]) {
    this.suspensions = suspensions;
  }

  get stepSignal(): AbortSignal {
    return this.stepAbort.signal;
  }

  suspendedBy(): string[] {
    return this.suspensions();
  }

  /** Aborts what the step is waiting on; the next step gets a fresh signal. */
  interrupt(): void {
    const previous = this.stepAbort;
    this.stepAbort = new AbortController();
    previous.abort(new StepInterrupted());
    this.changed();
  }

  requestEnd(request: EndRequest): void {
    // The first reason wins: an abort during a failing shutdown stays the failure.
    this.end ??= request;
    this.interrupt();
  }

  /** Wakes everything waiting in `nextChange`. */
  changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves or rejects with `promise`, unless the step is interrupted first. */
  interruptible<T>(promise: Promise<T>): Promise<T> {
    const signal = this.stepAbort.signal;
    if (signal.aborted) {
      promise.catch(() => {});
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}

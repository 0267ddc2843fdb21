/**
 * In-process typed event bus. Producers (actors, the run engine, writers) emit; consumers
 * (storage, server, alarms, metrics) subscribe. Delivery is synchronous and in order;
 * a throwing handler is isolated and reported, never breaking the producer or other handlers.
 * Consumers that do slow work must queue it themselves (bounded) rather than block here.
 */
export type Handler<T> = (payload: T) => void;

export interface HandlerFailure {
  topic: string;
  error: unknown;
}

export class EventBus<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<Handler<never>>>();
  private readonly anyHandlers = new Set<(topic: keyof Events, payload: unknown) => void>();
  private readonly onHandlerError: (failure: HandlerFailure) => void;
  private emitted = 0;
  private handlerErrors = 0;

  constructor(onHandlerError: (failure: HandlerFailure) => void = () => {}) {
    this.onHandlerError = onHandlerError;
  }

  on<K extends keyof Events>(topic: K, handler: Handler<Events[K]>): () => void {
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler as Handler<never>);
    return () => {
      set.delete(handler as Handler<never>);
    };
  }

  /** Subscribes to every topic (bridges: WebSocket, NATS). */
  onAny(handler: (topic: keyof Events, payload: unknown) => void): () => void {
    this.anyHandlers.add(handler);
    return () => {
      this.anyHandlers.delete(handler);
    };
  }

  /** Resolves with the next payload on `topic` that satisfies `predicate`. */
  once<K extends keyof Events>(
    topic: K,
    predicate: (payload: Events[K]) => boolean = () => true,
    signal?: AbortSignal,
  ): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      const off = this.on(topic, (payload) => {
        if (!predicate(payload)) return;
        off();
        signal?.removeEventListener('abort', onAbort);
        resolve(payload);
      });
      const onAbort = () => {
        off();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  emit<K extends keyof Events>(topic: K, payload: Events[K]): void {
    this.emitted++;
    const set = this.handlers.get(topic);
    // try/catch inline, not a closure per handler: readings are emitted thousands of times a second.
    if (set) {
      for (const handler of set) {
        try {
          (handler as Handler<Events[K]>)(payload);
        } catch (error) {
          this.handlerFailed(topic, error);
        }
      }
    }
    for (const handler of this.anyHandlers) {
      try {
        handler(topic, payload);
      } catch (error) {
        this.handlerFailed(topic, error);
      }
    }
  }

  /**
   * Whether an emit on `topic` would reach anyone (its handlers or an every-topic one): a
   * producer of frequent events skips building a payload nobody would see.
   */
  hasSubscribers(topic: keyof Events): boolean {
    return this.anyHandlers.size > 0 || (this.handlers.get(topic)?.size ?? 0) > 0;
  }

  listenerCount(topic: keyof Events): number {
    return this.handlers.get(topic)?.size ?? 0;
  }

  stats(): { emitted: number; handlerErrors: number } {
    return { emitted: this.emitted, handlerErrors: this.handlerErrors };
  }

  private handlerFailed(topic: keyof Events, error: unknown): void {
    this.handlerErrors++;
    try {
      this.onHandlerError({ topic: String(topic), error });
    } catch {
      // The error reporter itself failed; nothing sensible is left to do.
    }
  }
}

import { createContext, type DependencyList, useContext, useEffect, useRef, useState } from 'react';
import { ApiError } from './api/http.ts';
import type { Principal, Role } from './api/types.ts';
import { type Channel, type StreamStatus, stream } from './live/stream-connection.ts';

export interface AuthInfo {
  principal: Principal;
  logout: () => void;
}

export const AuthContext = createContext<AuthInfo | null>(null);

const rank: Record<Role, number> = { viewer: 0, maintenance: 1, operator: 2, supervisor: 3, admin: 4 };

/** Whether the current user's role allows something (controls are disabled when not). */
export function useCan(role: Role): boolean {
  const auth = useContext(AuthContext);
  return auth !== null && rank[auth.principal.role] >= rank[role];
}

export function useAuth(): AuthInfo | null {
  return useContext(AuthContext);
}

export interface Async<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Loads data for a page; reloads when deps change, when asked, and after the stream reconnects. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: ApiError | null; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(
    () =>
      stream.onStatus((s) => {
        if (s === 'connected') setGeneration((g) => g + 1);
      }),
    [],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's, plus reload requests
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const e = error instanceof ApiError ? error : new ApiError('CLIENT_ERROR', String(error), 0);
        setState((s) => ({ data: s.data, error: e, loading: false }));
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}

export function useStreamStatus(): StreamStatus {
  const [status, setStatus] = useState(stream.status);
  useEffect(() => {
    const off = stream.onStatus(setStatus);
    // The connection may have changed between the first render and this subscription.
    setStatus(stream.status);
    return off;
  }, []);
  return status;
}

/** Subscribes to stream messages of one type on the given channel while mounted. */
export function useStreamMessages(
  channel: Channel,
  type: string,
  listener: (message: Record<string, unknown>) => void,
): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => {
    const off = stream.on(type, (m) => ref.current(m));
    const release = stream.addChannels([channel]);
    return () => {
      off();
      release();
    };
  }, [channel, type]);
}

/** Runs a callback every `ms` while the page is visible. */
export function useInterval(callback: () => void, ms: number): void {
  const ref = useRef(callback);
  ref.current = callback;
  useEffect(() => {
    const id = setInterval(() => {
      if (!document.hidden) ref.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

/** A hub's API from a test: status and JSON body of `/api/v1<path>`. */
export async function api(
  base: string,
  path: string,
  init?: RequestInit,
  // biome-ignore lint/suspicious/noExplicitAny: replies of many shapes, checked field by field
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    ...init,
    headers: init?.body ? { 'content-type': 'application/json' } : {},
  });
  return { status: res.status, body: await res.json() };
}

/** Polls `probe` every 50 ms (at most 600 times) until `check` holds; else throws with the last value. */
export async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 600; i++) {
    last = await probe();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}; last: ${JSON.stringify(last)}`);
}

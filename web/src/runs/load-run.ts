import { getJson } from '../api/http.ts';
import type { RunDocument } from '../api/types.ts';
import { RunData } from './run-data.ts';

const PAGE = 10_000;
/** A run bigger than this is summarised from its first documents only. */
const MAX_DOCUMENTS = 100_000;

/** All of a run's documents from the catalog, page by page, into a RunData (and the count of each kind). */
export async function loadRunDocuments(
  uid: string,
  signal?: AbortSignal,
  into?: RunData,
): Promise<{ data: RunData; counts: Record<string, number>; truncated: boolean }> {
  const data = into ?? new RunData(uid);
  const counts: Record<string, number> = {};
  let offset = 0;
  for (;;) {
    const page = await getJson<RunDocument[]>(
      `/api/v1/runs/${encodeURIComponent(uid)}/documents?limit=${PAGE}&offset=${offset}`,
      signal,
    );
    for (const d of page) {
      counts[d.name] = (counts[d.name] ?? 0) + 1;
      data.add(d);
    }
    offset += page.length;
    if (page.length < PAGE) return { data, counts, truncated: false };
    if (offset >= MAX_DOCUMENTS) return { data, counts, truncated: true };
  }
}

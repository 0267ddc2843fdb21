import { createInterface } from 'node:readline';

/**
 * The serving side of an interleaved benchmark (bench/lib/query-blocks.ts): prints
 * {"ready":true}, then for each stdin line "ID N" runs `query` N times one after another and
 * prints {"block":ID,"n":N,"seconds","queries_per_s"}; returns at the end of stdin.
 */
export async function serveQueryBlocks(query: () => Promise<unknown>): Promise<void> {
  console.log(JSON.stringify({ ready: true }));
  for await (const line of createInterface({ input: process.stdin })) {
    const [id, count] = line.trim().split(/\s+/).map(Number) as [number, number];
    if (!Number.isInteger(id) || !Number.isInteger(count) || count < 1) {
      throw new Error(`expected "ID N" on stdin, got ${JSON.stringify(line)}`);
    }
    const started = performance.now();
    for (let i = 0; i < count; i++) await query();
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ block: id, n: count, seconds, queries_per_s: count / seconds }));
  }
}

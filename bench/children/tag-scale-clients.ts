/**
 * Load generator and poll-cycle observer for the tag-scale benchmark: one WebSocket client per
 * PLC, client i subscribed to all POINTS signals of PLC i (`plcNNN.pNNN`). Each poll cycle of a
 * PLC publishes its points in order, so the reading of the last point marks the cycle's end; its
 * reading timestamp (taken by the server when the value arrived) is when the cycle completed.
 * Driven over IPC by the harness:
 *
 *   → {t: 'window'}  reply {t: 'window', lateness, cycles, messages, closed, errors}, start anew
 *   → {t: 'stop'}    close every socket and exit
 *   ← {t: 'ready', connected}  once every client has its `subscribed` reply
 *
 *   node bench/children/tag-scale-clients.ts URL PLCS POINTS
 *
 * Poll-cycle lateness of cycle k of a PLC = completion(k) − k × 1 s − the smallest such offset
 * seen for that PLC: how much later than its best cycle a cycle finished, on the 1 s deadline
 * grid the actor polls on. Cycles are counted, not inferred from times, so a cycle seconds
 * late is counted as seconds late rather than rounded onto the next deadline.
 */
import WebSocket from 'ws';
import { LatencyHistogram } from '../lib/latency-histogram.ts';
import { tagScaleSignals } from '../lib/tag-scale-config.ts';

const [url, plcsArg, pointsArg] = process.argv.slice(2);
const plcs = Number(plcsArg);
const points = Number(pointsArg);
const streamUrl = `${url!.replace(/^http/, 'ws')}/api/v1/stream`;
const PERIOD_MS = 1000;

interface CycleTrack {
  lastSignal: string;
  count: number;
  bestOffset: number;
  /** Offsets (completion − k × period) of the cycles since the last window. */
  offsets: number[];
}

const tracks: CycleTrack[] = [];
let messages = 0;
let closed = 0;
let errors = 0;
const sockets: WebSocket[] = [];

function open(plc: number): Promise<void> {
  const signals = tagScaleSignals(plc, points);
  const [instrument, lastSignal] = signals.at(-1)!.split('.') as [string, string];
  const track: CycleTrack = { lastSignal, count: 0, bestOffset: Number.POSITIVE_INFINITY, offsets: [] };
  tracks.push(track);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(streamUrl, { perMessageDeflate: false });
    sockets.push(ws);
    let subscribed = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', signals, max_rate_hz: 10 })));
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as {
        type: string;
        instrument?: string;
        signal?: string;
        timestamp?: number;
      };
      if (message.type === 'reading') {
        messages++;
        if (message.instrument === instrument && message.signal === track.lastSignal) {
          const offset = message.timestamp! - track.count * PERIOD_MS;
          track.count++;
          track.bestOffset = Math.min(track.bestOffset, offset);
          track.offsets.push(offset);
        }
      } else if (message.type === 'subscribed' && !subscribed) {
        subscribed = true;
        resolve();
      }
    });
    ws.on('error', (error) => {
      errors++;
      if (!subscribed) reject(error);
    });
    ws.on('close', () => {
      closed++;
      if (!subscribed) reject(new Error('closed before subscribing'));
    });
  });
}

for (let i = 0; i < plcs; i += 25) {
  await Promise.all(Array.from({ length: Math.min(25, plcs - i) }, (_, j) => open(i + j + 1)));
}
process.send!({ t: 'ready', connected: sockets.length });

process.on('message', (m: { t: string }) => {
  if (m.t === 'window') {
    const lateness = new LatencyHistogram();
    let cycles = 0;
    for (const track of tracks) {
      for (const offset of track.offsets) lateness.record(offset - track.bestOffset);
      cycles += track.offsets.length;
      track.offsets = [];
    }
    process.send!({ t: 'window', lateness: lateness.toJSON(), cycles, messages, closed, errors });
    messages = 0;
  } else if (m.t === 'stop') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});

import { cameraCapability } from '../../../src/core/capabilities.ts';
import { live } from '../live/live-store.ts';
import { getJson } from './http.ts';
import type { InstrumentDetail, InstrumentSummary, SignalDescription } from './types.ts';

export function instrumentPath(id: string): string {
  return `/api/v1/instruments/${encodeURIComponent(id)}`;
}

/** An instrument's full description; the last known reading of each signal seeds the live store. */
export async function loadInstrument(id: string, signal?: AbortSignal): Promise<InstrumentDetail> {
  const detail = await getJson<InstrumentDetail>(instrumentPath(id), signal);
  for (const s of detail.signals) if (s.last) live.push(s.last);
  return detail;
}

export async function loadAllInstruments(signal?: AbortSignal): Promise<InstrumentDetail[]> {
  const list = await getJson<InstrumentSummary[]>('/api/v1/instruments', signal);
  return Promise.all(list.map((i) => loadInstrument(i.id, signal)));
}

export function isNumeric(s: SignalDescription): boolean {
  return s.dtype === 'number' || s.dtype === 'integer';
}

/** Whether an instrument is a camera (it streams previews): its description says so. */
export function isCamera(detail: InstrumentDetail): boolean {
  return cameraCapability(detail.capabilities) !== undefined;
}

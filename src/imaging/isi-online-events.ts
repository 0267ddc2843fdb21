import type { IsiOnlineMapsEvent } from './isi-online-maps-event.ts';

export type { IsiOnlineMapsEvent, OnlineMapLayer } from './isi-online-maps-event.ts';
export { ONLINE_PREVIEW_MAX_SIDE } from './isi-online-maps-event.ts';

/** The online maps' bus topic (payload in isi-online-maps-event.ts, which the dashboard reads too). */
declare module '../core/events.ts' {
  interface BenchtopEvents {
    'isi.online_maps': IsiOnlineMapsEvent;
  }
}

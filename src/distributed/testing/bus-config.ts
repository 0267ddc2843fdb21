import type { BusConfig } from '../bus-connection.ts';

/** A `[bus]` section as the schema's defaults make it, with `extra` (credentials, TLS files) on top. */
export function busConfigFor(url: string, extra: Partial<BusConfig> = {}): BusConfig {
  return {
    url,
    request_timeout_ms: 5_000,
    lease_ttl_ms: 15_000,
    log_stream_max_age_days: 7,
    log_stream_max_bytes: 1024 ** 3,
    doc_stream_max_age_days: 30,
    doc_stream_max_bytes: 10 * 1024 ** 3,
    clock_offset_alarm_ms: 100,
    ...extra,
  };
}

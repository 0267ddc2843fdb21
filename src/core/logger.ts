import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import type { LogRing } from './log-ring.ts';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** auto: readable on a terminal, JSON lines otherwise (journald, files, log shippers). */
  format: 'auto' | 'json' | 'pretty';
  name?: string;
  file?: string;
  /** Defaults to stdout. */
  destination?: DestinationStream;
  /** Also keep recent records in memory (System page, `logs` stream channel). */
  ring?: LogRing;
}

/**
 * Human-readable log lines (pino-pretty). pino-pretty and its dependencies are loaded on the
 * first call: a server logging JSON never holds them.
 */
export function prettyDestination(options: PrettyOptions): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty.build(options);
}

/**
 * The process logger. Records about an instrument come from `instrumentLogger`, which stamps
 * every line with `instrument.id` so a log search by instrument finds all of them.
 */
export function createLogger(options: LoggerOptions): Logger {
  const usePretty =
    options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  const streams: pino.StreamEntry[] = [];
  const out: DestinationStream =
    options.destination ??
    (usePretty
      ? prettyDestination({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : pino.destination(1));
  streams.push({ level: options.level as pino.Level, stream: out });
  if (options.ring) streams.push({ level: options.level as pino.Level, stream: options.ring });
  if (options.file) {
    streams.push({
      level: options.level as pino.Level,
      stream: createWriteStream(options.file, { flags: 'a' }),
    });
  }
  return pino(
    {
      level: options.level,
      name: options.name ?? 'benchtop',
      timestamp: pino.stdTimeFunctions.isoTime,
      base: { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
    },
    streams.length === 1 ? streams[0]!.stream : pino.multistream(streams),
  );
}

export function instrumentLogger(parent: Logger, id: string, type: string): Logger {
  return parent.child({ 'instrument.id': id, 'instrument.type': type });
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

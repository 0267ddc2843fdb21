import type { SignalDescription, SignalValue } from './device-description.ts';
import { BenchtopError } from './errors.ts';

// Signals as people type them. Kept apart from signal-validation (TypeBox) and instrument (the
// actor machinery) so that `benchtop get` / `set` load only this and start in a few milliseconds.

/** `stage.axis1.position` → instrument `stage`, signal `axis1.position` (ids contain no dots). */
export function splitSignalPath(path: string): { instrument: string; signal: string } {
  const dot = path.indexOf('.');
  if (dot <= 0 || dot === path.length - 1) {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `"${path}" is not instrument.signal (e.g. stage.axis1.position)`,
      { path },
    );
  }
  return { instrument: path.slice(0, dot), signal: path.slice(dot + 1) };
}

/** A value typed on a command line, as the signal's type: `5` → 5, `on` → true; else the text. */
export function parseSignalText(desc: SignalDescription, text: string): SignalValue {
  switch (desc.dtype) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      return text.trim() === '' || Number.isNaN(n) ? text : n;
    }
    case 'boolean':
      if (/^(true|1|on|yes|open)$/i.test(text)) return true;
      if (/^(false|0|off|no|closed?)$/i.test(text)) return false;
      return text;
    case 'array': {
      // `[1, 2, 3]` or `1,2,3`; anything else is left for checkWrite to refuse.
      const trimmed = text.trim();
      try {
        const parsed: unknown = JSON.parse(trimmed.startsWith('[') ? trimmed : `[${trimmed}]`);
        return Array.isArray(parsed) && parsed.every((v) => typeof v === 'number') ? parsed : text;
      } catch {
        return text;
      }
    }
    default:
      return text;
  }
}

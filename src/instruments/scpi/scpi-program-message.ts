/**
 * Splits one SCPI program message (a line) into message units, the way an instrument's
 * parser does: `;` separates units and the next header continues at the current level of the
 * tree (`VOLT:DC:RANG 10;RANG?` reads `VOLT:DC:RANG?`), `;:` goes back to the root, common
 * commands (`*CLS`) leave the level alone, and `;` or `,` inside quoted strings are data.
 */
export interface MessageUnit {
  /** The full header from the root, as typed: `VOLT:DC:RANG?`, `*IDN?`. */
  header: string;
  /** Parameters, trimmed, quotes kept (`"text"`). */
  params: string[];
}

/** A unit the parser could not take apart; the SCPI error it raises. */
export interface MessageUnitError {
  error: { code: number; detail: string };
}

const headerPattern = /^:?[A-Za-z0-9_*:?]*$/;

export function splitProgramMessage(line: string): (MessageUnit | MessageUnitError)[] {
  const units: (MessageUnit | MessageUnitError)[] = [];
  const pieces = splitOutsideQuotes(line, ';');
  if (pieces === null) return [{ error: { code: -102, detail: `unterminated string in ${line}` } }];
  let level = '';
  for (const raw of pieces) {
    const text = raw.trim();
    if (text === '') continue;
    const space = text.search(/\s/);
    const typed = space < 0 ? text : text.slice(0, space);
    const rest = space < 0 ? '' : text.slice(space + 1).trim();
    if (!headerPattern.test(typed)) {
      units.push({ error: { code: -101, detail: typed } });
      break;
    }
    const common = typed.startsWith('*');
    const absolute = typed.startsWith(':') || common ? typed.replace(/^:/, '') : level + typed;
    if (absolute === '' || absolute.split(':').some((node) => node === '' || node === '?')) {
      units.push({ error: { code: -100, detail: typed } });
      break;
    }
    if (!common) {
      const lastColon = absolute.lastIndexOf(':');
      level = lastColon < 0 ? '' : absolute.slice(0, lastColon + 1);
    }
    const params = rest === '' ? [] : splitOutsideQuotes(rest, ',')!.map((p) => p.trim());
    if (params.some((p) => p === '' || /\s/.test(p.replace(/"[^"]*"|'[^']*'/g, '')))) {
      units.push({ error: { code: -102, detail: text } });
      break;
    }
    units.push({ header: absolute, params });
  }
  return units;
}

/** Splits on `sep` outside "…" and '…' strings; null when a string is not closed. */
function splitOutsideQuotes(text: string, sep: string): string[] | null {
  const out: string[] = [];
  let quote: string | null = null;
  let current = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === sep) {
      out.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quote) return null;
  out.push(current);
  return out;
}

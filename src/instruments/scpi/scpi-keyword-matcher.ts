/**
 * SCPI header matching for one command pattern such as `[SENSe:]VOLTage[:DC]:RANGe[:UPPer]?`.
 *
 * Each keyword's uppercase letters are its short form; a header node matches when it is
 * exactly the short or the long form, case-insensitively (`VOLT`, `voltage`; never the
 * partial `VOLTA`). Bracketed nodes may be left out. A node may carry a numeric suffix
 * (`CALC2`); `1` equals no suffix, any other value is reported as out of range because
 * none of the simulated nodes has numbered instances.
 */
export type KeywordMatch =
  | { kind: 'match' }
  | { kind: 'no-match' }
  /** The keywords matched but a node carried a suffix it does not accept (SCPI -114). */
  | { kind: 'suffix-out-of-range'; node: string };

interface PatternNode {
  short: string;
  long: string;
  optional: boolean;
}

interface HeaderNode {
  keyword: string;
  suffix: number | null;
}

export class ScpiKeywordMatcher {
  readonly pattern: string;
  readonly isQuery: boolean;
  private readonly nodes: PatternNode[];

  constructor(pattern: string) {
    this.pattern = pattern;
    this.isQuery = pattern.endsWith('?');
    this.nodes = parsePattern(this.isQuery ? pattern.slice(0, -1) : pattern);
    if (this.nodes.length === 0) throw new Error(`SCPI pattern "${pattern}" has no keywords`);
  }

  /** Matches a header as received, without its leading `:` (e.g. `meas:volt?`, `*IDN?`). */
  match(header: string): KeywordMatch {
    const query = header.endsWith('?');
    if (query !== this.isQuery) return { kind: 'no-match' };
    const parts = (query ? header.slice(0, -1) : header).split(':').map(splitSuffix);
    let badSuffix: string | null = null;
    const walk = (n: number, h: number): boolean => {
      if (n === this.nodes.length) return h === parts.length;
      const node = this.nodes[n]!;
      const part = parts[h];
      if (part && keywordMatches(node, part.keyword)) {
        const suffixOk = part.suffix === null || part.suffix === 1;
        if (walk(n + 1, h + 1)) {
          if (suffixOk) return true;
          badSuffix ??= `${part.keyword}${part.suffix}`;
        }
      }
      return node.optional && walk(n + 1, h);
    };
    if (walk(0, 0)) return { kind: 'match' };
    return badSuffix === null ? { kind: 'no-match' } : { kind: 'suffix-out-of-range', node: badSuffix };
  }
}

function keywordMatches(node: PatternNode, keyword: string): boolean {
  const upper = keyword.toUpperCase();
  return upper === node.short || upper === node.long;
}

/** `CALC2` → keyword `CALC`, suffix 2. Common-command headers (`*IDN`) never carry one. */
function splitSuffix(text: string): HeaderNode {
  const m = /^([A-Za-z*_][A-Za-z_]*?)(\d+)$/.exec(text);
  if (!m || text.startsWith('*')) return { keyword: text, suffix: null };
  return { keyword: m[1]!, suffix: Number(m[2]) };
}

function parsePattern(text: string): PatternNode[] {
  const nodes: PatternNode[] = [];
  let optional = false;
  let word = '';
  let wordOptional = false;
  const flush = () => {
    if (!word) return;
    const short = word.startsWith('*') ? word : word.replace(/[^A-Z0-9*]/g, '');
    if (!short) throw new Error(`SCPI keyword "${word}" has no uppercase short form`);
    nodes.push({ short: short.toUpperCase(), long: word.toUpperCase(), optional: wordOptional });
    word = '';
  };
  for (const ch of text) {
    if (ch === '[' || ch === ']' || ch === ':') {
      flush();
      if (ch === '[') optional = true;
      if (ch === ']') optional = false;
      continue;
    }
    if (!word) wordOptional = optional;
    word += ch;
  }
  flush();
  return nodes;
}

/**
 * Finds where each key of a TOML document is written, so validation errors can say
 * "line 7". smol-toml gives values but no positions; this scanner walks the same text and
 * records the line/column of every key path: table headers, arrays of tables (with their
 * index), dotted keys, inline tables and arrays of inline tables. It never judges validity:
 * the parser has already accepted the document.
 */
export interface TomlPosition {
  line: number;
  column: number;
}

export type TomlPath = (string | number)[];

export function pathKey(path: TomlPath): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

export class TomlPositionIndex {
  private readonly positions = new Map<string, TomlPosition>();

  constructor(source: string) {
    new Scanner(source, this.positions).scan();
  }

  /** Position of the path, or of its nearest written ancestor. */
  find(path: TomlPath): TomlPosition | undefined {
    for (let n = path.length; n >= 0; n--) {
      const hit = this.positions.get(pathKey(path.slice(0, n)));
      if (hit) return hit;
    }
    return undefined;
  }

  /** Position of exactly this path, if it is written in the file. */
  exact(path: TomlPath): TomlPosition | undefined {
    return this.positions.get(pathKey(path));
  }
}

class Scanner {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private tablePath: TomlPath = [];
  private readonly arrayCounts = new Map<string, number>();
  private readonly src: string;
  private readonly out: Map<string, TomlPosition>;

  constructor(src: string, out: Map<string, TomlPosition>) {
    this.src = src;
    this.out = out;
  }

  scan(): void {
    while (this.i < this.src.length) {
      this.skipSpaceAndComments(true);
      if (this.i >= this.src.length) break;
      const c = this.src[this.i];
      if (c === '[') this.header();
      else this.keyValue(this.tablePath);
      this.skipToLineEnd();
    }
  }

  private pos(): TomlPosition {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  private record(path: TomlPath, at: TomlPosition): void {
    const k = pathKey(path);
    if (!this.out.has(k)) this.out.set(k, at);
  }

  private header(): void {
    const at = this.pos();
    const isArray = this.src[this.i + 1] === '[';
    this.i += isArray ? 2 : 1;
    const keys = this.keyPath();
    this.skipInline();
    this.i += isArray ? 2 : 1;
    const resolved = this.resolve(keys);
    if (isArray) {
      const k = pathKey(resolved);
      const index = this.arrayCounts.get(k) ?? 0;
      this.arrayCounts.set(k, index + 1);
      this.record(resolved, at);
      this.tablePath = [...resolved, index];
    } else {
      this.tablePath = resolved;
    }
    this.record(this.tablePath, at);
  }

  /** Maps a header's key path onto the latest element of any array of tables it passes through. */
  private resolve(keys: string[]): TomlPath {
    const out: TomlPath = [];
    for (const key of keys) {
      out.push(key);
      const count = this.arrayCounts.get(pathKey(out));
      if (count !== undefined && keys.length > out.filter((p) => typeof p === 'string').length) {
        out.push(count - 1);
      }
    }
    return out;
  }

  private keyValue(base: TomlPath): void {
    const at = this.pos();
    const keys = this.keyPath();
    const path = [...base, ...keys];
    for (let n = base.length + 1; n <= path.length; n++) this.record(path.slice(0, n), at);
    this.skipInline();
    if (this.src[this.i] === '=') this.i++;
    this.skipInline();
    this.value(path);
  }

  private value(path: TomlPath): void {
    const c = this.src[this.i];
    if (c === '{') {
      this.i++;
      for (;;) {
        this.skipSpaceAndComments(true);
        if (this.i >= this.src.length) return;
        if (this.src[this.i] === '}') {
          this.i++;
          return;
        }
        if (this.src[this.i] === ',') {
          this.i++;
          continue;
        }
        this.keyValue(path);
      }
    }
    if (c === '[') {
      this.i++;
      let index = 0;
      for (;;) {
        this.skipSpaceAndComments(true);
        if (this.i >= this.src.length) return;
        const d = this.src[this.i];
        if (d === ']') {
          this.i++;
          return;
        }
        if (d === ',') {
          this.i++;
          index++;
          continue;
        }
        this.record([...path, index], this.pos());
        this.value([...path, index]);
      }
    }
    if (c === '"' || c === "'") {
      this.string();
      return;
    }
    while (this.i < this.src.length && !/[,\]}\n#]/.test(this.src[this.i]!)) this.i++;
  }

  private keyPath(): string[] {
    const keys: string[] = [];
    for (;;) {
      this.skipInline();
      const c = this.src[this.i];
      if (c === '"' || c === "'") keys.push(this.string());
      else {
        const start = this.i;
        while (this.i < this.src.length && /[A-Za-z0-9_-]/.test(this.src[this.i]!)) this.i++;
        keys.push(this.src.slice(start, this.i));
      }
      this.skipInline();
      if (this.src[this.i] === '.') {
        this.i++;
        continue;
      }
      return keys;
    }
  }

  private string(): string {
    const quote = this.src[this.i]!;
    const multi = this.src.startsWith(quote.repeat(3), this.i);
    const delim = multi ? quote.repeat(3) : quote;
    this.i += delim.length;
    const start = this.i;
    while (this.i < this.src.length && !this.src.startsWith(delim, this.i)) {
      const c = this.src[this.i];
      if (c === '\\' && quote === '"') this.i++;
      else if (c === '\n') this.newline();
      this.i++;
    }
    const text = this.src.slice(start, this.i);
    this.i += delim.length;
    return text;
  }

  private newline(): void {
    this.line++;
    this.lineStart = this.i + 1;
  }

  private skipInline(): void {
    while (this.src[this.i] === ' ' || this.src[this.i] === '\t') this.i++;
  }

  private skipSpaceAndComments(acrossLines: boolean): void {
    for (;;) {
      const c = this.src[this.i];
      if (c === ' ' || c === '\t' || c === '\r') this.i++;
      else if (c === '\n' && acrossLines) {
        this.newline();
        this.i++;
      } else if (c === '#') {
        while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
      } else return;
    }
  }

  private skipToLineEnd(): void {
    while (this.i < this.src.length && this.src[this.i] !== '\n') {
      if (this.src[this.i] === '#') {
        while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
        break;
      }
      this.i++;
    }
  }
}

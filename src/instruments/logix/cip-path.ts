import { BenchtopError } from '../../core/errors.ts';

/**
 * CIP EPATHs (Vol. 1, C-1): padded logical segments (class, instance, attribute), port
 * segments (backplane, slot) and, for Logix tags, ANSI extended symbolic segments (0x91, one
 * per dotted name part) with member/element segments (0x28/0x29/0x2A) for array indexes.
 */
export type PathSegment =
  | { kind: 'port'; port: number; link: number }
  | { kind: 'class'; id: number }
  | { kind: 'instance'; id: number }
  | { kind: 'attribute'; id: number }
  | { kind: 'symbol'; name: string }
  | { kind: 'element'; index: number };

const LOGICAL_BASE = { class: 0x20, instance: 0x24, attribute: 0x30 } as const;

export function encodePath(segments: readonly PathSegment[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of segments) {
    switch (s.kind) {
      case 'port':
        parts.push(Buffer.from([s.port & 0x0f, s.link & 0xff]));
        break;
      case 'class':
      case 'instance':
      case 'attribute':
        parts.push(logical(LOGICAL_BASE[s.kind], s.id));
        break;
      case 'symbol': {
        const name = Buffer.from(s.name, 'latin1');
        const pad = name.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
        parts.push(Buffer.from([0x91, name.length]), name, pad);
        break;
      }
      case 'element':
        parts.push(logical(0x28, s.index));
        break;
    }
  }
  return Buffer.concat(parts);
}

/** Element and logical segments share one format: 8-bit, 16-bit (pad byte) or 32-bit (pad byte). */
function logical(base: number, value: number): Buffer {
  if (value < 0x100) return Buffer.from([base, value]);
  if (value < 0x10000) {
    const out = Buffer.from([base + 1, 0, 0, 0]);
    out.writeUInt16LE(value, 2);
    return out;
  }
  const out = Buffer.from([base + 2, 0, 0, 0, 0, 0]);
  out.writeUInt32LE(value >>> 0, 2);
  return out;
}

export function decodePath(path: Buffer): PathSegment[] {
  const segments: PathSegment[] = [];
  let at = 0;
  const need = (n: number) => {
    if (at + n > path.length)
      throw pathError(`segment at byte ${at} runs past the path's ${path.length} bytes`);
  };
  while (at < path.length) {
    const type = path.readUInt8(at);
    if (type === 0x91) {
      need(2);
      const length = path.readUInt8(at + 1);
      need(2 + length);
      segments.push({ kind: 'symbol', name: path.subarray(at + 2, at + 2 + length).toString('latin1') });
      at += 2 + length + (length % 2);
      continue;
    }
    if (type >= 0x01 && type <= 0x0e) {
      need(2);
      segments.push({ kind: 'port', port: type, link: path.readUInt8(at + 1) });
      at += 2;
      continue;
    }
    const format = type & 0x03;
    const base = type & 0xfc;
    const kind =
      base === 0x20
        ? 'class'
        : base === 0x24
          ? 'instance'
          : base === 0x30
            ? 'attribute'
            : base === 0x28
              ? 'element'
              : null;
    if (kind === null || format === 3) {
      throw pathError(`unsupported segment type 0x${type.toString(16)} at byte ${at}`);
    }
    let value: number;
    if (format === 0) {
      need(2);
      value = path.readUInt8(at + 1);
      at += 2;
    } else if (format === 1) {
      need(4);
      value = path.readUInt16LE(at + 2);
      at += 4;
    } else {
      need(6);
      value = path.readUInt32LE(at + 2);
      at += 6;
    }
    segments.push(kind === 'element' ? { kind, index: value } : { kind, id: value });
  }
  return segments;
}

/**
 * A Logix tag name as path segments: `Program:Main.Motor.Speed`, `Temps[3]`, `Grid[1,2]`.
 * The program scope stays one symbol (`Program:Main`), as the controller expects.
 */
export function tagPath(name: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const part of splitMembers(name)) {
    const match = /^([^[\]]+)(?:\[([\d,\s]+)\])?$/.exec(part);
    if (!match) throw new BenchtopError('VALUE_INVALID', `"${name}" is not a Logix tag name`, { tag: name });
    segments.push({ kind: 'symbol', name: match[1]! });
    if (match[2] !== undefined) {
      for (const index of match[2].split(','))
        segments.push({ kind: 'element', index: Number(index.trim()) });
    }
  }
  return segments;
}

/** The tag name a path of symbols and elements stands for (`Temps[3]`, `Line.State`). */
export function tagNameOf(segments: readonly PathSegment[]): string | null {
  let name = '';
  let indexes: number[] = [];
  const flush = () => {
    if (indexes.length > 0) name += `[${indexes.join(',')}]`;
    indexes = [];
  };
  for (const s of segments) {
    if (s.kind === 'symbol') {
      flush();
      name += name === '' ? s.name : `.${s.name}`;
    } else if (s.kind === 'element' && name !== '') {
      indexes.push(s.index);
    } else {
      return null;
    }
  }
  flush();
  return name === '' ? null : name;
}

function splitMembers(name: string): string[] {
  // Dots inside brackets cannot occur; a program prefix keeps its colon within the first part.
  return name.split('.').filter((p) => p.length > 0);
}

function pathError(message: string): BenchtopError {
  return new BenchtopError('PROTOCOL_ERROR', `CIP path: ${message}`);
}

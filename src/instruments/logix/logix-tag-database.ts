import {
  type CipTypeName,
  type CipValue,
  cipTypeSize,
  decodeCipValues,
  encodeCipValues,
} from './cip-types.ts';

export interface TagDefinition {
  name: string;
  type: CipTypeName;
  /** Element count of a one-dimensional array; absent for a scalar. */
  elements?: number;
  initial?: CipValue | readonly CipValue[];
}

/** One controller tag: its values as the controller stores them (little-endian bytes). */
export class ControllerTag {
  readonly name: string;
  readonly type: CipTypeName;
  /** 1 for a scalar. */
  readonly elements: number;
  readonly isArray: boolean;
  /** Symbol object instance id; a program download renumbers them. */
  instance: number;
  bytes: Buffer;

  constructor(def: TagDefinition, instance: number) {
    this.name = def.name;
    this.type = def.type;
    this.isArray = def.elements !== undefined;
    this.elements = def.elements ?? 1;
    this.instance = instance;
    const initial = def.initial === undefined ? [] : Array.isArray(def.initial) ? def.initial : [def.initial];
    const values: CipValue[] = [];
    for (let i = 0; i < this.elements; i++) values.push(initial[i] ?? zero(def.type));
    this.bytes = encodeCipValues(def.type, values);
  }

  get elementSize(): number {
    return cipTypeSize(this.type);
  }

  values(): CipValue[] {
    return decodeCipValues(this.type, this.bytes);
  }

  value(index = 0): CipValue {
    return decodeCipValues(this.type, this.bytes.subarray(index * this.elementSize), 1)[0]!;
  }
}

function zero(type: CipTypeName): CipValue {
  if (type === 'BOOL') return false;
  if (type === 'LINT') return 0n;
  return 0;
}

/** Who changed a tag: a client over the wire, or the controller's own program (the line). */
export type TagWriter = 'client' | 'program';

/**
 * A Logix controller's tag table: typed tags (scalars and one-dimensional arrays) by name, with
 * symbol instance ids for the tag list, and listeners for writes from clients so the PLC
 * program (the line model) can act on commands.
 */
export class LogixTagDatabase {
  private readonly tags = new Map<string, ControllerTag>();
  private readonly byLowerName = new Map<string, ControllerTag>();
  private readonly writeListeners = new Map<string, (tag: ControllerTag) => void>();
  private readonly readRefreshers = new Map<string, (tag: ControllerTag) => void>();
  private nextInstance = 1;

  define(def: TagDefinition): ControllerTag {
    const tag = new ControllerTag(def, this.nextInstance++);
    this.tags.set(def.name, tag);
    this.byLowerName.set(def.name.toLowerCase(), tag);
    return tag;
  }

  /** Logix tag names are case-insensitive. */
  get(name: string): ControllerTag | undefined {
    return this.byLowerName.get(name.toLowerCase());
  }

  list(): ControllerTag[] {
    return [...this.tags.values()].sort((a, b) => a.instance - b.instance);
  }

  /** Sets values from the controller's program (no write listeners run). */
  set(name: string, value: CipValue | readonly CipValue[], startIndex = 0): void {
    const tag = this.require(name);
    const values = Array.isArray(value) ? value : [value];
    encodeCipValues(tag.type, values).copy(tag.bytes, startIndex * tag.elementSize);
  }

  read(name: string, index = 0): CipValue {
    return this.require(name).value(index);
  }

  /** Runs `listener` after a client changed the tag's bytes (Write, Read-Modify-Write, fragments). */
  onClientWrite(name: string, listener: (tag: ControllerTag) => void): void {
    this.writeListeners.set(name.toLowerCase(), listener);
  }

  clientWrote(tag: ControllerTag): void {
    this.writeListeners.get(tag.name.toLowerCase())?.(tag);
  }

  /** Runs `refresh` before a client reads the tag: for values the program computes from time (process readings). */
  onBeforeRead(name: string, refresh: (tag: ControllerTag) => void): void {
    this.readRefreshers.set(name.toLowerCase(), refresh);
  }

  beforeRead(tag: ControllerTag): void {
    this.readRefreshers.get(tag.name.toLowerCase())?.(tag);
  }

  /**
   * What a program download does to the symbol table: every tag gets a new instance id (the
   * controller rebuilt it), values keep their initial state only where the program sets them.
   */
  renumber(offset: number): void {
    let instance = offset;
    for (const tag of this.list()) tag.instance = instance++;
    this.nextInstance = instance;
  }

  private require(name: string): ControllerTag {
    const tag = this.get(name);
    if (!tag) throw new RangeError(`no controller tag ${name}`);
    return tag;
  }
}

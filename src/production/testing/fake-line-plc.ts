import type { Clock } from '../../core/clock.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { LinePlc } from '../line-interfaces.ts';

/**
 * A PLC as a tag table: tests set tags (firing reading, change and rising-edge listeners) and
 * read what the tracker wrote back. `linkDown` makes reads and writes fail as a lost link would;
 * `loseLink` and `restoreLink` also report the tags unknown and then re-send them, as the
 * LogixPlc driver does.
 */
export class FakeLinePlc implements LinePlc {
  readonly tags = new Map<string, unknown>();
  readonly writes: { tag: string; value: number | boolean; time: number }[] = [];
  linkDown = false;
  private readonly clock: Clock;
  private readonly changeListeners = new Map<string, Set<(value: unknown, time: number) => void>>();
  private readonly edgeListeners = new Map<string, Set<(time: number) => void>>();
  private readonly readingListeners = new Map<string, Set<(value: unknown, time: number) => void>>();

  constructor(clock: Clock, initial: Record<string, unknown> = {}) {
    this.clock = clock;
    for (const [k, v] of Object.entries(initial)) this.tags.set(k, v);
  }

  set(tag: string, value: unknown): void {
    const before = this.tags.get(tag);
    this.tags.set(tag, value);
    const time = this.clock.now();
    for (const l of this.readingListeners.get(tag) ?? []) l(value, time);
    if (before === value) return;
    for (const l of this.changeListeners.get(tag) ?? []) l(value, time);
    if (!before && value) for (const l of this.edgeListeners.get(tag) ?? []) l(time);
  }

  /** A part arrives: the part fields are set, then the completed bit pulses. */
  completePart(fields: Record<string, unknown>, eventTag = 'Part.Completed'): void {
    for (const [tag, value] of Object.entries(fields)) this.tags.set(tag, value);
    this.set(eventTag, true);
    this.set(eventTag, false);
  }

  /** The link is lost: every tag's value becomes unknown. */
  loseLink(): void {
    this.linkDown = true;
    for (const listeners of this.readingListeners.values())
      for (const l of listeners) l(undefined, this.clock.now());
  }

  /** The link is back: every tag is re-sent, changed or not. */
  restoreLink(): void {
    this.linkDown = false;
    for (const [tag, listeners] of this.readingListeners)
      for (const l of listeners) l(this.tags.get(tag), this.clock.now());
  }

  onReading(tag: string, listener: (value: unknown, time: number) => void): () => void {
    return this.subscribe(this.readingListeners, tag, listener);
  }

  onRisingEdge(tag: string, listener: (time: number) => void): () => void {
    return this.subscribe(this.edgeListeners, tag, listener);
  }

  onChange(tag: string, listener: (value: unknown, time: number) => void): () => void {
    return this.subscribe(this.changeListeners, tag, listener);
  }

  async read(tags: readonly string[]): Promise<Record<string, unknown>> {
    if (this.linkDown) throw new BenchtopError('LINK_LOST', 'PLC link down');
    const out: Record<string, unknown> = {};
    for (const t of tags) {
      if (!this.tags.has(t)) throw new BenchtopError('SIGNAL_NOT_FOUND', `no tag ${t}`);
      out[t] = this.tags.get(t);
    }
    return out;
  }

  async write(tag: string, value: number | boolean): Promise<void> {
    if (this.linkDown) throw new BenchtopError('LINK_LOST', 'PLC link down');
    this.tags.set(tag, value);
    this.writes.push({ tag, value, time: this.clock.now() });
  }

  private subscribe<F>(map: Map<string, Set<F>>, tag: string, listener: F): () => void {
    const set = map.get(tag) ?? new Set<F>();
    map.set(tag, set);
    set.add(listener);
    return () => set.delete(listener);
  }
}

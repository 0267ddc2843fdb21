import type { DeviceDescription, SignalDescription } from '../core/device.ts';
import type { ArgRole } from './plan-arg-roles.ts';

export interface SignalEntry {
  /** `instrument.signal` */
  path: string;
  instrument: string;
  desc: SignalDescription;
}

const NUMERIC = new Set(['number', 'integer']);

/**
 * What the instruments offer a plan, from their live descriptions: which names can be a
 * detector, a motor or a camera, and each motor's limits and unit. Built per request, so a
 * limit refined at connect time (the laser's WAV:MIN?/MAX?) is the one checked.
 */
export class DeviceCatalog {
  private readonly instruments: Map<string, DeviceDescription>;
  private readonly signals = new Map<string, SignalEntry>();
  private readonly cameras: Set<string>;

  constructor(descriptions: DeviceDescription[], cameras: Iterable<string>) {
    this.instruments = new Map(descriptions.map((d) => [d.id, d]));
    for (const d of descriptions) {
      for (const desc of d.signals) {
        const path = `${d.id}.${desc.name}`;
        this.signals.set(path, { path, instrument: d.id, desc });
      }
    }
    this.cameras = new Set(cameras);
  }

  signal(path: string): SignalEntry | undefined {
    return this.signals.get(path);
  }

  isCamera(id: string): boolean {
    return this.cameras.has(id);
  }

  /** Every name that can play `role`, sorted. */
  candidates(role: ArgRole): string[] {
    const names: string[] = [];
    if (role === 'detector' || role === 'camera') names.push(...this.cameras);
    if (role !== 'camera') {
      for (const entry of this.signals.values())
        if (this.signalProblem(role, entry) === null) names.push(entry.path);
    }
    return names.sort();
  }

  /** Why `name` cannot play `role`, or null when it can. */
  problem(role: ArgRole, name: string): string | null {
    if (role === 'camera' || (role === 'detector' && !name.includes('.'))) {
      if (this.cameras.has(name)) return null;
      if (this.instruments.has(name)) {
        return role === 'camera'
          ? `${name} is not a camera`
          : `${name} is not a camera; name a signal as ${name}.<signal>`;
      }
      return `no instrument "${name}" (known: ${[...this.instruments.keys()].join(', ') || 'none'})`;
    }
    const dot = name.indexOf('.');
    const instrument = dot > 0 ? name.slice(0, dot) : name;
    const description = this.instruments.get(instrument);
    if (!description) {
      return `no instrument "${instrument}" (known: ${[...this.instruments.keys()].join(', ') || 'none'})`;
    }
    const entry = this.signals.get(name);
    if (!entry) {
      const known = description.signals.map((s) => s.name).join(', ');
      return `${instrument} has no signal "${name.slice(dot + 1)}" (known: ${known})`;
    }
    return this.signalProblem(role, entry);
  }

  /** Why `value` is not a valid position of `motor`, or null. */
  positionProblem(motor: string, value: number): string | null {
    const desc = this.signals.get(motor)?.desc;
    if (!desc) return null;
    const { min, max } = desc.limits ?? {};
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      const unit = desc.unit ? ` ${desc.unit}` : '';
      return `${value}${unit} is outside ${motor}'s limits ${min ?? '-∞'}..${max ?? '∞'}${unit}`;
    }
    if (desc.dtype === 'integer' && !Number.isInteger(value)) return `${motor} takes integers; got ${value}`;
    return null;
  }

  private signalProblem(role: ArgRole, entry: SignalEntry): string | null {
    const { desc, path } = entry;
    switch (role) {
      case 'detector':
      case 'readable':
        return desc.readable ? null : `${path} cannot be read`;
      case 'motor':
        if (!desc.writable) return `${path} is read-only, so it cannot be a motor`;
        if (!NUMERIC.has(desc.dtype)) return `${path} is ${desc.dtype}, not numeric, so it cannot be a motor`;
        return null;
      case 'camera':
        return `${path} is a signal, not a camera`;
    }
  }
}

import { SeededRandom } from '../../sim/random.ts';

/** The defect classes of the vision line (the reference's six, plus foreign_object and edge_defect). */
export const DefectClasses = [
  'scratch',
  'dent',
  'discoloration',
  'missing_component',
  'misalignment',
  'contamination',
  'foreign_object',
  'edge_defect',
] as const;
export type DefectClass = (typeof DefectClasses)[number];

export type DefectRates = Partial<Record<DefectClass, number>>;

/** A part as the line model knows it at an inspection station. */
export interface InspectedPart {
  id: string | number;
  sku: string;
}

/**
 * Where the simulated camera learns which part is in front of it: the line model (the PLC's
 * `Part.Id`/`Part.Sku` at that station) provides one; without it, a counter stands in.
 */
export interface PartSource {
  partAt(station: number): InspectedPart | undefined;
}

/** A part counter: every inspection sees the next part. */
export class CountingPartSource implements PartSource {
  private count = 0;
  private readonly sku: string;

  constructor(sku = 'SIM-001') {
    this.sku = sku;
  }

  partAt(): InspectedPart {
    this.count++;
    return { id: this.count, sku: this.sku };
  }
}

export interface DefectBox {
  /** Centre, pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What one tool saw: its score (≥ threshold is NG) and where the defect is (zeros when clean). */
export interface ToolFinding {
  defectClass: DefectClass;
  score: number;
  defective: boolean;
  box: DefectBox;
}

export interface DefectModelOptions {
  seed: number;
  /** Probability that a part carries each class of defect, at any station not in `ratesByStation`. */
  rates: DefectRates;
  /** Per-station overrides (station number → rates): stations differ in what goes wrong. */
  ratesByStation?: Record<number, DefectRates>;
  /** Score at or above which a tool judges NG (0–100). */
  threshold?: number;
  /** Image size, pixels (defect positions fall inside it). */
  imageWidth?: number;
  imageHeight?: number;
}

/** Rates of a typical machined-housing line, a few per cent per class. */
export const defaultDefectRates: DefectRates = {
  scratch: 0.03,
  dent: 0.02,
  discoloration: 0.015,
  missing_component: 0.01,
  misalignment: 0.02,
  contamination: 0.015,
  foreign_object: 0.005,
  edge_defect: 0.01,
};

/** FNV-1a, 32 bits: turns (seed, station, part, class) into a seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Which defects a part carries and what a tool looking for each class scores. Each class is
 * drawn independently with its station's rate, so over many parts the fraction failing each
 * class is that rate. The draw is seeded by (seed, station, part id, class), not by a running
 * sequence: the same part inspected twice gets the same verdict, whatever was inspected between.
 * A defective part scores threshold..100 (in its top 90 %), a clean one below 80 % of the
 * threshold, so the tool's judgement is exactly "carries the defect".
 */
export class DefectModel {
  readonly threshold: number;
  private readonly options: DefectModelOptions;
  private readonly width: number;
  private readonly height: number;

  constructor(options: DefectModelOptions) {
    this.options = options;
    this.threshold = options.threshold ?? 50;
    this.width = options.imageWidth ?? 1600;
    this.height = options.imageHeight ?? 1200;
  }

  rate(station: number, defectClass: DefectClass): number {
    const rates = this.options.ratesByStation?.[station] ?? this.options.rates;
    return rates[defectClass] ?? 0;
  }

  inspect(part: InspectedPart, station: number, defectClass: DefectClass): ToolFinding {
    const random = new SeededRandom(hash(`${this.options.seed}|${station}|${part.id}|${defectClass}`));
    const defective = random.next() < this.rate(station, defectClass);
    const u = random.next();
    const t = this.threshold;
    if (!defective)
      return {
        defectClass,
        score: round(0.8 * t * u, 1),
        defective,
        box: { x: 0, y: 0, width: 0, height: 0 },
      };
    const width = 10 + 100 * random.next();
    const height = 10 + 100 * random.next();
    return {
      defectClass,
      score: round(t + (100 - t) * (0.1 + 0.9 * u), 1),
      defective,
      box: {
        x: round(width / 2 + (this.width - width) * random.next(), 1),
        y: round(height / 2 + (this.height - height) * random.next(), 1),
        width: round(width, 1),
        height: round(height, 1),
      },
    };
  }
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

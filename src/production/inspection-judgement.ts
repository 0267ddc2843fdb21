import type { StationConfig } from '../config/line-schema.ts';
import type { VisionResult } from './line-interfaces.ts';
import type { BoundingBox, PartResult } from './line-records.ts';

export interface FoundDefect {
  class: string;
  confidence: number;
  box: BoundingBox | null;
}

export interface Judgement {
  result: Exclude<PartResult, 'pending'>;
  /** 1 − the highest defect score (clamped to 0..1); null when the camera gave no scores. */
  qualityScore: number | null;
  /** One per NG tool. */
  defects: FoundDefect[];
  measures: Record<string, number>;
}

function boxOf(station: StationConfig, cls: string, fields: Record<string, number>): BoundingBox | null {
  const outputs = station.boxes[cls];
  if (!outputs) return null;
  const x = fields[outputs.x];
  const y = fields[outputs.y];
  if (x === undefined || y === undefined) return null;
  const box: BoundingBox = { x, y };
  if (outputs.width && fields[outputs.width] !== undefined) box.width = fields[outputs.width];
  if (outputs.height && fields[outputs.height] !== undefined) box.height = fields[outputs.height];
  return box;
}

/**
 * Judges one inspection from the station's configured outputs, never from OK/NG text: a class
 * whose score reaches `defect_threshold` is an NG tool (one defect); a non-zero total judgement
 * fails the part even without one. Defects all of `rework_classes` send it to rework.
 */
export function judgeInspection(station: StationConfig, result: VisionResult): Judgement {
  const { fields } = result;
  const defects: FoundDefect[] = [];
  let highest: number | null = null;
  for (const [cls, output] of Object.entries(station.defect_classes)) {
    const score = fields[output];
    if (score === undefined || !Number.isFinite(score)) continue;
    highest = highest === null ? score : Math.max(highest, score);
    if (score >= station.defect_threshold)
      defects.push({ class: cls, confidence: score, box: boxOf(station, cls, fields) });
  }
  const totalNg =
    station.judgement_output !== undefined &&
    fields[station.judgement_output] !== undefined &&
    fields[station.judgement_output] !== 0;
  let verdict: Judgement['result'] = 'pass';
  if (defects.length > 0)
    verdict = defects.every((d) => station.rework_classes.includes(d.class)) ? 'rework' : 'fail';
  else if (totalNg) verdict = 'fail';
  const measures: Record<string, number> = {};
  for (const name of Object.keys(station.measures))
    if (fields[name] !== undefined) measures[name] = fields[name]!;
  return {
    result: verdict,
    qualityScore: highest === null ? null : Math.min(1, Math.max(0, 1 - highest)),
    defects,
    measures,
  };
}

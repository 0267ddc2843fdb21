import { binaryClosing, binaryDilation } from '../morphology/binary-morphology.ts';
import type { Grid } from '../morphology/image.ts';
import { labelComponents } from '../morphology/label-components.ts';
import { onCrop, overlaps, type Patch } from './patch.ts';
import { coverageOverlap, type VisualCoverage, visualCoverage } from './visual-coverage.ts';

export interface MergeParameters {
  borderWidth: number;
  pixelDeg: number;
  closeIter: number;
  mergeOverlap: number;
}

/**
 * Merges adjacent same-sign patches whose visual coverages barely overlap (Allen
 * `_mergePatches`): a pair qualifies when its patches touch within border_width + 1, the closing
 * (border_width iterations) of their union is one component, and the coverage overlap is at most
 * merge_overlap of each patch's AU. Qualifying pairs are taken in the order the Allen code sorts
 * them, smaller max overlap ratio first and then larger merged AU, skipping pairs whose patch
 * was already merged this round; rounds repeat until no pair qualifies.
 */
export function mergePatches(
  start: Patch[],
  altitude: Float64Array,
  azimuth: Float64Array,
  grid: Grid,
  p: MergeParameters,
): Patch[] {
  let patches = [...start];
  const coverage = new Map<Patch, VisualCoverage>();
  const coverageOf = (patch: Patch) => {
    let c = coverage.get(patch);
    if (!c) {
      c = visualCoverage(patch.mask, altitude, azimuth, p.pixelDeg, p.closeIter);
      coverage.set(patch, c);
    }
    return c;
  };
  for (;;) {
    // is_adjacent(borderWidth = border_width + 1) dilates each patch border_width times.
    const grown = patches.map((patch) =>
      onCrop(patch.mask, grid, p.borderWidth + 1, (m, g) => binaryDilation(m, g, p.borderWidth)),
    );
    const candidates: { a: Patch; b: Patch; merged: Patch; ratio: number; au: number }[] = [];
    for (let i = 0; i < patches.length; i++) {
      for (let j = i + 1; j < patches.length; j++) {
        const a = patches[i] as Patch;
        const b = patches[j] as Patch;
        if (a.sign !== b.sign || !overlaps(grown[i] as Uint8Array, grown[j] as Uint8Array)) continue;
        const union = Uint8Array.from(a.mask, (v, k) => (v || b.mask[k] ? 1 : 0));
        const closed = onCrop(union, grid, p.borderWidth + 1, (m, g) => binaryClosing(m, g, p.borderWidth));
        if (labelComponents(closed, grid).count > 1) continue;
        const merged: Patch = { mask: closed, sign: a.sign };
        const shared = coverageOverlap(coverageOf(a), coverageOf(b), p.pixelDeg);
        const r1 = shared / coverageOf(a).area;
        const r2 = shared / coverageOf(b).area;
        if (r1 <= p.mergeOverlap && r2 <= p.mergeOverlap) {
          candidates.push({ a, b, merged, ratio: Math.max(r1, r2), au: coverageOf(merged).area });
        }
      }
    }
    if (candidates.length === 0) return patches;
    candidates.sort((x, y) => x.ratio - y.ratio || y.au - x.au);
    const live = new Set(patches);
    for (const c of candidates) {
      if (!live.has(c.a) || !live.has(c.b)) continue;
      live.delete(c.a);
      live.delete(c.b);
      live.add(c.merged);
    }
    patches = [...live];
  }
}

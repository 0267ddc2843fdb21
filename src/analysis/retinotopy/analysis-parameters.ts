import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BenchtopError } from '../../core/errors.ts';

/**
 * The retinotopy analysis parameters (`--set analysis.KEY=VALUE`). Segmentation parameters carry
 * the names and defaults of Zhuang et al. 2017 (retinotopy.md §7); `method = "garrett"` selects
 * the Garrett et al. 2014 variant instead.
 */
export const AnalysisParameters = Type.Object(
  {
    camera_flip: Type.Boolean({
      default: false,
      description: 'camera image mirrored: reverse the visual field sign',
    }),
    coherence_threshold: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.3,
      description: 'coherence_vfs_map keeps the VFS where every direction reaches this coherence',
    }),
    leakage_correction: Type.Boolean({ default: true, description: 'correct G for uneven sampling' }),
    chunk_frames: Type.Integer({ minimum: 1, default: 64, description: 'frames read per step' }),
    method: Type.Union([Type.Literal('zhuang'), Type.Literal('garrett')], { default: 'zhuang' }),
    phase_map_sigma: Type.Number({ minimum: 0, default: 1 }),
    sign_map_sigma: Type.Number({ minimum: 0, default: 9 }),
    sign_map_threshold: Type.Number({ minimum: 0, default: 0.35 }),
    ecc_map_size: Type.Integer({ minimum: 1, default: 10 }),
    split_cut_step: Type.Number({ exclusiveMinimum: 0, default: 5 }),
    split_ratio: Type.Number({ minimum: 0, default: 1.1 }),
    merge_overlap: Type.Number({ minimum: 0, default: 0.1 }),
    open_iter: Type.Integer({ minimum: 0, default: 3 }),
    close_iter: Type.Integer({ minimum: 0, default: 3 }),
    dilation_iter: Type.Integer({ minimum: 0, default: 15 }),
    border_width: Type.Integer({ minimum: 1, default: 1 }),
    small_patch_px: Type.Integer({ minimum: 0, default: 100 }),
    visual_space_pixel_deg: Type.Number({ exclusiveMinimum: 0, default: 0.5 }),
    visual_space_close_iter: Type.Integer({ minimum: 0, default: 15 }),
  },
  { additionalProperties: false },
);
export type AnalysisParameters = Static<typeof AnalysisParameters>;

export function defaultAnalysisParameters(): AnalysisParameters {
  return Value.Create(AnalysisParameters);
}

/** Parses `analysis.KEY=VALUE` assignments (numbers and booleans converted) over the defaults. */
export function parseAnalysisSettings(assignments: readonly string[] = []): AnalysisParameters {
  const raw: Record<string, unknown> = { ...defaultAnalysisParameters() };
  for (const assignment of assignments) {
    const match = /^analysis\.([a-z_]+)=(.*)$/.exec(assignment);
    if (!match) {
      throw new BenchtopError('VALUE_INVALID', `--set expects analysis.KEY=VALUE, got "${assignment}"`, {
        assignment,
      });
    }
    const [, key, text] = match as unknown as [string, string, string];
    if (!(key in AnalysisParameters.properties)) {
      throw new BenchtopError('VALUE_INVALID', `unknown analysis parameter "${key}"`, {
        key,
        known: Object.keys(AnalysisParameters.properties),
      });
    }
    raw[key] =
      text === 'true'
        ? true
        : text === 'false'
          ? false
          : text !== '' && Number.isFinite(Number(text))
            ? Number(text)
            : text;
  }
  const errors = [...Value.Errors(AnalysisParameters, raw)];
  if (errors.length > 0) {
    const first = errors[0];
    throw new BenchtopError(
      'VALUE_INVALID',
      `analysis${first?.path.replaceAll('/', '.')}: ${first?.message}`,
      {
        errors: errors.map((e) => ({ path: e.path, message: e.message })),
      },
    );
  }
  return raw as AnalysisParameters;
}

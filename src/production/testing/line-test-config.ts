import { Value } from '@sinclair/typebox/value';
import { type LineConfig, LineEntry } from '../../config/line-schema.ts';

/** The example line (one station, scratch and dent), defaults filled, with overrides. */
export function testLineConfig(
  overrides: Partial<LineConfig> = {},
  station: Record<string, unknown> = {},
): LineConfig {
  const raw = {
    id: 'assembly1',
    plc: 'line_plc',
    part_event: 'Part.Completed',
    part_fields: { id: 'Part.Id', sku: 'Part.Sku' },
    state_tag: 'Line.State',
    result_tag: 'Quality.Result',
    ideal_cycle_ms: 1200,
    target_per_hour: 2800,
    shifts: [
      { name: 'A', start: '06:00', end: '14:00', breaks: ['10:00-10:20'] },
      { name: 'B', start: '14:00', end: '22:00' },
    ],
    stations: [
      {
        id: 'station01',
        vision: 'vision',
        defect_classes: { scratch: 'scratch_score', dent: 'dent_score' },
        rework_classes: ['dent'],
        judgement_output: 'judgement',
        boxes: { scratch: { x: 'scratch_x', y: 'scratch_y' } },
        measures: { width_mm: { lsl: 9.8, usl: 10.2 } },
        ...station,
      },
    ],
    ...overrides,
  };
  const line = Value.Default(LineEntry, raw) as LineConfig;
  if (!Value.Check(LineEntry, line))
    throw new Error([...Value.Errors(LineEntry, line)].map((e) => e.message).join());
  return line;
}

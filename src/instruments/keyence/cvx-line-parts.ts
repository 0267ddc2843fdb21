import type { LineStations } from '../../sim/production-line.ts';
import type { PartSource } from './cvx-defect-model.ts';

/**
 * The production line's stations as the simulated camera's parts: the part at station N is
 * the one the line model has there (station 1 the part completed last), by its serial and SKU,
 * so the inspections name the parts the PLC's `Part.Id`/`Part.Sku` showed. Before the first
 * part there is nothing at the station (the camera then judges NG with every tool at 0).
 */
export function linePartSource(line: LineStations): PartSource {
  return {
    partAt: (station) => {
      const part = line.partAt(station);
      return part ? { id: part.id, sku: part.sku } : undefined;
    },
  };
}

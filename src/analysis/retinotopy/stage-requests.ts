import { BenchtopError } from '../../core/errors.ts';
import { DIRECTIONS } from './direction-recording.ts';
import { pixelSumsOn, readOutMaps, SUMS_PER_PIXEL } from './fourier-accumulator.ts';
import { positionAndSignMaps } from './position-and-sign-maps.ts';
import { segmentAreas } from './segmentation/area-segmentation.ts';
import { stageErrorOf } from './stage-errors.ts';
import type { StageReply, StageRequest } from './stage-worker-protocol.ts';

/** What the stage worker does with one request: the reply and the buffers it gives away. */
export function runStageRequest(request: StageRequest): { reply: StageReply; transfer: ArrayBuffer[] } {
  const { id } = request;
  try {
    if (request.stage === 'readOut') {
      const { width, height, sums } = request;
      const pixels = width * height;
      if (sums.length !== SUMS_PER_PIXEL * pixels) {
        throw new BenchtopError(
          'VALUE_INVALID',
          `read-out: ${sums.length} sums, a ${width} × ${height} grid needs ${SUMS_PER_PIXEL * pixels}`,
          { stage: 'readOut', values: sums.length, width, height },
        );
      }
      const onSums = pixelSumsOn(sums.buffer, pixels);
      const fourier = readOutMaps(onSums, request.frame, width, height, request.options);
      const { phase, magnitude, deltaROverR, coherence, mean } = fourier;
      return {
        reply: { id, fourier },
        transfer: buffersOf([phase, magnitude, deltaROverR, coherence, mean]),
      };
    }
    if (request.stage === 'maps') {
      for (const d of DIRECTIONS) {
        mustCover('maps', `phase of ${d}`, request.phase[d], request);
        mustCover('maps', `coherence of ${d}`, request.coherence[d], request);
      }
      const maps = positionAndSignMaps(request);
      return { reply: { id, maps }, transfer: buffersOf(Object.values(maps)) };
    }
    if (request.stage === 'segmentation') {
      mustCover('segmentation', 'azimuth', request.azimuth, request.grid);
      mustCover('segmentation', 'altitude', request.altitude, request.grid);
      const segmentation = segmentAreas(request.azimuth, request.altitude, request.grid, request.parameters);
      const { areaMap, boundaryMap, signMap, signMapFiltered } = segmentation;
      return {
        reply: { id, segmentation },
        transfer: buffersOf([areaMap, boundaryMap, signMap, signMapFiltered]),
      };
    }
    throw new BenchtopError(
      'INTERNAL',
      `the stage worker has no stage "${(request as { stage: unknown }).stage}"`,
    );
  } catch (error) {
    return { reply: { id, error: stageErrorOf(error) }, transfer: [] };
  }
}

/** A map must hold one value per pixel of the grid (a mismatch would read past its end as NaN). */
function mustCover(
  stage: string,
  name: string,
  map: ArrayLike<number>,
  { width, height }: { width: number; height: number },
): void {
  if (map.length !== width * height) {
    throw new BenchtopError(
      'VALUE_INVALID',
      `${stage}: ${name} has ${map.length} values, a ${width} × ${height} grid needs ${width * height}`,
      { stage, map: name, values: map.length, width, height },
    );
  }
}

/** Each buffer once (two views of one buffer cannot both be listed). */
function buffersOf(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  return [...out];
}

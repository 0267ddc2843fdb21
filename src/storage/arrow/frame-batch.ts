import {
  Field,
  FixedSizeList,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Uint16,
} from 'apache-arrow';
import type { EventDescriptor, RunStart } from '../../core/documents.ts';
import type { Frame } from '../../core/frame.ts';
import { fieldMetadata, runMetadata, SchemaMeta, timeType } from './stream-schema.ts';

export const PIXELS = 'pixels';

/**
 * Frames file schema: one row per frame, pixels as a fixed-size list of uint16 (row-major,
 * `height * width` long), so `pixels.flatten().to_numpy().reshape(-1, height, width)` is the
 * whole stack. A fixed size matches the descriptor's fixed shape and lets readers compute any
 * frame's offset; frames of another size are refused (see ArrowRunWriter.frame).
 */
export function frameSchema(
  start: RunStart,
  descriptor: EventDescriptor,
  dataKey: string,
  height: number,
  width: number,
): Schema {
  const key = descriptor.data_keys[dataKey]!;
  const meta = runMetadata(start, descriptor);
  meta.set(SchemaMeta.dataKey, dataKey);
  return new Schema(
    [
      new Field('frame_number', new Int64(), false),
      new Field('timestamp', timeType(), false),
      new Field('width', new Int32(), false),
      new Field('height', new Int32(), false),
      new Field('bit_depth', new Int32(), false),
      new Field('exposure_ms', new Float64(), false),
      new Field(
        PIXELS,
        new FixedSizeList(height * width, new Field('item', new Uint16(), false)),
        false,
        fieldMetadata(key),
      ),
    ],
    meta,
  );
}

/** One frame as a one-row batch. The pixel buffer is referenced, not copied. */
export function frameBatch(schema: Schema, frame: Frame): RecordBatch {
  const scalar = { length: 1, nullCount: 0 };
  const children = [
    makeData({ ...scalar, type: new Int64(), data: BigInt64Array.of(BigInt(frame.frameNumber)) }),
    // Frame timestamps are epoch milliseconds; the column stores microseconds.
    makeData({
      ...scalar,
      type: timeType(),
      data: BigInt64Array.of(BigInt(Math.round(frame.timestamp * 1000))),
    }),
    makeData({ ...scalar, type: new Int32(), data: Int32Array.of(frame.width) }),
    makeData({ ...scalar, type: new Int32(), data: Int32Array.of(frame.height) }),
    makeData({ ...scalar, type: new Int32(), data: Int32Array.of(frame.bitDepth) }),
    makeData({ ...scalar, type: new Float64(), data: Float64Array.of(frame.exposureMs) }),
    makeData({
      ...scalar,
      type: schema.fields[6]!.type as FixedSizeList<Uint16>,
      child: makeData({ type: new Uint16(), length: frame.pixels.length, nullCount: 0, data: frame.pixels }),
    }),
  ];
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children }),
  );
}

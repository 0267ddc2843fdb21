import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '../../core/frame.ts';
import { CameraPreviewRenderer, encodePreview } from './camera-preview.ts';
import { focusScore } from './focus-measure.ts';
import { decodePreviewMessage } from './preview-wire.ts';
import { renderPreview } from './preview-worker.ts';

function ramp(width: number, height: number): Uint16Array {
  const pixels = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = 1000 + x * 10;
  return pixels;
}

describe('camera preview', () => {
  it('decimates to the requested width and levels to 8 bits between the 0.5 and 99.5 percentiles', () => {
    const r = renderPreview({ id: 1, pixels: ramp(2048, 64), width: 2048, height: 64, maxWidth: 512 });
    assert.deepEqual([r.width, r.height], [512, 16]);
    assert.equal(r.pixels[0], 0, 'darkest column is black');
    assert.equal(r.pixels[511], 255, 'brightest column is white');
    assert.ok(r.pixels[256]! > 100 && r.pixels[256]! < 155, `middle is grey: ${r.pixels[256]}`);
  });

  it('previews an RGB frame (interleaved R, G, B) as its luminance', () => {
    // Left pixel pure red, right pixel pure green, the rest black: green is the brighter luma.
    const pixels = new Uint16Array(4 * 1 * 3);
    pixels.set([200, 0, 0], 0);
    pixels.set([0, 200, 0], 3);
    const r = renderPreview({ id: 2, pixels, width: 4, height: 1, maxWidth: 4, channels: 3 });
    assert.deepEqual([r.width, r.height, r.low], [4, 1, 0]);
    assert.equal(r.pixels[1], 255, 'green is the brightest');
    assert.ok(r.pixels[0]! > 0 && r.pixels[0]! < r.pixels[1]!, `red is darker: ${r.pixels[0]}`);
    assert.equal(r.pixels[3], 0);
  });

  it('carries the focus score of the full frame, whose detail the decimated preview no longer shows', () => {
    // Stripes 2 px wide, previewed at every 4th column: the preview is flat, the frame is not.
    const width = 1024;
    const height = 32;
    const pixels = new Uint16Array(width * height);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor((i % width) / 2) % 2 ? 3000 : 1000;
    const r = renderPreview({ id: 3, pixels, width, height, maxWidth: 256 });
    assert.equal(r.focus, focusScore(pixels, width, height));
    assert.ok(r.focus > 0.1, `full frame: ${r.focus}`);
    assert.equal(focusScore(r.pixels, r.width, r.height), 0, 'the preview itself is uniform');
  });

  it('encodes a length-prefixed JSON header followed by the pixels', () => {
    const frame: Frame = {
      pixels: ramp(8, 8),
      width: 8,
      height: 8,
      frameNumber: 42,
      timestamp: 1,
      bitDepth: 16,
      exposureMs: 5,
    };
    const bytes = encodePreview(
      'camera',
      frame,
      renderPreview({ id: 0, pixels: frame.pixels, width: 8, height: 8, maxWidth: 8 }),
    );
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    const header = JSON.parse(Buffer.from(bytes.subarray(4, 4 + headerLength)).toString('utf8'));
    assert.deepEqual(
      [header.type, header.instrument, header.frame_number, header.width],
      ['camera_preview', 'camera', 42, 8],
    );
    assert.equal(bytes.length, 4 + headerLength + 64);
  });

  it('the dashboard decodes what the hub encodes (one wire format), and refuses a cut message', () => {
    const frame: Frame = {
      pixels: ramp(16, 4),
      width: 16,
      height: 4,
      frameNumber: 7,
      timestamp: 12.5,
      bitDepth: 16,
      exposureMs: 5,
    };
    const result = renderPreview({ id: 0, pixels: frame.pixels, width: 16, height: 4, maxWidth: 8 });
    const bytes = encodePreview('cam', frame, result);
    const decoded = decodePreviewMessage(bytes.slice().buffer);
    assert.ok(decoded);
    assert.deepEqual(decoded.header, {
      type: 'camera_preview',
      instrument: 'cam',
      frame_number: 7,
      timestamp: 12.5,
      source_width: 16,
      source_height: 4,
      width: result.width,
      height: result.height,
      low: result.low,
      high: result.high,
      focus: result.focus,
    });
    assert.deepEqual([...decoded.pixels], [...result.pixels]);
    assert.equal(decodePreviewMessage(bytes.slice(0, bytes.length - 1).buffer), null);
  });

  it('renders in a worker, one at a time, skipping frames that arrive meanwhile, and leaves the frame intact', async () => {
    const renderer = new CameraPreviewRenderer();
    const frame: Frame = {
      pixels: ramp(256, 256),
      width: 256,
      height: 256,
      frameNumber: 1,
      timestamp: 1,
      bitDepth: 16,
      exposureMs: 5,
    };
    const first = renderer.render(frame, 64);
    const second = await renderer.render(frame, 64);
    assert.equal(second, null);
    assert.equal(renderer.skipped, 1);
    const result = await first;
    assert.equal(result?.width, 64);
    assert.equal(frame.pixels.length, 256 * 256, 'the worker got a copy; the frame is still usable');
    await renderer.close();
  });
});

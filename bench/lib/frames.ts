/**
 * Camera frames for the HDF5 benchmark: pixel (y, x) of frame n is (n × 7919 + y × width + x)
 * mod 2¹⁶, the same pixels bench/anchors/h5py_frames.py writes, so every writer stores
 * identical bytes. Four distinct frames are made up front and repeated.
 */
export function framePixels(n: number, height: number, width: number): Uint16Array {
  const pixels = new Uint16Array(height * width);
  const offset = n * 7919;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (offset + i) & 0xffff;
  return pixels;
}

export function framePool(height: number, width: number): Uint16Array[] {
  return [0, 1, 2, 3].map((n) => framePixels(n, height, width));
}

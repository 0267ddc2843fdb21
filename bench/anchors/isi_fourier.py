#!/usr/bin/python3
"""Anchor for the retinotopy offline benchmark, and the maker of its session file.

Usage: isi_fourier.py make PATH FRAMES HEIGHT WIDTH FPS
       isi_fourier.py fourier PATH CHUNK PERIOD_S

make: writes PATH in the guide's layout for one direction ({DIR}_camera.h5): `frames` uint16
(FRAMES, HEIGHT, WIDTH), one frame per chunk, and `timestamps` int64 µs at FPS.
fourier: what `benchtop isi analyze` does for one direction's stage 1, the numpy way: reads the
frames CHUNK at a time with h5py, and per chunk a single-bin matrix product of the (chunk, pixels)
frames with the (chunk, 2) cos/sin of 2π t / PERIOD_S, accumulated in float64, then the mean
removed (G = Σ(x − x̄)e^{iωt}) and phase and magnitude taken. Prints one JSON line: seconds.
"""
import json
import sys
import time

import h5py
import numpy as np


def make(path, frames, height, width, fps):
    with h5py.File(path, 'w') as f:
        d = f.create_dataset('frames', (frames, height, width), dtype='<u2', chunks=(1, height, width))
        rng = np.random.default_rng(1)
        base = rng.integers(900, 1100, size=(height, width), dtype=np.uint16)
        for k in range(0, frames, 100):
            n = min(100, frames - k)
            d[k:k + n] = base[None] + (np.arange(k, k + n, dtype=np.uint16) % 7)[:, None, None]
        f.create_dataset('timestamps', data=(1_000_000 + np.arange(frames) * (1e6 / fps)).astype('<i8'))
        f.attrs['direction'] = 'LR'
    print(json.dumps({'frames': frames}))


def fourier(path, chunk, period_s):
    start = time.perf_counter()
    with h5py.File(path, 'r') as f:
        frames = f['frames']
        t = (f['timestamps'][()] - f['timestamps'][0]) / 1e6
        n, h, w = frames.shape
        omega = 2 * np.pi / period_s
        basis = np.stack([np.cos(omega * t), np.sin(omega * t)], axis=1)
        acc = np.zeros((2, h * w))
        total = np.zeros(h * w)
        for k in range(0, n, chunk):
            x = frames[k:k + chunk].reshape(-1, h * w).astype(np.float64)
            acc += basis[k:k + chunk].T @ x
            total += x.sum(axis=0)
    mean = total / n
    g = (basis.sum(axis=0)[:, None] * mean[None]) - acc
    phase = np.arctan2(g[1], g[0])
    magnitude = np.hypot(g[0], g[1])
    seconds = time.perf_counter() - start
    print(json.dumps({'seconds': seconds, 'frames': n, 'check': float(phase[0] + magnitude[0])}))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == 'make' and len(sys.argv) == 7:
        make(sys.argv[2], *map(int, sys.argv[3:6]), float(sys.argv[6]))
    elif len(sys.argv) == 5 and sys.argv[1] == 'fourier':
        fourier(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)


main()

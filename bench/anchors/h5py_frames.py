#!/usr/bin/python3
"""Anchor for the HDF5 frame benchmark: h5py writing the frames Benchtop's writer writes.

Usage: h5py_frames.py PATH FRAMES HEIGHT WIDTH

Same file as Hdf5RunWriter makes for a camera key: uint16 (n, HEIGHT, WIDTH), maxshape
(None, HEIGHT, WIDTH), chunks (1, HEIGHT, WIDTH), no compression, libver ('v110', 'v110'),
SWMR writing, grown by one row and written with one hyperslab write per frame. The frames are
the same pixels the Node side writes (4 distinct frames, made before the clock starts).
The file is fsynced after it is closed, as the Node writers' files are, so every writer is
timed until its bytes are on disk.
Prints one JSON line: frames, bytes, seconds (create to fsync), mb_per_s (10^6 bytes/s), fps.
"""
import json
import os
import sys
import time

import h5py
import numpy as np


def frame(n, height, width):
    # pixel (y, x) of frame n = (n * 7919 + y * width + x) mod 2^16, as in frame-throughput.ts
    return ((np.arange(height * width, dtype=np.uint64) + n * 7919) & 0xFFFF).astype(np.uint16).reshape(height, width)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    path, frames, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    pool = [frame(n, height, width) for n in range(4)]
    start = time.perf_counter()
    with h5py.File(path, "w", libver=("v110", "v110")) as f:
        d = f.create_dataset(
            "entry/data_camera/cam_image",
            shape=(0, height, width),
            maxshape=(None, height, width),
            chunks=(1, height, width),
            dtype="<u2",
        )
        f.swmr_mode = True
        for n in range(frames):
            d.resize(n + 1, axis=0)
            d[n] = pool[n % 4]
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    seconds = time.perf_counter() - start
    nbytes = frames * height * width * 2
    print(json.dumps({
        "writer": "h5py",
        "frames": frames,
        "bytes": nbytes,
        "seconds": round(seconds, 4),
        "mb_per_s": round(nbytes / 1e6 / seconds, 1),
        "fps": round(frames / seconds, 1),
    }))


if __name__ == "__main__":
    main()

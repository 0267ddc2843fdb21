#!/usr/bin/python3
"""Anchor for the HDF5 frame benchmark: the device's sequential write speed without the page cache.

Usage: raw_direct_frames.py PATH FRAMES HEIGHT WIDTH

The same frame bytes as h5py_frames.py, written one frame per write(2) to a plain file opened
with O_DIRECT from a page-aligned buffer (an anonymous mmap), then fsynced; no HDF5. This is
what `dd oflag=direct` measures, with the benchmark's own pixels. Where the filesystem refuses
O_DIRECT (tmpfs, some network filesystems) it exits 3 with the reason on stderr.
Prints one JSON line: frames, bytes, seconds (open to fsync), mb_per_s (10^6 bytes/s).
"""
import json
import mmap
import os
import sys
import time

import numpy as np


def frame(n, height, width):
    # pixel (y, x) of frame n = (n * 7919 + y * width + x) mod 2^16, as in h5py_frames.py
    return ((np.arange(height * width, dtype=np.uint64) + n * 7919) & 0xFFFF).astype(np.uint16)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    path, frames, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    nbytes = height * width * 2
    if nbytes % 4096:
        sys.exit(f"frame size {nbytes} is not a multiple of 4096 bytes, which O_DIRECT needs")
    pool = [frame(n, height, width).tobytes() for n in range(4)]
    staging = mmap.mmap(-1, nbytes)  # page-aligned, as O_DIRECT requires
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
    except OSError as e:
        print(f"O_DIRECT refused on {path}: {e}", file=sys.stderr)
        sys.exit(3)
    start = time.perf_counter()
    for n in range(frames):
        staging.seek(0)
        staging.write(pool[n % 4])
        done = 0
        while done < nbytes:
            done += os.write(fd, memoryview(staging)[done:])
    os.fsync(fd)
    os.close(fd)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "writer": "raw-direct",
        "frames": frames,
        "bytes": frames * nbytes,
        "seconds": round(seconds, 4),
        "mb_per_s": round(frames * nbytes / 1e6 / seconds, 1),
    }))


if __name__ == "__main__":
    main()

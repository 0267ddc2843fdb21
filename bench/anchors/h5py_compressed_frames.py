#!/usr/bin/python3
"""Anchor for the compression benchmark: h5py writing the same camera frames with the same
filter pipeline and chunking as Benchtop's codecs (one 2048 x 2048 frame per chunk).

Usage: h5py_compressed_frames.py FRAMES_FILE OUT FRAMES CODEC LEVEL

CODEC: deflate (shuffle + gzip LEVEL), lz4 (shuffle + HDF5 LZ4 filter 32004, 1 MiB blocks),
bitshuffle-lz4 (filter 32008), zstd (shuffle + filter 32015, LEVEL). The distinct frames in
FRAMES_FILE (uint16 LE) are read before the clock starts and repeated. Timed from file
creation to fsync. Prints one JSON line: mb_per_s (input, 10^6 bytes/s), mb_per_cpu_s (input
per CPU-second of the process), ratio.
"""
import json
import os
import sys
import time

import h5py
import numpy as np

frames_file, out, total, codec, level = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
H = W = 2048
pool = np.fromfile(frames_file, dtype="<u2").reshape(-1, H, W)
if codec in ("bitshuffle-lz4", "zstd", "lz4"):
    try:
        import hdf5plugin  # noqa: F401
    except ImportError:
        pass
filters = {
    "deflate": dict(shuffle=True, compression="gzip", compression_opts=level),
    "lz4": dict(shuffle=True, compression=32004, compression_opts=(1 << 20,)),
    "bitshuffle-lz4": dict(compression=32008, compression_opts=(0, 2)),
    "zstd": dict(shuffle=True, compression=32015, compression_opts=(level,)),
}[codec]
start = time.perf_counter()
cpu_start = time.process_time()  # process-wide: every thread
with h5py.File(out, "w", libver=("v110", "v110")) as f:
    d = f.create_dataset("frames", shape=(total, H, W), chunks=(1, H, W), dtype="<u2", **filters)
    for n in range(total):
        d[n] = pool[n % len(pool)]
    stored = d.id.get_storage_size()
fd = os.open(out, os.O_RDONLY)
os.fsync(fd)
os.close(fd)
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
os.unlink(out)
raw = total * H * W * 2
print(json.dumps({"frames": total, "seconds": seconds, "mb_per_s": raw / seconds / 1e6,
                  "mb_per_cpu_s": raw / cpu_seconds / 1e6, "ratio": raw / stored}))

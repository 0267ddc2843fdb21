"""Stores pre-compressed chunks with h5py's write_direct_chunk in datasets whose pipeline is
the one given, then reads the datasets back through HDF5's filters (with hdf5plugin's
bitshuffle and zstd where asked) and compares every element with the raw frames.

    python3 read_direct_chunks.py SPEC.json

SPEC: {"file", "height", "width", "frames": RAW_PATH (n × height × width uint16 LE),
       "datasets": [{"name", "filters": [{"id", "cdValues"}], "chunks": [CHUNK_PATH, ...]}]}
Prints {"name": {"equal": bool, "frames": n}} as JSON.
"""
import json
import sys

import h5py
import numpy as np

spec = json.load(open(sys.argv[1]))
if any(f["id"] > 256 for d in spec["datasets"] for f in d["filters"]):
    import hdf5plugin  # noqa: F401  (registers bitshuffle and zstd)

h, w = spec["height"], spec["width"]
raw = np.fromfile(spec["frames"], dtype="<u2").reshape(-1, h, w)
result = {}
with h5py.File(spec["file"], "w") as f:
    for d in spec["datasets"]:
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((1, h, w))
        for flt in d["filters"]:
            dcpl.set_filter(flt["id"], h5py.h5z.FLAG_MANDATORY, tuple(flt["cdValues"]))
        space = h5py.h5s.create_simple((len(d["chunks"]), h, w))
        dsid = h5py.h5d.create(f.id, d["name"].encode(), h5py.h5t.STD_U16LE, space, dcpl=dcpl)
        for i, path in enumerate(d["chunks"]):
            dsid.write_direct_chunk((i, 0, 0), open(path, "rb").read(), 0)
with h5py.File(spec["file"], "r") as f:
    for d in spec["datasets"]:
        back = f[d["name"]][()]
        result[d["name"]] = {"equal": bool(np.array_equal(back, raw[: len(d["chunks"])])), "frames": int(back.shape[0])}
print(json.dumps(result))

#!/usr/bin/python3
"""Writes T x H x W datasets in the layouts frame-file-offsets.test.ts looks up, with h5py.

Usage: write_frame_layouts.py DIR. Frame t's pixel i holds (t * 31 + i) % 65536 (of the dtype);
`timestamps` (int64, contiguous) beside it holds 1_000_000 + 33_333 t.
Prints one JSON line: {file name: [dataset path, T, H, W, dtype]}.
"""
import json
import sys

import h5py
import numpy as np


def frames(t, h, w, dtype):
    i = np.arange(h * w)
    return np.stack([((k * 31 + i) % 65536).reshape(h, w) for k in range(t)]).astype(dtype)


def main(out):
    cases = {
        'contiguous.h5': dict(path='frames', t=12, dtype='<u2'),
        'one-per-chunk.h5': dict(path='frames', t=12, dtype='<u2', chunks=1),
        'four-per-chunk.h5': dict(path='frames', t=10, dtype='<u2', chunks=4),
        'deep-btree.h5': dict(path='camera/run/frames', t=300, dtype='<u2', chunks=1, extra=40),
        'float32.h5': dict(path='frames', t=5, dtype='<f4', chunks=2),
        'int16-latest.h5': dict(path='g/frames', t=6, dtype='<i2', libver='latest'),
        'gzip.h5': dict(path='frames', t=6, dtype='<u2', chunks=1, compression='gzip'),
        'half-frame-chunks.h5': dict(path='frames', t=6, dtype='<u2', chunks=(1, 3, 5)),
        'big-endian.h5': dict(path='frames', t=4, dtype='>u2'),
        'unwritten-chunk.h5': dict(path='frames', t=6, dtype='<u2', chunks=1, skip=3),
    }
    h, w = 6, 5
    listing = {}
    for name, c in cases.items():
        with h5py.File(f'{out}/{name}', 'w', libver=c.get('libver', 'earliest')) as f:
            chunks = c.get('chunks')
            if isinstance(chunks, int):
                chunks = (chunks, h, w)
            data = frames(c['t'], h, w, c['dtype'])
            d = f.create_dataset(c['path'], (c['t'], h, w), dtype=c['dtype'], chunks=chunks,
                                 compression=c.get('compression'))
            for k in range(c['t']):
                if k != c.get('skip'):
                    d[k] = data[k]
            f.create_dataset('timestamps', data=(1_000_000 + np.arange(c['t']) * 33_333).astype('<i8'))
            # Many attributes and siblings: continuation blocks and multi-node groups.
            for a in range(c.get('extra', 0)):
                d.attrs[f'attribute_{a}'] = np.arange(20) * a
                f.create_dataset(f'sibling_{a:03d}', data=np.arange(3))
        listing[name] = [c['path'], c['t'], h, w, c['dtype']]
    print(json.dumps(listing))


main(sys.argv[1])

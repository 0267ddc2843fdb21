#!/usr/bin/python3
"""Writes T x H x W datasets in the layouts frame-file-offsets.test.ts looks up, with h5py.

Usage: write_frame_layouts.py DIR. Frame t's pixel i holds (t * 31 + i) % 65536 (of the dtype);
`timestamps` (int64, contiguous) beside it holds 1_000_000 + 33_333 t.
Prints one JSON line: {file name: [dataset path, T, H, W, dtype]}.

The `libver='latest'` chunked cases use the 1.10 chunk indexes: maxshape (None, H, W) an
extensible array, a fixed shape a fixed array, one chunk the single-chunk index, early allocation
the implicit index, maxshape None everywhere a version 2 B-tree. HDF5 does not let the extensible
array's parameters be set; with its defaults (4 elements in the index block, data blocks of at
least 16, 1024-element pages) the first paged data block holds chunk 131060, hence the size of
'ea-one-per-chunk.h5'.
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
        'unwritten-chunk.h5': dict(path='frames', t=6, dtype='<u2', chunks=1, skip=(3, 4)),
        # The 1.10 chunk indexes.
        'ea-one-per-chunk.h5': dict(path='frames', t=133_300, h=2, w=3, dtype='<u2', chunks=1,
                                    latest=True, unlimited=True),
        'ea-three-per-chunk.h5': dict(path='g/frames', t=7502, dtype='<u2', chunks=3, latest=True,
                                      unlimited=True),
        'fa-paged.h5': dict(path='frames', t=2500, h=2, w=3, dtype='<u2', chunks=1, latest=True),
        'fa-four-per-chunk.h5': dict(path='frames', t=10, dtype='<f4', chunks=4, latest=True),
        'single-chunk.h5': dict(path='frames', t=7, dtype='<u2', chunks=7, latest=True),
        'implicit.h5': dict(path='frames', t=9, dtype='<i2', chunks=2, latest=True, early=True),
        'ea-unwritten-middle.h5': dict(path='frames', t=300, dtype='<u2', chunks=1, latest=True,
                                       unlimited=True, skip=(150, 151)),
        'ea-unwritten-tail.h5': dict(path='frames', t=40, dtype='<u2', chunks=2, latest=True,
                                     unlimited=True, skip=(38, 40)),
        'fa-missing-page.h5': dict(path='frames', t=2500, h=2, w=3, dtype='<u2', chunks=1,
                                   latest=True, skip=(1024, 2048)),
        'ea-gzip.h5': dict(path='frames', t=40, dtype='<u2', chunks=1, latest=True, unlimited=True,
                           compression='gzip'),
        'btree2.h5': dict(path='frames', t=12, dtype='<u2', chunks=1, latest=True, btree2=True),
        # Frames one chunk of the current size but not of the maximum: two chunks a frame index.
        'ea-wider-maxshape.h5': dict(path='frames', t=12, dtype='<u2', chunks=1, latest=True,
                                     maxshape=(None, 12, 5)),
    }
    listing = {}
    for name, c in cases.items():
        h, w = c.get('h', 6), c.get('w', 5)
        libver = 'latest' if c.get('latest') else c.get('libver', 'earliest')
        with h5py.File(f'{out}/{name}', 'w', libver=libver) as f:
            chunks = c.get('chunks')
            if isinstance(chunks, int):
                chunks = (chunks, h, w)
            maxshape = (None, None, None) if c.get('btree2') else (None, h, w) if c.get('unlimited') else None
            maxshape = c.get('maxshape', maxshape)
            dcpl = None
            if c.get('early'):
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
            data = frames(c['t'], h, w, c['dtype'])
            d = f.create_dataset(c['path'], (c['t'], h, w), dtype=c['dtype'], chunks=chunks,
                                 maxshape=maxshape, compression=c.get('compression'), dcpl=dcpl)
            skip = c.get('skip', (c['t'], c['t']))
            # Several frames a write where a case is large (the first case wrote one at a time).
            for start, end in ((0, skip[0]), (skip[1], c['t'])):
                for k in range(start, end, 5000):
                    d[k:min(k + 5000, end)] = data[k:min(k + 5000, end)]
            f.create_dataset('timestamps', data=(1_000_000 + np.arange(c['t']) * 33_333).astype('<i8'))
            # Many attributes and siblings: continuation blocks and multi-node groups.
            for a in range(c.get('extra', 0)):
                d.attrs[f'attribute_{a}'] = np.arange(20) * a
                f.create_dataset(f'sibling_{a:03d}', data=np.arange(3))
        listing[name] = [c['path'], c['t'], h, w, c['dtype']]
    print(json.dumps(listing))


main(sys.argv[1])

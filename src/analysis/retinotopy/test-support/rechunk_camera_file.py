#!/usr/bin/python3
"""Rewrites a guide-layout {DIR}_camera.h5 with h5py, `frames` in chunks of FRAMES_PER_CHUNK
whole frames (0: contiguous), timestamps and attributes kept.

Usage: rechunk_camera_file.py PATH FRAMES_PER_CHUNK
"""
import sys

import h5py

path, per_chunk = sys.argv[1], int(sys.argv[2])
with h5py.File(path, 'r') as f:
    frames = f['frames'][()]
    stamps = f['timestamps'][()]
    attrs = dict(f.attrs)
with h5py.File(path, 'w') as f:
    chunks = (per_chunk, *frames.shape[1:]) if per_chunk else None
    f.create_dataset('frames', data=frames, chunks=chunks)
    f.create_dataset('timestamps', data=stamps)
    f.attrs.update(attrs)

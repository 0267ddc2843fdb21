"""Anchor for the ingest benchmark: Python's sqlite3 `executemany` of the same samples the
SQLite store takes (100 signals, each sample 1 ms after the last of its signal, value sin(i)),
into the same schema (signals + a WITHOUT ROWID samples table keyed (signal_id, time)), with
the same pragmas (WAL, synchronous=NORMAL), one transaction per batch.

    python3 bench/anchors/sqlite_executemany.py FILE SAMPLES BATCH

Rows are made before the clock starts. Prints {"samples_per_s", ...}.
"""
import json
import math
import sqlite3
import sys
import time

path, total, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SIGNALS = 100
T0 = 1767225600000  # 2026-01-01 UTC, as the Node child

db = sqlite3.connect(path, isolation_level=None)
db.executescript(
    """
    PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
    CREATE TABLE signals (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE samples (
      signal_id INTEGER NOT NULL REFERENCES signals (id),
      time INTEGER NOT NULL,
      value REAL,
      quality TEXT,
      PRIMARY KEY (signal_id, time)
    ) WITHOUT ROWID;
    """
)
db.executemany("INSERT INTO signals (id, name) VALUES (?, ?)", [(i + 1, f"bench.signal_{i}") for i in range(SIGNALS)])
batches = [
    [(i % SIGNALS + 1, T0 + i // SIGNALS, math.sin(i), None) for i in range(start, min(total, start + batch))]
    for start in range(0, total, batch)
]

started = time.perf_counter()
for rows in batches:
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT OR IGNORE INTO samples (signal_id, time, value, quality) VALUES (?, ?, ?, ?)", rows)
    db.execute("COMMIT")
seconds = time.perf_counter() - started
db.close()
print(json.dumps({"samples": total, "batch": batch, "seconds": seconds, "samples_per_s": total / seconds}))

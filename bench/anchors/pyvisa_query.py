#!/usr/bin/python3
"""Anchor for the SCPI round-trip benchmark: how many queries per second PyVISA-py manages
against the same instrument (or simulator) that Benchtop's full stack is measured against.

    /usr/bin/python3 bench/anchors/pyvisa_query.py TCPIP0::127.0.0.1::5025::SOCKET 1000
    /usr/bin/python3 bench/anchors/pyvisa_query.py TCPIP0::127.0.0.1::inst0::INSTR 1000 --portmapper-port 40111
    /usr/bin/python3 bench/anchors/pyvisa_query.py TCPIP0::127.0.0.1::5025::SOCKET 0 --serve

With --serve it prints {"ready": true} after the warm-up, then for each stdin line "ID N" times N
queries and prints {"block": ID, "n": N, "seconds", "queries_per_s"} (bench/lib/query-blocks.ts).

Prints one JSON object: {"client": "pyvisa-py", "resource", "query", "n", "seconds", "queries_per_s"}.
Needs Debian's python3-pyvisa-py.
"""
import argparse
import json
import sys
import time


def serve(inst, query: str) -> None:
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        block, n = (int(word) for word in line.split())
        start = time.perf_counter()
        for _ in range(n):
            inst.query(query)
        seconds = time.perf_counter() - start
        print(json.dumps({'block': block, 'n': n, 'seconds': seconds, 'queries_per_s': n / seconds}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('resource', help='VISA resource, e.g. TCPIP0::127.0.0.1::5025::SOCKET')
    parser.add_argument('n', type=int, help='number of queries to time (ignored with --serve)')
    parser.add_argument('--serve', action='store_true', help='timed blocks on request, read from stdin')
    parser.add_argument('--query', default='MEAS:VOLT:DC?', help='query to repeat (default MEAS:VOLT:DC?)')
    parser.add_argument('--timeout-ms', type=int, default=2000)
    parser.add_argument(
        '--warmup',
        type=int,
        default=1,
        help='untimed queries first (default 1); the harness gives every client the same warm-up',
    )
    parser.add_argument(
        '--portmapper-port',
        type=int,
        help='for ::INSTR (VXI-11): portmapper port when it is not 111 (simulators on ephemeral ports)',
    )
    args = parser.parse_args()
    if args.n < 1 and not args.serve:
        parser.error('n must be at least 1')

    try:
        import pyvisa
    except ImportError:
        print(json.dumps({'error': 'pyvisa not installed (apt-get install python3-pyvisa-py)'}))
        return 2
    if args.portmapper_port:
        # PyVISA-py reads the portmapper port from this module constant at connect time.
        from pyvisa_py.protocols import rpc
        rpc.PMAP_PORT = args.portmapper_port

    rm = pyvisa.ResourceManager('@py')
    inst = rm.open_resource(args.resource, read_termination='\n', write_termination='\n', timeout=args.timeout_ms)
    try:
        for _ in range(max(1, args.warmup)):  # warm-up: connection set up, first replies out of the way
            inst.query(args.query)
        if args.serve:
            serve(inst, args.query)
            return 0
        start = time.perf_counter()
        for _ in range(args.n):
            inst.query(args.query)
        seconds = time.perf_counter() - start
    finally:
        inst.close()
        rm.close()
    print(json.dumps({
        'client': 'pyvisa-py',
        'resource': args.resource,
        'query': args.query,
        'n': args.n,
        'seconds': seconds,
        'queries_per_s': args.n / seconds,
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
"""Anchor for the Modbus read benchmark: pymodbus's synchronous TCP client reading 100 holding
registers per request, one request at a time, against the same simulator as Benchtop's driver.

    /usr/bin/python3 bench/anchors/pymodbus_read.py PORT 2000 --warmup 200

Prints one JSON object: {"client": "pymodbus", "n", "seconds", "requests_per_s"}.
Needs Debian's python3-pymodbus (with python3-serial and python3-serial-asyncio to import).
"""
import argparse
import json
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('port', type=int)
    parser.add_argument('n', type=int)
    parser.add_argument('--warmup', type=int, default=1)
    args = parser.parse_args()
    from pymodbus.client import ModbusTcpClient

    client = ModbusTcpClient('127.0.0.1', port=args.port, timeout=2)
    if not client.connect():
        print('cannot connect', file=sys.stderr)
        return 1

    def read():
        reply = client.read_holding_registers(0, 100, slave=1)
        if reply.isError() or len(reply.registers) != 100:
            raise RuntimeError(f'bad reply: {reply}')

    for _ in range(args.warmup):
        read()
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(args.n):
        read()
    seconds = time.perf_counter() - started
    cpu_us = (time.process_time() - cpu_started) * 1e6
    client.close()
    print(json.dumps({'client': 'pymodbus', 'n': args.n, 'seconds': seconds, 'requests_per_s': args.n / seconds,
                      'cpu_us_per_request': cpu_us / args.n}))
    return 0


if __name__ == '__main__':
    sys.exit(main())

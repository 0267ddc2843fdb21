#!/usr/bin/python3
"""Anchor for the Modbus read benchmark: pymodbus's synchronous TCP client reading 100 holding
registers per request, one request at a time, against the same simulator as Benchtop's driver.
With --connections N, N such clients (one connection each) in N threads share the N requests,
one in flight per connection: the same parallelism as Benchtop's pool.

    /usr/bin/python3 bench/anchors/pymodbus_read.py PORT 2000 --warmup 200 [--connections 4]

Prints one JSON object: {"client": "pymodbus", "n", "seconds", "requests_per_s", "cpu_us_per_request"}.
Needs Debian's python3-pymodbus (with python3-serial and python3-serial-asyncio to import).
"""
import argparse
import json
import sys
import threading
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('port', type=int)
    parser.add_argument('n', type=int)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--connections', type=int, default=1)
    args = parser.parse_args()
    from pymodbus.client import ModbusTcpClient

    clients = [ModbusTcpClient('127.0.0.1', port=args.port, timeout=2) for _ in range(args.connections)]
    for client in clients:
        if not client.connect():
            print('cannot connect', file=sys.stderr)
            return 1

    def read(client, count):
        for _ in range(count):
            reply = client.read_holding_registers(1000 * clients.index(client), 100, slave=1)
            if reply.isError() or len(reply.registers) != 100:
                raise RuntimeError(f'bad reply: {reply}')

    def run(total):
        share = total // len(clients)
        if len(clients) == 1:
            read(clients[0], share)
            return
        failures = []

        def worker(client):
            try:
                read(client, share)
            except Exception as error:  # noqa: BLE001 - reported after the join
                failures.append(error)

        threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise failures[0]

    run(args.warmup)
    n = (args.n // len(clients)) * len(clients)
    started = time.perf_counter()
    cpu_started = time.process_time()
    run(n)
    seconds = time.perf_counter() - started
    cpu_us = (time.process_time() - cpu_started) * 1e6
    for client in clients:
        client.close()
    args.n = n
    print(json.dumps({'client': 'pymodbus', 'n': args.n, 'seconds': seconds, 'requests_per_s': args.n / seconds,
                      'cpu_us_per_request': cpu_us / args.n}))
    return 0


if __name__ == '__main__':
    sys.exit(main())

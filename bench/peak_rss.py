#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Memory bench: scans a generated text file (default 1 GiB) whose only
secret sits at its very end, plain and as a .gz, and prints leakscan's peak
RSS and throughput. Shows that memory is bounded by the engine's window,
not by input size. A benchmark, not a test: it asserts nothing.

usage: bench/peak_rss.py [--size-mib N] [--bin build/leakscan] [--cache DIR]
"""
import argparse
import os
import subprocess
import sys
import time

SECRET_LINE = b'aws_access_key_id = "AKIAZ3MSJV4WQ7PLXR5T"\n'


def make_input(path, size):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    line = b'2026-11-22 lorem ipsum dolor sit amet, consectetur adipiscing elit %08d\n'
    block = b''.join(line % i for i in range(16384))
    with open(path, 'wb') as f:
        left = size - len(SECRET_LINE)
        while left > 0:
            chunk = block[:left]
            f.write(chunk)
            left -= len(chunk)
        f.write(SECRET_LINE)


def run(binary, path):
    """Runs one scan; returns (seconds, peak RSS KiB of the scanner, rc, out)."""
    t0 = time.monotonic()
    # GNU time measures the scanner alone (a fork of this interpreter would
    # count the interpreter's pages too).
    rss = path + '.rss'
    with open(os.devnull, 'wb') as null:
        p = subprocess.run(['/usr/bin/time', '-f', '%M', '-o', rss, binary, 'scan',
                            '--format', 'jsonl', path], stdout=subprocess.PIPE, stderr=null)
    peak = int(open(rss).read().split()[-1])
    os.unlink(rss)
    return time.monotonic() - t0, peak, p.returncode, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size-mib', type=int, default=1024)
    ap.add_argument('--bin', default=os.path.join(os.path.dirname(__file__), '..', 'build',
                                                  'leakscan'))
    ap.add_argument('--cache', default=os.path.join(os.path.dirname(__file__), 'cache'))
    a = ap.parse_args()
    os.makedirs(a.cache, exist_ok=True)
    size = a.size_mib << 20
    plain = os.path.join(a.cache, 'big-%dm.txt' % a.size_mib)
    make_input(plain, size)
    gz = plain + '.gz'
    if not os.path.exists(gz):
        subprocess.run(['sh', '-c', 'gzip -1 -c "%s" > "%s"' % (plain, gz)], check=True)
    print('%-22s %10s %10s %12s %s' % ('input', 'seconds', 'MB/s', 'peak RSS', 'found'))
    for label, path in (('plain text', plain), ('gzip', gz)):
        dt, peak, rc, out = run(a.bin, path)
        found = b'AKIAZ3MSJV4WQ7PLXR5T' in out or b'aws' in out
        print('%-22s %10.2f %10.1f %9.1f MiB %s' % (label, dt, size / dt / 1e6, peak / 1024.0,
                                                      'yes' if found else 'NO'))
    return 0


if __name__ == '__main__':
    sys.exit(main())

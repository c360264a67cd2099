#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Source-map bench: a generated ~60 MB cli.js.map whose sourcesContent
holds ~1,900 sources (~500,000 lines, mostly first party, some under
node_modules/), one of which hides an AWS key id and a PEM private key
written with \\n escapes. Times leakscan on it against `cat > /dev/null`
and prints leakscan's peak RSS, whether the secrets were found at their
original path, and the triage line. A benchmark, not a test: it asserts
nothing.

Peak RSS comes from GNU time (/usr/bin/time -f %M), which measures the
scanner alone, like peak_rss.py; without it, from os.wait4, which on
Linux also counts this interpreter's size at fork (so the map is
generated in a child process, and this script's own peak is printed).

usage: bench/sourcemap_bench.py [--sources N] [--lines N] [--bin build/leakscan] [--cache DIR]
"""
import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time

SECRET_SOURCE = 'webpack://cli/./src/services/auth/credentials.ts'
AWS_ID = 'AKIAZ3MSJV4WQ7PLXR5T'
PEM = ('-----BEGIN RSA PRIVATE KEY-----\n'
       'MIIEowIBAAKCAQEAuJ8Ua5m3Q1yXq2Vt6sZ0c3pQ7w9Lk8RmT2dH4fN1bV6xYzK7\n'
       'gP3hD9sL2wQ5eR8tY1uI0oP6aS4dF7gH3jK9lZ2xC5vB8nM1qW4eR7tY0uI3oP6a\n'
       'S9dF2gH5jK8lZ1xC4vB7nM0qW3eR6tY9uI2oP5aS8dF1gH4jK7lZ0xC3vB6nM9q\n'
       'W2eR5tY8uI1oP4aS7dF0gH3jK6lZ9xC2vB5nM8qW1eR4tY7uI0oP3aS6dF9gH2j\n'
       '-----END RSA PRIVATE KEY-----\n')

WORDS = ('const let return await async function import export from interface type '
         'string number boolean undefined null this new class extends implements '
         'request response config options handler result value error message').split()
DIRS = ['src/commands', 'src/services', 'src/utils', 'src/ui/components', 'src/ui/hooks',
        'packages/core/src', 'packages/core/lib', 'packages/cli/src', 'packages/tools/src',
        'src/services/auth', 'src/services/api', 'src/tools']


def source_text(rng, lines):
    out = []
    for i in range(lines):
        k = rng.randint(3, 14)
        body = ' '.join(rng.choice(WORDS) for _ in range(k))
        indent = '  ' * rng.randint(0, 4)
        out.append('%s%s("%s", %d); // %s' % (indent, rng.choice(WORDS), body[:40], i, body))
    return '\n'.join(out) + '\n'


def make_map(path, sources, total_lines):
    rng = random.Random(1902)
    names, contents = [], []
    third = max(1, sources // 10)
    per = max(1, total_lines // sources)
    for i in range(sources):
        if i < third:
            names.append('webpack://cli/./node_modules/dep%d/lib/index.js' % i)
        else:
            d = DIRS[i % len(DIRS)]
            names.append('webpack://cli/./%s/module%04d.ts' % (d, i))
        contents.append(source_text(rng, rng.randint(per // 2, per * 3 // 2)))
    k = sources // 2
    names[k] = SECRET_SOURCE
    contents[k] = ('import { readFileSync } from "fs";\n\n'
                   'export const accessKeyId = "%s";\n'
                   'export const signingKey = `%s`;\n' % (AWS_ID, PEM)) + contents[k]
    lines = sum(c.count('\n') for c in contents)
    mappings = ';'.join('AAAA,CAAC,EAAE' for _ in range(lines))
    doc = {'version': 3, 'file': 'cli.js', 'mappings': mappings, 'sources': names,
           'sourcesContent': contents, 'names': [], 'sourceRoot': ''}
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    return lines


GNU_TIME = '/usr/bin/time'


def timed(argv, out_file):
    """Runs @argv with stdout to @out_file; returns (seconds, peak RSS KiB, rc)."""
    rss_file = out_file + '.rss'
    gnu = os.access(GNU_TIME, os.X_OK)
    cmd = ([GNU_TIME, '-f', '%M', '-o', rss_file] if gnu else []) + argv
    t0 = time.monotonic()
    with open(os.devnull, 'wb') as null, open(out_file, 'wb') as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=null)
        _, status, usage = os.wait4(p.pid, 0)
    dt = time.monotonic() - t0
    peak = usage.ru_maxrss
    if gnu:
        with open(rss_file) as f:
            peak = int(f.read().split()[-1])
    return dt, peak, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sources', type=int, default=1900)
    ap.add_argument('--lines', type=int, default=500000)
    ap.add_argument('--bin', default=os.path.join(os.path.dirname(__file__), '..', 'build',
                                                  'leakscan'))
    ap.add_argument('--cache', default=os.path.join(os.path.dirname(__file__), 'cache'))
    ap.add_argument('--generate', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.generate:
        make_map(a.generate, a.sources, a.lines)
        return 0
    os.makedirs(a.cache, exist_ok=True)
    path = os.path.join(a.cache, 'cli-%d-%d.js.map' % (a.sources, a.lines))
    if not os.path.exists(path):
        subprocess.run([sys.executable, __file__, '--sources', str(a.sources), '--lines',
                        str(a.lines), '--generate', path + '.tmp'], check=True)
        os.rename(path + '.tmp', path)
    size = os.path.getsize(path)
    out_file = os.path.join(a.cache, 'sourcemap-bench.out')
    timed(['cat', path], os.devnull)  # warm the page cache
    cat_s = min(timed(['cat', path], os.devnull)[0] for _ in range(3))
    runs = [timed([a.bin, 'scan', '--format', 'jsonl', path], out_file) for _ in range(3)]
    dt, peak, rc = min(runs, key=lambda r: r[0])
    with open(out_file) as f:
        findings = [json.loads(x) for x in f if x.strip()]
    at_source = [f for f in findings if f['path'][-1] == SECRET_SOURCE and
                 f['category'] == 'secret']
    report = [f for f in findings if f['rule'] == 'sourcemap-sources-content']
    print('map: %s, %.1f MB, %d sources' % (os.path.basename(path), size / 1e6, a.sources))
    print('%-30s %8.3f s' % ('cat > /dev/null', cat_s))
    if rc not in (0, 1):
        print('leakscan exited with %d' % rc)
    print('%-30s %8.3f s  %7.1f MB/s  %.1fx cat' % ('leakscan scan', dt, size / dt / 1e6,
                                                    dt / cat_s if cat_s else 0))
    if os.access(GNU_TIME, os.X_OK):
        print('%-30s %8.1f MiB' % ('leakscan peak RSS', max(r[1] for r in runs) / 1024.0))
    else:
        print('%-30s %8.1f MiB  (wait4; this script alone: %.1f MiB)' % (
            'leakscan peak RSS', max(r[1] for r in runs) / 1024.0,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
    print('%-30s %s' % ('secrets at the original path',
                        ', '.join('%s line %s' % (f['rule'], f['line']) for f in at_source)
                        or 'NONE'))
    if report:
        d = report[0]['details']
        print('%-30s %d sources, %d first-party, %d lines' % (
            'analyzer finding', d['sources_with_content'], d['first_party_sources'],
            d['first_party_lines']))
    t = subprocess.run([a.bin, 'scan', '--no-color', path], capture_output=True)
    head = t.stdout.decode('utf-8', 'replace').splitlines()[:2]
    print('\n'.join(head))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Two or more command lines on one input, interleaved: which is faster.

For comparing builds or options where compare.py's ratios, which move by
5-10% from one run of the harness to the next on a shared VM, would hide
the difference. Each round runs every command --repeat times back to back
(the fastest counts: a neighbour's burst only adds time), in the order
given, then the next round; the medians and minima of those fastest runs
are printed, and each median's ratio to the first command's.

A command is one argument, split as a shell would (no shell runs it), with
@ standing for the input; each is timed alone by bench-launch (fork to
end, output to /dev/null). A benchmark: it asserts nothing.

usage: bench/ab.py [--rounds N] [--repeat K] INPUT LABEL=COMMAND...
  e.g. bench/ab.py bench/cache/typescript.tgz 'gzip=gzip -dc @' \\
           'old=/tmp/leakscan-old scan -j2 @' 'new=build/leakscan scan -j2 @'
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCH = os.path.join(ROOT, 'build', 'bench', 'bench-launch')


def timed(argv):
    """Seconds the command took, from bench-launch; None when it failed."""
    out = subprocess.run([LAUNCH] + argv, capture_output=True, text=True).stdout.split()
    try:
        dt, _rss, rc = float(out[0]), int(out[1]), int(out[2])
    except (IndexError, ValueError):
        return None
    # leakscan exits 1 when it finds something: only a usage error fails.
    return dt if rc in (0, 1) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rounds', type=int, default=12)
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('input')
    ap.add_argument('commands', nargs='+', metavar='LABEL=COMMAND')
    a = ap.parse_args()
    if not os.access(LAUNCH, os.X_OK):
        sys.exit('ab.py: %s is missing: build the project first (meson compile -C build)'
                 % LAUNCH)
    if not os.path.isfile(a.input):
        sys.exit('ab.py: %s: no such file' % a.input)
    cmds = []
    for c in a.commands:
        label, sep, line = c.partition('=')
        if not sep or not label or not line.strip():
            sys.exit("ab.py: '%s': expected LABEL=COMMAND" % c)
        cmds.append((label, [a.input if w == '@' else w for w in shlex.split(line)]))
    # In the page cache before the first run, as for every later one.
    with open(a.input, 'rb') as f:
        while f.read(1 << 20):
            pass
    best = {label: [] for label, _ in cmds}
    for _ in range(a.rounds):
        for label, argv in cmds:
            runs = [t for t in (timed(argv) for _ in range(a.repeat)) if t is not None]
            if not runs:
                sys.exit('ab.py: %s failed: %s' % (label, shlex.join(argv)))
            best[label].append(min(runs))
    first = statistics.median(best[cmds[0][0]])
    width = max(len(label) for label, _ in cmds)
    print('%d rounds, fastest of %d runs each; ratio: the first median over this one'
          % (a.rounds, a.repeat))
    for label, _ in cmds:
        med = statistics.median(best[label])
        print('%-*s  median %8.2f ms  min %8.2f ms  ratio %5.2f'
              % (width, label, med * 1e3, min(best[label]) * 1e3, first / med))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Precision check on real artifacts: fetches popular npm packages (npm
pack) and Debian packages (apt-get download) into bench/cache/real/ and
scans them with the default rules, printing every finding at or above
--min-severity (default high) for a person to judge. A review aid, not a
test: popular packages should produce few or no high findings.

usage: bench/real_world.py [--min-severity high] [--bin build/src/leakscan]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, 'cache', 'real')

NPM = ['react@18.3.1', 'lodash@4.17.21', 'express@4.21.1', 'typescript@5.6.3',
       'next@15.0.3', 'aws-sdk@2.1692.0', '@angular/core@18.2.9', 'webpack@5.95.0',
       'eslint@9.13.0', 'moment@2.30.1', 'axios@1.7.7', 'vue@3.5.12', 'firebase@11.0.1',
       '@sentry/browser@8.35.0', 'stripe@17.2.1', 'openai@4.68.4', '@slack/web-api@7.7.0',
       'puppeteer-core@23.6.0', 'prettier@3.3.3', 'rxjs@7.8.1']
DEB = ['hello', 'curl', 'openssl', 'git', 'python3-requests', 'libcommons-lang3-java',
       'nodejs', 'ca-certificates']


def fetch():
    os.makedirs(CACHE, exist_ok=True)
    paths = []
    for spec in NPM:
        name = spec.replace('/', '-').replace('@', '', 1).replace('@', '-') + '.tgz'
        dest = os.path.join(CACHE, name)
        if not os.path.exists(dest):
            out = subprocess.run(['npm', 'pack', '--silent', spec, '--pack-destination', CACHE],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print('npm pack %s failed: %s' % (spec, out.stderr.strip()[:200]))
                continue
            os.rename(os.path.join(CACHE, out.stdout.strip().splitlines()[-1]), dest)
        paths.append(dest)
    for pkg in DEB:
        have = [f for f in os.listdir(CACHE) if f.startswith(pkg + '_') and f.endswith('.deb')]
        if not have:
            subprocess.run(['apt-get', 'download', '-qq', pkg], cwd=CACHE,
                           capture_output=True)
            have = [f for f in os.listdir(CACHE) if f.startswith(pkg + '_') and f.endswith('.deb')]
        paths += [os.path.join(CACHE, f) for f in have]
    return paths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--min-severity', default='high')
    ap.add_argument('--bin', default=os.path.join(HERE, '..', 'build', 'src', 'leakscan'))
    a = ap.parse_args()
    paths = fetch()
    total = 0
    for p in paths:
        r = subprocess.run([a.bin, 'scan', '--format', 'jsonl', '--min-severity',
                            a.min_severity, p], capture_output=True, text=True)
        fs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
        errs = [line for line in r.stderr.splitlines() if line.strip()]
        print('%-48s exit %d  %3d finding(s)  %d stderr line(s)' % (
            os.path.basename(p), r.returncode, len(fs), len(errs)))
        shown = {}
        for f in fs:
            total += 1
            n = shown[f['rule']] = shown.get(f['rule'], 0) + 1
            if n <= 3:
                print('    %-8s %-32s %s:%s  %s' % (f['severity'], f['rule'],
                                                   '!'.join(f['path'][1:]), f['line'],
                                                   (f['match'] or f['details'].get('message', '')
                                                    if isinstance(f['details'], dict) else '')
                                                   [:100]))
        for rule, n in shown.items():
            if n > 3:
                print('    ... %d more %s' % (n - 3, rule))
        for e in errs[:5]:
            print('    stderr: %s' % e[:200])
    print('\n%d finding(s) at or above %s in %d artifacts' % (total, a.min_severity, len(paths)))
    return 0


if __name__ == '__main__':
    sys.exit(main())

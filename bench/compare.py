#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Throughput bench, side by side in the same rounds.

Fetches real artifacts into bench/cache/ (npm tarballs by `npm pack`, a
kernel-sized source tarball made from Debian's linux-source package, a
Debian .deb by `apt-get download`), keeps them in the page cache, and
times, interleaved over several rounds:

  gzip -dc > /dev/null          the baseline every ratio is against (for a
                                .deb: dpkg-deb --fsys-tarfile, its xz)
  igzip -dc > /dev/null         ISA-L: the inflate floor (gzip inputs)
  leakscan scan (all default rules) at 1 and 2 threads
  rg -uuu -c -f PATTERNS DIR    the rule patterns rg's engine accepts, on the extracted tree
                                (-uuu: every file, as leakscan reads them)
  rg -P -c -f PATTERNS DIR      all of them in PCRE2 mode (look-arounds too), one pass per
                                group of patterns PCRE2 compiles together
  ugrep -z -P -c -f PATTERNS FILE  on the archive, with a time cap (one pass
                                per group of patterns PCRE2 compiles together)

It prints MB/s of decompressed bytes, each tool's ratio to `gzip -dc` of
the same round (median and min-max), leakscan's peak RSS and warm start-up
time, and writes the same as JSON. A benchmark: it asserts nothing.

Within a round, each tool without a time cap (gzip, igzip, leakscan) runs
--repeat times back to back and its fastest run is the round's figure: on
a virtual machine that shares its cores, a neighbour's burst only ever
adds time, and it lands on one tool's run rather than on all of them.
With --repeat 1 every run counts.

usage: bench/compare.py [--rounds N] [--repeat K] [--inputs typescript,next,aws-sdk,kernel,deb] [--no-rg]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, 'cache')

NPM = {
    'typescript': 'typescript@5.6.3',
    'next': 'next@15.0.3',
    'aws-sdk': 'aws-sdk@2.1692.0',
}
# Go's standard library sources as Debian ships them: 12,000 files, xz
# data, and test archives inside (one bzip2 file expands to 64 MB).
DEB = 'golang-1.19-src'


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def fetch_npm(name):
    spec = NPM[name]
    dest = os.path.join(CACHE, name + '.tgz')
    if not os.path.exists(dest):
        out = subprocess.run(['npm', 'pack', '--silent', spec, '--pack-destination', CACHE],
                             check=True, capture_output=True, text=True).stdout.strip()
        os.rename(os.path.join(CACHE, out.splitlines()[-1]), dest)
    return dest


def fetch_kernel():
    """A .tar.gz of Debian's linux-source (about 1.4 GB of source)."""
    dest = os.path.join(CACHE, 'linux-source.tar.gz')
    if os.path.exists(dest):
        return dest
    work = tempfile.mkdtemp(dir=CACHE)
    try:
        sh('cd %s && apt-get download -qq linux-source-6.1 >/dev/null' % work)
        deb = [f for f in os.listdir(work) if f.endswith('.deb')][0]
        sh('cd %s && ar x %s && tar xf data.tar.xz --wildcards "*.tar.xz"' % (work, deb))
        txz = sh('find %s -name "linux-source-*.tar.xz"' % work,
                 capture_output=True, text=True).stdout.split()[0]
        sh('xz -dc %s | gzip -6 > %s.part && mv %s.part %s' % (txz, dest, dest, dest))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def fetch_deb():
    dest = os.path.join(CACHE, DEB + '.deb')
    if not os.path.exists(dest):
        work = tempfile.mkdtemp(dir=CACHE)
        try:
            sh('cd %s && apt-get download -qq %s >/dev/null 2>&1' % (work, DEB))
            deb = [f for f in os.listdir(work) if f.endswith('.deb')][0]
            os.rename(os.path.join(work, deb), dest)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return dest


def is_deb(path):
    return path.endswith('.deb')


def decompress_cmd(path):
    """The baseline: the artifact's own decompression, to /dev/null."""
    if is_deb(path):
        return 'dpkg-deb --fsys-tarfile "%s" > /dev/null' % path
    return 'gzip -dc "%s" > /dev/null' % path


def decompressed_size(path):
    cmd = decompress_cmd(path).replace('> /dev/null', '| wc -c')
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return int(p.stdout.strip())


def scanned_size(leak, path):
    """Bytes leakscan scans in @path: nested archives and compressed
    files decoded too, so this can exceed the decompressed size."""
    p = subprocess.run([leak, 'scan', '--format', 'json', '--min-severity', 'critical', path],
                       capture_output=True, text=True)
    try:
        return json.loads(p.stdout)['summary']['inputs'][0]['bytes_scanned']
    except (ValueError, KeyError, IndexError):
        return 0


def extract(path):
    d = path + '.extracted'
    if not os.path.isdir(d):
        os.makedirs(d + '.part', exist_ok=True)
        if is_deb(path):
            sh('dpkg-deb -x "%s" "%s"' % (path, d + '.part'))
        else:
            sh('tar -xzf "%s" -C "%s" --no-same-owner --no-same-permissions' % (path, d + '.part'))
        os.rename(d + '.part', d)
    return d


def warm(path):
    if os.path.isdir(path):
        sh('find %s -type f -exec cat {} + > /dev/null' % path)
    else:
        sh('cat %s > /dev/null' % path)


LAUNCH = os.path.join(ROOT, 'build', 'bench', 'bench-launch')


def timed(cmd, cap=None):
    """Runs cmd (a list), its output to /dev/null; returns (seconds, peak
    RSS KiB, exit status).

    bench-launch (bench/launch.c) times the command alone, from its fork
    to its end, and reads its peak RSS from wait4: this Python process's
    own start of a child (and GNU time's, before) would add a few ms to
    every tool, the most to the fastest one's ratio."""
    t0 = time.monotonic()
    # Its own process group: on timeout the tool goes too, not only the
    # launcher (an orphaned rg kept two cores and 17 GB busy).
    p = subprocess.Popen([LAUNCH] + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        # rg with raised limits grows to many GB: let the kernel take
        # that back before the next tool is timed.
        time.sleep(3)
        return None, 0, -9
    try:
        dt, rss, rc = out.split()
        return float(dt), int(rss), int(rc)
    except ValueError:
        return time.monotonic() - t0, 0, 2


def tool_patterns(leakscan, tool, pcre):
    """The rule patterns @tool accepts (in its PCRE2 mode when @pcre), one a
    line, in a file (patterns-TOOL.txt, or patterns-TOOL-P.txt for PCRE2)."""
    out = subprocess.run([leakscan, 'rules', 'list', '--patterns'], capture_output=True,
                         text=True, check=True).stdout
    good = []
    for line in out.splitlines():
        pat = line.split('\t', 1)[1]
        p = subprocess.run([tool] + (['-P'] if pcre else []) + ['-c', '-e', pat, '/dev/null'],
                           capture_output=True)
        if p.returncode in (0, 1) and not p.stderr:
            good.append(pat)
    f = os.path.join(CACHE, 'patterns-%s%s.txt' % (tool, '-P' if pcre and tool == 'rg' else ''))
    with open(f, 'w') as fh:
        fh.write('\n'.join(good) + '\n')
    return f, len(good), len(out.splitlines())


def pcre_chunks(tool, pats_file):
    """@tool -P joins a file's patterns into one PCRE2 regex, and PCRE2
    refuses a compiled regex over 64 KiB: the catalogue does not fit in one.
    Splits the patterns into files that each compile, in order; returns
    their paths."""
    pats = [l for l in open(pats_file).read().splitlines() if l]
    chunks, cur = [], []

    def fits(group):
        f = os.path.join(CACHE, 'patterns-%s-probe.txt' % tool)
        with open(f, 'w') as fh:
            fh.write('\n'.join(group) + '\n')
        p = subprocess.run([tool, '-P', '-c', '-f', f, '/dev/null'], capture_output=True)
        return p.returncode in (0, 1) and not p.stderr

    for pat in pats:
        if cur and not fits(cur + [pat]):
            chunks.append(cur)
            cur = []
        cur.append(pat)
    if cur:
        chunks.append(cur)
    paths = []
    for i, group in enumerate(chunks):
        f = os.path.join(CACHE, 'patterns-%s-%02d.txt' % (tool, i))
        with open(f, 'w') as fh:
            fh.write('\n'.join(group) + '\n')
        paths.append(f)
    return paths


def mkcmd_none(tools, label, path, tree):
    """Whether @label has no command for this input (not applicable)."""
    return [mk for lb, mk, _ in tools if lb == label][0](path, tree) is None


def threads_supported(leakscan):
    h = subprocess.run([leakscan, 'scan', '--help'], capture_output=True, text=True).stdout
    return '--threads' in h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--repeat', type=int, default=3,
                    help='runs of each uncapped tool per round; the fastest counts')
    ap.add_argument('--inputs', default='typescript,next,aws-sdk,kernel,deb')
    ap.add_argument('--bin', default=os.path.join(ROOT, 'build', 'src', 'leakscan'))
    ap.add_argument('--ugrep-cap', type=float, default=60.0,
                    help='seconds before rg and ugrep are stopped (reported as timeout)')
    ap.add_argument('--no-rg', action='store_true')
    a = ap.parse_args()
    need = ['gzip', 'igzip', 'ugrep', 'rg']  # rg also vets patterns
    names = a.inputs.split(',')
    if any(n not in ('kernel', 'deb') for n in names):
        need.append('npm')
    if 'deb' in names or 'kernel' in names:
        need.append('apt-get')
    missing = [t for t in need if not shutil.which(t)]
    for built in (LAUNCH, a.bin):
        if not os.access(built, os.X_OK):
            missing.insert(0, built + ' (run: bash setup.sh)')
    if missing:
        sys.exit('compare.py: missing ' + ', '.join(missing) +
                 '; see bench/README.md for what to install')
    os.makedirs(CACHE, exist_ok=True)
    env_cache = os.path.join(CACHE, 'xdg')
    os.environ['XDG_CACHE_HOME'] = env_cache
    leak = os.path.abspath(a.bin)
    # rg -P joins all patterns into one PCRE2 regex, which is too large for
    # the full catalogue: rg runs its own engine on the patterns it accepts.
    pats, npats, nrules = tool_patterns(leak, 'rg', False)
    upats, nupats, _ = tool_patterns(leak, 'ugrep', True)
    uchunks = pcre_chunks('ugrep', upats)
    # rg -P takes every pattern (look-arounds too), in passes as ugrep.
    rpats, nrpats, _ = tool_patterns(leak, 'rg', True)
    rchunks = pcre_chunks('rg', rpats)
    inputs = []
    for name in a.inputs.split(','):
        path = {'kernel': fetch_kernel, 'deb': fetch_deb}.get(name, lambda: fetch_npm(name))()
        inputs.append((name, path, decompressed_size(path)))
    # Warm start-up: an empty file, compiled database already cached.
    empty = os.path.join(CACHE, 'empty')
    open(empty, 'w').close()
    timed([leak, 'scan', empty])
    starts = sorted(timed([leak, 'scan', empty])[0] for _ in range(10))
    thr = threads_supported(leak)
    # No shell around the baselines: the launcher sends output to /dev/null.
    tools = [('decompress', lambda p, d: (['dpkg-deb', '--fsys-tarfile', p] if is_deb(p) else
                                          ['gzip', '-dc', p]), None),
             ('igzip -dc', lambda p, d: None if is_deb(p) else ['igzip', '-dc', p], None)]
    for n in ((1, 2) if thr else (1,)):
        args = ['--threads', str(n)] if thr else []
        tools.append(('leakscan -j%d' % n,
                      lambda p, d, args=args: [leak, 'scan', '--format', 'jsonl',
                                               '--min-severity', 'info'] + args + [p], None))
    if not a.no_rg:
        # -uuu: every file, as leakscan reads them (no .gitignore, hidden
        # files and binaries too); the kernel tree's .gitignore hides most.
        tools.append(('rg -f', lambda p, d: ['rg', '-uuu', '--regex-size-limit', '2G',
                                             '--dfa-size-limit', '2G', '-c', '-f', pats, d],
                      a.ugrep_cap))
        rg_passes = ' '.join('"%s"' % c for c in rchunks)
        tools.append(('rg -P', lambda p, d: [
            'sh', '-c', 'for f in %s; do rg -uuu -P -c -f "$f" "%s" > /dev/null; '
            'test $? -le 1 || exit 2; done' % (rg_passes, d)], a.ugrep_cap))
    # ugrep -z reads tar and zip, not ar: no figure for a .deb.
    # One pass per group of patterns that PCRE2 compiles together, one
    # after another under one time cap.
    ugrep_passes = ' '.join('"%s"' % c for c in uchunks)
    tools.append(('ugrep -z -P', lambda p, d: None if is_deb(p) else
                  ['sh', '-c', 'for f in %s; do ugrep -z -P -c -f "$f" "%s" > /dev/null; '
                   'test $? -le 1 || exit 2; done' % (ugrep_passes, p)], a.ugrep_cap))
    results = {'repeat': a.repeat, 'patterns_for_rg': npats, 'patterns_for_ugrep': nupats,
               'ugrep_passes': len(uchunks), 'patterns_for_rg_pcre2': nrpats,
               'rg_pcre2_passes': len(rchunks), 'rules': nrules,
               'startup_ms_median': 1000 * statistics.median(starts), 'inputs': {}}
    print('rules: %d (rg -f uses the %d its own engine accepts in one pass; rg -P the %d and '
          'ugrep -P the %d in %d and %d passes: PCRE2 compiles no more of them into one regex); '
          'warm start-up %.1f ms' % (nrules, npats, nrpats, nupats, len(rchunks), len(uchunks),
                                     results['startup_ms_median']))
    print('%d rounds; in each, gzip, igzip and leakscan count their fastest of %d runs'
          % (a.rounds, a.repeat))
    for name, path, size in inputs:
        tree = extract(path) if not a.no_rg else None
        warm(path)
        if tree:
            warm(tree)
        runs = {t[0]: [] for t in tools}
        rss = {}
        fails = {}
        for _ in range(a.rounds):
            base = None
            for label, mk, cap in tools:
                cmd = mk(path, tree)
                if cmd is None:
                    runs[label].append((None, base))
                    continue
                # Back into the page cache before each run: reading the
                # extracted tree (rg) evicts the archive on these machines.
                warm(tree if label.startswith('rg') else path)
                dt, peak, rc = timed(cmd, cap)
                # The fastest of --repeat runs (tools with a cap run once).
                for _ in range(a.repeat - 1 if cap is None and rc in (0, 1) else 0):
                    dt2, peak2, rc2 = timed(cmd, cap)
                    peak = max(peak, peak2)
                    if rc2 not in (0, 1):
                        dt, rc = dt2, rc2
                        break
                    dt = min(dt, dt2)
                if rc not in (0, 1):
                    # no figure rather than a wrong one; say which
                    fails.setdefault(label, set()).add('timeout' if rc == -9 else 'error')
                    dt = None
                if label == 'decompress':
                    base = dt
                runs[label].append((dt, base))
                rss[label] = max(rss.get(label, 0), peak)
        scanned = scanned_size(leak, path)
        base_cmd = 'dpkg-deb --fsys-tarfile' if is_deb(path) else 'gzip -dc'
        print('\n%s: %s, %.1f MB decompressed (leakscan scans %.1f MB, nested archives '
              'included); decompress = %s' % (name, os.path.basename(path), size / 1e6,
                                              scanned / 1e6, base_cmd))
        print('  %-14s %10s %10s %18s %10s' % ('tool', 'MB/s', 'x base', 'x base (min-max)',
                                               'peak RSS'))
        rec = {}
        for label, _, _ in tools:
            ok = [(dt, b) for dt, b in runs[label] if dt and b]
            if not ok:
                skipped = mkcmd_none(tools, label, path, tree)
                why = '/'.join(sorted(fails.get(label, {'error'})))
                if why == 'timeout':
                    why = '> %.0f s' % a.ugrep_cap
                print('  %-14s %10s %10s %18s' % (label, 'n/a' if skipped else why, '-', '-'))
                rec[label] = ({'not_applicable': True} if skipped else
                              {'timeout_s': a.ugrep_cap} if 'timeout' in fails.get(label, ())
                              else {'error': True})
                continue
            ratios = [b / dt for dt, b in ok]
            mbs = statistics.median(size / dt / 1e6 for dt, _ in ok)
            fmt = '%.2f' if min(ratios) >= 0.1 else '%.4f'
            print(('  %-14s %10.1f %10s %9s-%-8s %7.1f MiB') % (
                label, mbs, fmt % statistics.median(ratios), fmt % min(ratios),
                fmt % max(ratios), rss[label] / 1024.0))
            rec[label] = {'mb_s': mbs, 'ratio_median': statistics.median(ratios),
                          'ratio_min': min(ratios), 'ratio_max': max(ratios),
                          'peak_rss_kib': rss[label], 'rounds': len(ok)}
        # The other scanners: how many times leakscan's throughput theirs is
        # (median MB/s against median MB/s; a timeout counts at the cap).
        best = max((rec[l]['mb_s'] for l in rec if l.startswith('leakscan') and 'mb_s' in rec[l]),
                   default=None)
        for other in ('rg -f', 'rg -P', 'ugrep -z -P'):
            r = rec.get(other, {})
            if best is None or not r or r.get('not_applicable') or r.get('error'):
                continue
            mbs = r.get('mb_s', size / 1e6 / r['timeout_s'] if r.get('timeout_s') else None)
            if mbs:
                r['leakscan_times'] = best / mbs
                print('  leakscan (fastest) / %s: %s%.0fx' % (other,
                      '> ' if r.get('timeout_s') else '', best / mbs))
        results['inputs'][name] = {'bytes': size, 'bytes_scanned_by_leakscan': scanned,
                                   'baseline': base_cmd, 'tools': rec}
    out = os.path.join(CACHE, 'compare.json')
    with open(out, 'w') as f:
        json.dump(results, f, indent=2)
    print('\nwritten: %s' % out)
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Real release artifacts, fetched into bench/cache/real/ and scanned:
#   - a Debian package          (apt-get download hello)
#   - a jar from a Java package (apt-get download libcommons-lang3-java, and
#                                the jar inside it, taken out with dpkg-deb)
#   - an npm tarball            (npm pack typescript@5.6.3)
# Each is scanned with the built-in rules; the script prints time, findings
# by rule and what the scan could not read, and exits 1 if any artifact had
# an unreadable member, a limit crossed, or could not be read at all.
# Needs the network (apt sources, the npm registry) on its first run only.
#   bash bench/fetch_real.sh            LEAKSCAN=path/to/leakscan to pick a binary
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${LEAKSCAN:-$here/../build/leakscan}
cache=$here/cache/real
mkdir -p "$cache"
cd "$cache"

fetch_deb() { # package name: leaves <name>_*.deb here
  ls "$1"_*.deb >/dev/null 2>&1 || apt-get download "$1" >/dev/null 2>&1 ||
    { echo "fetch_real: apt-get download $1 failed (apt-get update?)" >&2; exit 2; }
}

fetch_deb hello
fetch_deb libcommons-lang3-java
if ! ls commons-lang3*.jar >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  dpkg-deb -x libcommons-lang3-java_*.deb "$tmp"
  find "$tmp/usr/share" -name 'commons-lang3*.jar' -type f -exec cp {} . \;
  rm -rf "$tmp"
fi
if ! ls typescript-*.tgz >/dev/null 2>&1; then
  command -v npm >/dev/null || { echo "fetch_real: npm is needed (apt-get install npm)" >&2; exit 2; }
  npm pack --silent typescript@5.6.3 >/dev/null
fi

status=0
for f in hello_*.deb libcommons-lang3-java_*.deb commons-lang3*.jar typescript-*.tgz; do
  start=$(date +%s.%N)
  rc=0
  "$bin" scan --format jsonl --min-severity info "$f" >"$f.jsonl" 2>"$f.err" || rc=$?
  end=$(date +%s.%N)
  python3 - "$f" "$rc" "$start" "$end" <<'EOF' || status=1
import collections, json, os, sys
name, rc, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
fs = [json.loads(l) for l in open(name + '.jsonl') if l.strip()]
rules = collections.Counter(f['rule'] for f in fs)
bad = [f for f in fs if f['rule'] in ('unreadable-member', 'limit-reached')]
members = {tuple(f['path'][:2]) for f in fs}
print('%-44s %9.1f KiB  %5.2f s  exit %d  %d findings' % (
    name, os.path.getsize(name) / 1024, t1 - t0, rc, len(fs)))
for rule, n in sorted(rules.items(), key=lambda x: (-x[1], x[0])):
    print('    %-40s %d' % (rule, n))
for f in bad:
    print('    ERROR %s: %s' % ('!'.join(f['path']), (f.get('details') or {}).get('message')))
err = open(name + '.err').read().strip()
if rc not in (0, 1) or bad:
    print('    ' + err.replace('\n', '\n    '))
    sys.exit(1)
EOF
done
exit $status

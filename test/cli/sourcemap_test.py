#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Command-line tests of source maps: a package whose map embeds its
sources (secrets reported at the original file and line, exact first-party
counts, the triage summary on top of the text output), a PEM key written
with JSON escapes, the same findings whatever the read sizes, and hostile
maps that must end in damage or limit findings, never a crash.
Run as: sourcemap_test.py BINARY --case NAME (or --list)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402  (the shared helpers)
from cli_test import expect, gz, run, tar_bytes, write  # noqa: E402

CASES = {}
HERE = os.path.dirname(os.path.abspath(__file__))
TEST_RULES = os.path.join(HERE, 'test-rules.yml')
MAP_RULES = os.path.join(HERE, '..', '..', 'rules', 'source-exposure')

AWS_ID = 'AKIAZ3MSJV4WQ7PLXR5T'
PASSWORD = 'hQ9z!xV2#kL7'

# A multi-line PEM rule of our own: it matches only once \n escapes became
# real line breaks.
PEM_RULES = r"""
rules:
  - id: x-pem-block
    name: PEM private key block
    category: secret
    severity: critical
    pattern: '(-----BEGIN (?:RSA |EC )?PRIVATE KEY-----\n(?:[A-Za-z0-9+/=]{16,76}\n){2,50}-----END (?:RSA |EC )?PRIVATE KEY-----)'
"""
PEM = ('-----BEGIN RSA PRIVATE KEY-----\n'
       'MIIEowIBAAKCAQEAuJ8Ua5m3Q1yXq2Vt6sZ0c3pQ7w9Lk8RmT2dH4fN1bV6xYzK7\n'
       'gP3hD9sL2wQ5eR8tY1uI0oP6aS4dF7gH3jK9lZ2xC5vB8nM1qW4eR7tY0uI3oP6a\n'
       'S9dF2gH5jK8lZ1xC4vB7nM0qW3eR6tY9uI2oP5aS8dF1gH4jK7lZ0xC3vB6nM9q\n'
       '-----END RSA PRIVATE KEY-----')


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def scan(cwd, *args, extra_rules=(), stdin=None):
    """jsonl scan with the test rules and the source-map rules only."""
    base = ['scan', '--format', 'jsonl', '--no-default-rules', '--rules', TEST_RULES,
            '--rules', MAP_RULES]
    for r in extra_rules:
        base += ['--rules', r]
    rc, out, err = run(base + list(args), cwd, stdin=stdin)
    expect(rc in (0, 1, 2), 'exit %d (crash?): %s' % (rc, err))
    return rc, [json.loads(x) for x in out.splitlines() if x.strip()], err


def short(fs):
    return [(f['rule'], tuple(f['path']), f['line'], f['column']) for f in fs]


def smap(sources, contents, **extra):
    """A map in the layout webpack writes (mappings before sources)."""
    doc = {'version': 3, 'file': 'cli.js', 'mappings': ';'.join(['AAAA,CAAC'] * 40),
           'sources': sources, 'sourcesContent': contents, 'names': [], 'sourceRoot': ''}
    doc.update(extra)
    return json.dumps(doc, separators=(',', ':')).encode()


def lines_of(text):
    return text.count('\n') + (1 if text and not text.endswith('\n') else 0)


AUTH_TS = ('import { request } from "./http";\n'
           '\n'
           '// The key the staging stack used before the move to roles:\n'
           '//   old key id %s (rotated?)\n'
           'export const region = "eu-west-1";\n'
           'export const login = (u: string) => request("/login", { u });\n' % AWS_ID)
INDEX_TS = 'export * from "./auth";\nexport * from "./util/strings";\n'
STRINGS_TS = 'export const pad = (s: string) => s.padStart(8);\n// trailing line without newline'
LEFTPAD = 'module.exports = function leftPad(s) { return s; };\n'
BOOT = '// webpack bootstrap\n(() => {})();\n'
SOURCES = ['webpack://cli/webpack/bootstrap', '../src/auth.ts', '../src/index.ts',
           '../src/util/strings.ts', '../node_modules/left-pad/index.js']
CONTENTS = [BOOT, AUTH_TS, INDEX_TS, STRINGS_TS, LEFTPAD]
FIRST_PARTY = [AUTH_TS, INDEX_TS, STRINGS_TS]
BUNDLE = (b'"use strict";(()=>{var e="eu-west-1",t=u=>r("/login",{u});})();\n'
          b'//# sourceMappingURL=cli.js.map\n')
MAP_PATH = ['app.tgz', 'package/dist/cli.js.map']
KEY_LINE = 4
KEY_COL = AUTH_TS.splitlines()[KEY_LINE - 1].index(AWS_ID) + 1
DETAILS = {
    'sources': 5,
    'sources_with_content': 5,
    'first_party_sources': 3,
    'first_party_lines': sum(lines_of(c) for c in FIRST_PARTY),
    'first_party_bytes': sum(len(c.encode()) for c in FIRST_PARTY),
    'top_directories': [{'dir': 'src/', 'files': 2}, {'dir': 'src/util/', 'files': 1}],
}


def app_tgz(d):
    write(d, 'app.tgz', gz(tar_bytes([
        ('package/package.json', b'{"name":"cli","version":"3.0.0","main":"dist/cli.js"}\n'),
        ('package/dist/cli.js', BUNDLE),
        ('package/dist/cli.js.map', smap(SOURCES, CONTENTS)),
    ])))


@case
def tgz_map_secret_at_original_source(d):
    """The issue's acceptance test: the key exists only inside sourcesContent."""
    app_tgz(d)
    rc, fs, err = scan(d, 'app.tgz')
    expect(rc == 1, 'exit %d: %s' % (rc, err))
    expect(short(fs) == [
        ('t-aws-key-id', tuple(MAP_PATH + ['../src/auth.ts']), KEY_LINE, KEY_COL),
        ('sourcemap-sources-content', tuple(MAP_PATH), None, None),
    ], short(fs))
    key, rep = fs
    expect(key['severity'] == 'critical' and 'secret' not in key, key)
    expect(rep['severity'] == 'critical' and rep['category'] == 'source-exposure', rep)
    expect(rep['reasons'] == ['first-party source code embedded'], rep['reasons'])
    expect(rep['details'] == DETAILS, (rep['details'], DETAILS))
    for f in fs:
        expect(isinstance(f['reasons'], list) and isinstance(f['details'], dict), f)
    expect(key['details'] == {} or isinstance(key['details'], dict), key)


@case
def text_triage_summary_on_top(d):
    app_tgz(d)
    rc, out, err = run(['scan', '--no-default-rules', '--rules', TEST_RULES, '--rules',
                        MAP_RULES, 'app.tgz'], d)
    lines = out.splitlines()
    want = ('SOURCE EXPOSURE  app.tgz!package/dist/cli.js.map embeds 5 original source files '
            '(%d lines of first-party code: src/ 2 files, src/util/ 1 file)'
            % DETAILS['first_party_lines'])
    expect(lines[0] == want, '%r\n%r' % (lines[0], want))
    expect(lines[1] == '                 1 secret found inside the embedded sources', lines[1])
    expect(lines[2] == '' and lines[3] == 'app.tgz', lines[:4])
    expect('app.tgz!package/dist/cli.js.map!../src/auth.ts:%d:%d' % (KEY_LINE, KEY_COL) in out,
           out)
    expect(AWS_ID not in out, 'redacted')
    # Thousands separators, and no summary without an embedding map.
    many = ['src/m%d.ts' % i for i in range(1234)]
    write(d, 'big.js.map', smap(many, ['x\n'] * 1234))
    rc, out, err = run(['scan', '--no-default-rules', '--rules', MAP_RULES, 'big.js.map'], d)
    expect(out.splitlines()[0] == 'SOURCE EXPOSURE  big.js.map embeds 1,234 original source '
           'files (1,234 lines of first-party code: src/ 1,234 files)', out.splitlines()[0])
    expect(out.splitlines()[1].endswith('no secrets found inside the embedded sources'), out)
    write(d, 'plain.txt', ('key %s\n' % AWS_ID).encode())
    rc, out, err = run(['scan', '--no-default-rules', '--rules', TEST_RULES, '--rules',
                        MAP_RULES, 'plain.txt'], d)
    expect('SOURCE EXPOSURE' not in out and out.startswith('plain.txt\n'), out)


@case
def pem_key_with_json_escapes(d):
    """A PEM key inside sourcesContent is a real multi-line key once decoded."""
    write(d, 'rules/pem.yml', PEM_RULES.encode())
    keys_ts = 'export const signingKey = `%s`;\n' % PEM
    write(d, 'keys.js.map', smap(['../src/config/keys.ts'], ['// keys\n' + keys_ts]))
    expect(b'-----BEGIN RSA PRIVATE KEY-----\\nMIIE' in open(os.path.join(d, 'keys.js.map'),
                                                            'rb').read(), 'escaped in the map')
    rc, fs, err = scan(d, 'keys.js.map', extra_rules=[os.path.join(d, 'rules')])
    expect(short(fs) == [
        ('x-pem-block', ('keys.js.map', '../src/config/keys.ts'), 2,
         keys_ts.index('-----BEGIN') + 1),
        ('sourcemap-sources-content', ('keys.js.map',), None, None),
    ], short(fs))
    # The built-in rules see it too, at the original file and line.
    rc, out, err = run(['scan', '--format', 'jsonl', 'keys.js.map'], d)
    fs = [json.loads(x) for x in out.splitlines() if x.strip()]
    keys = [f for f in fs if f['category'] == 'secret']
    expect(keys and all(f['path'] == ['keys.js.map', '../src/config/keys.ts'] and f['line'] == 2
                        for f in keys), fs)


def comparable(fs, depth):
    """Findings without the outer path elements (they differ by container)."""
    return [(f['rule'], tuple(f['path'][depth:]), f['line'], f['column'], f['offset'],
             f['match'], json.dumps(f['details'], sort_keys=True)) for f in fs]


@case
def split_equivalence(d):
    """File, gzip, tar, and stdin written one byte at a time: same findings."""
    # 15 copies: under the per-rule cap on findings in one member (20).
    contents = [c * 15 for c in CONTENTS]
    data = smap(SOURCES, contents)
    write(d, 'cli.js.map', data)
    write(d, 'cli.js.map.gz', gz(data))
    write(d, 'pkg.tar', tar_bytes([('cli.js.map', data)]))
    rc, base, err = scan(d, 'cli.js.map')
    expect(len(base) == 16, short(base))
    want = comparable(base, 1)
    for name, depth in (('cli.js.map.gz', 1), ('pkg.tar', 2)):
        rc, fs, err = scan(d, name)
        expect(comparable(fs, depth) == want, (name, short(fs)))
    p = subprocess.Popen([cli_test.BIN, 'scan', '--format', 'jsonl', '--no-default-rules',
                          '--rules', TEST_RULES, '--rules', MAP_RULES, '-'], cwd=d,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for i in range(len(data)):
        p.stdin.write(data[i:i + 1])
        p.stdin.flush()
    out, err = p.communicate(timeout=120)
    fs = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
    expect(comparable(fs, 1) == want, short(fs))


@case
def not_a_map_is_scanned_as_data(d):
    """JSON that is not a source map keeps its content scanned as text."""
    write(d, 'package.json', ('{\n  "name": "x",\n  "version": "3.0.0",\n  "token": "%s"\n}\n'
                              % AWS_ID).encode())
    write(d, 'conf.json', ('{"sources": ["a", "b"],\n "key": "%s"}\n' % AWS_ID).encode())
    rc, fs, err = scan(d, 'package.json', 'conf.json')
    expect(short(fs) == [('t-aws-key-id', ('package.json',), 4, 13),
                         ('t-aws-key-id', ('conf.json',), 2, 10)], short(fs))


@case
def third_party_only_and_paths_only(d):
    write(d, 'vendor.js.map', smap(['../node_modules/a/index.js', 'webpack://x/webpack/bootstrap'],
                                   ['a\n', 'b\n']))
    write(d, 'tsc.js.map', json.dumps({
        'version': 3, 'file': 'a.js', 'sourceRoot': '', 'sources': ['../src/a.ts', '../src/b.ts'],
        'names': [], 'mappings': ';;AAAA'}).encode())
    rc, fs, err = scan(d, 'vendor.js.map', 'tsc.js.map')
    expect(rc == 0, 'medium and low stay under --fail-on high: %d' % rc)
    expect([(f['rule'], f['severity'], f['path']) for f in fs] == [
        ('sourcemap-sources-content', 'medium', ['vendor.js.map']),
        ('sourcemap-sources-list', 'low', ['tsc.js.map'])], fs)
    expect(fs[0]['details']['first_party_sources'] == 0, fs[0])
    expect(fs[0]['reasons'] == ['only third-party sources embedded'], fs[0])
    expect(fs[1]['reasons'] == ['source paths only, no content'], fs[1])
    expect(fs[1]['details'] == {'sources': 2, 'sources_with_content': 0,
                                'first_party_sources': 2, 'first_party_lines': 0,
                                'first_party_bytes': 0,
                                'top_directories': [{'dir': 'src/', 'files': 2}]}, fs[1])


@case
def disabled_report_still_scans_sources(d):
    write(d, '.leakscan.yaml', b'disable: [sourcemap-sources-content]\n')
    write(d, 'a.js.map', smap(['src/a.ts'], ['\n\nkey = "%s"\n' % AWS_ID]))
    rc, fs, err = scan(d, 'a.js.map')
    expect(short(fs) == [('t-aws-key-id', ('a.js.map', 'src/a.ts'), 3, 8)], short(fs))


def hostile(d, name, data):
    write(d, name, data)
    rc, fs, err = scan(d, '--min-severity', 'info', name)
    return rc, fs, err


@case
def hostile_unterminated_string(d):
    data = ('{"version":3,"sources":["a.ts","b.ts"],"sourcesContent":["const x = 1;\\n",'
            '"password = \\"%s\\"\\nmore text' % PASSWORD).encode()
    rc, fs, err = hostile(d, 'cut.js.map', data)
    expect(short(fs) == [
        ('t-password', ('cut.js.map', 'b.ts'), 1, 1),
        ('unreadable-member', ('cut.js.map', 'b.ts'), None, None),
        ('sourcemap-sources-content', ('cut.js.map',), None, None),
    ], short(fs))
    expect(fs[1]['details']['message'] == 'source map: input ended inside a JSON string that '
           'began at byte %d' % data.index(b'"password'), fs[1])
    expect(fs[2]['details']['complete'] is False, fs[2])
    expect(len(err.strip().splitlines()) == 1 and 'cut.js.map!b.ts' in err, err)


# The sniffer reads the first 512 bytes strictly: damage must come later
# to reach the reader (earlier, the file is not a map and is scanned as text).
PAD = '/' * 600 + '\\n'


@case
def hostile_invalid_escapes(d):
    rc, fs, err = hostile(d, 'esc.js.map', ('{"version":3,"sources":["a.ts"],"sourcesContent":['
                                            '"%spassword = \\"%s\\"\\n\\x41"]}'
                                            % (PAD, PASSWORD)).encode())
    expect(short(fs) == [
        ('t-password', ('esc.js.map', 'a.ts'), 2, 1),
        ('unreadable-member', ('esc.js.map', 'a.ts'), None, None),
        ('sourcemap-sources-content', ('esc.js.map',), None, None),
    ], short(fs))
    expect("invalid escape \\'x'" in fs[1]['details']['message'], fs[1])
    rc, fs, err = hostile(d, 'hex.js.map', ('{"version":3,"sources":["a.ts"],"sourcesContent":['
                                            '"%s\\u12G4"]}' % PAD).encode())
    expect([f['rule'] for f in fs] == ['unreadable-member', 'sourcemap-sources-content'],
           short(fs))
    expect('invalid \\u escape' in fs[0]['details']['message'], fs[0])


@case
def hostile_deep_nesting(d):
    # Past the sniffed head, so the file is a map and the reader meets the depth.
    head = smap(['src/a.ts'], ['x = 1\n' * 200])[:-1]
    rc, fs, err = hostile(d, 'deep.js.map', head + b',"x_junk":' + b'[' * 100000)
    expect([f['rule'] for f in fs] == ['sourcemap-sources-content', 'limit-reached'], short(fs))
    expect(fs[1]['path'] == ['deep.js.map'] and
           'JSON nested deeper than 32 levels' in fs[1]['details']['message'], fs[1])


@case
def hostile_length_mismatch(d):
    rc, fs, err = hostile(d, 'mm.js.map', smap(['a.ts', 'b.ts'], ['1\n', '2\n', '3\n']))
    expect(short(fs) == [
        ('sourcemap-sources-content', ('mm.js.map',), None, None),
        ('unreadable-member', ('mm.js.map',), None, None),
    ], short(fs))
    expect(fs[1]['details']['message'] == 'source map is inconsistent: sourcesContent has 3 '
           'entries but sources has 2', fs[1])


@case
def hostile_huge_strings(d):
    """A 4 MiB mappings string, a 200 KiB name, a 3 MiB source: bounded, and found."""
    name = 'src/' + 'n' * 200000 + '.ts'
    body = 'x' * 3000000 + '\nkey = "%s"\n' % AWS_ID
    doc = ('{"version":3,"mappings":"%s","sources":[%s],"sourcesContent":[%s]}'
           % ('A' * (4 << 20), json.dumps(name), json.dumps(body))).encode()
    rc, fs, err = hostile(d, 'huge.js.map', doc)
    expect(short(fs) == [
        ('t-aws-key-id', ('huge.js.map', name[:4096]), 2, 8),
        ('sourcemap-sources-content', ('huge.js.map',), None, None),
    ], [(r, len(p[-1]), ln, c) for r, p, ln, c in short(fs)])
    expect(fs[1]['details']['names_cut'] == 1 and
           fs[1]['details']['first_party_bytes'] == len(body), fs[1]['details'])


@case
def hostile_garbage_after_head(d):
    rc, fs, err = hostile(d, 'bin.js.map', ('{"version":3,"sources":["a.ts"],"mappings":"%s"'
                                            % ('A' * 600)).encode() + b'\x00\x01\x02' * 1000)
    expect([f['rule'] for f in fs] == ['sourcemap-sources-list', 'unreadable-member'], short(fs))
    expect('unexpected 0x00' in fs[1]['details']['message'], fs[1])


def main():
    return cli_test.run_main(CASES)


if __name__ == '__main__':
    sys.exit(main())

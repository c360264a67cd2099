#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Command-line tests of source maps: a package whose map embeds its
sources (secrets reported at the original file and line, exact first-party
counts, the triage summary on top of the text output), a PEM key written
with JSON escapes, the same findings whatever the read sizes, and hostile
maps that must end in damage or limit findings, never a crash.
Run as: sourcemap_test.py BINARY --case NAME (or --list)."""
import base64
import json
import os
import subprocess
import sys
import zlib

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


def scan_stdin_bytewise(cwd, data, extra_rules=()):
    """jsonl scan of @data written to stdin one byte at a time (reads of any size)."""
    args = [cli_test.BIN, 'scan', '--format', 'jsonl', '--no-default-rules', '--rules',
            TEST_RULES, '--rules', MAP_RULES]
    for r in extra_rules:
        args += ['--rules', r]
    p = subprocess.Popen(args + ['-'], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    for i in range(len(data)):
        p.stdin.write(data[i:i + 1])
        p.stdin.flush()
    out, err = p.communicate(timeout=120)
    return [json.loads(x) for x in out.decode().splitlines() if x.strip()]


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
    fs = scan_stdin_bytewise(d, data)
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
           'JSON nested deeper than 256 levels' in fs[1]['details']['message'], fs[1])


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


# ---- inline maps: sourceMappingURL=data:application/json;base64,... ----

GITHUB_RULES = os.path.join(HERE, '..', '..', 'rules', 'secret', 'github.yml')
BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'


def github_token(body):
    """A ghp_ token whose last six characters are the base62 CRC32 of the body."""
    crc = zlib.crc32(body.encode())
    tail = ''
    for _ in range(6):
        tail = BASE62[crc % 62] + tail
        crc //= 62
    return 'ghp_' + body + tail


GH_TOKEN = github_token('Q7wzR2mKx9LbT4vNp8HsJ3cYd6FgA1')
CONFIG_TS = ('// Runtime settings of the web client.\n'
             'export const apiBase = "/api/v2";\n'
             '\n'
             '// TODO: move to the vault before release\n'
             'export const deployToken = "%s";\n'
             'export const retries = 3;\n' % GH_TOKEN)
GH_LINE = 5
GH_COL = CONFIG_TS.splitlines()[GH_LINE - 1].index(GH_TOKEN) + 1
LIB_JS = 'module.exports = function identity(x) {\n  return x;\n};\n'
THEME_SCSS = ('$brand: #0a7;\n'
              '// old CDN key, AKIA for the upload bucket:\n'
              '// %s\n'
              '.btn { color: $brand; }\n' % AWS_ID)
INLINE_RULES = [GITHUB_RULES]


def inline_map(sources, contents, **extra):
    doc = {'version': 3, 'file': 'app.js', 'sources': sources, 'sourcesContent': contents,
           'names': [], 'mappings': 'AAAA,SAASA;AACA'}
    doc.update(extra)
    return base64.b64encode(json.dumps(doc, separators=(',', ':')).encode())


APP_JS_HEAD = b'"use strict";(()=>{var t="/api/v2";console.info(t)})();\n'
APP_JS_URL = b'//# sourceMappingURL=data:application/json;charset=utf-8;base64,'
APP_JS = (APP_JS_HEAD + APP_JS_URL +
          inline_map(['src/config.ts', 'node_modules/lib/index.js'], [CONFIG_TS, LIB_JS]) + b'\n')
APP_MAP_AT = len(APP_JS_HEAD + APP_JS_URL)
APP_CSS_HEAD = b'.btn{color:#0a7}\n/*# sourceMappingURL=data:application/json;base64,'
APP_CSS = (APP_CSS_HEAD + inline_map(['../scss/theme.scss'], [THEME_SCSS], file='app.css') +
           b' */')
INLINE_DETAILS = {
    'sources': 2,
    'sources_with_content': 2,
    'first_party_sources': 1,
    'first_party_lines': lines_of(CONFIG_TS),
    'first_party_bytes': len(CONFIG_TS.encode()),
    'top_directories': [{'dir': 'src/', 'files': 1}],
}


def inline_tgz(d):
    write(d, 'pkg.tgz', gz(tar_bytes([
        ('package/package.json', b'{"name":"web","version":"1.4.0"}\n'),
        ('package/dist/app.js', APP_JS),
        ('package/dist/app.css', APP_CSS),
    ])))


@case
def inline_map_sources_in_tgz(d):
    """An inline map is a map: its sources are members, its report is on the map."""
    inline_tgz(d)
    rc, fs, err = scan(d, 'pkg.tgz', extra_rules=INLINE_RULES)
    expect(rc == 1, 'exit %d: %s' % (rc, err))
    js = ('pkg.tgz', 'package/dist/app.js')
    js_map = js + ('base64@%d' % APP_MAP_AT,)
    css = ('pkg.tgz', 'package/dist/app.css')
    css_map = css + ('base64@%d' % len(APP_CSS_HEAD),)
    scss = THEME_SCSS.splitlines()[2]
    expect(short(fs) == [
        ('sourcemap-inline', js, 2, 3),
        ('github-pat-classic', js_map + ('src/config.ts',), GH_LINE, GH_COL),
        ('sourcemap-sources-content', js_map, None, None),
        ('sourcemap-inline', css, 2, 3),
        ('t-aws-key-id', css_map + ('../scss/theme.scss',), 3, scss.index(AWS_ID) + 1),
        ('sourcemap-sources-content', css_map, None, None),
    ], short(fs))
    gh, rep = fs[1], fs[2]
    expect(gh['severity'] == 'critical' and 'checksum valid' in gh['reasons'], gh)
    # Once, at the original file: the decoded JSON is not also scanned as text.
    expect([f['rule'] for f in fs].count('github-pat-classic') == 1, short(fs))
    expect(rep['severity'] == 'critical' and rep['details'] == INLINE_DETAILS,
           (rep['details'], INLINE_DETAILS))
    expect(fs[5]['details']['first_party_sources'] == 1 and
           fs[5]['details']['top_directories'] == [{'dir': 'scss/', 'files': 1}], fs[5])
    # The text report puts the inline map in its source-exposure summary.
    rc, out, err = run(['scan', '--no-default-rules', '--rules', TEST_RULES, '--rules', MAP_RULES,
                        '--rules', GITHUB_RULES, 'pkg.tgz'], d)
    want = ('SOURCE EXPOSURE  pkg.tgz!package/dist/app.js!base64@%d embeds 2 original source '
            'files (%d lines of first-party code: src/ 1 file)'
            % (APP_MAP_AT, INLINE_DETAILS['first_party_lines']))
    expect(out.splitlines()[0] == want, '%r\n%r' % (out.splitlines()[0], want))
    expect(out.splitlines()[1].strip() == '1 secret found inside the embedded sources', out)
    expect(GH_TOKEN not in out, 'redacted')


@case
def inline_map_same_findings_any_split(d):
    """File, tgz with --threads 1 and 2, stdin one byte at a time: same findings, same order."""
    inline_tgz(d)
    write(d, 'app.js', APP_JS)
    rc, base, err = scan(d, 'app.js', extra_rules=INLINE_RULES)
    expect(len(base) == 3, short(base))
    want = comparable(base, 1)
    outs = []
    for threads in ('1', '2'):
        rc, fs, err = scan(d, '--threads', threads, 'pkg.tgz', extra_rules=INLINE_RULES)
        outs.append(fs)
        expect(comparable(fs[:3], 2) == want, (threads, short(fs)))
    expect(outs[0] == outs[1], 'threads change the output')
    fs = scan_stdin_bytewise(d, APP_JS, extra_rules=INLINE_RULES)
    expect(comparable(fs, 1) == want, short(fs))


@case
def inline_map_not_a_map_stays_text(d):
    """Base64 JSON that is no source map is scanned as text, as before."""
    doc = json.dumps({'auths': {'registry.example.net': {'auth': 'x'}}, 'key': AWS_ID})
    head = b'{"data":{".dockerconfigjson":"'
    write(d, 'secret.json', head + base64.b64encode(doc.encode()) + b'"}}\n')
    rc, fs, err = scan(d, 'secret.json')
    expect(short(fs) == [('t-aws-key-id', ('secret.json', 'base64@%d' % len(head)), 1,
                          doc.index(AWS_ID) + 1)], short(fs))


def js_with(payload):
    return APP_JS_HEAD + APP_JS_URL + payload


@case
def inline_map_then_more_code(d):
    """Unpadded base64 on a full line reads on into the next line as a wrapped
    run would; the map still ends with its line, whole and undamaged (a map
    within the sniffed head, and a longer one)."""
    for sources, contents in ((['src/config.ts'], [CONFIG_TS]),
                              (['src/config.ts', 'node_modules/lib/index.js'],
                               [CONFIG_TS, LIB_JS * 40])):
        for pad in range(3):
            doc = json.loads(base64.b64decode(inline_map(sources, contents)))
            doc['file'] = 'app' + 'x' * pad + '.js'
            raw = json.dumps(doc, separators=(',', ':')).encode()
            if len(raw) % 3 == 0:
                break
        b64 = base64.b64encode(raw)
        expect(b'=' not in b64 and len(b64) % 4 == 0, 'want an unpadded run')
        write(d, 'bundle.js', js_with(b64 + b'\nexports.ready = true;\n'))
        rc, fs, err = scan(d, '--min-severity', 'info', 'bundle.js', extra_rules=INLINE_RULES)
        at = ('bundle.js', 'base64@%d' % APP_MAP_AT)
        expect(short(fs) == [
            ('sourcemap-inline', ('bundle.js',), 2, 3),
            ('github-pat-classic', at + ('src/config.ts',), GH_LINE, GH_COL),
            ('sourcemap-sources-content', at, None, None),
        ], (len(raw), short(fs)))
        expect('complete' not in fs[2]['details'] and
               fs[2]['details']['sources'] == len(sources), fs[2]['details'])


@case
def inline_map_damaged(d):
    """Broken JSON, cut base64, damage inside the sniffed head: reported, never lost."""
    pw = 'password = "%s"\n' % PASSWORD
    # Valid base64 of a map whose second source has an invalid escape.
    broken = ('{"version":3,"sources":["src/a.ts","src/b.ts"],"sourcesContent":["%s%s",'
              '"ok\\q"]}' % (PAD, pw.replace('"', '\\"').replace('\n', '\\n')))
    # Base64 cut mid-way (the file ends inside it): the map ends inside a string.
    whole = inline_map(['src/a.ts', 'src/b.ts'], [PAD.replace('\\n', '\n') + pw, 'x' * 4000])
    for name, payload, why in (
            ('esc.js', base64.b64encode(broken.encode()) + b'\n', "invalid escape \\'q'"),
            ('cut.js', whole[:len(whole) // 2], 'input ended inside a JSON string')):
        rc, fs, err = hostile(d, name, js_with(payload))
        at = (name, 'base64@%d' % APP_MAP_AT)
        expect(short(fs) == [
            ('sourcemap-inline', (name,), 2, 3),
            ('t-password', at + ('src/a.ts',), 2, 1),
            ('unreadable-member', at + ('src/b.ts',), None, None),
            ('sourcemap-sources-content', at, None, None),
        ], (name, short(fs)))
        expect(why in fs[2]['details']['message'], fs[2])
        expect(fs[3]['details']['complete'] is False, fs[3])
    # Damage inside the sniffed head: not taken for a map, so scanned as text.
    early = '{"version":3,"sources":["a.ts"],"sourcesContent":["key = %s\\n"]]]' % AWS_ID
    rc, fs, err = hostile(d, 'early.js', js_with(base64.b64encode(early.encode()) + b'\n'))
    expect(short(fs) == [
        ('t-aws-key-id', ('early.js', 'base64@%d' % APP_MAP_AT), 1, early.index(AWS_ID) + 1),
        ('sourcemap-inline', ('early.js',), 2, 3),
    ], short(fs))


@case
def inline_map_limits(d):
    """Over max-member-bytes or max-depth: a limit finding, and the JSON scanned as text
    while it streams, as every base64 run is."""
    big = inline_map(['src/a.ts', 'src/big.ts'], ['\n\nkey = "%s"\n' % AWS_ID, 'x\n' * 40000])
    write(d, 'big.js', js_with(big + b'\n'))
    at = ('big.js', 'base64@%d' % APP_MAP_AT)
    as_text = [('limit-reached', at, None), ('t-aws-key-id', at, 1),
               ('sourcemap-inline', ('big.js',), 2)]
    rc, fs, err = scan(d, '--min-severity', 'info', '--max-member-bytes', '65536', 'big.js')
    expect([(r, p, ln) for r, p, ln, c in short(fs)] == as_text, short(fs))
    expect(fs[0]['details']['message'].startswith('max-member-bytes: source map decoded from '
                                                  'base64 is larger than 65536 bytes'), fs[0])
    rc, fs, err = scan(d, '--min-severity', 'info', 'big.js')
    expect([(r, p[1:]) for r, p, ln, c in short(fs)] == [
        ('sourcemap-inline', ()), ('t-aws-key-id', at[1:] + ('src/a.ts',)),
        ('sourcemap-sources-content', at[1:])], short(fs))
    rc, fs, err = scan(d, '--min-severity', 'info', '--max-depth', '1', 'big.js')
    expect([(r, p, ln) for r, p, ln, c in short(fs)] == as_text, short(fs))
    expect(fs[0]['details']['message'].startswith('max-depth: source map decoded from base64'),
           fs[0])


@case
def map_fingerprint_survives_release_bump(d):
    """The map finding's fingerprint is its place in the artifact, not the
    archive's name or the map's counts: a baseline written for 1.0.0
    holds for 1.0.1 however the input is named; a second map is new."""
    def release(version, extra_lines, maps):
        src = INDEX_TS + '// more\n' * extra_lines
        return gz(tar_bytes([('pkg-%s/dist/%s' % (version, m), smap(['../src/index.ts'], [src]))
                             for m in maps]))
    write(d, 'pkg-1.0.0.tgz', release('1.0.0', 1, ['cli.js.map']))
    write(d, 'pkg-1.0.1.tgz', release('1.0.1', 7, ['cli.js.map', 'extra.js.map']))
    rc, out, err = run(['scan', '--format', 'jsonl', '--no-default-rules', '--rules', MAP_RULES,
                        '--write-baseline', 'base.json', 'pkg-1.0.0.tgz'], d)
    expect(rc == 1 and len(out.splitlines()) == 1, (rc, out, err))
    for name in ('pkg-1.0.1.tgz', './pkg-1.0.1.tgz', os.path.join(d, 'pkg-1.0.1.tgz')):
        rc, fs, err = scan(d, '--baseline', 'base.json', name)
        expect([f['path'][-1] for f in fs] == ['pkg-1.0.1/dist/extra.js.map'], (name, fs))


@case
def inline_maps_across_read_boundaries(d):
    """Many modules with inline maps in one .tgz: with one thread the
    archive's read boundaries fall inside the maps' base64, where a rule
    matching a long run hits at every byte; each map is still reported
    once, whole, as with two threads (the findings are identical)."""
    members = []
    for i in range(120):
        body = ''.join('export const v%d_%d = %d;\n' % (i, k, (i * 7919 + k * 104729) % 10**9)
                       for k in range(60 + i % 40))
        members.append(('package/esm/f%03d.mjs' % i, body.encode() + APP_JS_URL +
                        inline_map(['../src/f%03d.ts' % i], [body]) + b'\n'))
    write(d, 'esm.tgz', gz(tar_bytes(members)))
    outs = {}
    for j in ('1', '2'):
        rc, fs, err = scan(d, '--threads', j, '--min-severity', 'info', 'esm.tgz')
        inl = [(f['path'][-1], f['offset']) for f in fs if f['rule'] == 'sourcemap-inline']
        expect(len(inl) == 120 and len(set(inl)) == 120, (j, len(inl), len(set(inl))))
        outs[j] = fs
    expect(outs['1'] == outs['2'], 'findings differ between 1 and 2 threads')


@case
def large_map_parsed_off_the_reading_thread(d):
    """A map above the size members go whole to a worker (4 MiB) streams
    to one, parsing and all, between members scanned elsewhere: findings
    at original lines inside it, those before and after it, in the order
    one thread gives."""
    filler = ''.join('export const f%05d = "%s";\n' % (i, 'x' * 90) for i in range(48000))
    big = smap(['../src/filler.ts', '../src/auth.ts', '../src/tail.ts'],
               [filler, AUTH_TS, 'export const k = "%s";\n' % AWS_ID])
    expect(len(big) > (4 << 20), len(big))
    write(d, 'big.tgz', gz(tar_bytes([
        ('package/a.js', ('var a = "%s";\n' % AWS_ID).encode()),
        ('package/dist/cli.js.map', big),
        ('package/z.js', ('\nvar z = "%s";\n' % AWS_ID).encode()),
    ])))
    outs = {}
    for j in ('1', '2'):
        rc, fs, err = scan(d, '--threads', j, 'big.tgz')
        expect(rc == 1, (j, rc, err))
        outs[j] = fs
        expect(short(fs) == [
            ('t-aws-key-id', ('big.tgz', 'package/a.js'), 1, 10),
            ('t-aws-key-id', ('big.tgz', 'package/dist/cli.js.map', '../src/auth.ts'),
             KEY_LINE, KEY_COL),
            ('t-aws-key-id', ('big.tgz', 'package/dist/cli.js.map', '../src/tail.ts'), 1, 19),
            ('sourcemap-sources-content', ('big.tgz', 'package/dist/cli.js.map'), None, None),
            ('t-aws-key-id', ('big.tgz', 'package/z.js'), 2, 10),
        ], (j, short(fs)))
    expect(outs['1'] == outs['2'], 'findings differ between 1 and 2 threads')


@case
def json_it_cannot_follow_is_scanned_as_text(d):
    """Past JSON the reader cannot follow (nesting deeper than it tracks,
    a syntax error) the rest of the map is scanned as text: a secret in
    the sourcesContent after it is still found; the damage or limit is
    said once. Junk nested 40 deep is followed."""
    pad = '"mappings":"%s",' % ('AAAA;' * 400)
    tail = ',"sourcesContent":["const k = \\"%s\\";\\n"]}' % AWS_ID
    head = '{"version":3,"sources":["src/a.ts"],' + pad
    write(d, 'deep.js.map', (head + '"x":' + '[' * 300 + ']' * 300 + tail).encode())
    write(d, 'bad.js.map', (head + '"x": tru' + tail).encode())
    write(d, 'nest40.js.map', (head + '"x":' + '[' * 40 + ']' * 40 + tail).encode())
    for name, note in (('deep.js.map', 'limit-reached'), ('bad.js.map', 'unreadable-member')):
        rc, fs, err = scan(d, '--min-severity', 'info', name)
        keys = [f['path'] for f in fs if f['rule'] == 't-aws-key-id']
        expect(keys == [[name, '(rest of the map, as text)']], (name, fs))
        notes = [f for f in fs if f['rule'] == note]
        expect(len(notes) == 1 and 'scanned as text' in notes[0]['details']['message'],
               (name, notes))
        expect(rc == 1, (name, rc))
    rc, fs, err = scan(d, 'nest40.js.map')
    keys = [f['path'] for f in fs if f['rule'] == 't-aws-key-id']
    expect(keys == [['nest40.js.map', 'src/a.ts']], fs)



def main():
    return cli_test.run_main(CASES)


if __name__ == '__main__':
    sys.exit(main())

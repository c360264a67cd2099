#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reports and ranking from the command line: golden files for every
format, SARIF against the official schema, GitLab's required fields,
redaction in every format, baselines across a release bump, inline
allow comments, config ignores that expire, the ranker's evidence and the
progress line on a terminal.

Run as: reports_test.py BINARY --case NAME (or --list). Golden files live
in golden/ beside this file; after a deliberate output change regenerate
them with: reports_test.py BINARY --case golden_formats --regen
(or LEAKSCAN_REGEN_GOLDEN=1 in the environment) and review the diff."""
import datetime
import json
import os
import pty
import re
import select
import subprocess
import sys
import tarfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cli_test  # noqa: E402  (the shared helpers)
from cli_test import AWS_ID, CONFIG_JS, RULES, expect, gz, tar_bytes, write  # noqa: E402

GOLDEN = os.path.join(HERE, 'golden')
SCHEMA = os.path.join(os.path.dirname(HERE), 'sarif-schema-2.1.0.json')
CASES = {}
REGEN = os.environ.get('LEAKSCAN_REGEN_GOLDEN') == '1'
FORMATS = ('text', 'json', 'jsonl', 'sarif', 'gitlab')

AWS_2 = 'AKIAQ4MTXW5VR6PNYS3U'
AWS_3 = 'ASIAY7KQ2MXR4TVW6PNB'
PASSWORD = 'hQ9z!xV2#kL7'
PASSWORD_2 = 'Zr8#mQ2!pL5w'


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def run(args, cwd, env=None, stdin=None):
    """The binary with the test rules; no CI commit from the outside."""
    e = dict(os.environ)
    for k in ('NO_COLOR', 'CI_COMMIT_SHA'):
        e.pop(k, None)
    e.setdefault('XDG_CACHE_HOME', os.path.join(cwd, '.cache-test'))
    e.update(env or {})
    p = subprocess.run([cli_test.BIN, 'scan', '--no-default-rules', '--rules', RULES] + args,
                       cwd=cwd, env=e, input=stdin, capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def jsonl(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def version():
    p = subprocess.run([cli_test.BIN, 'version'], capture_output=True, timeout=60)
    return p.stdout.decode().split()[1]


def fixtures(d):
    """Artifacts covering every report feature: nesting, a repeated secret,
    names that need escaping, a name rule, documentation, a damaged member.
    Plain tar only, so the bytes do not depend on the zlib in use."""
    inner = tar_bytes([('lib/deep.js', ('token = "%s";\n' % AWS_2).encode())])
    app = tar_bytes([
        ('package/dist/config.js', CONFIG_JS),
        ('package/dist/copy.js', ('\n\n  k="%s"\n' % AWS_ID).encode()),
        ('package/.env', b'X=1\n'),
        ('package/README.md', b'see https://wiki.corp.internal/page\n'),
        ('package/test/fixture.js', ('password = "%s"\n' % PASSWORD).encode()),
        ('package/odd name!:\u00e9.js', ('id %s\n' % AWS_3).encode()),
        ('package/vendor.tar', inner),
        ('package/notes.txt', b'DEBUG-MARKER-042\n'),
    ], fmt=tarfile.PAX_FORMAT)
    write(d, 'app.tar', app)
    bad = bytearray(tar_bytes([('a.txt', b'DEBUG-MARKER-100\n'), ('b.txt', b'x\n')],
                              fmt=tarfile.USTAR_FORMAT))
    bad[1024 + 148] ^= 1
    write(d, 'bad.tar', bytes(bad))
    return ['app.tar', 'bad.tar']


def normalize(fmt, text, ver):
    """Stamps that change by themselves: the version, GitLab's scan times."""
    text = text.replace('"%s"' % ver, '"VERSION"')
    if fmt == 'gitlab':
        text = re.sub(r'"(start|end)_time": "[0-9T:-]+"', r'"\1_time": "TIME"', text)
    return text


@case
def golden_formats(d):
    """Every format over the same artifacts, byte for byte against golden/."""
    inputs = fixtures(d)
    ver = version()
    for fmt in FORMATS:
        rc, out, err = run(['--format', fmt, '--min-severity', 'info'] + inputs, d)
        expect(rc == 1, '%s: exit %d: %s' % (fmt, rc, err))
        got = normalize(fmt, out, ver)
        path = os.path.join(GOLDEN, 'formats.' + fmt)
        if REGEN:
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(got)
            continue
        with open(path, encoding='utf-8') as f:
            want = f.read()
        if got != want:
            diff = [(i + 1, a, b) for i, (a, b) in
                    enumerate(zip(want.splitlines(), got.splitlines())) if a != b][:3]
            raise AssertionError('%s differs from golden/formats.%s (first lines: %r; '
                                 'regenerate with --regen if intended)' % (fmt, fmt, diff or
                                                                          (len(want), len(got))))


def sarif_validator():
    import jsonschema
    with open(SCHEMA, encoding='utf-8') as f:
        schema = json.load(f)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


@case
def columns_count_characters(d):
    """Columns count characters, as editors do: multi-byte UTF-8 before a
    match is one column a character, a byte order mark none. The same
    column in text, JSON and SARIF (which says columnKind); offset stays in
    bytes."""
    body = ('\ufeff// caf\u00e9 \u043a\u043b\u044e\u0447 \u20ac\U0001F600 = "%s"\n'
            'plain "%s"\n' % (AWS_ID, AWS_ID)).encode()
    write(d, 'u.js', body)
    col = len('// caf\u00e9 \u043a\u043b\u044e\u0447 \u20ac\U0001F600 = "') + 1
    rc, out, err = run(['--format', 'jsonl', 'u.js'], d)
    got = [(f['line'], f['column'], f['offset']) for f in jsonl(out)]
    expect(got == [(1, col, body.index(AWS_ID.encode())), (2, 8, body.rindex(AWS_ID.encode()))],
           (got, col))
    rc, out, err = run(['--format', 'sarif', 'u.js'], d)
    run0 = json.loads(out)['runs'][0]
    expect(run0['columnKind'] == 'unicodeCodePoints', run0.get('columnKind'))
    regions = sorted((r['locations'][0]['physicalLocation']['region']['startLine'],
                      r['locations'][0]['physicalLocation']['region']['startColumn'])
                     for r in run0['results'])
    expect(regions[0] == (1, col), regions)
    rc, out, err = run(['--no-color', 'u.js'], d)
    expect('u.js:1:%d' % col in out, out)


@case
def sarif_schema(d):
    """Our SARIF passes the official 2.1.0 schema (formats checked too) and
    has what GitHub code scanning needs."""
    inputs = fixtures(d)
    v = sarif_validator()
    for extra in ([], ['--show-secrets'], ['missing.tgz']):
        rc, out, err = run(['--format', 'sarif', '--min-severity', 'info'] + inputs + extra, d)
        doc = json.loads(out)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        expect(not errors, '%s: %s at %s' % (extra, errors[0].message, list(errors[0].path))
               if errors else '')
        run0 = doc['runs'][0]
        rules = run0['tool']['driver']['rules']
        arts = run0['artifacts']
        for rule in rules:
            for k in ('id', 'name', 'shortDescription', 'fullDescription', 'help'):
                expect(k in rule, (k, rule))
            expect(rule['help']['text'] and rule['help']['markdown'], rule)
            tags = rule['properties']['tags']
            if 'security' in tags:
                sev = float(rule['properties']['security-severity'])
                expect(0.0 < sev <= 10.0, rule)
        crit = [r for r in rules if r['id'] == 't-aws-key-id'][0]
        expect(crit['properties']['security-severity'] == '9.5', crit)
        for res in run0['results']:
            rule = rules[res['ruleIndex']]
            expect(rule['id'] == res['ruleId'], res)
            expect(res['level'] in ('error', 'warning', 'note'), res)
            loc = res['locations'][0]['physicalLocation']
            expect(loc['artifactLocation']['uri'], res)
            expect(loc['region']['startLine'] >= 1, res)
            expect(arts[loc['artifactLocation']['index']]['location']['uri'] ==
                   loc['artifactLocation']['uri'], res)
            expect(len(res['partialFingerprints']['leakscan/v1']) == 32, res)
        # Nesting: every '!' layer is an artifact whose parent is the layer around it.
        uris = [a['location']['uri'] for a in arts]
        for a in arts:
            uri = a['location']['uri']
            if '!' in uri:
                expect(uris[a['parentIndex']] == uri.rsplit('!', 1)[0], a)
            else:
                expect('parentIndex' not in a, a)
        expect('app.tar!package/vendor.tar!lib/deep.js' in uris, uris)
        expect('app.tar!package/odd%20name%21%3A%C3%A9.js' in uris, uris)
        if extra == ['missing.tgz']:
            inv = run0['invocations'][0]
            expect(inv['executionSuccessful'] is False and
                   'missing.tgz' in inv['toolExecutionNotifications'][0]['message']['text'], inv)
        else:
            expect(run0['invocations'][0]['executionSuccessful'] is True, run0['invocations'])
    # Below --min-severity the damage is no result, but a notification (and
    # a GitLab scan message) all the same.
    rc, out, err = run(['--format', 'sarif'] + inputs, d)
    doc = json.loads(out)
    errors = list(v.iter_errors(doc))
    expect(not errors, errors[:1])
    inv = doc['runs'][0]['invocations'][0]
    notes = [(n['level'], n['message']['text']) for n in inv['toolExecutionNotifications']]
    expect(inv['executionSuccessful'] is True and
           notes == [('warning', 'bad.tar: unreadable-member: bad tar header checksum at offset '
                      '1024; skipping to the next valid header')], notes)
    expect(all(r['ruleId'] != 'unreadable-member' for r in doc['runs'][0]['results']), 'result')
    rc, out, err = run(['--format', 'gitlab'] + inputs, d)
    msgs = json.loads(out)['scan']['messages']
    expect(msgs == [{'level': 'warn', 'value': notes[0][1]}], msgs)


@case
def sarif_schema_catches_errors(d):
    """The schema check above can fail: a broken document is rejected."""
    fixtures(d)
    rc, out, err = run(['--format', 'sarif', 'app.tar'], d)
    doc = json.loads(out)
    v = sarif_validator()
    expect(not list(v.iter_errors(doc)), 'valid as written')
    doc['runs'][0]['results'][0]['level'] = 'fatal'
    doc['runs'][0]['results'][0]['locations'][0]['physicalLocation']['region']['startLine'] = 0
    expect(len(list(v.iter_errors(doc))) >= 2, 'schema accepted a broken result')


TIME_RE = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$')
SEVERITIES = ('Info', 'Unknown', 'Low', 'Medium', 'High', 'Critical')


def check_gitlab(doc):
    """The required fields of GitLab's secret-detection report schema 15.x."""
    expect(re.match(r'^[0-9]+\.[0-9]+\.[0-9]+$', doc['version']), doc['version'])
    expect(doc['schema'].startswith('https://'), doc['schema'])
    scan = doc['scan']
    for part in ('analyzer', 'scanner'):
        for k in ('id', 'name', 'version'):
            expect(isinstance(scan[part][k], str) and scan[part][k], (part, k))
        expect(scan[part]['vendor']['name'], part)
    expect(scan['type'] == 'secret_detection', scan)
    expect(TIME_RE.match(scan['start_time']) and TIME_RE.match(scan['end_time']), scan)
    expect(scan['status'] in ('success', 'failure'), scan)
    for m in scan.get('messages', []):
        expect(m['level'] in ('info', 'warn', 'fatal') and m['value'], m)
    ids = set()
    for v in doc['vulnerabilities']:
        expect(v['id'] and v['id'] not in ids, v)
        ids.add(v['id'])
        expect(re.match(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
                        v['id']), v['id'])
        expect(v['category'] == 'secret_detection', v)
        expect(0 < len(v['name']) <= 255 and v['description'], v)
        expect(v['severity'] in SEVERITIES, v)
        expect(v['confidence'] in ('Low', 'Medium', 'High'), v)
        expect(v['scanner']['id'] and v['scanner']['name'], v)
        expect(len(v['identifiers']) >= 1, v)
        for i in v['identifiers']:
            expect(i['type'] and i['name'] and i['value'], i)
        loc = v['location']
        expect(loc['file'] and loc['commit']['sha'], loc)
        expect(isinstance(loc.get('start_line', 1), int), loc)


@case
def gitlab_required_fields(d):
    inputs = fixtures(d)
    rc, out, err = run(['--format', 'gitlab', '--min-severity', 'info'] + inputs, d)
    doc = json.loads(out)
    check_gitlab(doc)
    expect(doc['scan']['status'] == 'success', doc['scan'])
    files = {v['location']['file'] for v in doc['vulnerabilities']}
    expect('app.tar!package/vendor.tar!lib/deep.js' in files, files)
    # Damage is a scan message, not a vulnerability.
    expect(not any(v['identifiers'][0]['value'] == 'unreadable-member'
                   for v in doc['vulnerabilities']), 'damage as a vulnerability')
    expect(any('unreadable-member' in m['value'] for m in doc['scan']['messages']),
           doc['scan'])
    # Without a CI commit the sha is the finding's fingerprint; with one, the commit.
    for v in doc['vulnerabilities']:
        expect(re.match(r'^[0-9a-f]{32}$', v['location']['commit']['sha']), v['location'])
    sha = '3f786850e387550fdab836ed7e6dc881de23001b'
    rc, out, err = run(['--format', 'gitlab', 'app.tar', 'missing.tgz'], d,
                       env={'CI_COMMIT_SHA': sha})
    doc = json.loads(out)
    check_gitlab(doc)
    expect({v['location']['commit']['sha'] for v in doc['vulnerabilities']} == {sha}, doc)
    expect(doc['scan']['status'] == 'failure' and rc == 2, (rc, doc['scan']))
    # The check itself rejects what GitLab would.
    bad = json.loads(out)
    del bad['vulnerabilities'][0]['location']['commit']
    try:
        check_gitlab(bad)
    except (AssertionError, KeyError):
        pass
    else:
        raise AssertionError('a location without a commit passed the check')


@case
def no_secrets_without_show_secrets(d):
    """Planted secrets, in every format: absent by default, present with
    --show-secrets (so the search can fail), never in a baseline."""
    secrets = [AWS_ID, AWS_2, AWS_3, PASSWORD, PASSWORD_2]
    bundle = ('!function(e){var t={};' + 'x' * 700 + 'e.k="%s";' % AWS_3 + '}();\n').encode()
    inner = gz(tar_bytes([('deep/secret.txt', ('password = "%s"\n' % PASSWORD_2).encode())]))
    write(d, 'app.tgz', gz(tar_bytes([
        ('package/dist/config.js', CONFIG_JS),
        ('package/dist/app.min.js', bundle),
        ('package/conf/settings.json', ('{"password":"%s", "x": "%s"}\n'
                                        % (PASSWORD, AWS_2)).encode()),
        ('package/nested.tgz', inner),
        ('package/again.js', ('a = "%s" // %s\n' % (AWS_ID, AWS_ID)).encode()),
    ])))
    write(d, 'plain.txt', ('password="%s"\n%s\n' % (PASSWORD, AWS_2)).encode())
    inputs = ['app.tgz', 'plain.txt']
    for fmt in FORMATS:
        rc, out, err = run(['--format', fmt, '--min-severity', 'info',
                            '--write-baseline', 'b-%s.json' % fmt] + inputs, d)
        expect(rc == 1, (fmt, rc, err))
        for s in secrets:
            expect(s not in out, '%s printed %s without --show-secrets' % (fmt, s))
            expect(s not in err, '%s: %s on stderr' % (fmt, s))
        expect('bytes #' in out, '%s: no redaction marker' % fmt)
        rc, out, err = run(['--format', fmt, '--show-secrets', '--write-baseline',
                            'shown-%s.json' % fmt] + inputs, d)
        for s in secrets:
            expect(s in out, '%s: %s missing even with --show-secrets' % (fmt, s))
        for name in ('b-%s.json' % fmt, 'shown-%s.json' % fmt):
            with open(os.path.join(d, name), encoding='utf-8') as f:
                text = f.read()
            for s in secrets:
                expect(s not in text, '%s holds %s' % (name, s))
            expect('"match"' not in text, '%s holds match text' % name)


def release(version, files):
    base = 'pkg-%s/' % version
    return gz(tar_bytes([(base + name, data) for name, data in files]))


@case
def baseline_directory_trees_at_other_paths(d):
    """A baseline written for a directory holds for the same tree at
    another path (another workspace, an absolute path, scanned from inside
    with '.'): findings by name (a .env, a source map) are fingerprinted by
    their place below the directory named, not by the directory as typed."""
    for root in ('release-old/dist', 'release-new/dist'):
        os.makedirs(os.path.join(d, root, 'static'))
        write(d, root + '/.env', b'X=1\n')
        write(d, root + '/static/app.js.map', json.dumps(
            {'version': 3, 'sources': ['../src/app.ts'],
             'sourcesContent': ['export const a = 1;\n'], 'mappings': 'AAAA'}).encode())
    rc, out, err = run(['--format', 'jsonl', '--write-baseline', 'base.json',
                        'release-old/dist'], d)
    old = jsonl(out)
    expect(rc == 1 and {f['rule'] for f in old} >= {'t-dotenv'}, (rc, old, err))
    for target, cwd in (('release-new/dist', d), ('release-new/dist/', d),
                        (os.path.join(d, 'release-new/dist'), d),
                        ('.', os.path.join(d, 'release-new/dist'))):
        base = os.path.join(d, 'base.json')
        rc, out, err = run(['--format', 'jsonl', '--baseline', base, target], cwd,
                           env={'XDG_CACHE_HOME': os.path.join(d, '.cache-test')})
        expect(rc == 0 and jsonl(out) == [], (target, rc, out, err))


@case
def baseline_release_bump(d):
    """A baseline written for 1.0 suppresses everything 1.1 still has
    (new version paths, moved lines) and reports only what is new."""
    old_config = CONFIG_JS
    # 1.1: the same secrets, lines moved down, files moved, one secret new.
    new_config = b'// v1.1\n// more\n// lines\n' + CONFIG_JS
    write(d, 'pkg-1.0.tgz', release('1.0', [
        ('dist/config.js', old_config),
        ('lib/util.js', ('const k = "%s";\n' % AWS_2).encode()),
        ('lib/gone.js', ('password = "%s"\n' % PASSWORD_2).encode()),
        ('.env', b'A=1\n'),
    ]))
    write(d, 'pkg-1.1.tgz', release('1.1', [
        ('dist/config.js', new_config),
        ('lib/helpers/util.js', ('\n\n\nconst k = "%s";\n' % AWS_2).encode()),
        ('lib/new.js', ('password = "%s"\n' % PASSWORD).encode()),
        ('.env', b'A=2\n'),
        # A second .env: a finding by name of its own, not hidden by the
        # first one's baseline entry.
        ('config/.env', b'B=1\n'),
    ]))
    rc, out, err = run(['--format', 'jsonl', '--write-baseline', 'base.json', 'pkg-1.0.tgz'], d)
    old = jsonl(out)
    expect(rc == 1 and len(old) == 4, (rc, old, err))
    with open(os.path.join(d, 'base.json'), encoding='utf-8') as f:
        base_text = f.read()
    base = json.loads(base_text)
    keys = [(e['fingerprint'], e['rule']) for e in base['findings']]
    expect(keys == sorted(keys) and len(keys) == 4, keys)
    expect(all(e['path'][0] == 'pkg-1.0.tgz' for e in base['findings']), base)
    expect('time' not in base_text and AWS_ID not in base_text, base_text)
    # The same scan writes the same bytes.
    run(['--format', 'jsonl', '--write-baseline', 'again.json', 'pkg-1.0.tgz'], d)
    with open(os.path.join(d, 'again.json'), encoding='utf-8') as f:
        expect(f.read() == base_text, 'baseline not stable')

    rc, out, err = run(['--format', 'jsonl', '--baseline', 'base.json', 'pkg-1.1.tgz'], d)
    new = jsonl(out)
    expect([(f['rule'], f['path'], f['line']) for f in new] ==
           [('t-password', ['pkg-1.1.tgz', 'pkg-1.1/lib/new.js'], 1),
            ('t-dotenv', ['pkg-1.1.tgz', 'pkg-1.1/config/.env'], None)], new)
    expect(rc == 1, rc)
    # The secret 1.1 dropped is listed as matching nothing.
    gone = [e for e in base['findings'] if e['path'][-1] == 'pkg-1.0/lib/gone.js'][0]
    expect(err.count('no longer matches anything') == 1 and gone['fingerprint'] in err, err)
    expect('is loaded' not in err and 'disables' not in err, err)
    # Entries of a rule this run does not have say so: not loaded (its rule
    # file left out), or disabled by the config.
    p = subprocess.run([cli_test.BIN, 'scan', '--format', 'jsonl', '--baseline', 'base.json',
                        'pkg-1.0.tgz'], cwd=d, capture_output=True, text=True,
                       env=dict(os.environ, XDG_CACHE_HOME=os.path.join(d, '.cache')))
    expect(p.stderr.count('no rule of that id is loaded') == 4, p.stderr)
    write(d, 'off.yaml', ('disable: [%s]\n' % gone['rule']).encode())
    rc, out, err = run(['--format', 'jsonl', '--config', 'off.yaml', '--baseline', 'base.json',
                        'pkg-1.0.tgz'], d)
    expect('the config disables that rule' in err and 'is loaded' not in err, err)
    rc, out, err = run(['--format', 'json', '--baseline', 'base.json', 'pkg-1.1.tgz'], d)
    summary = json.loads(out)['summary']['baseline']
    expect(summary['entries'] == 4 and summary['suppressed'] == 3, summary)
    expect([s['fingerprint'] for s in summary['stale']] == [gone['fingerprint']], summary)
    rc, out, err = run(['--baseline', 'base.json', 'pkg-1.1.tgz'], d)
    expect('baseline: 3 findings suppressed, 1 of 4 entries matched nothing' in out, out)
    # Only suppressed findings: exit 0.
    rc, out, err = run(['--format', 'jsonl', '--baseline', 'base.json', 'pkg-1.0.tgz'], d)
    expect(rc == 0 and out == '', (rc, out))
    # Rewriting the baseline under --baseline keeps the suppressed ones.
    run(['--baseline', 'base.json', '--write-baseline', 'next.json', 'pkg-1.1.tgz'], d)
    with open(os.path.join(d, 'next.json'), encoding='utf-8') as f:
        nxt = json.load(f)
    expect(len(nxt['findings']) == 5, nxt)
    # A damaged baseline stops the scan before it starts.
    write(d, 'broken.json', b'{"findings": [\n{"rule": "x"}\n]}')
    rc, out, err = run(['--baseline', 'broken.json', 'pkg-1.1.tgz'], d)
    expect(rc == 2 and 'broken.json:2:' in err and out == '', (rc, err, out))
    rc, out, err = run(['--baseline', 'nope.json', 'pkg-1.1.tgz'], d)
    expect(rc == 2 and 'nope.json' in err, (rc, err))


@case
def inline_allow(d):
    write(d, 'a.js', ('k1 = "%s"; // leakscan:allow\n'
                      'k2 = "%s"; password = "%s" // leakscan:allow t-password\n'
                      'k3 = "%s" # leakscan:allow t-internal-host\n'
                      % (AWS_ID, AWS_2, PASSWORD, AWS_3)).encode())
    rc, out, err = run(['--format', 'jsonl', 'a.js'], d)
    got = [(f['rule'], f['line']) for f in jsonl(out)]
    expect(got == [('t-aws-key-id', 2), ('t-aws-key-id', 3)], got)
    write(d, 'b.js', ('k = "%s" /* leakscan:allow rotated 2024-05 */\n' % AWS_ID).encode())
    rc, out, err = run(['--format', 'jsonl', 'b.js'], d)
    expect(rc == 0 and out == '', (rc, out))
    # A misspelt rule id allows nothing: the finding stays, not every rule goes.
    write(d, 'c.js', ('k = "%s" # leakscan:allow t-aws-key-ld\n' % AWS_ID).encode())
    rc, out, err = run(['--format', 'jsonl', 'c.js'], d)
    got = [(f['rule'], f['line']) for f in jsonl(out)]
    expect(got == [('t-aws-key-id', 1)], got)
    # ... and says why the allow did not take.
    typo = "leakscan:allow on this line misspells this rule's id, so it allows nothing"
    expect(typo in jsonl(out)[0]['reasons'], jsonl(out)[0]['reasons'])
    # A correct id, or a typo of another rule's id, adds no such reason.
    write(d, 'e.js', ('k = "%s" # leakscan:allow t-notes\n' % AWS_ID).encode())
    rc, out, err = run(['--format', 'jsonl', 'e.js'], d)
    fs = jsonl(out)
    expect(len(fs) == 1 and typo not in fs[0]['reasons'], fs)


@case
def ignore_expiry(d):
    """Config ignores with a reason apply until their expiry date (that day
    included), then stop applying."""
    write(d, 'a.txt', ('%s\n' % AWS_ID).encode())
    write(d, 'docs/b.txt', ('%s\n' % AWS_2).encode())
    rc, out, err = run(['--format', 'jsonl', 'a.txt'], d)
    fp = jsonl(out)[0]['fingerprint']
    today = datetime.datetime.now(datetime.timezone.utc).date()

    def config(expires, extra=''):
        body = ('ignore:\n  - fingerprint: %s\n    reason: rotated\n' % fp)
        if expires:
            body += '    expires: %s\n' % expires
        write(d, 'c.yaml', (body + extra).encode())
        rc, out, err = run(['--format', 'jsonl', '--config', 'c.yaml', 'a.txt'], d)
        expect(rc in (0, 1), (rc, err))
        # An entry past its date says so, each run, in one line.
        lapsed = expires and expires < today.isoformat()
        expect(err == ('leakscan: c.yaml:2: this ignore entry expired on %s and no longer '
                       'applies\n' % expires if lapsed else ''), (expires, err))
        return [f['rule'] for f in jsonl(out)]

    expect(config(None) == [], 'no expiry: always ignored')
    expect(config('2999-12-31') == [], 'future expiry: ignored')
    expect(config(today.isoformat()) == [], 'expires today: still ignored')
    expect(config((today - datetime.timedelta(days=1)).isoformat()) == ['t-aws-key-id'],
           'expired yesterday: reported again')
    expect(config('2000-01-01') == ['t-aws-key-id'], 'long expired: reported')
    # A rule + path entry expires the same way.
    write(d, 'c.yaml', b'ignore:\n  - rule: t-aws-key-id\n    path: "docs/*"\n'
                       b'    reason: sample docs\n    expires: 2000-01-01\n'
                       b'  - rule: t-aws-key-id\n    path: "a.txt"\n    reason: ok\n'
                       b'    expires: 2999-01-01\n')
    rc, out, err = run(['--format', 'jsonl', '--config', 'c.yaml', 'a.txt', 'docs/b.txt'], d)
    expect([f['path'] for f in jsonl(out)] == [['docs/b.txt']], out)
    write(d, 'c.yaml', b'ignore:\n  - fingerprint: x\n    reason: r\n    expires: 2024-13-45\n')
    rc, out, err = run(['--config', 'c.yaml', 'a.txt'], d)
    expect(rc == 2 and 'c.yaml:' in err and 'expires' in err, (rc, err))


@case
def ranker_evidence(d):
    """Where a secret sits and what surrounds it show up as reasons."""
    elf = b'\x7fELF\x02\x01\x01' + b'\0' * 57 + ('key=%s\0' % AWS_ID).encode()
    bundle = ('!function(){' + 'var a=1;' * 80 + 'k="%s"}();\n' % AWS_2).encode()
    write(d, 'app.tgz', gz(tar_bytes([
        ('package/bin/tool', elf),
        ('package/dist/app.js', bundle),
        ('package/conf/app.yml', ('key: %s\n' % AWS_3).encode()),
        ('package/src/a.js', ('// example key: %s\n' % 'AKIAZ3MSJV4WQ7PLXR5A').encode()),
        ('package/src/b.js', ('k = "%s"\n' % AWS_ID).encode()),
    ])))
    rc, out, err = run(['--format', 'jsonl', '--min-severity', 'info', 'app.tgz'], d)
    got = {f['path'][-1]: (f['score'], f['reasons']) for f in jsonl(out)}
    expect(got['package/bin/tool'] == (100, ['in a binary']), got)
    expect(got['package/dist/app.js'] == (100, ['in a shipped bundle']), got)
    expect(got['package/conf/app.yml'] == (100, ['in a config file']), got)
    expect(got['package/src/a.js'] == (75, ['example context']), got)
    expect(got['package/src/b.js'] == (95, ['repeated in this scan']), got)


@case
def output_file(d):
    """--output writes the report there; with --show-secrets only its owner
    may read it; a write that fails says why and exits 2."""
    write(d, 'k.js', ('k = "%s";\n' % AWS_ID).encode())
    rc, out, err = run(['--format', 'jsonl', '-o', 'r.jsonl', 'k.js'], d)
    expect(rc == 1 and out == '' and err == '', (rc, out, err))
    with open(os.path.join(d, 'r.jsonl'), encoding='utf-8') as f:
        expect(len(f.read().splitlines()) == 1, 'one finding in the file')
    rc, out, err = run(['--format', 'jsonl', '--show-secrets', '-o', 'r.jsonl', 'k.js'], d)
    mode = os.stat(os.path.join(d, 'r.jsonl')).st_mode & 0o777
    expect(rc == 1 and mode == 0o600, oct(mode))
    rc, out, err = run(['-o', '/dev/full', 'k.js'], d)
    expect(rc == 2 and err == 'leakscan: /dev/full: cannot write the report: '
           'No space left on device\n', (rc, err))
    rc, out, err = run(['-o', 'no/such/dir/r.txt', 'k.js'], d)
    expect(rc == 2 and 'no/such/dir/r.txt' in err and len(err.splitlines()) == 1, (rc, err))


@case
def comments_and_examples_rank_lower(d):
    """A URL in a comment or given as an example is documentation: 20
    lower. A key in a comment is still a key."""
    write(d, 'lib.js', ('const u = "https://wiki-a.corp.internal/";\n'
                        '  // see https://wiki-b.corp.internal/\n'
                        ' * https://wiki-c.corp.internal/\n'
                        '/* https://wiki-d.corp.internal/ */\n'
                        'hosts = "for example https://wiki-e.corp.internal/";\n'
                        'x = a * "https://wiki-f.corp.internal/";\n'
                        '// old key: %s\n' % AWS_ID).encode())
    rc, out, err = run(['--format', 'jsonl', '--min-severity', 'info', 'lib.js'], d)
    got = [(f['line'], f['score'], f['reasons']) for f in jsonl(out)]
    expect(got == [(1, 55, []), (2, 35, ['in a comment']), (3, 35, ['in a comment']),
                   (4, 35, ['in a comment']), (5, 35, ['example context']), (6, 55, []),
                   (7, 95, [])], got)
    # Shell, Python, YAML and ini comments too; not #define or a URL fragment.
    write(d, 'proxy.conf', ('# ProxyPass / https://wiki-g.corp.internal/\n'
                            '  ## https://wiki-h.corp.internal/\n'
                            '; https://wiki-i.corp.internal/\n'
                            '#define HOME "https://wiki-j.corp.internal/"\n'
                            'url = https://wiki-k.corp.internal/#x\n'
                            '# old key: %s\n' % AWS_ID).encode())
    rc, out, err = run(['--format', 'jsonl', '--min-severity', 'info', 'proxy.conf'], d)
    got = [(f['line'], 'in a comment' in f['reasons']) for f in jsonl(out)]
    expect(got == [(1, True), (2, True), (3, True), (4, False), (5, False), (6, False)], got)


@case
def text_groups_repeats(d):
    write(d, 'app.tar', tar_bytes([('p/%02d.js' % i, ('k="%s"\n' % AWS_ID).encode())
                                   for i in range(14)]))
    rc, out, err = run(['app.tar'], d)
    lines = out.splitlines()
    expect(sum(1 for line in lines if line.strip().startswith('critical')) == 1, out)
    more = [line for line in lines if 'same fingerprint in 13 more places' in line]
    expect(len(more) == 1 and 'app.tar!p/01.js:1:4' in more[0] and
           more[0].endswith(', and 3 more'), more)
    expect('14 findings (1 distinct): 14 critical' in out, out)
    rc, out, err = run(['--format', 'jsonl', 'app.tar'], d)
    fs = jsonl(out)
    expect(len(fs) == 14 and len({f['fingerprint'] for f in fs}) == 1, 'json keeps each place')
    # A place ranked apart says its severity, which the footer counts.
    write(d, 'docs.tar', tar_bytes([('p/app.js', ('k="%s"\n' % AWS_ID).encode()),
                                    ('p/docs/notes.js', ('k="%s"\n' % AWS_ID).encode())]))
    rc, out, err = run(['--format', 'jsonl', 'docs.tar'], d)
    sev = [f['severity'] for f in jsonl(out)]
    rc, out, err = run(['docs.tar'], d)
    more = [line.strip() for line in out.splitlines() if 'same fingerprint in' in line]
    expect(sev[0] != sev[1] and
           more == ['same fingerprint in 1 more place: docs.tar!p/docs/notes.js:1:4 (%s)' % sev[1]],
           (sev, more))


def slow_fifo(path, chunks, delay):
    def feed():
        with open(path, 'wb') as f:
            for c in chunks:
                f.write(c)
                f.flush()
                time.sleep(delay)
    # A daemon: if the scan never opens the FIFO (no pseudo-terminal on
    # this machine, say), the test fails instead of waiting forever.
    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return t


def run_on_pty(args, cwd):
    """Runs the binary with stderr on a pseudo-terminal; returns what it wrote there."""
    master, slave = pty.openpty()
    e = dict(os.environ)
    e.setdefault('XDG_CACHE_HOME', os.path.join(cwd, '.cache-test'))
    p = subprocess.Popen([cli_test.BIN, 'scan', '--no-default-rules', '--rules', RULES] + args,
                         cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=slave,
                         stdin=subprocess.DEVNULL)
    os.close(slave)
    got = b''
    exited = False
    while True:
        # Once the process has ended, what it wrote last may still wait
        # on the terminal: read until nothing is left, not one look more.
        r, _, _ = select.select([master], [], [], 0 if exited else 0.1)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            got += data
        elif exited:
            break
        elif p.poll() is not None:
            exited = True
    out = p.stdout.read()
    p.wait(timeout=60)
    os.close(master)
    return p.returncode, out.decode('utf-8', 'replace'), got.decode('utf-8', 'replace')


@case
def progress_on_terminal(d):
    """A slow input (a FIFO fed for about two seconds): a progress line on a
    terminal's stderr, erased at the end; nothing when stderr is not a
    terminal or with --quiet."""
    try:
        for fd in os.openpty():  # fails fast where /dev/pts is missing
            os.close(fd)
    except OSError as e:
        expect(False, 'no pseudo-terminal to test on: %s' % e)
    block = b'plain text line, nothing to see here\n' * 30000
    chunks = [block] * 10 + [('%s\n' % AWS_ID).encode()]
    fifo = os.path.join(d, 'slow.fifo')
    os.mkfifo(fifo)
    t = slow_fifo(fifo, chunks, 0.2)
    rc, out, err = run_on_pty(['--format', 'jsonl', 'slow.fifo'], d)
    t.join()
    expect(rc == 1 and len(jsonl(out)) == 1, (rc, out))
    expect('scanning: ' in err and 'files, ' in err and '/s' in err, repr(err[:300]))
    expect('slow.fifo' in err, repr(err[:300]))
    expect(err.endswith('\r\x1b[K'), 'the line is erased at the end: %r' % err[-40:])
    lines = err.count('\r\x1b[Kscanning: ')
    expect(1 <= lines <= 12, 'at most about four a second: %d' % lines)
    # Quiet: nothing.
    t = slow_fifo(fifo, chunks, 0.2)
    rc, out, err = run_on_pty(['--quiet', '--format', 'jsonl', 'slow.fifo'], d)
    t.join()
    expect('scanning' not in err, repr(err))
    # Not a terminal: nothing.
    t = slow_fifo(fifo, chunks, 0.2)
    rc, out, err = run(['--format', 'jsonl', 'slow.fifo'], d)
    t.join()
    expect(err == '' and rc == 1, repr(err))


def main():
    global REGEN
    argv = sys.argv[1:]
    if '--regen' in argv:
        REGEN = True
        argv.remove('--regen')
    return cli_test.run_main(CASES, argv)


if __name__ == '__main__':
    sys.exit(main())

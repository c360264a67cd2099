#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Command-line tests: build small artifacts, run the built binary, assert
exact findings and exit codes. Run as: cli_test.py BINARY --case NAME
(or --list). Standard library only."""
import gzip
import io
import json
import lzma
import os
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, 'test-rules.yml')
BIN = None
CASES = {}

AWS_ID = 'AKIAZ3MSJV4WQ7PLXR5T'
AWS_SECRET = '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'


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def run(args, cwd, stdin=None, env=None):
    e = dict(os.environ)
    e.pop('NO_COLOR', None)
    # Never the real home: the suite's shared cache, or one beside the test.
    e['XDG_CACHE_HOME'] = os.environ.get('XDG_CACHE_HOME') or os.path.join(cwd, '.cache-test')
    if env and 'XDG_CACHE_HOME' in env:
        e['XDG_CACHE_HOME'] = env['XDG_CACHE_HOME']
    if env:
        e.update(env)
    p = subprocess.run([BIN] + args, cwd=cwd, input=stdin, capture_output=True, env=e,
                       timeout=120)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def scan(cwd, *args, rules=True, stdin=None, env=None):
    base = ['scan', '--format', 'jsonl']
    if rules:
        base += ['--no-default-rules', '--rules', RULES]
    rc, out, err = run(base + list(args), cwd, stdin=stdin, env=env)
    findings = [json.loads(line) for line in out.splitlines() if line.strip()]
    return rc, findings, err


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """members: list of (name, bytes | None for dir | ('sym', target))."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w', format=fmt) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if data is None:
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif isinstance(data, tuple):
                ti.type = tarfile.SYMTYPE
                ti.linkname = data[1]
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return bio.getvalue()


def gz(data):
    return gzip.compress(data, mtime=0)


def write(d, name, data):
    p = os.path.join(d, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'wb') as f:
        f.write(data)
    return p


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def summary(findings):
    return sorted((f['rule'], tuple(f['path']), f['line'], f['column']) for f in findings)


CONFIG_JS = ('// config\n"use strict";\nmodule.exports = {\n  region: "us-east-1",\n'
             '  accessKeyId: "%s",\n  aws_secret_access_key: "%s",\n};\n'
             % (AWS_ID, AWS_SECRET)).encode()


@case
def aws_pair_in_tgz_default_rules(d):
    """The issue's acceptance test, with the built-in rules."""
    write(d, 'app.tgz', gz(tar_bytes([('package/dist/config.js', CONFIG_JS)])))
    rc, fs, err = scan(d, '--show-secrets', 'app.tgz', rules=False)
    expect(rc == 1, 'exit %d, want 1: %s' % (rc, err))
    got = {(f['rule'], f['line'], f.get('secret')) for f in fs if f['category'] == 'secret'}
    lines = sorted(f['line'] for f in fs if f['category'] == 'secret')
    expect(5 in lines and 6 in lines, 'lines %r' % (lines,))
    secrets = {f.get('secret') for f in fs}
    expect(AWS_ID in secrets and AWS_SECRET in secrets, 'secrets %r' % (got,))
    for f in fs:
        if f['category'] == 'secret':
            expect(f['path'] == ['app.tgz', 'package/dist/config.js'], f['path'])
            expect(f['severity'] in ('high', 'critical'), f)


@case
def aws_pair_in_compiled_artifacts_default_rules(d):
    """With the built-in rules, an AWS secret whose name is not next to it
    in a compiled file (C strings side by side in .rodata, NUL-padded; a
    .pyc's constants, a line each) is still found beside its key id; so is
    one in a notebook cell, its quotes escaped."""
    write(d, 'server', b'\x7fELF\x02\x01\x01' + b'\0' * 57 + b'%s\0\0\0\0%s\0usage: server\0'
          % (AWS_ID.encode(), AWS_SECRET.encode()))
    write(d, 'cfg.py', ('AWS_ACCESS_KEY_ID = "%s"\nAWS_SECRET_ACCESS_KEY = "%s"\n'
                        % (AWS_ID, AWS_SECRET)).encode())
    subprocess.run([sys.executable, '-c', "import py_compile; py_compile.compile('cfg.py', "
                    "cfile='cfg.pyc', doraise=True)"], cwd=d, check=True)
    os.unlink(os.path.join(d, 'cfg.py'))
    write(d, 'nb.ipynb', json.dumps({'cells': [{'cell_type': 'code', 'source': [
        'aws_access_key_id = "%s"\n' % AWS_ID, 'aws_secret_access_key = "%s"\n' % AWS_SECRET]}]},
        indent=1).encode())
    for name in ('server', 'cfg.pyc', 'nb.ipynb'):
        rc, fs, err = scan(d, '--show-secrets', name, rules=False)
        got = {(f['rule'], f.get('secret')) for f in fs if f['category'] == 'secret'}
        expect(rc == 1 and ('aws-access-key-id', AWS_ID) in got
               and any(sec == AWS_SECRET and r.startswith('aws-secret-access-key')
                       for r, sec in got), (name, rc, got, err))


@case
def tgz_exact_findings(d):
    write(d, 'app.tgz', gz(tar_bytes([
        ('package/dist/config.js', CONFIG_JS),
        ('package/.env', b'X=1\n'),
        ('package/README.md', b'see https://wiki.corp.internal/page\n'),
    ])))
    rc, fs, err = scan(d, 'app.tgz')
    expect(rc == 1, 'exit %d' % rc)
    expect(summary(fs) == [
        ('t-aws-key-id', ('app.tgz', 'package/dist/config.js'), 5, 17),
        ('t-dotenv', ('app.tgz', 'package/.env'), None, None),
        ('t-internal-host', ('app.tgz', 'package/README.md'), 1, 5),
    ], summary(fs))
    aws = [f for f in fs if f['rule'] == 't-aws-key-id'][0]
    expect('secret' not in aws, 'secret shown without --show-secrets')
    expect(AWS_ID not in json.dumps(fs), 'secret leaked into output')
    expect(aws['match'].startswith('AKIA') and '20 bytes' in aws['match'], aws['match'])
    expect(len(aws['fingerprint']) == 32, aws['fingerprint'])
    readme = [f for f in fs if f['rule'] == 't-internal-host'][0]
    expect('in documentation' in readme['reasons'], readme['reasons'])


@case
def fingerprint_stable_across_locations(d):
    write(d, 'a.txt', ('x = "%s"\n' % AWS_ID).encode())
    write(d, 'b.tgz', gz(tar_bytes([('deep/dir/b.txt', ('\n\n   %s\n' % AWS_ID).encode())])))
    rc, fs, err = scan(d, 'a.txt', 'b.tgz')
    fps = {f['fingerprint'] for f in fs}
    expect(len(fs) == 2 and len(fps) == 1, fs)


@case
def nested_archive_by_content(d):
    inner = tar_bytes([('inner/secret.txt', ('token AKIAQ4MTXW5VR6PNYS3U\n').encode())])
    outer = tar_bytes([('pkg/vendor.bin', gz(inner)), ('pkg/plain.txt', b'nothing\n')])
    write(d, 'outer.data', gz(outer))
    rc, fs, err = scan(d, 'outer.data')
    expect(summary(fs) == [('t-aws-key-id', ('outer.data', 'pkg/vendor.bin', 'inner/secret.txt'),
                            1, 7)], summary(fs))


@case
def links_in_archives_are_not_files(d):
    """A symlink or hard link member holds no bytes: named id_rsa or .env,
    it is no key and no env file (the built-in name rules)."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w') as t:
        for name, kind, target in (('p/id_rsa', tarfile.SYMTYPE, '/root/.ssh/id_rsa'),
                                   ('p/.env', tarfile.SYMTYPE, '../../etc/passwd'),
                                   ('p/key.pem', tarfile.LNKTYPE, 'p/other.pem')):
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname = kind, target
            t.addfile(ti)
        ti = tarfile.TarInfo('p/real/.env')
        ti.size = 4
        t.addfile(ti, io.BytesIO(b'A=1\n'))
    write(d, 'links.tar', bio.getvalue())
    rc, fs, err = scan(d, '--min-severity', 'info', 'links.tar', rules=False)
    expect([(f['rule'], f['path'][-1]) for f in fs] == [('dotenv-file', 'p/real/.env')], fs)


@case
def max_depth_stored_containers_scanned_as_text(d):
    """Past --max-depth a tar or a source map is not opened, but its bytes
    are readable as they are: still scanned, on the container's path. A
    compressed layer or a zip is skipped."""
    js = ('const k = "%s";\n' % AWS_ID).encode()
    smap = json.dumps({'version': 3, 'sources': ['../src/a.ts'], 'mappings': 'AAAA',
                       'sourcesContent': ['const k = "%s";' % AWS_ID]}).encode()
    write(d, 'pkg.tgz', gz(tar_bytes([('package/app.js', js)])))
    write(d, 'app.js.map', smap)
    rc, fs, err = scan(d, '--max-depth', '1', '--min-severity', 'info', 'pkg.tgz')
    got = [(f['rule'], tuple(f['path']), f['line']) for f in fs]
    expect(got == [('limit-reached', ('pkg.tgz',), None), ('t-aws-key-id', ('pkg.tgz',), 1)], got)
    expect('tar nested deeper than 1 level not opened; scanned as text' in err, err)
    expect(rc == 1, 'exit %d' % rc)
    rc, fs, err = scan(d, '--max-depth', '0', 'app.js.map')
    got = [(f['rule'], tuple(f['path']), f['line']) for f in fs]
    expect(got == [('t-aws-key-id', ('app.js.map',), 1)] and rc == 1, got)
    rc, fs, err = scan(d, '--max-depth', '0', '--min-severity', 'info', 'pkg.tgz')
    expect([f['rule'] for f in fs] == ['limit-reached'] and rc == 0, fs)


@case
def max_depth_limit(d):
    data = b'AKIAQ4MTXW5VR6PNYS3U\n'
    for i in range(7):
        data = gz(tar_bytes([('level%d/x' % i, data)]))
    write(d, 'deep.tgz', data)
    rc, fs, err = scan(d, '--max-depth', '6', '--min-severity', 'info', 'deep.tgz')
    rules = [f['rule'] for f in fs]
    expect(rules == ['limit-reached'], rules)
    expect('max-depth' in fs[0]['details']['message'], fs[0])
    expect(rc == 0, 'exit %d' % rc)
    expect('limit reached' in err, err)
    rc, fs, err = scan(d, 'deep.tgz')
    expect([f['rule'] for f in fs] == ['t-aws-key-id'] and len(fs[0]['path']) == 8, fs)


@case
def directory_sorted_and_symlinks(d):
    write(d, 'tree/b/z.txt', b'DEBUG-MARKER-002\n')
    write(d, 'tree/a.txt', b'DEBUG-MARKER-001\n')
    write(d, 'tree/c.txt', b'DEBUG-MARKER-003\n')
    os.symlink('/etc/passwd', os.path.join(d, 'tree', 'link'))
    os.symlink('..', os.path.join(d, 'tree', 'loop'))
    rc, fs, err = scan(d, '--min-severity', 'info', 'tree')
    paths = [(f['rule'], f['path'][0]) for f in fs]
    expect(paths == [('t-note', 'tree/a.txt'), ('t-note', 'tree/b/z.txt'),
                     ('t-note', 'tree/c.txt'), ('symlink-not-followed', 'tree/link'),
                     ('symlink-not-followed', 'tree/loop')], paths)
    expect(rc == 0, 'exit %d (low findings are below --fail-on high)' % rc)


@case
def default_path_is_cwd(d):
    write(d, 'x/y.txt', b'DEBUG-MARKER-004\n')
    rc, fs, err = scan(os.path.join(d, 'x'))
    expect([f['path'] for f in fs] == [['y.txt']], fs)


@case
def stdin_input(d):
    rc, fs, err = scan(d, '-', stdin=gz(('key: %s\n' % AWS_ID).encode()))
    expect(rc == 1 and [f['path'] for f in fs] == [['-']], (rc, fs))


@case
def missing_input_exit_2(d):
    write(d, 'ok.txt', ('%s\n' % AWS_ID).encode())
    rc, fs, err = scan(d, 'nope.tgz', 'ok.txt')
    expect(rc == 2, 'exit %d' % rc)
    expect(err.strip() == 'leakscan: nope.tgz: No such file or directory', repr(err))
    expect([f['path'] for f in fs] == [['ok.txt']], 'findings of readable inputs are kept')
    # scan "$(npm pack ...)" when the command printed nothing
    rc, fs, err = scan(d, '', 'ok.txt')
    expect(rc == 2 and err.strip() == "leakscan: '': an empty path was given", repr(err))


@case
def unreadable_input_exit_2(d):
    os.mkdir(os.path.join(d, 'adir'))
    rc, fs, err = scan(d, '/proc/self/mem')
    expect(rc == 2 and '/proc/self/mem' in err, (rc, err))


@case
def timeout_holds_on_a_stalled_pipe(d):
    """--timeout interrupts a read from a pipe that stops sending (the
    writer is still there) and the timeout is said. With one thread what
    came before is scanned; with workers, members still waiting for one
    at the deadline are not (as for any timeout)."""
    data = gz(tar_bytes([('p/a.txt', ('%s\n' % AWS_ID).encode()),
                         ('p/b.txt', os.urandom(200000))]))
    for j in ('1', '2'):
        rfd, wfd = os.pipe()  # the write end stays open: only the deadline ends the read
        p = subprocess.Popen([BIN, 'scan', '--no-default-rules', '--rules', RULES, '--format',
                              'jsonl', '--threads', j, '--timeout', '500', '-'],
                             stdin=rfd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=d, env=dict(os.environ, XDG_CACHE_HOME=os.path.join(d, '.c')))
        os.close(rfd)
        os.write(wfd, data[:len(data) // 2])
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError('still reading a stalled pipe after 60 s (-j%s)' % j)
        finally:
            os.close(wfd)
        rules = [json.loads(x)['rule'] for x in out.decode().splitlines()]
        if j == '1':
            expect(rules == ['t-aws-key-id'] and p.returncode == 1, (j, rules, p.returncode))
        else:
            expect(rules in ([], ['t-aws-key-id']) and p.returncode in (0, 1), (j, rules))
        expect(b'timeout' in err and len(err.splitlines()) == 1, err)


@case
def fifo_waits_for_a_writer_until_the_timeout(d):
    """A FIFO named on the command line waits for its writer, as cat does,
    but no longer than --timeout: then one line and exit 2."""
    import threading
    import time
    fifo = os.path.join(d, 'pipe')
    os.mkfifo(fifo)
    t0 = time.monotonic()
    rc, fs, err = scan(d, '--timeout', '300', 'pipe')
    expect(rc == 2 and time.monotonic() - t0 < 30, (rc, time.monotonic() - t0))
    expect(err.strip() == 'leakscan: pipe: timeout: no writer opened this FIFO within 300 ms',
           err)

    def writer():
        time.sleep(0.3)
        with open(fifo, 'wb') as f:
            f.write(('%s\n' % AWS_ID).encode())
    for timeout in (['--timeout', '20000'], []):
        th = threading.Thread(target=writer)
        th.start()
        rc, fs, err = scan(d, *(timeout + ['pipe']))
        th.join()
        expect(rc == 1 and [f['rule'] for f in fs] == ['t-aws-key-id'], (timeout, rc, fs, err))


@case
def undecodable_input_exit_2(d):
    """Damaged before anything could be scanned: exit 2, with the others
    still scanned and reported."""
    write(d, 'garbage.tgz', b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03' + bytes(range(256)) * 8)
    write(d, 'ok.txt', ('%s\n' % AWS_ID).encode())
    rc, fs, err = scan(d, 'garbage.tgz', 'ok.txt')
    expect(rc == 2, 'exit %d' % rc)
    expect([f['rule'] for f in fs] == ['t-aws-key-id'], fs)
    expect(len(err.strip().splitlines()) == 1 and 'garbage.tgz: corrupt gzip data' in err, err)
    rc, fs, err = scan(d, 'ok.txt')
    expect(rc == 1, 'exit %d' % rc)


@case
def truncated_tgz(d):
    filler = b''.join(b'filler line %d\n' % i for i in range(20000))
    data = gz(tar_bytes([('p/first.txt', ('%s\n' % AWS_ID).encode()),
                         ('p/big.txt', filler)]))
    write(d, 'cut.tgz', data[: len(data) // 2])
    rc, fs, err = scan(d, '--min-severity', 'info', 'cut.tgz')
    rules = [f['rule'] for f in fs]
    expect(rules == ['t-aws-key-id', 'unreadable-member'], rules)
    expect(fs[1]['path'] == ['cut.tgz', 'p/big.txt'], fs[1]['path'])
    expect('truncated gzip stream' in fs[1]['details']['message'], fs[1])
    expect(rc == 1, 'exit %d' % rc)
    expect(len(err.strip().splitlines()) == 1 and 'cut.tgz!p/big.txt' in err, repr(err))
    # Not reported below --min-severity, but said on stderr all the same.
    for j in ('1', '2'):
        rc, fs, err2 = scan(d, '--threads', j, 'cut.tgz')
        expect([f['rule'] for f in fs] == ['t-aws-key-id'] and rc == 1, (fs, rc))
        expect(err2 == err, repr(err2))


@case
def gzip_trailer_damage_after_whole_archive(d):
    """A .tgz small enough to inflate in one call, with a wrong CRC or cut
    inside its trailer: every member is still scanned, and the damage is
    said once, on the archive, at any thread count."""
    data = gz(tar_bytes([('p/a.txt', ('%s\n' % AWS_ID).encode()),
                         ('p/b.txt', b'DEBUG-MARKER-100\n' + b'filler\n' * 2000)]))
    bad_crc = bytearray(data)
    bad_crc[-8] ^= 0xff
    write(d, 'crc.tgz', bytes(bad_crc))
    write(d, 'cut.tgz', data[:-4])
    write(d, 'ok.tgz', data)
    for j in ('1', '2'):
        for name, why in (('crc.tgz', 'corrupt gzip data'), ('cut.tgz', 'truncated gzip stream')):
            rc, fs, err = scan(d, '--threads', j, '--min-severity', 'info', name)
            got = [(f['rule'], tuple(f['path'])) for f in fs]
            expect(got == [('t-aws-key-id', (name, 'p/a.txt')), ('t-note', (name, 'p/b.txt')),
                           ('unreadable-member', (name,))], (j, name, got))
            expect(why in fs[-1]['details']['message'], fs[-1])
            expect(rc == 1, 'exit %d' % rc)
            expect(len(err.strip().splitlines()) == 1 and why in err, repr(err))
        rc, fs, err = scan(d, '--threads', j, '--min-severity', 'info', 'ok.tgz')
        expect([f['rule'] for f in fs] == ['t-aws-key-id', 't-note'] and not err, (fs, err))


@case
def bad_tar_checksum(d):
    t = bytearray(tar_bytes([('a.txt', b'DEBUG-MARKER-100\n'), ('b.txt', b'x\n'),
                             ('c.txt', ('%s\n' % AWS_ID).encode())], fmt=tarfile.USTAR_FORMAT))
    t[1024 + 148] ^= 1
    write(d, 'bad.tar', bytes(t))
    rc, fs, err = scan(d, '--min-severity', 'info', 'bad.tar')
    rules = [(f['rule'], f['path'][-1]) for f in fs]
    expect(rules == [('t-note', 'a.txt'), ('unreadable-member', 'bad.tar'),
                     ('t-aws-key-id', 'c.txt')], rules)
    expect('bad tar header checksum' in err, err)


@case
def hostile_names_escaped(d):
    name = 'evil/\x1b]0;pwned\x07\x1b[31mred\n.txt'
    write(d, 'h.tar', tar_bytes([(name, ('%s\n' % AWS_ID).encode()),
                                 ('../../etc/passwd', b'x'), ('/abs/path', b'y')]))
    rc, out, err = run(['scan', '--no-default-rules', '--rules', RULES, 'h.tar'], d)
    expect('\x1b' not in out and '\x07' not in out, repr(out))
    expect('\\x1b]0;pwned\\x07' in out and 'red\\n.txt' in out, out)
    expect(not os.path.exists(os.path.join(d, 'evil')), 'nothing extracted')
    rc, fs, err = scan(d, 'h.tar')
    expect(fs[0]['path'][1] == name, 'JSON keeps the exact name')


@case
def text_output_shape(d):
    write(d, 'app.tgz', gz(tar_bytes([('package/dist/config.js', CONFIG_JS)])))
    rc, out, err = run(['scan', '--no-default-rules', '--rules', RULES, 'app.tgz'], d)
    lines = out.splitlines()
    expect(lines[0] == 'app.tgz', lines)
    expect(lines[1].split() == ['critical', 'app.tgz!package/dist/config.js:5:17'], lines[1])
    expect('1 finding: 1 critical, 0 high, 0 medium, 0 low, 0 info' in out, out)
    expect('\x1b[' not in out, 'no colour when not a terminal')
    expect(AWS_ID not in out, 'redacted')
    rc, out2, err = run(['scan', '--no-default-rules', '--rules', RULES, '--show-secrets',
                         'app.tgz'], d)
    expect(AWS_ID in out2, out2)


@case
def min_severity_and_fail_on(d):
    write(d, 'f.txt', b'DEBUG-MARKER-555\nhttps://x.internal/\n')
    rc, fs, err = scan(d, 'f.txt')
    expect(rc == 0 and len(fs) == 2, (rc, fs))
    rc, fs, err = scan(d, '--min-severity', 'medium', 'f.txt')
    expect([f['rule'] for f in fs] == ['t-internal-host'], fs)
    rc, fs, err = scan(d, '--fail-on', 'low', 'f.txt')
    expect(rc == 1, rc)
    rc, fs, err = scan(d, '--fail-on', 'bogus', 'f.txt')
    expect(rc == 2 and 'fail-on' in err, (rc, err))


@case
def json_format(d):
    write(d, 'f.txt', ('%s\n' % AWS_ID).encode())
    rc, out, err = run(['scan', '--no-default-rules', '--rules', RULES, '--format', 'json',
                        'f.txt', 'missing'], d)
    doc = json.loads(out)
    expect(rc == 2, rc)
    expect(set(doc) == {'version', 'findings', 'summary'}, doc.keys())
    expect(doc['summary']['findings'] == 1 and doc['summary']['by_severity']['critical'] == 1, doc)
    st = {i['path']: i['status'] for i in doc['summary']['inputs']}
    expect(st == {'f.txt': 'scanned', 'missing': 'unreadable'}, st)


@case
def max_size_skips_files_and_members(d):
    """--max-size skips a file in a walked directory or a member of an
    archive whole (one limit finding); a file the user named, or stdin, is
    scanned up to the limit."""
    big = ('%s\n' % AWS_ID).encode() + b'x' * 300 + b'\n'
    write(d, 'tree/big.txt', big)
    write(d, 'tree/small.txt', ('%s\n' % AWS_ID).encode())
    write(d, 't.tgz', gz(tar_bytes([('big.txt', big)])))
    rc, fs, err = scan(d, '--max-size', '100', '--min-severity', 'info', 'tree', 't.tgz', 'tree/big.txt')
    got = [(f['rule'], tuple(f['path'])) for f in fs]
    expect(got == [('limit-reached', ('tree/big.txt',)), ('t-aws-key-id', ('tree/small.txt',)),
                   ('limit-reached', ('t.tgz', 'big.txt')), ('t-aws-key-id', ('tree/big.txt',)),
                   ('limit-reached', ('tree/big.txt',))], got)
    expect('file of %d bytes not scanned (limit 100)' % len(big) in fs[0]['details']['message'], fs[0])
    rc, fs, err = scan(d, '--max-size', '100', '--min-severity', 'info', '-', stdin=big)
    got = [(f['rule'], f['details'].get('message')) for f in fs]
    expect(got == [('t-aws-key-id', None),
                   ('limit-reached', 'max-size: only the first 100 bytes were scanned')], got)


@case
def max_size_cut_counts_skipped_bytes(d):
    """--max-size on a file named on the command line scans its first
    bytes and counts the rest as not scanned, in the JSON summary and the
    text footer."""
    write(d, 'a.txt', b'a' * 5000)
    rc, out, err = run(['scan', '--format', 'json', '--max-size', '1000', 'a.txt'], d)
    inp = json.loads(out)['summary']['inputs'][0]
    expect((inp['bytes_scanned'], inp['bytes_skipped'], inp['status']) == (1000, 4000, 'partial')
           and 'only the first 1000 of 5000 bytes' in err, (inp, err))
    rc, out, err = run(['scan', '--max-size', '1000', 'a.txt'], d)
    expect('1 limit reached (at least 3.9 KiB not scanned)' in out, out)


@case
def readme_config_example_is_accepted(d):
    """The config example in the README is accepted as it stands, and its
    path glob ignores what it says it does."""
    readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'README.md')
    with open(readme, encoding='utf-8') as f:
        text = f.read()
    start = text.index('```yaml\n', text.index('`.leakscan.yaml` in the working directory'))
    block = text[start + 8:text.index('```', start + 8)]
    write(d, 'example.yaml', block.encode())
    write(d, 'pkg.tgz', gz(tar_bytes([
        ('package/docs/arch.md', b'see https://wiki.build.corp.internal/page\n'),
        ('package/lib/x.js', b'fetch("https://api.build.corp.internal/v1")\n')])))
    rc, fs, err = scan(d, '--config', 'example.yaml', 'pkg.tgz', rules=False)
    got = sorted((f['rule'], f['path'][-1]) for f in fs)
    expect(rc in (0, 1) and got == [('internal-tld-url', 'package/lib/x.js')], (rc, got, err))


@case
def usage_errors(d):
    for args, first in ((['frobnicate'], "leakscan: unknown command 'frobnicate'"), ([], 'usage:')):
        rc, out, err = run(args, d)
        expect(rc == 2 and err.startswith(first) and 'rules bench' in err, (args, rc, err))
    # Scan's usage errors: one line naming the problem, nothing on stdout.
    for args, said in ((['--format', 'xml', '.'], 'xml'), (['--max-depth', 'x'], "'x'"),
                       (['--bogus'], "unknown option '--bogus'"), (['-qZ'], "unknown option '-Z'"),
                       (['--format'], '--format needs a value'),
                       (['--max-size', '10XB'], 'k, M and G suffixes'),
                       (['--files-from', '-', '-'], 'both read standard input')):
        rc, out, err = run(['scan'] + args, d, stdin=b'')
        expect(rc == 2 and out == '' and err.startswith('leakscan: ') and
               len(err.splitlines()) == 1 and said in err, (args, rc, err))
    # An empty --files-from list scans nothing (not the directory), and
    # says so; a directory given as the list is refused.
    write(d, 'empty.list', b'')
    write(d, 'key.txt', ('%s\n' % AWS_ID).encode())
    rc, fs, err = scan(d, '--files-from', 'empty.list')
    expect(rc == 0 and fs == [] and err == 'leakscan: --files-from empty.list: no paths '
           'listed: nothing to scan\n', (rc, fs, err))
    os.mkdir(os.path.join(d, 'listdir'))
    rc, fs, err = scan(d, '--files-from', 'listdir')
    expect(rc == 2 and fs == [] and len(err.splitlines()) == 1 and 'is a directory' in err,
           (rc, fs, err))
    # No rules at all is a usage error, not a scan that finds nothing.
    rc, out, err = run(['scan', '--no-default-rules', 'key.txt'], d)
    expect(rc == 2 and out == '' and 'no rules' in err and len(err.splitlines()) == 1,
           (rc, out, err))
    # A baseline that cannot be written is refused before the scan.
    rc, out, err = run(['scan', '--write-baseline', 'nodir/b.json', 'key.txt'], d)
    expect(rc == 2 and out == '' and err.startswith('leakscan: --write-baseline nodir/b.json'),
           (rc, out, err))
    rc, out, err = run(['scan', '-q', '--write-baseline', 'b.json', 'key.txt'], d)
    expect(rc == 1 and os.path.getsize(os.path.join(d, 'b.json')) > 0, (rc, out, err))
    os.unlink(os.path.join(d, 'key.txt'))
    write(d, 'a.txt', b'x\n')
    for size in ('10M', '10MB', '10MiB', '10m'):
        rc, out, err = run(['scan', '-q', '--max-size', size, 'a.txt'], d)
        expect(rc == 0 and err == '', (size, rc, err))


@case
def bad_rule_file(d):
    write(d, 'rules/bad.yml', b'rules:\n  - id: x-1\n    category: secret\n    severity: high\n'
          b'    pattern: "(abc"\n')
    rc, out, err = run(['scan', '--rules', 'rules', '.'], d)
    expect(rc == 2, rc)
    expect('rules/bad.yml:5:' in err and 'bad pattern' in err, err)
    rc, out, err = run(['rules', 'check', 'rules'], d)
    expect(rc == 2 and 'rules/bad.yml:5:' in err, (rc, err))


@case
def rules_check_lists_every_problem(d):
    """rules check says every problem of the named files in one run: a rule
    that does not parse hides neither a pattern that does not compile, nor a
    failing example, nor a missing literal, nor an id a built-in rule has;
    a rule must say its category and severity and show 2 examples and 2
    near misses. rules test DIR tests DIR beside the built-in rules."""
    ex = "    examples: ['acme_live_q7x2m9k4p8w3zt5r', 'k=acme_live_h3k9q2x7m4p8w1zt']\n" \
         "    negative_examples: ['acme_live_short', 'acme_test_q7x2m9k4p8w3zt5r']\n"
    write(d, 'r/a.yml', ('rules:\n'
                         '  - id: acme-no-severity\n'          # 2
                         '    category: secret\n'
                         '    pattern: \'(acme_x_[a-z0-9]{16})\'\n'
                         '  - id: acme-bad-regex\n'            # 5
                         '    category: secret\n'
                         '    severity: high\n'
                         '    pattern: \'(acme_y_[a-z0-9{16})\'\n' + ex +
                         '  - id: acme-live\n'                 # 11
                         '    category: secret\n'
                         '    severity: critical\n'
                         '    pattern: \'\\b(acme_live_[a-z0-9]{20})\\b\'\n' + ex).encode())
    write(d, 'r/b.yml', ('rules:\n'
                         '  - id: internal-tld-url\n'          # 2
                         '    category: internal-url\n'
                         '    severity: low\n'
                         '    pattern: \'zz-acme-host\'\n'
                         "    examples: ['zz-acme-host', 'a zz-acme-host']\n"
                         "    negative_examples: ['zz-acme', 'acme-host']\n"
                         '  - id: acme-untested\n'             # 8
                         '    category: debug-log\n'
                         '    severity: low\n'
                         '    pattern: \'ACME-DEBUG-[0-9]{3}\'\n'
                         '  - id: acme-shape\n'                # 12
                         '    category: secret\n'
                         '    severity: high\n'
                         '    pattern: \'([A-Za-z0-9]{40})\'\n'  # 15
                         "    examples: ['Q7m2Zp9Lx4Rk8Vt1Ny6Bw3Hc5Jd0Fs2GQ7m2Zp9L', "
                         "'Z8Yx7Wv6Ut5Sr4Qp3On2Ml1Kj9Ih8Gf7Z8Yx7Wv6']\n"
                         "    negative_examples: ['abc', 'xyz']\n").encode())
    rc, out, err = run(['rules', 'check', 'r/'], d)
    expect(rc == 2, (rc, out, err))
    got = sorted(set(l.split(': ')[1] for l in err.splitlines()))
    want = sorted(['r/a.yml:2', 'r/a.yml:8', 'r/a.yml:15', 'r/b.yml:2', 'r/b.yml:8',
                   'r/b.yml:15'])
    expect(got == want, (got, err))
    for place, text in (('r/a.yml:2', "no severity"), ('r/a.yml:8', 'bad pattern'),
                        ('r/a.yml:15', 'example not found'),
                        ('r/b.yml:2', 'taken by a built-in rule'),
                        ('r/b.yml:8', '2 examples and 2 negative_examples'),
                        ('r/b.yml:15', 'no literal of 3+ bytes')):
        expect(any(l.startswith('leakscan: %s: ' % place) and text in l
                   for l in err.splitlines()), (place, text, err))
    expect(out.strip().endswith('7 problems'), out)  # both examples of acme-live fail
    # The built-in rules' own files check clean (they are those rules).
    rc, out, err = run(['rules', 'check', os.path.join(os.path.dirname(HERE), '..', 'rules')], d)
    expect(rc == 0 and err == '', (rc, err))
    # rules test DIR: DIR's rules beside the built-in ones.
    write(d, 't/c.yml', ('rules:\n  - id: acme-live\n    category: secret\n'
                         '    severity: critical\n'
                         '    pattern: \'\\b(acme_live_[a-z0-9]{20})\\b\'\n' + ex).encode())
    rc, out, err = run(['rules', 'test', 't'], d)
    expect(rc == 1 and 't/c.yml:' in err and 'example not found' in err, (rc, err))
    rc, out, err = run(['rules', 'list', 't'], d)
    expect(rc == 2 and 'unexpected' in err, (rc, err))
    # A rule directory without rule files is an error, not a scan with no rules.
    os.makedirs(os.path.join(d, 'empty'), exist_ok=True)
    write(d, 'empty/rules.txt', b'rules: []\n')
    rc, out, err = run(['scan', '--no-default-rules', '--rules', 'empty', '.'], d)
    expect(rc == 2 and 'no rule files' in err, (rc, err))


@case
def config_markers_domains_disable(d):
    write(d, '.leakscan.yaml', b'internal_domains: [corp.acme.dev]\nmarkers: ["PROJECT FALCON"]\n'
                               b'disable: [t-note]\n')
    write(d, 'f.js', b'fetch("https://api.corp.acme.dev/v1")\n// PROJECT FALCON only\n'
                     b'DEBUG-MARKER-777\n')
    rc, fs, err = scan(d, 'f.js')
    expect(sorted(f['rule'] for f in fs) == ['config-internal-domain-1', 'config-marker-1'], fs)
    write(d, 'bad.yaml', b'markers: [1, [2]]\nwhat: 1\n')
    rc, fs, err = scan(d, '--config', 'bad.yaml', 'f.js')
    expect(rc == 2 and 'bad.yaml:1:' in err and 'bad.yaml:2:' in err, err)
    # An ignore entry naming no rule would ignore nothing: refused, like
    # disable, in one line (the scanner's own notes may be ignored).
    write(d, 'typo.yaml', b'ignore:\n  - rule: t-notes\n    reason: typo\n'
                          b'  - rule: limit-reached\n    reason: known\n')
    rc, fs, err = scan(d, '--config', 'typo.yaml', 'f.js')
    expect(rc == 2 and err == "leakscan: typo.yaml:2: 'ignore' names unknown rule 't-notes' "
                              "(did you mean 't-note'?)\n", (rc, err))
    # A severity that is no severity is named with its rule; an id far
    # from every rule gets no suggestion.
    # A blank reason is no reason; a '*.' domain gets a hint.
    write(d, 'blank.yaml', b'internal_domains: ["*.acme.dev"]\nignore:\n'
                           b'  - rule: t-note\n    reason: "  "\n')
    rc, fs, err = scan(d, '--config', 'blank.yaml', 'f.js')
    expect(rc == 2 and "blank.yaml:3: an ignore entry needs a 'reason' that says something" in err
           and "'*.acme.dev' is not a domain name (write the domain without '*.'" in err,
           (rc, err))
    # A public TLD as an internal domain, and a marker too short to mean
    # anything, are refused; a private TLD is a name a network may use.
    write(d, 'wide.yaml', b'internal_domains: [net, acmecorp]\nmarkers: ["ab", "FALCON"]\n')
    rc, fs, err = scan(d, '--config', 'wide.yaml', 'f.js')
    expect(rc == 2 and err == "leakscan: wide.yaml:1: 'net' is a public top-level domain: name "
           "your own domain under it (e.g. 'acme.net')\n"
           "leakscan: wide.yaml:2: marker 'ab' is too short: at least 3 characters\n", (rc, err))
    write(d, 'sev.yaml', b'severity:\n  t-note: hihg\ndisable: [no-such-rule-at-all]\n')
    rc, fs, err = scan(d, '--config', 'sev.yaml', 'f.js')
    expect(rc == 2 and err == "leakscan: sev.yaml:2: severity of 't-note' is 'hihg', not one of "
                              "info, low, medium, high, critical\n"
                              "leakscan: sev.yaml:3: 'disable' names unknown rule "
                              "'no-such-rule-at-all'\n", (rc, err))


@case
def rules_readme_example_passes(d):
    """The rule in rules/README.md is a working rule: its examples pass."""
    with open(os.path.join(HERE, '..', '..', 'rules', 'README.md'), encoding='utf-8') as f:
        text = f.read()
    block = text.split('```yaml\n', 1)[1].split('```', 1)[0]
    write(d, 'doc/rule.yml', block.encode())
    rc, out, err = run(['rules', 'test', '--no-default-rules', '--rules', 'doc'], d)
    expect(rc == 0 and ', 0 failures' in out and '1 rules' in out, (rc, out, err))


@case
def rules_list_and_test(d):
    rc, out, err = run(['rules', 'list', '--no-default-rules', '--rules', RULES], d)
    expect(rc == 0 and len(out.splitlines()) == 5, out)
    expect(out.splitlines()[0].split()[:3] == ['t-aws-key-id', 'secret', 'critical'], out)
    rc, out, err = run(['rules', 'test', '--no-default-rules', '--rules', RULES], d)
    expect(rc == 0 and '0 failures' in out, (rc, out, err))
    rc, out, err = run(['version'], d)
    expect(rc == 0 and out.startswith('leakscan '), out)
    # ./.leakscan.yaml counts for the list as it does for a scan: a rule it
    # disables is marked, its severities apply, its own rules are there; a
    # disabled rule's pattern is not among those a scan runs; rules test
    # is not changed by it.
    write(d, '.leakscan.yaml', b'disable: [t-aws-key-id]\ninternal_domains: [corp.example.net]\n')
    rc, out, err = run(['rules', 'list', '--no-default-rules', '--rules', RULES], d)
    rows = {l.split()[0]: l.split()[2] for l in out.splitlines()}
    expect(rc == 0 and rows.get('t-aws-key-id') == 'disabled' and
           rows.get('config-internal-domain-1') == 'medium' and len(rows) == 6, (rc, out, err))
    rc, out, err = run(['rules', 'list', '--patterns', '--no-default-rules', '--rules', RULES], d)
    ids = [l.split('\t')[0] for l in out.splitlines()]
    expect(rc == 0 and 't-aws-key-id' not in ids and 'config-internal-domain-1' in ids, out)
    rc, out, err = run(['rules', 'test', '--no-default-rules', '--rules', RULES], d)
    expect(rc == 0 and '0 failures' in out, (rc, out, err))


@case
def threads_same_output(d):
    filler = b''.join(b'line %d of text\n' % i for i in range(300000))
    members = [('p/%03d.txt' % i, filler[: 1000 * i] + ('\n%s\n' % AWS_ID).encode())
               for i in range(0, 200, 7)]
    write(d, 'big.tgz', gz(tar_bytes(members)))
    outs = []
    for j in ('1', '2', '4'):
        rc, out, err = run(['scan', '--no-default-rules', '--rules', RULES, '--format', 'jsonl',
                            '--threads', j, 'big.tgz'], d)
        expect(rc == 1, (j, rc, err))
        outs.append(out)
    expect(outs[0] == outs[1] == outs[2] and outs[0].count('\n') == len(members), outs[0][:300])
    # A compressed member too large to go whole to a worker is decoded
    # ahead on a thread of its own (a .deb's data.tar.xz): same output.
    inner = tar_bytes([('noise.bin', os.urandom(4608 * 1024))] + members[:5])
    write(d, 'nested.tgz', gz(tar_bytes([('a.txt', members[1][1]),
                                         ('data.tar.xz', lzma.compress(inner)),
                                         ('z.txt', members[2][1])])))
    outs = []
    for j in ('1', '2', '4'):
        rc, out, err = run(['scan', '--no-default-rules', '--rules', RULES, '--format', 'jsonl',
                            '--threads', j, 'nested.tgz'], d)
        expect(rc == 1, (j, rc, err))
        outs.append(out)
    expect(outs[0] == outs[1] == outs[2] and outs[0].count('\n') == 7, outs[0][:300])
    expect('"data.tar.xz","p/007.txt"' in outs[0], outs[0][:600])


@case
def threads_prefetch_and_plain_read_ahead(d):
    # With two threads or more, a compressed input of 1 MiB or more starts
    # decompressing while the rules load, and a plain one is read ahead
    # into blocks the workers take: the same output as one thread, limits
    # and damage included, for the input named first and the one after it.
    import random
    rnd = random.Random(11)
    noise = bytes(rnd.getrandbits(8) for _ in range(1536 * 1024))
    body = b''.join(b'%d %x filler\n' % (k, rnd.getrandbits(64)) for k in range(90000))
    members = [('a/one.txt', ('key = %s\n' % AWS_ID).encode()), ('a/noise.bin', noise),
               ('a/big.txt', body + ('\n%s\n' % AWS_ID).encode() + body),
               ('a/two.txt', ('x %s\n' % AWS_ID).encode())]
    tarball = tar_bytes(members)
    write(d, 'big.tgz', gz(tarball))
    write(d, 'big.tar', tarball)
    write(d, 'cut.tgz', gz(tarball)[:-3000])
    expect(len(gz(tarball)) > 1 << 20, len(gz(tarball)))
    # Each case: its arguments, how many AWS key findings, and a note it must hold.
    for args, keys, note in ((['big.tgz', 'big.tar'], 6, None),
                             (['big.tar', 'big.tgz'], 6, None),
                             (['cut.tgz'], 2, 'unreadable-member'),
                             (['--max-total-bytes', '3m', 'big.tgz'], 1, 'max-total-bytes'),
                             (['--max-depth', '0', 'big.tgz'], 0, 'max-depth')):
        outs = []
        for j in ('1', '2', '3'):
            rc, out, err = run(['scan', '--no-default-rules', '--rules', RULES, '--format',
                                'jsonl', '--min-severity', 'info', '--threads', j] + args, d)
            outs.append((rc, out))
        expect(outs[0] == outs[1] == outs[2], (args, outs[0][1][:400], outs[1][1][:400]))
        found = [json.loads(l) for l in outs[0][1].splitlines()]
        expect(sum(f['rule'] == 't-aws-key-id' for f in found) == keys, (args, outs[0][1][:600]))
        expect(note is None or note in outs[0][1], (args, outs[0][1][:600]))
    # A FIFO named first is left alone until the scan opens it: opening it
    # early would start its writer, and closing it again break its pipe.
    import threading
    fifo = os.path.join(d, 'in.fifo')
    os.mkfifo(fifo)
    wrote = []

    def writer():
        try:
            with open(fifo, 'wb') as f:
                f.write(gz(tarball))
            wrote.append(True)
        except OSError as e:
            wrote.append(e)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    rc, fs, err = scan(d, '--threads', '2', 'in.fifo')
    t.join(10)
    expect(wrote == [True] and rc == 1, (wrote, rc, err))
    expect(sum(f['rule'] == 't-aws-key-id' for f in fs) == 3, (len(fs), err))


@case
def stdin_name(d):
    # --stdin-name: standard input goes by the name given, in paths and so
    # in fingerprints (a baseline written from the file applies to the
    # pipe); archives on stdin are opened as ever; a name for no '-' input,
    # or an empty one, is a one-line usage error.
    tgz = gz(tar_bytes([('a/x.txt', ('key = %s\n' % AWS_ID).encode())]))
    write(d, 'pkg.tgz', tgz)
    rc, by_path, err = scan(d, 'pkg.tgz')
    rc2, by_pipe, err2 = scan(d, '--stdin-name', 'pkg.tgz', '-', stdin=tgz)
    expect(rc == rc2 == 1 and by_pipe and by_pipe[0]['path'] == ['pkg.tgz', 'a/x.txt'],
           (rc2, by_pipe, err2))
    expect([f['fingerprint'] for f in by_pipe] == [f['fingerprint'] for f in by_path],
           (by_path, by_pipe))
    rc, fs, err = scan(d, '--stdin-name', 'build/app.js', '-',
                       stdin=('k = %s\n' % AWS_ID).encode())
    expect(rc == 1 and [f['path'] for f in fs] == [['build/app.js']], (rc, fs, err))
    rc, fs, err = scan(d, '-', stdin=('k = %s\n' % AWS_ID).encode())
    expect(rc == 1 and [f['path'] for f in fs] == [['-']], (rc, fs, err))
    for args, what in ((['--stdin-name', 'x.js', 'pkg.tgz'], "no '-' among the inputs"),
                       (['--stdin-name', '', '-'], 'an empty name')):
        rc, out, err = run(['scan'] + args, d, stdin=b'')
        expect(rc == 2 and len(err.strip().splitlines()) == 1 and what in err, (args, rc, err))


@case
def libraries_linked_statically(d):
    # The libraries the build took from their archives (meson.build's
    # static_libs) are not loaded at run time: each shared object costs
    # the loader a mapping, relocations and page faults at every start.
    static = os.environ.get('LEAKSCAN_STATIC_LIBS', '').split()
    out = subprocess.run(['readelf', '-d', BIN], capture_output=True, text=True,
                         check=True).stdout
    needed = [l.split('[', 1)[1].split(']', 1)[0] for l in out.splitlines()
              if '(NEEDED)' in l]
    expect(needed, out)
    loaded = [n for n in needed for lib in static
              if re.match(r'lib%s(-[0-9.]+)?\.so' % re.escape(lib), n)]
    expect(not loaded, (static, needed))


@case
def heap_on_huge_pages(d):
    # The tool's malloc heap runs from a 2 MiB boundary marked for
    # transparent huge pages (a fresh 4 KiB page costs 6-10 us on these
    # VMs; a scan touches hundreds). Looked at while the scan waits on its
    # standard input. Not where there are no huge pages, nor under ASan,
    # whose allocator is not malloc's heap.
    if not os.path.exists('/sys/kernel/mm/transparent_hugepage/enabled'):
        return
    e = dict(os.environ, XDG_CACHE_HOME=os.environ.get('XDG_CACHE_HOME') or
             os.path.join(d, '.cache-test'))
    p = subprocess.Popen([BIN, 'scan', '-q', '-'], cwd=d, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=e)
    try:
        heap = []
        # Until its main thread is in read(0, ...): the scan has begun.
        for _ in range(3000):
            try:
                with open('/proc/%d/syscall' % p.pid) as f:
                    if f.read().startswith('0 0x0 '):
                        break
            except PermissionError:  # not ours to look at: give it time
                subprocess.run(['sleep', '2'])
                break
            subprocess.run(['sleep', '0.01'])
        with open('/proc/%d/smaps' % p.pid) as f:
            smaps = f.read()
        if 'libasan' in smaps:
            return
        region = None
        for line in smaps.splitlines():
            if '-' in line.split(' ')[0] and len(line.split()) >= 5:
                region = line
            elif line.startswith('VmFlags:') and region and region.rstrip().endswith('[heap]'):
                start = int(region.split('-')[0], 16)
                heap.append((start, line.split()[1:]))
        expect(any('hg' in flags and start % (2 << 20) == 0 for start, flags in heap), heap)
    finally:
        p.stdin.close()
        p.wait(timeout=60)


@case
def rules_bench_per_rule_and_per_directory(d):
    # Each content rule alone, then what each directory of rules adds to
    # the whole database; a gzipped reference is read decompressed; a
    # missing one is a one-line error naming it.
    mine = ('rules:\n  - id: m-token\n    name: Mine\n    category: secret\n'
            '    severity: high\n    pattern: \'\\b(MYTOK_[0-9a-f]{16})\\b\'\n'
            '    examples: [\'MYTOK_0123456789abcdef\']\n'
            '    negative_examples: [\'MYTOK_0123\']\n')
    write(d, 'mine/rules.yml', mine.encode())
    body = b''.join(b'line %d MYTOK_%016x %s\n' % (i, i, AWS_ID.encode()) for i in range(2000))
    write(d, 'ref.js.gz', gz(body))
    rc, out, err = run(['rules', 'bench', '--rounds', '2', '--no-default-rules', '--rules', RULES,
                        '--rules', 'mine', 'ref.js.gz'], d)
    expect(rc == 0, (rc, err))
    expect('%.1f MB decompressed' % (len(body) / 1e6) in out, out)
    # 120 KB: too little to time rules apart, and the report says so.
    small_note = 'note: under 1 MB is too little to time rules apart'
    expect(small_note in out, out)
    groups = {}
    for line in out.split('what each directory of rules adds')[1].splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[1].isdigit():
            groups[parts[0]] = int(parts[1])
    content = [l.split()[1] for l in out.splitlines() if l.strip()[:1].isdigit()]
    expect('m-token' in content and 't-aws-key-id' in content, out)
    expect(groups.get('mine') == 1 and sum(groups.values()) == len(content), (groups, out))
    rc, out, err = run(['rules', 'bench', '--no-default-rules', '--rules', RULES, 'nope.js'], d)
    expect(rc == 2 and 'nope.js' in err and len(err.strip().splitlines()) == 1, (rc, err))
    write(d, 'big.js', body * 10)
    rc, out, err = run(['rules', 'bench', '--rounds', '1', '--no-default-rules', '--rules', RULES,
                        'big.js'], d)
    expect(rc == 0 and small_note not in out, (rc, out, err))


@case
def threads_members_kept_in_read_ahead_blocks(d):
    # Members large enough to be jobs of their own reach the workers as the
    # read-ahead blocks they lie in, not as copies: with many of them the
    # blocks are refilled many times over while workers still read pinned
    # ones. Each member keeps its own secret at its own line at any count.
    import random
    rnd = random.Random(7)
    members, want = [], []
    for i in range(60):
        key = 'AKIA' + ''.join(rnd.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(16))
        lines = 3000 + 37 * i
        body = b''.join(b'%d:%d filler for the read-ahead %x\n' % (i, k, rnd.getrandbits(32))
                        for k in range(lines))
        members.append(('m/%02d.txt' % i, body + ('key = %s\n' % key).encode()))
        want.append(['many.tgz', 'm/%02d.txt' % i, lines + 1, key])
    write(d, 'many.tgz', gz(tar_bytes(members)))
    for j in ('1', '2', '3'):
        rc, fs, err = scan(d, '--show-secrets', '--threads', j, 'many.tgz')
        expect(rc == 1, (j, rc, err))
        got = [f['path'] + [f['line'], f['secret']] for f in fs if f['rule'] == 't-aws-key-id']
        expect(got == want, (j, [g for g, w in zip(got, want) if g != w][:3], len(got)))


@case
def flood_capped_per_rule(d):
    write(d, 'bundle.js', b''.join(b'DEBUG-MARKER-%03d\n' % i for i in range(50)) +
          ('%s\n' % AWS_ID).encode())
    rc, fs, err = scan(d, '--min-severity', 'info', 'bundle.js')
    rules = [f['rule'] for f in fs]
    expect(rules.count('t-note') == 20 and rules.count('t-aws-key-id') == 1, rules)
    lim = [f for f in fs if f['rule'] == 'limit-reached']
    expect(len(lim) == 1 and '30 more matches of t-note' in lim[0]['details']['message'], lim)
    rc, fs, err = scan(d, '--max-findings-per-rule', '100', 'bundle.js')
    expect(len(fs) == 51, len(fs))


@case
def capped_rules_said_per_member_in_rule_order(d):
    # 70 rules; --max-findings-per-rule caps each one per member. The limit
    # findings come per member, in rule order, whether a few rules are
    # capped or more than the scanner keeps a list of.
    import base64
    rules = ''.join("  - id: r-%03d\n    name: R%03d\n    category: debug-log\n"
                    "    severity: low\n    pattern: '\\bQ%03dZ[0-9]\\b'\n" % (i, i, i)
                    for i in range(70))
    write(d, 'many-rules.yml', ('rules:\n' + rules).encode())
    blob = base64.b64encode(b'Q002Z1 Q002Z2 Q002Z3 Q002Z4 and some more text here\n').decode()
    write(d, 'few.txt', ('Q001Z1 Q001Z2 Q001Z3\nQ000Z1 Q000Z2 Q000Z3 Q000Z4\n'
                         'blob = "%s"\nQ001Z4\n' % blob).encode())
    write(d, 'many.txt', ''.join('Q%03dZ1 Q%03dZ2\n' % (i, i) for i in range(69, -1, -1)).encode())
    write(d, 'after.txt', b'Q005Z1 Q005Z2 Q005Z3\n')

    def limits(cap, *files):
        rc, out, err = run(['scan', '--format', 'jsonl', '--no-default-rules', '--rules',
                            'many-rules.yml', '--min-severity', 'info', '--threads', '1',
                            '--max-findings-per-rule', str(cap)] + list(files), d)
        fs = [json.loads(x) for x in out.splitlines() if x.strip()]
        return [(f['path'][-1], f['details']['message'].split(': ', 1)[1])
                for f in fs if f['rule'] == 'limit-reached']

    # Capped in the order r-001, r-000, r-002 (the text decoded from base64
    # counts with its file); said in rule order.
    got = limits(2, 'few.txt')
    expect(got == [('few.txt', '%d more matches of r-%03d in this member were not reported '
                    '(the first 2 were)' % (n, i)) for i, n in ((0, 2), (1, 2), (2, 2))], got)
    got = limits(1, 'many.txt', 'after.txt')
    want = [('many.txt', '1 more matches of r-%03d in this member were not reported '
             '(the first 1 were)' % i) for i in range(70)]
    want.append(('after.txt', '2 more matches of r-005 in this member were not reported '
                 '(the first 1 were)'))
    expect(got == want, got[:3] + got[-3:])


@case
def text_lists_ten_per_rule(d):
    # A package with the same kind of finding in every file: text lists ten
    # of a rule and severity per input, counts the rest; JSON lists all.
    members = [('p/%02d.js' % i, b'x DEBUG-MARKER-%03d\n' % i) for i in range(13)]
    write(d, 'pkg.tgz', gz(tar_bytes(members)))
    rc, fs, err = scan(d, '--min-severity', 'low', 'pkg.tgz')
    expect(len(fs) == 13, len(fs))
    rc, out, err = run(['scan', '--no-default-rules', '--rules', RULES, '--min-severity', 'low',
                        '--no-color', 'pkg.tgz'], d)
    listed = [l for l in out.splitlines() if l.startswith('  low       pkg.tgz!')]
    expect(len(listed) == 10, out)
    expect('  low       ... and 3 more t-note findings in this input, not listed '
           '(--format json lists every one)' in out, out)
    expect('13 findings' in out, out)


@case
def input_limits_noted_once_with_threads(d):
    # Every worker scanning an input meets its timeout; only one says so.
    filler = b''.join(b'line %d of plain text\n' % i for i in range(3500))
    members = [('p/%03d.txt' % i, filler) for i in range(200)]
    write(d, 'big.tgz', gz(tar_bytes(members)))
    for j in ('1', '2', '4'):
        rc, fs, err = scan(d, '--threads', j, '--timeout', '1', '--min-severity', 'info',
                           'big.tgz')
        notes = [f for f in fs if 'timeout' in (f['details'].get('message') or '')]
        expect(len(notes) == 1, (j, notes))


@case
def fail_on_partial(d):
    """--fail-on-partial fails the gate on an input not read whole (damage,
    a limit, a timeout); findings folded by --max-findings-per-rule are not
    that (every byte was scanned), and neither is a clean input."""
    write(d, 'clean.tgz', gz(tar_bytes([('p/a.txt', b'nothing here\n')])))
    whole = gz(tar_bytes([('p/a.txt', b'x' * 4000), ('p/b.txt', b'more text\n' * 400)]))
    write(d, 'cut.tgz', whole[:len(whole) // 2])
    write(d, 'flood.js', b''.join(b'DEBUG-MARKER-%03d\n' % i for i in range(50)))
    write(d, 'deep.tgz', gz(tar_bytes([('in.tar', tar_bytes([('x.txt', b'hi\n')]))])))
    for name, args, want_plain, want_gate, why in (
            ('clean.tgz', [], 0, 0, ''),
            ('flood.js', [], 0, 0, ''),
            ('cut.tgz', [], 0, 1, 'damaged'),
            ('deep.tgz', ['--max-depth', '1', '--max-members', '1'], 0, 1, 'a limit reached')):
        rc, fs, err = scan(d, *args, name)
        expect(rc == want_plain, (name, rc, err))
        rc, fs, err = scan(d, '--fail-on-partial', *args, name)
        expect(rc == want_gate, (name, rc, err))
        said = [l for l in err.splitlines() if 'fail-on-partial' in l]
        expect(len(said) == want_gate, (name, err))
        if want_gate:
            expect(said[0] == 'leakscan: %s (%s) was not read whole; failing as '
                   '--fail-on-partial asks' % (name, why), said)
    # The input is named even when a config hides its member notes.
    write(d, 'quiet.yaml', b'ignore:\n  - rule: unreadable-member\n    reason: known\n')
    rc, fs, err = scan(d, '--fail-on-partial', '--config', 'quiet.yaml', 'cut.tgz', 'clean.tgz')
    expect(rc == 1 and err.splitlines()[-1] == 'leakscan: cut.tgz (damaged) was not read whole; '
           'failing as --fail-on-partial asks', (rc, err))
    rc, out, err = run(['scan', '--format', 'json', '--no-default-rules', '--rules', RULES,
                        '--min-severity', 'info', 'flood.js'], d)
    doc = json.loads(out)
    expect(doc['summary']['inputs'][0]['status'] == 'scanned', doc['summary'])
    expect(any(f['rule'] == 'limit-reached' for f in doc['findings']), doc['findings'])
    # A timeout: the same gate, with one or two threads.
    filler = b''.join(b'line %d of plain text\n' % i for i in range(3500))
    write(d, 'big.tgz', gz(tar_bytes([('p/%03d.txt' % i, filler) for i in range(200)])))
    for j in ('1', '2'):
        rc, fs, err = scan(d, '--threads', j, '--timeout', '1', 'big.tgz')
        expect(rc == 0, (j, rc, err))
        rc, fs, err = scan(d, '--threads', j, '--timeout', '1', '--fail-on-partial', 'big.tgz')
        expect(rc == 1 and 'fail-on-partial' in err, (j, rc, err))
    # Findings at --fail-on decide first: exit 1 and no partial line.
    write(d, 'both.tgz', gz(tar_bytes([('p/k.js', CONFIG_JS)]))[:-12])
    rc, fs, err = scan(d, '--fail-on-partial', 'both.tgz')
    expect(rc == 1 and any(f['rule'] == 't-aws-key-id' for f in fs), (rc, err))


@case
def messages_say_what_happened(d):
    """A baseline that cannot be written says why (a full disk, not 'could
    not be read'); an xz stream needing more dictionary memory than allowed
    is said in the same words at any thread count."""
    write(d, 'f.txt', ('%s\n' % AWS_ID).encode())
    rc, fs, err = scan(d, '--write-baseline', '/dev/full', 'f.txt')
    expect(rc == 2 and err.strip() == 'leakscan: --write-baseline /dev/full: cannot write: No '
           'space left on device', (rc, err))
    # An encoder with a 1536 MiB dictionary takes a minute to set up: a small
    # one, whose block header then declares 1536 MiB (LZMA2 dictionary byte
    # 37), with the header's CRC32 made right again.
    big = bytearray(lzma.compress(b'x' * 1000, format=lzma.FORMAT_XZ,
                                  filters=[{'id': lzma.FILTER_LZMA2, 'dict_size': 1 << 20}]))
    hlen = (big[12] + 1) * 4
    at = big.index(b'\x21\x01', 12, 12 + hlen) + 2
    big[at] = 37
    big[12 + hlen - 4:12 + hlen] = struct.pack('<I', zlib.crc32(bytes(big[12:12 + hlen - 4])))
    write(d, 'big.xz', bytes(big))
    said = set()
    for j in ('1', '2'):
        rc, fs, err = scan(d, '--threads', j, 'big.xz')
        said.add(err.strip())
    expect(len(said) == 1 and 'needs more than 128 MiB to decode' in said.pop(), said)


@case
def files_from_line_with_nul(d):
    """A NUL inside a --files-from line would name another file: the line
    is skipped with one line on stderr, the others are scanned, exit 2."""
    write(d, 'a.txt', ('%s\n' % AWS_ID).encode())
    write(d, 'list', b'a.txt\0../../etc/passwd\na.txt\n')
    rc, fs, err = scan(d, '--files-from', 'list')
    expect(rc == 2 and len(fs) == 1 and 'NUL' in err and len(err.splitlines()) == 1, (rc, fs, err))


@case
def database_cache(d):
    write(d, 'f.txt', ('%s\n' % AWS_ID).encode())
    env = {'XDG_CACHE_HOME': os.path.join(d, 'own-cache')}
    rc1, fs1, err = scan(d, 'f.txt', env=env)
    cache = os.path.join(d, 'own-cache', 'leakscan')
    files = os.listdir(cache)
    expect(len(files) == 1 and files[0].startswith('hs-'), files)
    rc2, fs2, err = scan(d, 'f.txt', env=env)
    expect(fs1 == fs2 and rc1 == rc2 == 1, (fs1, fs2))
    with open(os.path.join(cache, files[0]), 'r+b') as f:  # damage it
        f.seek(40)
        f.write(b'garbage' * 50)
    rc3, fs3, err = scan(d, 'f.txt', env=env)
    expect(fs3 == fs1 and err == '', (fs3, err))
    with open(os.path.join(cache, files[0]), 'wb') as f:  # truncate it
        f.write(b'LSHSDB1\n')
    rc4, fs4, err = scan(d, 'f.txt', env=env)
    expect(fs4 == fs1 and err == '', (fs4, err))
    # The content database is used where it is mapped: damage inside it,
    # or a file cut short inside it, is caught before Hyperscan sees it.
    path = os.path.join(cache, files[0])
    size = os.path.getsize(path)
    expect(size > 3 * 4096, size)
    with open(path, 'r+b') as f:
        f.seek(size - size // 3)
        f.write(bytes(b ^ 0x5a for b in f.read(64)))
        f.seek(size - size // 3)
    rc5, fs5, err = scan(d, 'f.txt', env=env)
    expect(fs5 == fs1 and err == '', (fs5, err))
    expect(os.path.getsize(path) == size, 'the damaged file is rebuilt')
    with open(path, 'r+b') as f:
        f.truncate(size - 4096)
    rc6, fs6, err = scan(d, 'f.txt', env=env)
    expect(fs6 == fs1 and err == '' and os.path.getsize(path) == size, (fs6, err))
    # So is the path database, mapped too: its image follows the rule
    # records (magic, u32 count, u32 span, 5 bytes a rule, u64 length,
    # 4 KiB-aligned).
    with open(path, 'rb') as f:
        good = f.read()
    count = int.from_bytes(good[8:12], 'little')
    off = 16 + 5 * count
    n = int.from_bytes(good[off:off + 8], 'little')
    at = (off + 8 + 4095) // 4096 * 4096
    expect(good[:8] == b'LSHSDB6\n' and 4096 < n < size - at, (good[:8], n))
    with open(path, 'r+b') as f:
        f.seek(at + n // 2)
        f.write(bytes(b ^ 0x5a for b in good[at + n // 2:at + n // 2 + 64]))
    rc7, fs7, err = scan(d, 'f.txt', env=env)
    with open(path, 'rb') as f:
        expect(fs7 == fs1 and err == '' and f.read() == good, (fs7, err))
    # Every rule change builds a new database; the cache keeps the newest 8.
    for i in range(11):
        write(d, 'r%d/x.yml' % i, ('rules:\n  - id: t-x\n    category: internal-url\n'
                                   '    severity: low\n'
                                   '    pattern: "zq-marker-%d"\n' % i).encode())
        rc, out, err = run(['scan', '--no-default-rules', '--rules', 'r%d' % i, 'f.txt'], d,
                           env=env)
        expect(rc == 0, (rc, err))
    files = os.listdir(cache)
    expect(len(files) == 8 and all(f.startswith('hs-') for f in files), files)


@case
def summary_counts_what_min_severity_hides(d):
    """--min-severity hides findings; the text summary says how many, and
    the JSON summary counts them per input, at any thread count. A finding
    a config ignores is not counted."""
    members = []
    for i in range(40):
        body = 'x\n' * 10
        if i % 10 == 3:
            body += 'key = "%s"\n' % AWS_ID
        if i % 10 == 5:
            body += 'fetch("http://build01.corp:8080/api")\n'
        members.append(('p/m%02d.js' % i, body.encode()))
    write(d, 'a.tgz', gz(tar_bytes(members)))
    rc, fs, err = scan(d, 'a.tgz', rules=False)
    sevs = sorted(f['severity'] for f in fs)
    expect(rc == 1 and sevs.count('critical') == 4 and len(fs) == 8, (rc, sevs))
    hidden = len(fs) - 4
    for j in ('1', '2'):
        rc, out, err = run(['scan', '--min-severity', 'critical', '--threads', j, 'a.tgz'], d)
        expect(rc == 1 and (': 4 critical, 0 high, 0 medium, 0 low, 0 info; '
                            '%d more below --min-severity, not shown\n' % hidden) in out,
               (j, rc, out, err))
        rc, out, err = run(['scan', '--min-severity', 'critical', '--threads', j,
                            '--format', 'json', 'a.tgz'], d)
        doc = json.loads(out)
        expect(doc['summary']['inputs'][0]['below_min_severity'] == hidden, doc['summary'])
    rc, out, err = run(['scan', 'a.tgz'], d)
    expect('below --min-severity' not in out, out)
    # Info findings, hidden by default by design, are not counted.
    write(d, 'b.js', b'var a = 1;\n//# sourceMappingURL=b.js.map\n')
    rc, fb, err = scan(d, '--min-severity', 'info', 'b.js', rules=False)
    expect([f['severity'] for f in fb] == ['info'], fb)
    rc, out, err = run(['scan', 'b.js'], d)
    expect(rc == 0 and '0 findings: ' in out and 'below --min-severity' not in out, out)
    # What a config ignores is neither shown nor counted as hidden.
    write(d, 'ig.yaml', b'ignore:\n  - rule: internal-tld-url\n    reason: test hosts\n')
    rc, out, err = run(['scan', '--min-severity', 'critical', '--config', 'ig.yaml', 'a.tgz'], d)
    other = sum(1 for f in fs if f['severity'] != 'critical' and f['rule'] != 'internal-tld-url')
    expect(('%d more below' % other) in out if other else 'below --min-severity' not in out,
           (out, err, [f['rule'] for f in fs]))


@case
def fail_on_none_reports_only(d):
    """--fail-on none: findings are reported and never fail the run; a bad
    level names 'none' among the choices; --fail-on-partial still fails."""
    write(d, 'f.txt', ('%s\n' % AWS_ID).encode())
    rc, fs, err = scan(d, 'f.txt')
    expect(rc == 1 and len(fs) == 1, (rc, fs))
    rc2, fs2, err = scan(d, '--fail-on', 'none', 'f.txt')
    expect(rc2 == 0 and fs2 == fs and err == '', (rc2, fs2, err))
    rc, fs3, err = scan(d, '--fail-on', 'none', '--fail-on', 'low', 'f.txt')
    expect(rc == 1, rc)  # the last one given counts
    rc, out, err = run(['scan', '--fail-on', 'nothing', 'f.txt'], d)
    expect(rc == 2 and "'nothing' is not one of info, low, medium, high, critical, none" in err,
           (rc, err))
    whole = gz(tar_bytes([('p/a.bin', bytes(range(256)) * 64 + os.urandom(16384))]))
    write(d, 'cut.tgz', whole[:len(whole) // 2])
    rc, fs4, err = scan(d, '--fail-on', 'none', '--fail-on-partial', 'cut.tgz')
    expect(rc == 1 and 'fail-on-partial' in err, (rc, err))


@case
def named_archive_that_is_not_one(d):
    """A file named on the command line like an archive (.zip, .tgz, ...)
    whose bytes are no archive, an error page or an empty file from a
    failed download, is scanned as data with one damage note; the same
    files met walking a directory, or any other name, get none."""
    write(d, 'dl/fake.zip', b'<html><body>404 Not Found</body></html>\n')
    write(d, 'dl/empty.tgz', b'')
    write(d, 'dl/empty.txt', b'')
    write(d, 'real.tgz', gz(tar_bytes([('p/a.txt', b'hello\n')])))
    rc, fs, err = scan(d, 'dl/fake.zip')
    expect(rc == 0 and fs == [] and err == 'leakscan: dl/fake.zip: named like a .zip archive, '
           'but no archive or compression this scanner reads begins it; scanned as plain '
           'data\n', (rc, fs, err))
    rc, fs, err = scan(d, '--min-severity', 'info', '--fail-on-partial', 'dl/fake.zip')
    expect(rc == 1 and [f['rule'] for f in fs] == ['unreadable-member'], (rc, fs, err))
    rc, fs, err = scan(d, 'dl/empty.tgz')
    expect(rc == 0 and err == 'leakscan: dl/empty.tgz: empty file, though named like a .tgz '
           'archive\n', (rc, err))
    for args in (['dl'], ['dl/empty.txt'], ['real.tgz']):
        rc, fs, err = scan(d, *args)
        expect(rc == 0 and err == '', (args, rc, err))


@case
def format_names_any_case(d):
    """Format names are taken in any case, as severities are."""
    write(d, 'f.txt', ('%s\n' % AWS_ID).encode())
    rc1, out1, err1 = run(['scan', '-f', 'json', 'f.txt'], d)
    rc2, out2, err2 = run(['scan', '-f', 'JSON', '--min-severity', 'High', 'f.txt'], d)
    expect(rc1 == rc2 == 1 and out1 == out2 and err2 == '', (rc1, rc2, err2))
    rc, out, err = run(['scan', '-f', 'xml', 'f.txt'], d)
    expect(rc == 2 and "unknown format 'xml'" in err, (rc, err))


@case
def config_rule_ids_and_docs_glob(d):
    """The ids the config's own rules report (config-internal-domain-N,
    config-marker-N) can be named in disable, severity and ignore; and an
    ignore glob "*/docs/*" covers a docs folder at the top of a scanned
    directory as well as deeper ones."""
    write(d, 'c.yaml', b'internal_domains: [acmeinternal.net]\nmarkers: ["PROJECT FALCON"]\n'
                       b'disable: [config-marker-1]\nseverity:\n  config-internal-domain-1: high\n')
    write(d, 'a.js', b'u = "https://api.acmeinternal.net/x"\n// PROJECT FALCON\n')
    rc, fs, err = scan(d, '--config', 'c.yaml', 'a.js')
    expect(rc == 1 and err == '' and [(f['rule'], f['severity']) for f in fs] ==
           [('config-internal-domain-1', 'high')], (rc, err, fs))
    write(d, 'i.yaml', b'internal_domains: [acmeinternal.net]\nignore:\n'
                       b'  - rule: config-internal-domain-1\n    reason: our own host\n')
    rc, fs, err = scan(d, '--config', 'i.yaml', 'a.js')
    expect(rc == 0 and err == '' and fs == [], (rc, err, fs))
    tree = os.path.join(d, 'tree')
    for name in ('docs/a.txt', 'sub/docs/b.txt', 'top.txt'):
        write(tree, name, ('%s\n' % AWS_ID).encode())
    write(d, 'g.yaml', b'ignore:\n  - rule: t-aws-key-id\n    path: "*/docs/*"\n'
                       b'    reason: docs\n')
    for where, cwd in (('.', tree), ('tree', d)):
        rc, fs, err = scan(cwd, '--config', os.path.join(d, 'g.yaml'), where)
        got = sorted(f['path'][-1] for f in fs)
        expect(got == [os.path.normpath(os.path.join(where, 'top.txt'))], (where, got, err))
    # A tab where YAML wants spaces: one line naming the file, the line and the tab.
    write(d, 't.yaml', b'ignore:\n\t- rule: t-aws-key-id\n')
    rc, fs, err = scan(d, '--config', 't.yaml', 'a.js')
    expect(rc == 2 and len(err.strip().splitlines()) == 1 and 't.yaml:2:' in err and
           'indented with a tab' in err, (rc, err))


@case
def config_file_not_flagged_by_itself(d):
    """Scanning the project a config sits in, the config's own markers and
    domains do not flag the config file itself; the same file shipped
    inside an artifact is scanned like any other (it names them)."""
    proj = os.path.join(d, 'proj')
    write(proj, '.leakscan.yaml', b'internal_domains: [acmeinternal.net]\n'
                                  b'markers: ["PROJECT FALCON"]\n')
    write(proj, 'a.js', b'u = "https://api.acmeinternal.net/x"\n// PROJECT FALCON\n')
    rc, fs, err = scan(proj, '.')
    expect(sorted((f['rule'], f['path'][-1]) for f in fs) ==
           [('config-internal-domain-1', 'a.js'), ('config-marker-1', 'a.js')], (fs, err))
    rc, fs, err = scan(proj, '.leakscan.yaml')
    expect(fs == [], fs)
    with open(os.path.join(proj, '.leakscan.yaml'), 'rb') as f:
        cfg = f.read()
    write(proj, 'ship.tgz', gz(tar_bytes([('package/.leakscan.yaml', cfg)])))
    rc, fs, err = scan(proj, 'ship.tgz')
    expect(sorted(f['rule'] for f in fs) == ['config-internal-domain-1', 'config-marker-1'], fs)


@case
def slow_custom_rule_warns(d):
    """A rule of the user's with no 3-byte literal is loaded but slows every
    scan: one warning line names it; with no_literal_reason, none."""
    rule = ('rules:\n  - id: my-slow\n    category: secret\n    severity: high\n'
            "    pattern: '([a-f0-9]{20})'\n%s"
            '    examples: ["a1b2c3d4e5f6a7b8c9d0", "ffffffffffffffffffff"]\n'
            '    negative_examples: ["xyz", "a1b2"]\n')
    write(d, 'slow/r.yml', (rule % '').encode())
    write(d, 'ok/r.yml', (rule % '    no_literal_reason: hex ids of our own format\n').encode())
    write(d, 'f.txt', b'id = 0123456789abcdef0123\n')
    rc, fs, err = scan(d, '--rules', 'slow', 'f.txt')
    expect([f['rule'] for f in fs] == ['my-slow'] and err ==
           "leakscan: slow/r.yml:5: warning: rule 'my-slow' has no literal of 3+ bytes for "
           "Hyperscan to anchor on, which slows every scan ('leakscan rules check' says more)\n",
           (fs, err))
    rc, fs, err = scan(d, '--rules', 'ok', 'f.txt')
    expect([f['rule'] for f in fs] == ['my-slow'] and err == '', (fs, err))


@case
def unbounded_custom_rule_warns(d):
    """rules check warns, without failing, about a rule whose Hyperscan
    expression has no length bound: its matches are cut, and it keeps every
    large file on one thread. A bounded repeat, or a bounded hs_pattern in
    front of the unbounded pattern, draws no warning."""
    rule = ('rules:\n  - id: my-token\n    category: secret\n    severity: high\n'
            "    pattern: 'mytoken=([A-Za-z0-9]%s)'\n%s"
            "    examples: ['mytoken=Q7m2Zp9Lx4Rk8Vt1', 'mytoken=Z8Yx7Wv6Ut5Sr4Qp3']\n"
            "    negative_examples: ['mytoken=', 'yourtoken']\n")
    write(d, 'open/r.yml', (rule % ('+', '')).encode())
    write(d, 'star/r.yml', (rule % ('{4,}', '')).encode())
    write(d, 'shut/r.yml', (rule % ('{1,256}', '')).encode())
    write(d, 'hs/r.yml', (rule % ('+', "    hs_pattern: 'mytoken=[A-Za-z0-9]{1,256}'\n")).encode())
    for where in ('open', 'star'):
        rc, out, err = run(['rules', 'check', where], d)
        lines = err.splitlines()
        expect(rc == 0 and len(lines) == 1 and
               lines[0].startswith("leakscan: %s/r.yml:5: warning: rule 'my-token' has a "
                                   "repeat with no upper bound" % where) and
               'split between threads' in lines[0], (where, rc, err))
    for where in ('shut', 'hs'):
        rc, out, err = run(['rules', 'check', where], d)
        expect(rc == 0 and err == '', (where, rc, err))
    # A scan says nothing of it: the rule works, only slower on big files.
    write(d, 'f.txt', b'mytoken=Q7m2Zp9Lx4Rk8Vt1Ny6B\n')
    rc, fs, err = scan(d, '--rules', 'open', 'f.txt')
    expect([f['rule'] for f in fs] == ['my-token'] and err == '', (fs, err))


@case
def unwritable_cache_says_so(d):
    """A cache directory that cannot be written costs a compile every run:
    one line on stderr names it, and the scan is otherwise the same."""
    write(d, 'f.txt', ('%s\n' % AWS_ID).encode())
    write(d, 'not-a-dir', b'')
    rc1, fs1, err1 = scan(d, 'f.txt', env={'XDG_CACHE_HOME': os.path.join(d, 'ok-cache')})
    expect(err1 == '', err1)
    rc2, fs2, err2 = scan(d, 'f.txt', env={'XDG_CACHE_HOME': os.path.join(d, 'not-a-dir')})
    lines = err2.splitlines()
    expect(rc2 == rc1 == 1 and fs2 == fs1, (rc1, rc2, fs1, fs2))
    expect(len(lines) == 1 and 'not-a-dir/leakscan' in lines[0] and
           'cannot keep the compiled rules' in lines[0] and 'Not a directory' in lines[0], err2)


def run_main(cases, argv=None):
    """The runner protocol every CLI test file shares: `--list` prints the
    case names (meson registers one test each); `BINARY [--case NAME...]`
    runs them, each in a fresh temporary directory, reporting every
    failure."""
    global BIN
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == '--list':
        print('\n'.join(cases))
        return 0
    BIN = os.path.abspath(argv[0])
    names = argv[argv.index('--case') + 1:] if '--case' in argv else list(cases)
    failed = 0
    for name in names:
        with tempfile.TemporaryDirectory() as d:
            try:
                cases[name](d)
                print('ok', name)
            except Exception as e:  # report every failure, keep going
                failed += 1
                print('FAIL', name, '-', e)
    return 1 if failed else 0


def main():
    return run_main(CASES)


if __name__ == '__main__':
    sys.exit(main())

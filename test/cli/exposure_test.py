#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Command-line tests of what leaks besides keys: .git folders made by real
git, binaries built here with cc -g, base64-wrapped and UTF-16LE secrets.
Run as: exposure_test.py BINARY --case NAME (or --list). Needs git and cc."""
import base64
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402  (the shared helpers: run, write, expect, gz, tar_bytes)
from cli_test import expect, gz, run, tar_bytes, write  # noqa: E402

CASES = {}

AWS_ID = 'AKIAZ3MSJV4WQ7PLXR5T'
AWS_ID2 = 'AKIAQ4MTXW5VR6PNYS3U'

# A rule set of our own, so counts do not move when the built-in rules do.
RULES = r"""
rules:
  - id: x-aws-key-id
    name: AWS access key id
    category: secret
    severity: critical
    pattern: '\b(AKIA[A-Z2-7]{16})\b'
  - id: x-build-path
    name: Build-host path
    category: debug-info
    severity: low
    pattern: '/home/[a-z][a-z0-9_-]{0,31}/[A-Za-z0-9._/-]{1,200}'
  - id: binary-debug-info
    name: Binary with debug information or build-host paths
    category: debug-info
    severity: medium
    target: analyzer
  - id: git-directory
    name: Git repository folder shipped
    category: source-exposure
    severity: high
    target: analyzer
"""
BUILD_PATH_RE = re.compile(rb'/home/[a-z][a-z0-9_-]{0,31}/[A-Za-z0-9._/-]{1,200}')


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def scan(d, *args, default_rules=False):
    base = ['scan', '--format', 'jsonl', '--min-severity', 'info']
    if not default_rules:
        rules = write(d, 'exposure-rules.yml', RULES.encode())
        base += ['--no-default-rules', '--rules', rules]
    rc, out, err = run(base + list(args), d)
    return rc, [json.loads(line) for line in out.splitlines() if line.strip()], err


def sh(args, cwd, env=None):
    e = dict(os.environ)
    e.update({'GIT_AUTHOR_DATE': '2024-01-01T00:00:00Z', 'GIT_COMMITTER_DATE': '2024-01-01T00:00:00Z',
              'GIT_CONFIG_NOSYSTEM': '1', 'HOME': cwd, 'LC_ALL': 'C'})
    if env:
        e.update(env)
    p = subprocess.run(args, cwd=cwd, env=e, capture_output=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError('%r failed: %s' % (args, p.stderr.decode('utf-8', 'replace')))
    return p.stdout.decode()


def make_repo(d, name='repo'):
    """A repository whose secret exists only in its first commit's blob."""
    repo = os.path.join(d, name)
    os.makedirs(repo)
    sh(['git', 'init', '-q', '-b', 'main', '.'], repo)
    sh(['git', 'config', 'user.email', 'dev@example.com'], repo)
    sh(['git', 'config', 'user.name', 'dev'], repo)
    sh(['git', 'remote', 'add', 'origin', 'https://deploy:hunter2hunter2@git.example.com/acme/app.git'],
       repo)
    write(repo, 'config/app.ini', ('[aws]\nregion = eu-west-1\nkey_id = %s\n' % AWS_ID).encode())
    write(repo, 'README', b'app\n')
    sh(['git', 'add', '.'], repo)
    sh(['git', 'commit', '-q', '-m', 'first'], repo)
    blob = sh(['git', 'rev-parse', 'HEAD:config/app.ini'], repo).strip()
    write(repo, 'config/app.ini', b'[aws]\nregion = eu-west-1\nkey_id = ${AWS_KEY_ID}\n')
    sh(['git', 'commit', '-q', '-a', '-m', 'move the key to the environment'], repo)
    sh(['git', 'tag', 'v1'], repo)
    return repo, blob


def git_counts(repo):
    """Loose objects and ref files, counted the way git lays them out."""
    objs = os.path.join(repo, '.git', 'objects')
    loose = sum(len(os.listdir(os.path.join(objs, x))) for x in os.listdir(objs)
                if re.fullmatch('[0-9a-f]{2}', x))
    refs = sum(len(files) for _, _, files in os.walk(os.path.join(repo, '.git', 'refs')))
    return loose, refs


def tar_dir(d, src, out):
    with tarfile.open(os.path.join(d, out), 'w:gz') as t:
        t.add(src, arcname=os.path.basename(src))


def only(fs, rule):
    got = [f for f in fs if f['rule'] == rule]
    expect(len(got) == 1, '%d findings of %s: %r' % (len(got), rule, fs))
    return got[0]


def check_git_findings(fs, prefix, blob, loose, refs):
    secret = only(fs, 'x-aws-key-id')
    obj = 'repo/.git/objects/%s/%s' % (blob[:2], blob[2:])
    expect(secret['path'] == prefix + [obj], secret['path'])
    expect((secret['line'], secret['column']) == (3, 10), secret)
    git = only(fs, 'git-directory')
    expect(git['path'] == prefix + ['repo/.git'], git['path'])
    expect(git['category'] == 'source-exposure' and git['severity'] == 'high', git)
    det = git['details']
    expect(det['loose_objects'] == loose and det['objects'] == loose and det['packs'] == 0, det)
    expect(det['refs'] == refs, (det, refs))
    expect(det['remote'] == 'https://deploy:***@git.example.com/acme/app.git', det)
    expect('hunter2' not in json.dumps(fs), 'remote password leaked into the report')
    expect(sorted(f['rule'] for f in fs) == ['git-directory', 'x-aws-key-id'], fs)


@case
def git_old_commit_secret_in_tgz(d):
    """The issue's acceptance test: a secret only in an old commit's blob."""
    repo, blob = make_repo(d)
    loose, refs = git_counts(repo)
    expect(loose == 9 and refs == 2, (loose, refs))  # 3 commits' worth of objects
    tar_dir(d, repo, 'app.tgz')
    rc, fs, err = scan(d, 'app.tgz')
    expect(rc == 1, 'exit %d: %s' % (rc, err))
    check_git_findings(fs, ['app.tgz'], blob, loose, refs)


@case
def git_directory_walk(d):
    """The same repository scanned as a directory tree gives the same findings."""
    repo, blob = make_repo(d)
    loose, refs = git_counts(repo)
    rc, fs, err = scan(d, 'repo')
    expect(rc == 1, 'exit %d: %s' % (rc, err))
    check_git_findings(fs, [], blob, loose, refs)
    # The folder's finding comes when the walk leaves it, before later files.
    rules = [f['rule'] for f in fs]
    expect(rules.index('git-directory') > rules.index('x-aws-key-id'), rules)


@case
def git_packed_counted(d):
    """After git gc the objects are packed: counted from the pack header."""
    repo, blob = make_repo(d)
    sh(['git', 'gc', '-q', '--prune=now'], repo)
    packs = [f for f in os.listdir(os.path.join(repo, '.git', 'objects', 'pack'))
             if f.endswith('.pack')]
    expect(len(packs) == 1, packs)
    size = os.path.getsize(os.path.join(repo, '.git', 'objects', 'pack', packs[0]))
    count = int(re.search(r'in-pack: (\d+)', sh(['git', 'count-objects', '-v'], repo)).group(1))
    tar_dir(d, repo, 'app.tgz')
    rc, fs, err = scan(d, 'app.tgz')
    det = only(fs, 'git-directory')['details']
    expect(det['packs'] == 1 and det['pack_bytes'] == size, (det, size))
    expect(det['packed_objects'] == count and det['objects'] == count + det['loose_objects'],
           (det, count))
    expect(det['refs'] >= 1, det)  # gc moves refs into packed-refs; both are counted
    # The old blob now lives in the pack, whole or as a delta: still found.
    f = only(fs, 'x-aws-key-id')
    pack = 'repo/.git/objects/pack/' + packs[0]
    expect(f['path'][:2] == ['app.tgz', pack] and
           re.fullmatch(r'(blob|delta)@\d+', f['path'][2]), f['path'])


@case
def git_pack_delta_inserts_scanned(d):
    """A secret that only a delta's inserted bytes hold is found in that delta."""
    repo = os.path.join(d, 'repo')
    os.makedirs(repo)
    sh(['git', 'init', '-q', '-b', 'main', '.'], repo)
    lines = ['line %d %s' % (i, 'abcdefgh' * 5) for i in range(400)]
    # The larger first version becomes the base; the second, with the key, a delta.
    write(repo, 'big.txt', ('\n'.join(lines + ['extra %d' % i for i in range(60)]) + '\n').encode())
    sh(['git', 'add', '.'], repo)
    sh(['git', '-c', 'user.name=d', '-c', 'user.email=d@example.com', 'commit', '-q', '-m', '1'], repo)
    write(repo, 'big.txt', ('\n'.join(lines[:200] + ['aws_key = ' + AWS_ID] + lines[200:]) + '\n').encode())
    sh(['git', '-c', 'user.name=d', '-c', 'user.email=d@example.com', 'commit', '-q', '-a', '-m', '2'],
       repo)
    blob = sh(['git', 'rev-parse', 'HEAD:big.txt'], repo).strip()
    write(repo, 'big.txt', b'gone\n')  # the working copy no longer has it
    sh(['git', 'gc', '-q', '--aggressive', '--prune=now'], repo)
    idx = [f for f in os.listdir(os.path.join(repo, '.git', 'objects', 'pack')) if f.endswith('.idx')]
    entry = [line.split() for line in sh(['git', 'verify-pack', '-v', '.git/objects/pack/' + idx[0]],
                                         repo).splitlines() if line.startswith(blob)][0]
    expect(len(entry) == 7, 'git stored the keyed blob whole, not as a delta: %r' % entry)
    tar_dir(d, repo, 'app.tgz')
    rc, fs, err = scan(d, 'app.tgz')
    f = only(fs, 'x-aws-key-id')
    expect(f['path'][2] == 'delta@' + entry[4], (f['path'], entry))
    expect(rc == 1, rc)


@case
def git_two_folders_one_finding_each(d):
    a = tar_bytes([('a/.git/HEAD', b'ref: refs/heads/main\n'),
                   ('a/.git/refs/heads/main', b'0' * 40 + b'\n'),
                   ('b/sub/.git/config', b'[core]\n\tbare = false\n'),
                   ('b/sub/.git/packed-refs', b'# pack-refs with: peeled\n' + b'1' * 40 +
                    b' refs/heads/x\n^' + b'2' * 40 + b'\n' + b'3' * 40 + b' refs/tags/y\n'),
                   ('a/.github/workflow.yml', b'x\n'),
                   ('c/not.git/HEAD', b'x\n')])
    write(d, 'two.tar', a)
    rc, fs, err = scan(d, 'two.tar')
    got = sorted((f['path'][-1], f['details']['refs'], f['details']['remote']) for f in fs)
    expect(got == [('a/.git', 1, None), ('b/sub/.git', 2, None)], got)


@case
def git_loose_object_damaged(d):
    """A corrupt loose object is damage of that member; the scan goes on."""
    z = __import__('zlib').compress(b'blob 30\0key AKIAQ4MTXW5VR6PNYS3U here\n')
    write(d, 'r.tar', tar_bytes([('.git/objects/ab/' + 'c' * 38, z[:-6] + b'\xff' * 6),
                                 ('.git/objects/cd/' + 'e' * 38, z),
                                 ('.git/objects/ef/' + 'f' * 38, b'not zlib AKIAZ3MSJV4WQ7PLXR5T\n')]))
    rc, fs, err = scan(d, 'r.tar')
    got = sorted((f['rule'], f['path'][-1][:15]) for f in fs)
    expect(got == [('git-directory', '.git'), ('unreadable-member', '.git/objects/ab'),
                   ('x-aws-key-id', '.git/objects/ab'), ('x-aws-key-id', '.git/objects/cd'),
                   ('x-aws-key-id', '.git/objects/ef')], got)


def build_elf(d, flags=('-g',), source=None):
    """cc -g in a temp dir whose path the DWARF records as /home/ci-builder/src."""
    src = tempfile.mkdtemp(prefix='lsbuild', dir='/tmp')
    try:
        write(src, 'main.c', source or (
            b'#include <stdio.h>\n'
            b'int helper(int x) { return x * 3; }\n'
            b'int main(void) { printf("%s %d\\n", __FILE__, helper(2)); return 0; }\n'))
        out = os.path.join(d, 'tool')
        sh(['cc'] + list(flags) + ['-fdebug-prefix-map=%s=/home/ci-builder/src' % src,
                                   '-o', out, os.path.join(src, 'main.c')], src)
    finally:
        for f in os.listdir(src):
            os.unlink(os.path.join(src, f))
        os.rmdir(src)
    with open(out, 'rb') as f:
        return f.read()


@case
def elf_debug_info_reported_once(d):
    data = build_elf(d)
    expect(b'/home/ci-builder/src' in data, 'the DWARF does not carry the mapped path')
    expected = len(BUILD_PATH_RE.findall(data))
    expect(expected >= 2, expected)
    write(d, 'bin.tgz', gz(tar_bytes([('pkg/bin/tool', data),
                                       ('pkg/build.log', b'cc /home/ci-builder/src/main.c\n')])))
    rc, fs, err = scan(d, 'bin.tgz')
    b = only(fs, 'binary-debug-info')
    expect(b['path'] == ['bin.tgz', 'pkg/bin/tool'] and b['severity'] == 'medium', b)
    det = b['details']
    expect(det['format'] == 'ELF' and det['dwarf'] is True, det)
    for s in ('.debug_info', '.debug_line', '.debug_str', '.symtab'):
        expect(s in det['sections'], det['sections'])
    expect(det['build_paths'] == expected, (det['build_paths'], expected))
    expect(0 < len(det['examples']) <= 5 and
           all(e.startswith('/home/ci-builder/src') for e in det['examples']), det['examples'])
    # Per-string findings stay for text files, never inside the binary.
    paths = [f['path'] for f in fs if f['rule'] == 'x-build-path']
    expect(paths == [['bin.tgz', 'pkg/build.log']], paths)


@case
def elf_binary_rule_disabled(d):
    """With the binary finding disabled, the build paths are reported one by one."""
    data = build_elf(d)
    write(d, 'tool', data)
    write(d, 'cfg.yaml', b'disable: [binary-debug-info]\n')
    rc, fs, err = scan(d, '--config', 'cfg.yaml', 'tool')
    rules = [f['rule'] for f in fs]
    expect(rules == ['x-build-path'] * len(BUILD_PATH_RE.findall(data)), rules)


@case
def elf_debug_info_default_rules(d):
    """With the built-in rules: one finding for the binary, no per-string ones."""
    write(d, 'tool', build_elf(d))
    rc, fs, err = scan(d, 'tool', default_rules=True)
    b = only(fs, 'binary-debug-info')
    expect(b['path'] == ['tool'] and '.debug_info' in b['details']['sections'], b)
    # The built-in build-path rules see /home/ci-builder/src/main.c in the DWARF.
    expect(b['details']['build_paths'] >= 1, b['details'])
    expect(any('/home/ci-builder/src' in e for e in b['details']['examples']), b['details'])
    expect([f['rule'] for f in fs if f['category'] == 'debug-info'] == ['binary-debug-info'], fs)


@case
def elf_stripped_and_debuglink(d):
    data = build_elf(d)
    write(d, 'full', data)
    sh(['objcopy', '--only-keep-debug', 'full', 'tool.debug'], d)
    sh(['objcopy', '--strip-all', '--add-gnu-debuglink=tool.debug', 'full', 'linked'], d)
    sh(['objcopy', '--strip-all', 'full', 'stripped'], d)
    sh(['objcopy', '--compress-debug-sections=zlib', 'full', 'zdebug'], d)
    # A stripped Rust-style binary: .debug_gdb_scripts names gdb's
    # pretty-printers and holds no debug information.
    write(d, 'gdbs', b'\x01gdb_load_rust_pretty_printers.py\x00')
    sh(['objcopy', '--add-section', '.debug_gdb_scripts=gdbs', 'stripped', 'rustlike'], d)
    os.unlink(os.path.join(d, 'gdbs'))
    os.unlink(os.path.join(d, 'full'))
    for f in ('tool.debug',):
        os.unlink(os.path.join(d, f))
    rc, fs, err = scan(d, 'linked', 'stripped', 'zdebug', 'rustlike')
    got = {f['path'][0]: f for f in fs if f['rule'] == 'binary-debug-info'}
    expect(sorted(got) == ['linked', 'zdebug'], fs)
    lk = got['linked']
    expect(lk['details']['debug_file'] == 'tool.debug' and lk['details']['dwarf'] is False, lk)
    expect(lk['severity'] == 'info' and '.gnu_debuglink' in lk['details']['sections'], lk)
    z = got['zdebug']['details']
    expect(z['dwarf'] and z['compressed'] and '.debug_info' in z['sections'], z)


@case
def base64_wrapped_secret(d):
    inner = ('[default]\naws_access_key_id = %s\nregion = eu-west-1\n' % AWS_ID).encode()
    b64 = base64.b64encode(inner).decode()
    head = 'apiVersion: v1\nkind: Secret\ndata:\n  credentials: '
    cfg = head + b64 + '\n  note: aGVsbG8=\n'
    # Base64 of binary data and short runs are not decoded.
    cfg += '  blob: ' + base64.b64encode(bytes(range(200, 256)) * 2).decode() + '\n'
    write(d, 'deploy.tgz', gz(tar_bytes([('k8s/secret.yaml', cfg.encode())])))
    rc, fs, err = scan(d, 'deploy.tgz')
    f = only(fs, 'x-aws-key-id')
    expect(f['path'] == ['deploy.tgz', 'k8s/secret.yaml', 'base64@%d' % len(head)], f['path'])
    expect((f['line'], f['column']) == (2, 21), f)
    expect(len(fs) == 1, fs)


@case
def base64_nested_and_wrapped(d):
    """base64 of text holding base64, wrapped at 76 columns: two levels deep."""
    inner = base64.b64encode(('token %s\n' % AWS_ID2).encode())
    mid = b'# generated\nsecret: ' + inner + b'\n'
    outer = base64.encodebytes(mid * 3)
    write(d, 'blob.txt', b'BEGIN\r\n' + outer.replace(b'\n', b'\r\n') + b'END\r\n')
    rc, fs, err = scan(d, 'blob.txt')
    paths = [f['path'] for f in fs if f['rule'] == 'x-aws-key-id']
    off = len(b'# generated\nsecret: ')
    step = len(mid)
    expect(paths == [['blob.txt', 'base64@7', 'base64@%d' % (off + i * step)] for i in range(3)],
           paths)


@case
def utf16le_token_in_binary(d):
    src = ('#include <uchar.h>\n#include <stdio.h>\n'
           'const char16_t key[] = u"aws_key=%s";\n'
           'int main(void) { printf("%%d\\n", (int)key[0]); return 0; }\n' % AWS_ID).encode()
    data = build_elf(d, flags=('-O0',), source=src)
    expect(AWS_ID.encode() not in data and AWS_ID.encode('utf-16le') in data, 'no UTF-16 literal')
    write(d, 'app.tgz', gz(tar_bytes([('bin/app', data),
                                       ('doc/notes.txt', 'key=AKIA'.encode('utf-16le'))])))
    rc, fs, err = scan(d, 'app.tgz')
    f = only(fs, 'x-aws-key-id')
    expect(f['path'] == ['app.tgz', 'bin/app', 'utf16le'] and f['column'] == 9, f)
    expect(rc == 1, rc)


@case
def utf16le_not_in_text(d):
    """Text members get no UTF-16 pass: NUL-free bytes cannot hold UTF-16LE ASCII."""
    write(d, 'a.txt', ('x' * 600 + 'k = %s\n' % AWS_ID).encode())
    rc, fs, err = scan(d, 'a.txt')
    expect([f['path'] for f in fs] == [['a.txt']], fs)


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == '--list':
        print('\n'.join(CASES))
        return 0
    cli_test.BIN = os.path.abspath(argv[0])
    names = argv[argv.index('--case') + 1:] if '--case' in argv else list(CASES)
    failed = 0
    for name in names:
        with tempfile.TemporaryDirectory() as d:
            try:
                CASES[name](d)
                print('ok', name)
            except Exception as e:  # report every failure, keep going
                failed += 1
                print('FAIL', name, '-', e)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Command-line tests of the artifact formats: zip and its family, ar and
.deb, rpm (cpio payloads), xz/bzip2/zstd, 7z, docker-save and OCI image
tarballs, and the hostile inputs each limit exists for (bombs, deep chains,
truncation, bogus central directories, hostile names). Artifacts are made
with the standard tools (zip, ar, dpkg-deb, xz, zstd, bzip2, bsdtar) or the
small writers below, with a fake secret planted; findings are asserted
with their full nested path. Hostile inputs also assert wall time and the
scanner's own peak RSS (GNU time).
Run as: formats_test.py BINARY --case NAME (or --list)."""
import binascii
import bz2
import ctypes
import ctypes.util
import gzip
import hashlib
import io
import json
import lzma
import os
import struct
import tarfile
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402  (shared helpers)
from cli_test import expect, gz, tar_bytes, write  # noqa: E402

CASES = {}
SECRET = 'AKIAQ4MTXW5VR6PNYS3U'
SECRET_LINE = ('aws_key = "%s"\n' % SECRET).encode()
MIB = 1 << 20
RSS_LIMIT_KIB = 256 * 1024
HOSTILE_SECONDS = 30  # "seconds": generous for sanitizer builds

RULES = r"""
rules:
  - id: f-aws-key-id
    name: AWS access key id
    category: secret
    severity: critical
    pattern: '\b(AKIA[A-Z2-7]{16})\b'
  - id: f-marker
    name: Marker
    category: debug-log
    severity: low
    pattern: 'DEBUG-MARKER-[0-9]{3}'
  - id: image-layer-deleted-file
    name: File deleted in a later image layer is still in the image
    category: sensitive-file
    severity: low
    target: analyzer
"""


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def run_measured(args, cwd, timeout=300):
    """Runs the binary; returns (rc, stdout, stderr, seconds, peak RSS in KiB).
    GNU time measures the scanner alone: a fork of this interpreter would
    count the interpreter's pages too (Linux keeps the peak across exec)."""
    env = dict(os.environ)
    env.pop('NO_COLOR', None)
    fd, rss_file = tempfile.mkstemp(dir=cwd)
    os.close(fd)
    t0 = time.monotonic()
    p = subprocess.run(['/usr/bin/time', '-f', '%M', '-o', rss_file, cli_test.BIN] + args,
                       cwd=cwd, capture_output=True, env=env, timeout=timeout)
    secs = time.monotonic() - t0
    with open(rss_file) as f:
        rss = int(f.read().split()[-1])
    os.unlink(rss_file)
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'), secs, rss)


def scan(d, *args, fmt='jsonl'):
    rules = write(d, 'formats-rules.yml', RULES.encode())
    rc, out, err, secs, rss = run_measured(
        ['scan', '--format', fmt, '--no-default-rules', '--rules', rules,
         '--min-severity', 'info'] + list(args), d)
    if fmt != 'jsonl':
        return rc, out, err, secs, rss
    return rc, [json.loads(x) for x in out.splitlines() if x.strip()], err, secs, rss


def paths(fs, rule='f-aws-key-id'):
    return sorted(tuple(f['path']) for f in fs if f['rule'] == rule)


def rules_of(fs):
    return sorted(f['rule'] for f in fs)


def msg(f):
    return (f.get('details') or {}).get('message', '')


def hostile_ok(rc, secs, rss, what):
    print('  %s: exit %d, %.2f s, peak RSS %.1f MiB' % (what, rc, secs, rss / 1024.0))
    expect(rc in (0, 1, 2), '%s: exit %d' % (what, rc))
    expect(secs < HOSTILE_SECONDS, '%s: took %.1f s' % (what, secs))
    expect(rss < RSS_LIMIT_KIB, '%s: peak RSS %d KiB' % (what, rss))


def tool(d, *argv, stdin=None):
    subprocess.run(list(argv), cwd=d, check=True, input=stdin, capture_output=True)


def tree(d, root, files):
    for name, data in files.items():
        write(d, os.path.join(root, name), data)


# ---- small writers ----

def zip_bytes(members, compression=zipfile.ZIP_DEFLATED, zip64=False, stream=False):
    """members: list of (name, bytes). stream=True writes to an unseekable
    sink, so every entry gets a data descriptor (flag bit 3)."""
    class Sink(io.RawIOBase):
        def __init__(self):
            self.b = bytearray()

        def writable(self):
            return True

        def write(self, data):
            self.b += data
            return len(data)

    sink = Sink() if stream else io.BytesIO()
    with zipfile.ZipFile(sink, 'w', compression) as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            zi.compress_type = compression
            with z.open(zi, 'w', force_zip64=zip64) as f:
                f.write(data)
    return bytes(sink.b) if stream else sink.getvalue()


def cpio_newc(members):
    out = bytearray()
    ino = 1
    for name, data, mode in members + [('TRAILER!!!', b'', 0)]:
        nb = name.encode() + b'\0'
        hdr = b'070701' + b''.join(b'%08X' % v for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0))
        out += hdr + nb
        out += b'\0' * ((4 - len(out) % 4) % 4)
        out += data
        out += b'\0' * ((4 - len(out) % 4) % 4)
        ino += 1
    return bytes(out)


def rpm_header(tags):
    """tags: list of (tag, type, bytes value, count). Returns a header structure."""
    index, store = b'', b''
    for tag, typ, value, count in tags:
        index += struct.pack('>iiii', tag, typ, len(store), count)
        store += value
    return b'\x8e\xad\xe8\x01\0\0\0\0' + struct.pack('>ii', len(tags), len(store)) + index + store


def rpm_bytes(files, compressor, scriptlet=b''):
    """A minimal rpm: lead, signature header, header, compressed cpio payload."""
    lead = b'\xed\xab\xee\xdb\x03\x00' + b'\0\x00' + b'\0\x01' + b'demo-1.0-1'.ljust(66, b'\0')
    lead += b'\0\x01' + b'\0\x05' + b'\0' * 16
    assert len(lead) == 96
    sig = rpm_header([(1000, 4, struct.pack('>i', 0), 1)])  # SIZE
    sig += b'\0' * ((8 - len(sig) % 8) % 8)
    payload = cpio_newc([(n, d, 0o100644) for n, d in files])
    comp = {'gzip': lambda b: gzip.compress(b, mtime=0), 'xz': lzma.compress,
            'bzip2': bz2.compress, 'none': lambda b: b}.get(compressor)
    if comp:
        packed = comp(payload)
    else:
        packed = subprocess.run(['zstd', '-q', '-c'], input=payload, check=True,
                                capture_output=True).stdout
    hdr = rpm_header([(1000, 6, b'demo\0', 1), (1024, 6, scriptlet + b'\0', 1),
                      (1124, 6, b'cpio\0', 1), (1125, 6, compressor.encode() + b'\0', 1)])
    return lead + sig + hdr + packed


def deflate_zeros(total, chunk=MIB):
    """Raw deflate of @total zero bytes, built from one repeated piece (a full
    flush makes every chunk compress the same), so 10 GB takes no time."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    c.compress(b'\0' * chunk)
    c.flush(zlib.Z_FULL_FLUSH)
    piece = c.compress(b'\0' * chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush(zlib.Z_FINISH)
    return piece * (total // chunk) + tail


def crc_zeros(total, chunk=MIB):
    lib = ctypes.CDLL(ctypes.util.find_library('z') or 'libz.so.1')
    lib.crc32_combine64.restype = ctypes.c_ulong
    lib.crc32_combine64.argtypes = [ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int64]
    one = zlib.crc32(b'\0' * chunk)
    crc, n = 0, 0
    while n < total:
        crc = lib.crc32_combine64(crc, one, chunk)
        n += chunk
    return crc


def raw_zip(entries):
    """entries: (name, method, crc, usize, compressed bytes); zip64 fields
    whenever a size passes 4 GiB."""
    out, cd = bytearray(), bytearray()
    for name, method, crc, usize, data in entries:
        nb = name.encode()
        big = usize >= 0xffffffff or len(data) >= 0xffffffff
        extra = struct.pack('<HHQQ', 1, 16, usize, len(data)) if big else b''
        off = len(out)
        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 45 if big else 20, 0, method, 0, 0x21,
                           crc, 0xffffffff if big else len(data),
                           0xffffffff if big else usize, len(nb), len(extra)) + nb + extra
        out += data
        cextra = struct.pack('<HHQQQ', 1, 24, usize, len(data), off) if big else b''
        cd += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45 if big else 20, 0, method, 0,
                          0x21, crc, 0xffffffff if big else len(data),
                          0xffffffff if big else usize, len(nb), len(cextra), 0, 0, 0, 0,
                          0xffffffff if big else off) + nb + cextra
    cd_off = len(out)
    out += cd
    z64 = len(out)
    out += struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, len(entries), len(entries),
                       len(cd), cd_off)
    out += struct.pack('<IIQI', 0x07064b50, 0, z64, 1)
    out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
    return bytes(out)


def layer_tar(members, gzipped=True):
    """A layer: tar members (name, bytes); gzipped as docker pushes them."""
    t = tar_bytes(members)
    return gz(t) if gzipped else t


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---- zip family ----

@case
def zip_family_by_content(d):
    """zip by the zip tool, stored and deflated; names say nothing."""
    tree(d, 'src', {'conf/app.properties': SECRET_LINE, 'notes.txt': b'nothing here\n' * 50})
    tool(os.path.join(d, 'src'), 'zip', '-qr', '../deflated.bin', '.')
    tool(os.path.join(d, 'src'), 'zip', '-q0r', '../stored.whl', '.')
    os.rename(os.path.join(d, 'deflated.bin'), os.path.join(d, 'app.jar'))
    rc, fs, err, _, _ = scan(d, 'app.jar', 'stored.whl')
    expect(paths(fs) == [('app.jar', 'conf/app.properties'),
                         ('stored.whl', 'conf/app.properties')], fs)
    expect(rc == 1 and rules_of(fs) == ['f-aws-key-id'] * 2, (rc, fs, err))


@case
def zip_nested_fat_jar_and_wheel_in_sdist(d):
    inner = zip_bytes([('com/acme/Config.class', b'\xca\xfe\xba\xbe' + SECRET_LINE)])
    fat = zip_bytes([('META-INF/MANIFEST.MF', b'Manifest-Version: 1.0\n'),
                     ('BOOT-INF/lib/acme-core-1.0.jar', inner)], compression=zipfile.ZIP_STORED)
    write(d, 'app-boot.jar', fat)
    whl = zip_bytes([('acme/settings.py', b'KEY = "%s"\n' % SECRET.encode())])
    write(d, 'acme-1.0.tar.gz', gz(tar_bytes([('acme-1.0/dist/acme-1.0-py3-none-any.whl', whl)])))
    rc, fs, err, _, _ = scan(d, 'app-boot.jar', 'acme-1.0.tar.gz')
    expect(paths(fs) == [
        ('acme-1.0.tar.gz', 'acme-1.0/dist/acme-1.0-py3-none-any.whl', 'acme/settings.py'),
        ('app-boot.jar', 'BOOT-INF/lib/acme-core-1.0.jar', 'com/acme/Config.class')], fs)


@case
def zip64_and_data_descriptors(d):
    """zip64 records and streamed entries with data descriptors, read by the
    central directory and, past --max-member-bytes, by local headers."""
    filler = os.urandom(200 * 1024)
    members = [('a/filler.bin', filler), ('a/b/key.txt', SECRET_LINE),
               ('a/stored.txt', b'DEBUG-MARKER-101\n')]
    write(d, 'z64.zip', zip_bytes(members, zip64=True))
    write(d, 'dd.zip', zip_bytes(members, stream=True))
    write(d, 'dd64.zip', zip_bytes(members, stream=True, zip64=True))
    for name in ('z64.zip', 'dd.zip', 'dd64.zip'):
        for extra in ([], ['--max-member-bytes', '64k']):
            rc, fs, err, _, _ = scan(d, name, *extra)
            expect(paths(fs) == [(name, 'a/b/key.txt')], (name, extra, fs))
            expect(paths(fs, 'f-marker') == [(name, 'a/stored.txt')], (name, extra, fs))
            limits = [msg(f) for f in fs if f['rule'] == 'limit-reached']
            if extra:
                expect(len(limits) == 1 and 'max-member-bytes' in limits[0] and
                       'local headers' in limits[0], (name, limits))
            else:
                expect(limits == [], (name, limits))
            expect(not [f for f in fs if f['rule'] == 'unreadable-member'], (name, extra, fs))


@case
def zip_comments_scanned(d):
    """The archive's comment and an entry's comment are scanned as members
    of their own, by the central directory and, past --max-member-bytes, by
    the local headers (then the central directory is read for them)."""
    def build():
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, 'w', zipfile.ZIP_DEFLATED) as z:
            z.comment = b'built by ci\n' + SECRET_LINE
            zi = zipfile.ZipInfo('a/notes.txt', (2024, 1, 1, 0, 0, 0))
            zi.comment = b'DEBUG-MARKER-202'
            z.writestr(zi, b'plain words\n')
            z.writestr(zipfile.ZipInfo('a/filler.bin', (2024, 1, 1, 0, 0, 0)),
                       os.urandom(200 * 1024))
            zi = zipfile.ZipInfo('a/dir/', (2024, 1, 1, 0, 0, 0))
            zi.comment = b'DEBUG-MARKER-203'
            z.writestr(zi, b'')
        return bio.getvalue()
    write(d, 'c.zip', build())
    want_key = [('c.zip', '(zip comment)')]
    want_marks = [('c.zip', 'a/dir/ (comment)'), ('c.zip', 'a/notes.txt (comment)')]
    for extra in ([], ['--max-member-bytes', '64k'], ['--threads', '1'],
                  ['--threads', '2', '--max-member-bytes', '64k']):
        rc, fs, err, _, _ = scan(d, 'c.zip', *extra)
        expect(paths(fs) == want_key, (extra, fs))
        expect(paths(fs, 'f-marker') == want_marks, (extra, fs))
        key = [f for f in fs if f['rule'] == 'f-aws-key-id'][0]
        expect((key['line'], key['column']) == (2, 12), key)
        expect(not [f for f in fs if f['rule'] == 'unreadable-member'], (extra, fs))
    # No comment, no extra member.
    write(d, 'plain.zip', zip_bytes([('k.txt', SECRET_LINE)]))
    rc, out, err, _, _ = scan(d, 'plain.zip', fmt='json')
    expect(json.loads(out)['summary']['inputs'][0]['members'] == 1, out)


@case
def bad_header_resyncs_tar_ar_cpio(d):
    """A header whose size field is not a number cannot be stepped over: as
    GNU tar and bsdtar do, the next header is searched for and the members
    after it are scanned; the damage is one unreadable-member finding."""
    good = SECRET_LINE
    # tar: the second header's size is letters (its checksum made valid).
    t = bytearray(tar_bytes([('good.txt', good), ('bad.txt', b'x' * 700),
                             ('good2.txt', good)]))
    hdr = 512 + 512  # after good.txt's header and its one data block
    t[hdr + 124:hdr + 136] = b'zzzzzzzzzzz\0'
    t[hdr + 148:hdr + 156] = b' ' * 8
    t[hdr + 148:hdr + 156] = b'%06o\0 ' % sum(t[hdr:hdr + 512])
    write(d, 'mid.tar', bytes(t))
    # ar: the second member's size field is letters.
    def ar_member(name, data, size=None):
        h = b'%-16s%-12d%-6d%-6d%-8s%-10s`\n' % (name, 0, 0, 0, b'100644',
                                                 size if size is not None else
                                                 str(len(data)).encode())
        return h + data + (b'\n' if len(data) % 2 else b'')
    a = b'!<arch>\n' + ar_member(b'good.txt/', good) + \
        ar_member(b'bad.txt/', b'y' * 50, b'zz') + ar_member(b'good2.txt/', good)
    write(d, 'mid.a', a)
    # cpio (newc): the second header's file size is not hex.
    c = bytearray(cpio_newc([('good.txt', good, 0o100644), ('bad.txt', b'z' * 40, 0o100644),
                             ('good2.txt', good, 0o100644)]))
    second = c.index(b'070701', 6)
    c[second + 54:second + 62] = b'zzzzzzzz'
    write(d, 'mid.cpio', bytes(c))
    # pax: a size record that is no number.
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w', format=tarfile.PAX_FORMAT) as tf:
        for name, pax in (('good.txt', {}), ('bad.txt', {'size': '12x'}), ('good2.txt', {})):
            ti = tarfile.TarInfo(name)
            ti.size = len(good)
            ti.pax_headers = pax
            tf.addfile(ti, io.BytesIO(good))
    write(d, 'pax.tar', bio.getvalue())
    rc, fs, err, _, _ = scan(d, 'pax.tar')
    expect(('pax.tar', 'good2.txt') in paths(fs) and 'bad size in a tar pax header' in err,
           (fs, err))
    for name in ('mid.tar', 'mid.a', 'mid.cpio'):
        for j in ('1', '2'):
            rc, fs, err, _, _ = scan(d, '--threads', j, name)
            expect(paths(fs) == [(name, 'good.txt'), (name, 'good2.txt')], (name, j, fs))
            dmg = [msg(f) for f in fs if f['rule'] == 'unreadable-member']
            expect(len(dmg) == 1 and ('next header' in dmg[0] or 'next valid header' in dmg[0]),
                   (name, dmg))
            expect(rc == 1, (name, rc, err))


@case
def zip_entries_outside_the_central_directory(d):
    """A local entry the central directory does not list (or lists at a
    wrong offset, or an empty directory) is what an extractor going by
    local headers writes: it is read by its local header and said once;
    a stored jar inside a listed entry is not taken for one."""
    def local(name, data):
        return struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 0, 0, 0, zlib.crc32(data),
                           len(data), len(data), len(name), 0) + name + data

    def central(name, data, off):
        return struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, 0, 0, 0,
                           zlib.crc32(data), len(data), len(data), len(name), 0, 0, 0, 0, 0,
                           off) + name

    def eocd(n, size, off):
        return struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, n, n, size, off, 0)
    la, lh = local(b'a.txt', b'hello\n'), local(b'hidden.txt', SECRET_LINE)
    cd = central(b'a.txt', b'hello\n', 0)
    write(d, 'hidden.zip', la + lh + cd + eocd(1, len(cd), len(la) + len(lh)))
    lx = local(b'x.txt', SECRET_LINE)
    write(d, 'empty_cd.zip', lx + eocd(0, 0, len(lx)))
    cd = central(b'x.txt', SECRET_LINE, 0x7fffffff)
    write(d, 'bad_offset.zip', lx + cd + eocd(1, len(cd), len(lx)))
    inner = zip_bytes([('k.txt', SECRET_LINE)], compression=zipfile.ZIP_STORED)
    write(d, 'nested.zip', zip_bytes([('lib/inner.jar', inner), ('b.txt', b'x')],
                                     compression=zipfile.ZIP_STORED))
    for name, member in (('hidden.zip', 'hidden.txt'), ('empty_cd.zip', 'x.txt'),
                         ('bad_offset.zip', 'x.txt')):
        for j in ('1', '2'):
            rc, fs, err, _, _ = scan(d, '--threads', j, name)
            expect(paths(fs) == [(name, member)] and rc == 1, (name, j, fs))
            notes = [msg(f) for f in fs if f['rule'] == 'unreadable-member' and
                     'not in the central directory' in msg(f)]
            expect(len(notes) == 1, (name, notes))
    rc, fs, err, _, _ = scan(d, 'nested.zip')
    expect(paths(fs) == [('nested.zip', 'lib/inner.jar', 'k.txt')] and
           not [f for f in fs if f['rule'] == 'unreadable-member'], fs)


@case
def many_findings_stream_in_bounded_memory(d):
    """100,000 findings: jsonl, sarif and gitlab write each as it comes, so
    the scanner's memory does not grow with them (sarif and gitlab held
    them all before)."""
    import random
    rnd = random.Random(3)
    alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w') as tf:
        for i in range(10000):
            data = ''.join('k%d = "AKIA%s"\n' % (k, ''.join(rnd.choice(alpha) for _ in range(16)))
                           for k in range(10)).encode()
            ti = tarfile.TarInfo('p/f%05d.js' % i)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    write(d, 'many.tgz', gz(bio.getvalue()))
    peak = {}
    for fmt in ('jsonl', 'sarif', 'gitlab'):
        rc, out, err, secs, peak[fmt] = scan(d, '--threads', '1', 'many.tgz', fmt=fmt)
        n = (len(out) if fmt == 'jsonl' else len(json.loads(out)['runs'][0]['results'])
             if fmt == 'sarif' else len(json.loads(out)['vulnerabilities']))
        print('  %s: %d findings, peak RSS %.1f MiB' % (fmt, n, peak[fmt] / 1024.0))
        expect(rc == 1 and n > 99000, (fmt, rc, n, err[:300]))  # a few look like placeholders
    # Relative to jsonl, which never held findings: the same whatever a
    # sanitizer's allocator keeps (holding them all was 6x jsonl's peak).
    for fmt in ('sarif', 'gitlab'):
        expect(peak[fmt] < peak['jsonl'] * 1.5 + 16 * 1024, peak)


@case
def zip_other_methods(d):
    """bzip2 and xz members (methods 12 and 95) through the same decoders."""
    write(d, 'bz.zip', zip_bytes([('k/bz.txt', SECRET_LINE)], compression=zipfile.ZIP_BZIP2))
    write(d, 'xz.zip', zip_bytes([('k/xz.txt', SECRET_LINE)], compression=zipfile.ZIP_LZMA))
    rc, fs, err, _, _ = scan(d, 'bz.zip', 'xz.zip')
    expect(paths(fs) == [('bz.zip', 'k/bz.txt')], fs)
    # Method 14 is zip's own LZMA framing, which we do not read: said so.
    bad = [f for f in fs if f['rule'] == 'unreadable-member']
    expect(len(bad) == 1 and bad[0]['path'] == ['xz.zip', 'k/xz.txt'] and
           'method 14' in msg(bad[0]), bad)


@case
def zip_encrypted_member_reported(d):
    tree(d, 'src', {'plain.txt': SECRET_LINE, 'locked.txt': b'DEBUG-MARKER-202\n'})
    tool(os.path.join(d, 'src'), 'zip', '-q', '../open.zip', 'plain.txt')
    tool(os.path.join(d, 'src'), 'zip', '-q', '-P', 'hunter2', '../open.zip', 'locked.txt')
    rc, fs, err, _, _ = scan(d, 'open.zip')
    expect(paths(fs) == [('open.zip', 'plain.txt')], fs)
    bad = [f for f in fs if f['rule'] == 'unreadable-member']
    expect(len(bad) == 1 and bad[0]['path'] == ['open.zip', 'locked.txt'], bad)
    expect('encrypted' in msg(bad[0]) and not paths(fs, 'f-marker'), bad)


@case
def zip_entries_inflated_by_workers(d):
    """A jar too big to go whole to a worker, inside a .tar.gz: its entries
    are inflated on the worker threads (a nested jar with them), with the
    same findings in the same order as on one thread."""
    filler = [('lib/f%03d.bin' % i, os.urandom(40000)) for i in range(120)]
    inner = zip_bytes([('com/acme/Inner.class', b'\xca\xfe\xba\xbe' + SECRET_LINE)])
    secrets = [('conf/k%02d.properties' % i, b'x=1\n' * i + SECRET_LINE) for i in range(12)]
    big = zip_bytes(filler[:60] + secrets[:6] + [('BOOT-INF/lib/inner.jar', inner)] +
                    filler[60:] + secrets[6:] + [('notes/DEBUG.txt', b'DEBUG-MARKER-404\n')])
    expect(len(big) > (4 << 20), len(big))
    write(d, 'app.tar.gz', gz(tar_bytes([('app/app.jar', big), ('app/x.txt', SECRET_LINE)])))
    outs = []
    for j in ('1', '2', '3'):
        rc, fs, err, _, _ = scan(d, '--threads', j, 'app.tar.gz')
        expect(rc == 1, (j, rc, err))
        outs.append(fs)
    want = ([('app.tar.gz', 'app/app.jar', n) for n, _ in secrets[:6]] +
            [('app.tar.gz', 'app/app.jar', 'BOOT-INF/lib/inner.jar', 'com/acme/Inner.class')] +
            [('app.tar.gz', 'app/app.jar', n) for n, _ in secrets[6:]] +
            [('app.tar.gz', 'app/x.txt')])
    got = [tuple(f['path']) for f in outs[0] if f['rule'] == 'f-aws-key-id']
    expect(got == want, got)
    expect(paths(outs[0], 'f-marker') == [('app.tar.gz', 'app/app.jar', 'notes/DEBUG.txt')],
           outs[0])
    expect(outs[0] == outs[1] == outs[2], 'output differs between 1, 2 and 3 threads')


@case
def zip_large_entries_first_same_output(d):
    """Zip entries that expand to a megabyte or more are taken by the
    workers before the smaller entries queued ahead of them; findings still
    come in the archive's order, the same at 1, 2 and 3 threads."""
    def big(tag):
        body = binascii.hexlify(os.urandom(320 << 10)) + b'\n'
        return SECRET_LINE + body + b'# ' + tag + b'\n' + body + SECRET_LINE
    # Enough small entries ahead (batches of them) that the workers are
    # still busy with those when the large ones are queued.
    small = [('src/m%03d.txt' % i, binascii.hexlify(os.urandom(1500)) + b'\n' +
              (SECRET_LINE if i % 50 == 0 else b'')) for i in range(400)]
    members = small[:200] + [('assets/a.txt', big(b'a'))] + small[200:] + \
        [('assets/b.txt', big(b'b')), ('assets/c.txt', big(b'c'))]
    write(d, 'app.zip', zip_bytes(members))
    outs = []
    for j in ('1', '2', '3'):
        rc, fs, err, _, _ = scan(d, '--threads', j, 'app.zip')
        expect(rc == 1, (j, rc, err))
        outs.append([(f['path'][-1], f['line']) for f in fs if f['rule'] == 'f-aws-key-id'])
    want = []
    for name, data in members:
        want += [(name, n + 1) for n, line in enumerate(data.split(b'\n'))
                 if line + b'\n' == SECRET_LINE]
    expect(outs[0] == want, (outs[0], want))
    expect(outs[0] == outs[1] == outs[2], 'output differs between 1, 2 and 3 threads')


@case
def zip_member_damage_same_at_any_size_and_thread_count(d):
    """A CRC mismatch is said for a member smaller than the sniffer's
    read-ahead as for a large one, and a member holding more than its
    declared size is cut there and said to be: the same findings at 1 and
    2 threads, read by the central directory and by local headers."""
    small = SECRET_LINE
    # Incompressible enough that the zip outgrows --max-member-bytes 64k.
    large = SECRET_LINE + os.urandom(60000).hex().encode() + b'\n'
    over = b'DEBUG-MARKER-303\n' + b'x' * 100
    bad_crc = lambda b: (zlib.crc32(b) ^ 0x5a5a) & 0xffffffff
    z = raw_zip([('small.cfg', 0, bad_crc(small), len(small), small),
                 ('large.cfg', 8, bad_crc(large), len(large), zlib.compress(large)[2:-4]),
                 ('over.txt', 0, zlib.crc32(over[:17]), 17, over),
                 ('fine.txt', 0, zlib.crc32(SECRET_LINE), len(SECRET_LINE), SECRET_LINE)])
    write(d, 'damaged.zip', z)
    want_bad = [(['damaged.zip', 'small.cfg'], 'zip member CRC mismatch (stored %08x, computed %08x)'
                 % (bad_crc(small), zlib.crc32(small))),
                (['damaged.zip', 'large.cfg'], 'zip member CRC mismatch (stored %08x, computed %08x)'
                 % (bad_crc(large), zlib.crc32(large))),
                (['damaged.zip', 'over.txt'],
                 'zip member holds more than its declared 17 bytes; the rest was not scanned')]
    outs = []
    for extra in ([], ['--max-member-bytes', '64k']):
        for j in ('1', '2'):
            rc, fs, err, _, _ = scan(d, '--threads', j, *extra, 'damaged.zip')
            bad = [(f['path'], msg(f)) for f in fs if f['rule'] == 'unreadable-member']
            expect(bad == want_bad, (j, extra, bad))
            limits = [msg(f) for f in fs if f['rule'] == 'limit-reached']
            expect(len(limits) == (1 if extra else 0), (j, extra, limits))
            expect(paths(fs) == [('damaged.zip', 'fine.txt'), ('damaged.zip', 'large.cfg'),
                                 ('damaged.zip', 'small.cfg')], (j, extra, fs))
            expect(paths(fs, 'f-marker') == [('damaged.zip', 'over.txt')], (j, extra, fs))
            expect(rc == 1, (j, extra, rc, err))
            if not extra:
                outs.append([f for f in fs])
    expect(outs[0] == outs[1], 'output differs between 1 and 2 threads')


@case
def byte_budget_ends_the_input_at_any_thread_count(d):
    """--max-total-bytes crossed inside small compressed members (scanned
    in a batch on a worker): the rest of the input is skipped at every
    thread count, with one limit finding, as at one thread."""
    text = b'lorem ipsum dolor sit amet consectetur adipiscing elit\n' * (9 * 1024 * 1024 // 56)
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w', format=tarfile.USTAR_FORMAT) as t:
        for i in range(8):
            blob = gzip.compress(text, 6, mtime=0)
            ti = tarfile.TarInfo('part%d.txt.gz' % i)
            ti.size = len(blob)
            t.addfile(ti, io.BytesIO(blob))
        ti = tarfile.TarInfo('z.cfg')
        ti.size = len(SECRET_LINE)
        t.addfile(ti, io.BytesIO(SECRET_LINE))
    write(d, 'budget.tar', bio.getvalue())
    outs = []
    for j in ('1', '2', '8'):
        rc, fs, err, _, _ = scan(d, '--threads', j, '--max-total-bytes', '10M', 'budget.tar')
        limits = [(f['path'], msg(f)) for f in fs if f['rule'] == 'limit-reached']
        expect(rc == 0 and paths(fs) == [] and len(limits) == 1 and
               limits[0][1].startswith('max-total-bytes') and len(err.splitlines()) == 1,
               (j, rc, limits, err))
        outs.append(fs)
    expect(outs[0] == outs[1] == outs[2], 'output differs between thread counts')


@case
def compressible_start_is_not_a_bomb(d):
    """A tar whose first 64 MiB compress far beyond 200:1 but which is
    modest as a whole (random data after): read to the end as .tar.gz and
    as a multi-block .tar.xz, at 1 and 2 threads alike."""
    line = b'lorem ipsum dolor sit amet consectetur adipiscing elit\n'
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w', format=tarfile.USTAR_FORMAT) as t:
        for name, data in (('big.txt', line * (70 * MIB // len(line))),
                           ('noise.bin', os.urandom(6 * MIB)), ('z.cfg', SECRET_LINE)):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    raw = bio.getvalue()
    write(d, 'mix.tar.gz', gzip.compress(raw, 9, mtime=0))
    # Several xz blocks, as xz -T writes them, which liblzma decodes on
    # several threads: the bytes it has read are then far ahead.
    write(d, 'mix.tar', raw)
    tool(d, 'xz', '-T2', '-1', '--block-size=8MiB', '-k', '-f', 'mix.tar')
    for name in ('mix.tar.gz', 'mix.tar.xz'):
        outs = []
        for j in ('1', '2'):
            rc, fs, err, _, _ = scan(d, '--threads', j, name)
            expect(paths(fs) == [(name, 'z.cfg')] and rc == 1 and
                   not [f for f in fs if f['rule'] == 'limit-reached'], (name, j, rc, fs, err))
            outs.append(fs)
        expect(outs[0] == outs[1], (name, 'output differs between 1 and 2 threads'))


@case
def input_ratio_said_once_at_any_thread_count(d):
    """An input's own compression crossing --max-ratio is the input's
    ratio as a whole: one limit finding, where the bytes were being
    scanned, the same at 1 and 2 threads (the outer decoder, on the
    read-ahead thread at 2, used to say it too)."""
    line = b'lorem ipsum dolor sit amet consectetur adipiscing elit\n'
    raw = tar_bytes([('big.txt', line * (70 * MIB // len(line))),
                     ('noise.bin', os.urandom(6 * MIB)), ('z.cfg', SECRET_LINE)])
    write(d, 'ratio.tar.gz', gzip.compress(raw, 6, mtime=0))
    outs = []
    for j in ('1', '2', '2'):
        rc, fs, err, _, _ = scan(d, '--threads', j, '--max-ratio', '5', 'ratio.tar.gz')
        lim = [(f['path'], msg(f)) for f in fs if f['rule'] == 'limit-reached']
        expect(rc == 0 and paths(fs) == [] and len(lim) == 1 and
               lim[0][0] == ['ratio.tar.gz', 'big.txt'] and 'as a whole' in lim[0][1],
               (j, rc, lim, err))
        outs.append((fs, err))
    # The message names the bound crossed, not how far past it a thread got.
    expect(outs[0] == outs[1] == outs[2], outs)


@case
def ar_resync_into_damage_ends(d):
    """An ar whose bad header starts a search for the next one, inside a
    gzip stream cut short: the search meets the damage and the archive
    ends there (it repeated the bad-header note forever)."""
    ar = b'!<arch>\n' + b'x' * 60 + bytes(range(256)) * 40
    g = gzip.compress(ar, 6, mtime=0)
    write(d, 'cut.a.gz', g[:len(g) // 2])
    rc, fs, err, secs, rss = scan(d, 'cut.a.gz')
    hostile_ok(rc, secs, rss, 'ar resync into damage')
    bad = [msg(f) for f in fs if f['rule'] == 'unreadable-member']
    expect(len(bad) == 2 and bad[0].startswith('bad ar member header at offset 8') and
           bad[1].startswith('truncated gzip stream'), bad[:5])


@case
def gzip_checksum_after_an_unpadded_tar(d):
    """A .tar.gz whose tar stops right after a member's data (no padding)
    and whose gzip checksum is wrong: the checksum is what is said, at any
    thread count, and the member was scanned."""
    data = SECRET_LINE + b'x' * 950
    raw = tar_bytes([('a.cfg', data)])
    g = bytearray(gzip.compress(raw[:512 + len(data)], 6, mtime=0))
    g[-8] ^= 1
    write(d, 'unpadded.tar.gz', bytes(g))
    for j in ('1', '2'):
        rc, fs, err, _, _ = scan(d, '--threads', j, 'unpadded.tar.gz')
        bad = [(f['path'], msg(f)) for f in fs if f['rule'] == 'unreadable-member']
        expect(paths(fs) == [('unpadded.tar.gz', 'a.cfg')] and
               bad == [(['unpadded.tar.gz'], 'corrupt gzip data: checksum mismatch')],
               (j, bad, err))


@case
def crx_extension(d):
    z = zip_bytes([('background.js', b'const k = "%s";\n' % SECRET.encode())])
    header = b'Cr24' + struct.pack('<II', 3, 9) + b'\x12\x07proto!!'
    write(d, 'ext.crx', header + z)
    rc, fs, err, _, _ = scan(d, 'ext.crx')
    expect(paths(fs) == [('ext.crx', 'background.js')], fs)
    expect(not [f for f in fs if f['rule'] == 'unreadable-member'], fs)


# ---- ar, deb, rpm, cpio ----

@case
def deb_packages(d):
    """dpkg-deb with each compressor: data.tar.* is opened by content."""
    tree(d, 'pkg', {'DEBIAN/control': b'Package: demo\nVersion: 1.0\nArchitecture: all\n'
                                      b'Maintainer: x <x@example.com>\nDescription: demo\n',
                    'etc/demo/secret.conf': SECRET_LINE})
    want = []
    for comp, ext in (('xz', '.xz'), ('zstd', '.zst'), ('gzip', '.gz'), ('none', '')):
        name = 'demo-%s.deb' % comp
        tool(d, 'dpkg-deb', '--root-owner-group', '-Z' + comp, '--build', 'pkg', name)
        want.append((name, 'data.tar' + ext, './etc/demo/secret.conf'))
    rc, fs, err, _, _ = scan(d, *[w[0] for w in want])
    expect(paths(fs) == sorted(want), fs)
    expect(rules_of(fs) == ['f-aws-key-id'] * 4, fs)


@case
def ar_long_names(d):
    """GNU ar (the ar tool: a "//" table) and BSD ar (#1/N) long names."""
    tree(d, 'o', {'a-rather-long-member-name.conf': SECRET_LINE, 'short.txt': b'DEBUG-MARKER-303\n'})
    tool(os.path.join(d, 'o'), 'ar', 'rc', '../gnu.a', 'a-rather-long-member-name.conf',
         'short.txt')
    name = b'bsd-style-long-name.conf'
    body = name + SECRET_LINE
    bsd = b'!<arch>\n' + (b'#1/%d' % len(name)).ljust(16) + b'0'.ljust(12) + b'0'.ljust(6) * 2 + \
        b'644'.ljust(8) + str(len(body)).encode().ljust(10) + b'`\n' + body
    write(d, 'bsd.a', bsd + (b'\n' if len(body) % 2 else b''))
    rc, fs, err, _, _ = scan(d, 'gnu.a', 'bsd.a')
    expect(paths(fs) == [('bsd.a', 'bsd-style-long-name.conf'),
                         ('gnu.a', 'a-rather-long-member-name.conf')], fs)
    expect(paths(fs, 'f-marker') == [('gnu.a', 'short.txt')], fs)


@case
def rpm_payloads(d):
    files = [('./etc/demo/secret.conf', SECRET_LINE), ('./usr/share/doc/demo/README', b'hi\n')]
    want = []
    for comp in ('gzip', 'xz', 'zstd', 'bzip2', 'none'):
        name = 'demo-%s.rpm' % comp
        write(d, name, rpm_bytes(files, comp, scriptlet=b'echo DEBUG-MARKER-404'))
        want.append((name, './etc/demo/secret.conf'))
    rc, fs, err, _, _ = scan(d, *[w[0] for w in want])
    expect(paths(fs) == sorted(want), fs)
    expect(paths(fs, 'f-marker') == sorted((w[0], '<rpm header>') for w in want), fs)
    expect(not [f for f in fs if f['rule'] in ('unreadable-member', 'limit-reached')], fs)


@case
def rpm_built_by_rpmbuild(d):
    """A real package, when rpmbuild is installed (setup.sh installs it)."""
    spec = write(d, 'top/SPECS/demo.spec', b"""Name: demo
Version: 1.0
Release: 1
Summary: demo
License: MIT
BuildArch: noarch
%description
demo
%install
mkdir -p %{buildroot}/etc/demo
printf 'aws_key = "AKIAQ4MTXW5VR6PNYS3U"\\n' > %{buildroot}/etc/demo/secret.conf
%files
/etc/demo/secret.conf
""")
    subprocess.run(['rpmbuild', '-bb', '--quiet', '--define', '_topdir ' + os.path.join(d, 'top'),
                    '--define', '__os_install_post %{nil}', spec], check=True,
                   capture_output=True)
    rpms = [os.path.join(r, f) for r, _, fs in os.walk(os.path.join(d, 'top', 'RPMS'))
            for f in fs]
    expect(len(rpms) == 1, rpms)
    os.rename(rpms[0], os.path.join(d, 'real.rpm'))
    rc, fs, err, _, _ = scan(d, 'real.rpm')
    expect(paths(fs) == [('real.rpm', './etc/demo/secret.conf')], (fs, err))


@case
def cpio_newc_and_odc(d):
    write(d, 'a.cpio', cpio_newc([('conf/key.txt', SECRET_LINE, 0o100600),
                                  ('conf', b'', 0o40755), ('link', b'conf/key.txt', 0o120777)]))
    tree(d, 'odc', {'x/key.txt': SECRET_LINE})
    subprocess.run('find x | cpio -o -H odc > ../b.cpio', shell=True, check=True,
                   cwd=os.path.join(d, 'odc'), capture_output=True)
    rc, fs, err, _, _ = scan(d, 'a.cpio', 'b.cpio')
    expect(paths(fs) == [('a.cpio', 'conf/key.txt'), ('b.cpio', 'x/key.txt')], fs)


# ---- compression filters ----

@case
def compressed_tars_and_singles(d):
    t = tar_bytes([('pkg/conf/key.txt', SECRET_LINE)])
    write(d, 'a.tar.xz', lzma.compress(t))
    write(d, 'a.tar.bz2', bz2.compress(t))
    write(d, 'a.tar', t)
    tool(d, 'zstd', '-q', 'a.tar', '-o', 'a.tar.zst')
    os.remove(os.path.join(d, 'a.tar'))
    # Single files, and concatenated streams (the secret in the second).
    write(d, 'one.xz', lzma.compress(b'first\n') + lzma.compress(SECRET_LINE))
    write(d, 'one.bz2', bz2.compress(b'first\n') + bz2.compress(SECRET_LINE))
    write(d, 'plain', b'first\n')
    write(d, 'plain2', SECRET_LINE)
    tool(d, 'zstd', '-q', 'plain', '-o', 'p1.zst')
    tool(d, 'zstd', '-q', 'plain2', '-o', 'p2.zst')
    with open(os.path.join(d, 'one.zst'), 'wb') as f:
        for p in ('p1.zst', 'p2.zst'):
            f.write(open(os.path.join(d, p), 'rb').read())
    rc, fs, err, _, _ = scan(d, 'a.tar.xz', 'a.tar.bz2', 'a.tar.zst', 'one.xz', 'one.bz2',
                             'one.zst')
    expect(paths(fs) == [('a.tar.bz2', 'pkg/conf/key.txt'), ('a.tar.xz', 'pkg/conf/key.txt'),
                         ('a.tar.zst', 'pkg/conf/key.txt'), ('one.bz2',), ('one.xz',),
                         ('one.zst',)], fs)
    expect([f['line'] for f in fs if f['path'] == ['one.xz']] == [2], fs)


@case
def seven_zip_via_libarchive(d):
    tree(d, 's', {'deep/dir/key.txt': SECRET_LINE, 'other.txt': b'DEBUG-MARKER-505\n'})
    tool(os.path.join(d, 's'), 'bsdtar', '--format', '7zip', '-cf', '../a.7z', 'deep', 'other.txt')
    rc, fs, err, _, _ = scan(d, 'a.7z')
    expect(paths(fs) == [('a.7z', 'deep/dir/key.txt')], fs)
    expect(paths(fs, 'f-marker') == [('a.7z', 'other.txt')], fs)
    # It needs random access: past --max-member-bytes it is not opened, and said so.
    write(d, 'big.7z', open(os.path.join(d, 'a.7z'), 'rb').read() + os.urandom(100 * 1024))
    rc, fs, err, _, _ = scan(d, '--max-member-bytes', '64k', 'big.7z')
    lim = [f for f in fs if f['rule'] == 'limit-reached']
    expect(len(lim) == 1 and lim[0]['path'] == ['big.7z'] and 'max-member-bytes' in msg(lim[0]),
           fs)


# ---- container images ----

def docker_save(d, name, layers, tag='acme/app:1.0', legacy=True):
    """A docker-save-shaped tarball: layers first, manifest.json last.
    layers: list of tar member lists (name, bytes)."""
    members, order = [], []
    config = json.dumps({'rootfs': {'type': 'layers', 'diff_ids': []}}).encode()
    for i, lm in enumerate(layers):
        blob = layer_tar(lm, gzipped=(i == 0))
        if legacy:
            lid = sha(blob + bytes([i]))
            members += [(lid + '/VERSION', b'1.0'), (lid + '/json', b'{}'),
                        (lid + '/layer.tar', blob)]
            order.append(lid + '/layer.tar')
        else:
            members.append(('blobs/sha256/' + sha(blob), blob))
            order.append('blobs/sha256/' + sha(blob))
    cfg = (sha(config) + '.json') if legacy else 'blobs/sha256/' + sha(config)
    members.append((cfg, config))
    manifest = [{'Config': cfg, 'RepoTags': [tag], 'Layers': order}]
    members.append(('manifest.json', json.dumps(manifest).encode()))
    members.append(('repositories', b'{}'))
    write(d, name, tar_bytes(members))
    return order


@case
def python_bytecode_constants(d):
    """A secret held as a .pyc string constant is found (a marshal type
    letter right after it defeats a rule's \\b), at the constant's line in
    the list of constants, inside a wheel."""
    write(d, 'settings.py', ('HOST = "db"\nKEY = "%s"\n' % SECRET).encode())
    tool(d, 'python3', '-c', "import py_compile; py_compile.compile('settings.py', "
         "cfile='settings.pyc', doraise=True)")
    with open(os.path.join(d, 'settings.pyc'), 'rb') as f:
        pyc = f.read()
    expect(SECRET.encode() in pyc, 'the constant is in the bytecode')
    with zipfile.ZipFile(os.path.join(d, 'demo-1.0-py3-none-any.whl'), 'w') as z:
        z.writestr('demo/__pycache__/settings.cpython-311.pyc', pyc)
    rc, fs, err, _, _ = scan(d, 'demo-1.0-py3-none-any.whl')
    expect(paths(fs) == [('demo-1.0-py3-none-any.whl', 'demo/__pycache__/settings.cpython-311.pyc')]
           and rc == 1, fs)
    # A .pyc whose marshal data does not parse, and text appended to a
    # valid one: the text is still scanned.
    write(d, 'junk.pyc', pyc[:16] + b'\x01\x02' + SECRET_LINE + b'\x03 more plain text here')
    write(d, 'tail.pyc', pyc + b'\n' + SECRET_LINE)
    for name, want in (('junk.pyc', 1), ('tail.pyc', 2)):  # tail: the constant too
        rc, fs, err, _, _ = scan(d, name)
        expect(paths(fs) == [(name,)] * want and rc == 1, (name, fs))


@case
def sparse_tar_members(d):
    """GNU tar's sparse files, old GNU format (extent tables after the
    header, extended past four extents) and pax 1.0 (a map leading the
    data, the real name in GNU.sparse.name): the stored extents are
    scanned, under the file's name; the member after is read too."""
    with open(os.path.join(d, 'sparse.bin'), 'wb') as f:
        for i in range(6):  # six extents: one extended table block
            f.seek(i * 4 * MIB)
            f.write(b'extent %d\n' % i)
        f.write(SECRET_LINE)
        f.seek(30 * MIB)
        f.write(b'end\n')
    write(d, 'after.txt', SECRET_LINE)
    for fmt in ('gnu', 'posix'):
        tool(d, 'tar', '--sparse', '--format=' + fmt, '-cf', fmt + '.tar', 'sparse.bin',
             'after.txt')
        rc, fs, err, _, _ = scan(d, fmt + '.tar')
        expect(paths(fs) == [(fmt + '.tar', 'after.txt'), (fmt + '.tar', 'sparse.bin')] and
               rc == 1 and err == '', (fmt, fs, err))
    os.unlink(os.path.join(d, 'sparse.bin'))


@case
def docker_save_with_whiteout(d):
    order = docker_save(d, 'img.tar', [
        [('etc/app/', None), ('etc/app/.env', SECRET_LINE), ('etc/app/keep.txt', b'ok\n'),
         ('var/cache/x/a.txt', b'DEBUG-MARKER-606\n')],
        [('etc/app/.wh..env', b''), ('var/cache/.wh..wh..opq', b''), ('usr/bin/tool', b'bin')],
    ])
    rc, fs, err, _, _ = scan(d, 'img.tar')
    expect(paths(fs) == [('img.tar', order[0], 'etc/app/.env')], fs)
    deleted = [f for f in fs if f['rule'] == 'image-layer-deleted-file']
    expect(sorted(f['details']['file'] for f in deleted) == ['etc/app/.env',
                                                              'var/cache/x/a.txt'], deleted)
    for f in deleted:
        expect(f['path'] == ['img.tar', order[0]], f['path'])
        expect(f['details']['deleted_in'] == order[1] and f['details']['layer_index'] == 0 and
               f['details']['deleted_in_index'] == 1, f['details'])
        expect(f['details']['image'] == 'acme/app:1.0', f['details'])
        expect(f['details']['reason'] == 'deleted in a later layer', f['details'])
    rc, out, err, _, _ = scan(d, 'img.tar', fmt='text')
    expect('etc/app/.env was deleted in a later layer (%s) but is still in the image' % order[1]
           in out, out)

    # The whole thing gzipped (docker save | gzip) reads the same.
    write(d, 'img.tar.gz', gz(open(os.path.join(d, 'img.tar'), 'rb').read()))
    rc, fs2, err, _, _ = scan(d, 'img.tar.gz')
    expect(len([f for f in fs2 if f['rule'] == 'image-layer-deleted-file']) == 2, fs2)
    expect(paths(fs2) == [('img.tar.gz', order[0], 'etc/app/.env')], fs2)


@case
def oci_layout_image(d):
    """OCI image layout: index.json -> manifest blob -> layer digests."""
    l0 = layer_tar([('app/config/secret.yaml', SECRET_LINE), ('app/main.py', b'print(1)\n')])
    l1 = layer_tar([('app/config/.wh.secret.yaml', b''), ('app/.wh..env', b'')])
    cfg = b'{"architecture":"amd64","os":"linux"}'
    manifest = json.dumps({'schemaVersion': 2, 'config': {'digest': 'sha256:' + sha(cfg)},
                           'layers': [{'digest': 'sha256:' + sha(l0)},
                                      {'digest': 'sha256:' + sha(l1)}]}).encode()
    index = json.dumps({'schemaVersion': 2, 'manifests': [
        {'digest': 'sha256:' + sha(manifest),
         'annotations': {'org.opencontainers.image.ref.name': 'acme/oci:2'}}]}).encode()
    write(d, 'oci.tar', tar_bytes([
        ('blobs/', None), ('blobs/sha256/', None),
        ('blobs/sha256/' + sha(l0), l0), ('blobs/sha256/' + sha(l1), l1),
        ('blobs/sha256/' + sha(cfg), cfg), ('blobs/sha256/' + sha(manifest), manifest),
        ('index.json', index), ('oci-layout', b'{"imageLayoutVersion":"1.0.0"}')]))
    rc, fs, err, _, _ = scan(d, 'oci.tar')
    layer0 = 'blobs/sha256/' + sha(l0)
    expect(paths(fs) == [('oci.tar', layer0, 'app/config/secret.yaml')], fs)
    deleted = [f for f in fs if f['rule'] == 'image-layer-deleted-file']
    expect(len(deleted) == 1 and deleted[0]['path'] == ['oci.tar', layer0] and
           deleted[0]['details']['file'] == 'app/config/secret.yaml' and
           deleted[0]['details']['image'] == 'acme/oci:2', deleted)
    # With the built-in rules a whiteout (an empty marker) is no .env file.
    rc, out, err = cli_test.run(['scan', '--format', 'jsonl', '--min-severity', 'info', 'oci.tar'],
                                d)
    named = [json.loads(x)['path'][-1] for x in out.splitlines()]
    expect('app/config/secret.yaml' in named and not any('.wh.' in n for n in named), named)


# ---- hostile inputs ----

@case
def zip_bomb_10gb(d):
    """One entry of 10 GB of zeros (about 10 MB compressed, zip64)."""
    total = 10 * 1024 * MIB
    data = deflate_zeros(total)
    write(d, 'bomb.zip', raw_zip([('zeros.bin', 8, crc_zeros(total), total, data),
                                  ('after.txt', 0, zlib.crc32(SECRET_LINE), len(SECRET_LINE),
                                   SECRET_LINE)]))
    rc, fs, err, secs, rss = scan(d, 'bomb.zip')
    hostile_ok(rc, secs, rss, 'zip bomb')
    lim = [f for f in fs if f['rule'] == 'limit-reached']
    expect(len(lim) == 1 and lim[0]['path'] == ['bomb.zip', 'zeros.bin'], lim)
    expect('max-ratio' in msg(lim[0]) and 'of its declared 10737418240 bytes not scanned'
           in msg(lim[0]), msg(lim[0]))
    expect(paths(fs) == [('bomb.zip', 'after.txt')], 'the next member is still scanned')
    rc, out, err, secs, rss = scan(d, 'bomb.zip', fmt='text')
    expect('1 limit reached (at least 8.0 GiB not scanned)' in out, out)


@case
def recursive_zip_bomb(d):
    """42.zip-style: zips of 16 zips, four levels, 1 GiB of zeros at each leaf."""
    leaf_size = 1024 * MIB
    data = deflate_zeros(leaf_size)
    level = raw_zip([('0.bin', 8, crc_zeros(leaf_size), leaf_size, data)])
    for depth in range(4):
        level = zip_bytes([('lib%d_%d.zip' % (depth, i), level) for i in range(16)])
    write(d, '42.zip', level)
    rc, fs, err, secs, rss = scan(d, '42.zip')
    hostile_ok(rc, secs, rss, '42.zip')
    lim = [msg(f) for f in fs if f['rule'] == 'limit-reached']
    expect(lim and any('as a whole' in m for m in lim), lim)
    expect(len(fs) < 50, 'one input-wide stop, not a finding per leaf: %d' % len(fs))


@case
def tar_gzip_chain_50(d):
    data = SECRET_LINE
    for i in range(50):
        data = gz(tar_bytes([('level%02d.tar.gz' % i if i else 'key.txt', data)]))
    write(d, 'chain.tgz', data)
    rc, fs, err, secs, rss = scan(d, 'chain.tgz')
    hostile_ok(rc, secs, rss, '50-level chain')
    expect(rules_of(fs) == ['limit-reached'] and 'max-depth' in msg(fs[0]), fs)
    expect(rc == 0, rc)
    rc, fs, err, secs, rss = scan(d, '--max-depth', '64', 'chain.tgz')
    hostile_ok(rc, secs, rss, '50-level chain, depth 64')
    expect(rules_of(fs) == ['limit-reached'] and len(fs[0]['path']) == 33, fs)


@case
def truncated_tar_xz(d):
    filler = os.urandom(300 * 1024)
    t = tar_bytes([('p/first.txt', SECRET_LINE), ('p/big.bin', filler)])
    xz = lzma.compress(t)
    write(d, 'cut.tar.xz', xz[: len(xz) // 2])
    rc, fs, err, secs, rss = scan(d, 'cut.tar.xz')
    hostile_ok(rc, secs, rss, 'truncated .tar.xz')
    expect(rules_of(fs) == ['f-aws-key-id', 'unreadable-member'], fs)
    bad = [f for f in fs if f['rule'] == 'unreadable-member'][0]
    expect(bad['path'] == ['cut.tar.xz', 'p/big.bin'] and 'truncated xz stream' in msg(bad), bad)
    expect(rc == 1, rc)


@case
def multi_block_xz_same_at_any_thread_count(d):
    """An .xz of many blocks (as xz 5.4 writes by default) decodes on
    several threads with --threads: the same findings as on one, and when
    a block is damaged, the same findings before the same damage."""
    import random
    rnd = random.Random(5)
    members = [('p/%02d.txt' % i, b''.join(b'%d filler %x\n' % (k, rnd.getrandbits(48))
                                          for k in range(2000 + 50 * i)) + SECRET_LINE)
               for i in range(24)]
    t = tar_bytes(members)
    p = subprocess.run(['xz', '-T2', '--block-size=65536', '-c'], input=t, capture_output=True,
                       check=True)
    xz = p.stdout
    write(d, 'many.tar.xz', xz)
    blocks = subprocess.run(['xz', '--robot', '-l', os.path.join(d, 'many.tar.xz')],
                            capture_output=True, check=True).stdout.decode()
    expect(int([l for l in blocks.splitlines() if l.startswith('totals')][0].split()[2]) > 10,
           blocks)
    bad = bytearray(xz)
    bad[len(bad) // 2] ^= 0x55
    for name, blob in (('many.tar.xz', xz), ('bad.tar.xz', bytes(bad))):
        write(d, name, blob)
        outs = []
        for j in ('1', '2', '3'):
            rc, fs, err, secs, rss = scan(d, '--threads', j, name)
            expect(rc == 1, (name, j, rc, err))
            outs.append(fs)
        expect(outs[0] == outs[1] == outs[2], (name, 'differs between 1, 2 and 3 threads'))
        keys = paths(outs[0], 'f-aws-key-id')
        if name == 'many.tar.xz':
            expect(keys == [(name, m) for m, _ in members], keys)
        else:
            expect(0 < len(keys) < len(members) and 'unreadable-member' in rules_of(outs[0]),
                   outs[0])


@case
def zip_bogus_central_directory(d):
    good = bytearray(zip_bytes([('one.txt', b'DEBUG-MARKER-707\n'), ('two/key.txt', SECRET_LINE)]))
    eocd = good.rfind(b'PK\x05\x06')
    bad_off = bytearray(good)
    struct.pack_into('<I', bad_off, eocd + 16, 0x7fffffff)         # CD offset past the end
    bad_cnt = bytearray(good)
    struct.pack_into('<HHI', bad_cnt, eocd + 8, 0xfff0, 0xfff0, 0xfffffff0)  # counts, size
    bad_entry = bytearray(good)
    cd = good.find(b'PK\x01\x02')
    bad_entry[cd + 28: cd + 30] = b'\xff\xff'                       # name runs off the end
    for name, blob in (('off.zip', bad_off), ('count.zip', bad_cnt), ('entry.zip', bad_entry)):
        write(d, name, bytes(blob))
        rc, fs, err, secs, rss = scan(d, name)
        hostile_ok(rc, secs, rss, name)
        expect(paths(fs) == [(name, 'two/key.txt')], (name, fs))
        expect(paths(fs, 'f-marker') == [(name, 'one.txt')], (name, fs))
        bad = [f for f in fs if f['rule'] == 'unreadable-member']
        expect(len(bad) == 1 and 'central directory' in msg(bad[0]), (name, bad))
    # No central directory, garbage between entries: the local headers are
    # read, the garbage reported once, and the next entry found again.
    a = zip_bytes([('a.txt', SECRET_LINE)], stream=True)
    b = zip_bytes([('b.txt', b'DEBUG-MARKER-708\n')], stream=True)
    write(d, 'junk.zip', a[: a.find(b'PK\x01\x02')] + b'\x00junk' * 200 +
          b[: b.find(b'PK\x01\x02')])
    rc, fs, err, secs, rss = scan(d, 'junk.zip')
    hostile_ok(rc, secs, rss, 'junk.zip')
    expect(paths(fs) == [('junk.zip', 'a.txt')] and paths(fs, 'f-marker') == [('junk.zip',
                                                                               'b.txt')], fs)
    bad = sorted(msg(f).split(' (')[0].split(' at ')[0] for f in fs
                 if f['rule'] == 'unreadable-member')
    expect(bad == ['bad zip header signature', 'zip central directory unusable'], bad)


@case
def tar_hostile_names(d):
    names = ['../../../../etc/cron.d/evil', '/etc/passwd', 'ok/\x1b]0;owned\x07\x1b[2J.txt',
             'a/' + 'b' * 300 + '/c.txt']
    write(d, 'names.tar', tar_bytes([(n, SECRET_LINE) for n in names] +
                                    [('lnk', ('sym', '/etc/shadow'))]))
    write(d, 'names.zip', zip_bytes([(n, SECRET_LINE) for n in names]))
    for f in ('names.tar', 'names.zip'):
        rc, fs, err, secs, rss = scan(d, f)
        hostile_ok(rc, secs, rss, f)
        got = sorted(p[1] for p in paths(fs))
        expect(got == sorted(names), (f, got))
        rc, out, err, secs, rss = scan(d, f, fmt='text')
        expect('\x1b' not in out and '\x07' not in out and '\\x1b]0;owned' in out, out)
    expect(not os.path.exists(os.path.join(d, 'ok')) and not os.path.exists('/etc/cron.d/evil'),
           'nothing extracted')


# ---- limits ----

@case
def max_members_every_container(d):
    files = [('m%02d.txt' % i, b'DEBUG-MARKER-%03d\n' % i) for i in range(10)]
    write(d, 'many.zip', zip_bytes(files))
    write(d, 'many.tar', tar_bytes(files))
    write(d, 'many.cpio', cpio_newc([(n, b, 0o100644) for n, b in files]))
    tree(d, 'arsrc', dict(files))
    tool(os.path.join(d, 'arsrc'), 'ar', 'rc', '../many.a', *[n for n, _ in files])
    tool(os.path.join(d, 'arsrc'), 'bsdtar', '--format', '7zip', '-cf', '../many.7z',
         *[n for n, _ in files])
    write(d, 'many.rpm', rpm_bytes(files, 'gzip'))
    for name in ('many.zip', 'many.tar', 'many.cpio', 'many.a', 'many.7z', 'many.rpm'):
        rc, fs, err, _, _ = scan(d, '--max-members', '4', name)
        lim = [f for f in fs if f['rule'] == 'limit-reached']
        expect(len(lim) == 1 and lim[0]['path'] == [name] and 'max-members' in msg(lim[0]),
               (name, fs))
        expect(len(paths(fs, 'f-marker')) == 4, (name, paths(fs, 'f-marker')))


@case
def max_total_bytes_and_skipped_summary(d):
    big = b'DEBUG-MARKER-900\n' + b'\0' * (3 * MIB)
    write(d, 'two.tar.xz', lzma.compress(tar_bytes([('a.bin', big), ('b.bin', big)])))
    rc, fs, err, _, _ = scan(d, '--max-total-bytes', '1M', 'two.tar.xz')
    lim = [f for f in fs if f['rule'] == 'limit-reached']
    expect(len(lim) == 1 and 'max-total-bytes' in msg(lim[0]) and
           lim[0]['path'] == ['two.tar.xz', 'a.bin'], fs)
    rc, out, err, _, _ = scan(d, '--max-total-bytes', '1M', 'two.tar.xz', fmt='text')
    expect('1 limit reached' in out and 'not scanned' in out, out)


def main():
    return cli_test.run_main(CASES)


if __name__ == '__main__':
    sys.exit(main())

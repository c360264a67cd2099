#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates the seed corpora under test/fuzz/corpus (small, deterministic)."""
import gzip
import io
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))


def tar(members, fmt=tarfile.PAX_FORMAT):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w', format=fmt) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 0
            t.addfile(ti, io.BytesIO(data))
    return bio.getvalue()


def put(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


secret = b'const k = "AKIAZ3MSJV4WQ7PLXR5T";\npassword = "hQ9z!xV2#kL7"\n'
put('scan', 'plain.txt', secret)
put('scan', 'app.tar', tar([('package/a.js', secret), ('package/.env', b'A=1\n')]))
put('scan', 'app.tgz', gzip.compress(tar([('package/a.js', secret)]), mtime=0))
put('scan', 'gnu.tar', tar([('x' * 150 + '/long.txt', secret)], fmt=tarfile.GNU_FORMAT))
put('scan', 'nested.tgz', gzip.compress(tar([('in.tgz', gzip.compress(tar([('s', secret)]), mtime=0))]), mtime=0))
put('scan', 'multi.gz', gzip.compress(b'one ', mtime=0) + gzip.compress(secret, mtime=0))
put('scan', 'truncated.tgz', gzip.compress(tar([('a', secret * 50)]), mtime=0)[:200])
put('rules', 'ok.yml', open(os.path.join(HERE, '..', 'cli', 'test-rules.yml'), 'rb').read())
put('rules', 'bad.yml', b'rules:\n  - id: Bad\n    pattern: "(x"\n    category: what\n')
put('rules', 'weird.yml', b'rules: [1, {id: a-b, pattern: "\\\\", examples: [x]}]\n')
put('validators', 'github.txt', b'\x00ghp_R9y0mQ2bXkT7cV4nL8pZ1sD6fH3jK5wA0eUo')
put('validators', 'jwt.txt', b'\x05eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')


# Executables for fuzz_elf (first byte: format selector 0 = sniff, and chunk size).
def elf64(names_after=False):
    import struct
    names = [b'', b'.text', b'.debug_info', b'.gnu_debuglink', b'.shstrtab']
    strtab = b''.join(n + b'\0' for n in names)
    offs = [strtab.index(n + b'\0') if n else 0 for n in names]
    body = b'\x90' * 8 + b'/home/ci/src/a.c\0' + b'a.debug\0\0\0\0\0'
    data_off = 64
    str_off = data_off + len(body)
    shoff = (str_off + (0 if names_after else len(strtab)) + 7) & ~7
    if names_after:
        str_off = shoff + 64 * len(names)
    secs = [(0, 0, 0, 0), (1, 1, data_off, 8), (2, 1, data_off + 8, 17), (3, 1, data_off + 25, 12),
            (4, 3, str_off, len(strtab))]
    out = bytearray(b'\x7fELF\x02\x01\x01' + b'\0' * 9)
    out += struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, len(names), 4)
    out += body
    if not names_after:
        out += strtab
    out += b'\0' * (shoff - len(out))
    for i, t, o, n in secs:
        out += struct.pack('<IIQQQQIIQQ', offs[i], t, 0, 0, o, n, 0, 0, 1, 0)
    if names_after:
        out += strtab
    return bytes(out)


def pe():
    import struct
    out = bytearray(b'MZ' + b'\0' * 58 + struct.pack('<I', 64))
    out += b'PE\0\0' + struct.pack('<HHIIIHH', 0x8664, 1, 0, 160, 1, 0, 0)
    out += b'/4\0\0\0\0\0\0' + struct.pack('<IIIIIIHHI', 0, 0, 16, 128, 0, 0, 0, 0, 0)
    out += b'\0' * (128 - len(out)) + b'RSDS' + b'\1' * 20 + b'C:\\b\\x.pdb\0'
    out += b'\0' * (160 - len(out)) + b'\0' * 18 + struct.pack('<I', 16) + b'.debug_info\0'
    return bytes(out)


def macho():
    import struct
    cmds = struct.pack('<II16sQQQQIIII', 0x19, 72 + 80, b'__DWARF', 0, 0, 0, 0, 0, 0, 1, 0)
    cmds += struct.pack('<16s16sQQIIIIIIII', b'__debug_info', b'__DWARF', 0, 9, 0, 0, 0, 0, 0, 0, 0, 0)
    cmds += struct.pack('<IIIIII', 2, 24, 0, 3, 0, 0)
    return struct.pack('<IiiIIIII', 0xfeedfacf, 0x01000007, 3, 1, 2, len(cmds), 0, 0) + cmds


put('elf', 'elf64.bin', b'\x00' + elf64())
put('elf', 'elf64-names-after.bin', b'\x05' + elf64(True))
put('elf', 'pe.bin', b'\x02' + pe())
put('elf', 'macho.bin', b'\x0b' + macho())
put('encodings', 'b64.txt', b'\x03cfg: dXNlcjogYWRtaW4KcGFzc3dvcmQ6IGhROXp4VjJrTDcK end\n'
    b'[remote "o"]\n url = https://u:p@h.example/r\n')
put('encodings', 'u16.bin', b'\x02\x00\x01' + 'key=AKIAZ3MSJV4WQ7PLXR5T'.encode('utf-16le') + b'\xff')


# .git folders, base64 and UTF-16LE through the whole pipeline.
def zobj(kind, data):
    import zlib
    return zlib.compress(b'%s %d\0' % (kind, len(data)) + data)


put('scan', 'gitdir.tar', tar([('p/.git/HEAD', b'ref: refs/heads/main\n'),
                               ('p/.git/config', b'[remote "origin"]\n\turl = https://h.example/r\n'),
                               ('p/.git/refs/heads/main', b'0' * 40 + b'\n'),
                               ('p/.git/objects/ab/' + 'c' * 38, zobj(b'blob', secret)),
                               ('p/.git/objects/pack/pack-1.pack', b'PACK\0\0\0\2\0\0\0\1')]))
put('scan', 'encoded.tar', tar([('c.yaml', b'k: ' + __import__('base64').b64encode(secret) + b'\n'),
                                ('b.bin', b'\0\1' + secret.decode().encode('utf-16le')),
                                ('tool', elf64())]))

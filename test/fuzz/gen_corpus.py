#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates the seed corpora under test/fuzz/corpus (small, deterministic)."""
import base64
import gzip
import io
import json
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
inline_map = base64.b64encode(json.dumps({
    'version': 3, 'sources': ['src/a.ts', 'node_modules/x/i.js'],
    'sourcesContent': [secret.decode(), 'x\n'], 'mappings': 'AAAA'}).encode())
put('scan', 'inlinemap.tgz', gzip.compress(tar([
    ('package/a.js', b'var a;\n//# sourceMappingURL=data:application/json;base64,' + inline_map +
     b'\nexports.a = a;\n'),
    ('package/cut.js', b'//# sourceMappingURL=data:application/json;base64,' + inline_map[:200]),
]), mtime=0))
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


# Source maps and the streaming JSON tokenizer.
def smap(doc):
    import json
    return json.dumps(doc, separators=(',', ':')).encode()


sm_doc = {'version': 3, 'file': 'cli.js', 'mappings': 'AAAA;AACA',
          'sources': ['webpack://app/./src/auth.ts', '../node_modules/x/i.js', None],
          'sourcesContent': [secret.decode() + '\u00e9\U0001F600', 'x\n', 'orphan'],
          'names': [], 'ignoreList': [1]}
put('json_read', 'values.json', b'\x11{"a":[1,-2.5e+3,true,false,null,"x"],"b":{},"c":""}')
put('json_read', 'escapes.json', b'\x27["a\\n\\t\\"\\\\\\/\\u00e9\\ud83d\\ude00\\ud800x"]')
put('json_read', 'deep.json', b'\x05' + b'[' * 40 + b']' * 40)
put('json_read', 'bad.json', b'\x33{"a":"b\\q", 01, tru}')
put('sourcemap', 'webpack.map', b'\x07' + smap(sm_doc))
put('sourcemap', 'index.map', b'\x02' + smap({'version': 3, 'sections': [
    {'offset': {'line': 0, 'column': 0}, 'map': sm_doc},
    {'offset': {'line': 9, 'column': 0}, 'url': 'b.js.map'}]}))
put('sourcemap', 'content_first.map', b'\x83' + b'\xef\xbb\xbf)]}\'\n' + smap(
    {'sourcesContent': ['a', 'b', 'c', 'd'], 'version': 3, 'sources': ['a', 'b']}))
put('sourcemap', 'truncated.map', b'\x05' + smap(sm_doc)[:90])
put('scan', 'sourcemap.tgz', gzip.compress(tar([('package/dist/cli.js.map', smap(sm_doc))]),
                                           mtime=0))
put('baseline', 'written.json', b'{\n  "leakscan_baseline": 1,\n  "findings": [\n    {\n'
    b'      "fingerprint": "7d360184e44a8a554be1150d0b6a0157",\n      "rule": "aws",\n'
    b'      "path": ["app.tgz", "package/dist/config.js"],\n      "line": 5\n    }\n  ]\n}\n')
put('baseline', 'report.json', b'{"version":"0.1.0","findings":[{"rule":"r","fingerprint":"f",'
    b'"path":["a","b\\u001b"],"line":null,"details":{"x":[1]}}],"summary":{"inputs":[{}]}}')
put('baseline', 'bad.json', b'{"findings":[{"rule":"r"},{"fingerprint":"x","rule":"y"')


# Artifact formats (fuzz_container): the first byte picks the block size,
# the second the limits (odd: a tiny in-memory budget, zips read front to back).
def formats_seeds():
    import bz2
    import hashlib
    import json
    import lzma
    import shutil
    import struct
    import subprocess
    import tempfile
    import zipfile

    def zipb(members, method=zipfile.ZIP_DEFLATED, zip64=False, stream=False):
        class Sink(io.RawIOBase):
            def __init__(self):
                self.b = bytearray()

            def writable(self):
                return True

            def write(self, data):
                self.b += data
                return len(data)
        sink = Sink() if stream else io.BytesIO()
        with zipfile.ZipFile(sink, 'w', method) as z:
            for name, data in members:
                zi = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
                zi.compress_type = method
                with z.open(zi, 'w', force_zip64=zip64) as f:
                    f.write(data)
        return bytes(sink.b) if stream else sink.getvalue()

    def ar(members):
        out = b'!<arch>\n'
        for name, data in members:
            out += (name.ljust(16) + '0'.ljust(12) + '0'.ljust(6) * 2 + '644'.ljust(8) +
                    str(len(data)).ljust(10) + '`\n').encode() + data + (b'\n' if len(data) % 2 else b'')
        return out

    def cpio(members):
        out = bytearray()
        for i, (name, data, mode) in enumerate(members + [('TRAILER!!!', b'', 0)]):
            nb = name.encode() + b'\0'
            out += b'070701' + b''.join(b'%08X' % v for v in (
                i + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0)) + nb
            out += b'\0' * ((4 - len(out) % 4) % 4) + data
            out += b'\0' * ((4 - len(out) % 4) % 4)
        return bytes(out)

    def rpm_hdr(store):
        return (b'\x8e\xad\xe8\x01\0\0\0\0' + struct.pack('>iiiiii', 1, len(store), 1000, 6, 0, 1) +
                store)

    def h(b):
        return hashlib.sha256(b).hexdigest()

    files = [('etc/app.conf', secret), ('etc/', b'')]
    put('container', 'deflate.zip', b'\x04\x00' + zipb([('a/key.txt', secret), ('a/', b'')]))
    put('container', 'stored_dd.zip', b'\x02\x01' + zipb([('k.txt', secret)], zipfile.ZIP_STORED,
                                                         stream=True))
    put('container', 'dd_stream.zip', b'\x01\x01' + zipb([('k.txt', secret), ('b.txt', b'b' * 40)],
                                                         stream=True))
    put('container', 'zip64.zip', b'\x03\x00' + zipb([('k.txt', secret)], zip64=True))
    put('container', 'bz.zip', b'\x04\x00' + zipb([('k.txt', secret)], zipfile.ZIP_BZIP2))
    put('container', 'ext.crx', b'\x05\x00' + b'Cr24\3\0\0\0\2\0\0\0ab' + zipb([('bg.js', secret)]))
    put('container', 'demo.deb', b'\x04\x00' + ar([
        ('debian-binary', b'2.0\n'),
        ('control.tar.gz', gzip.compress(tar([('./control', b'Package: demo\n')]), mtime=0)),
        ('data.tar.xz', lzma.compress(tar([('./etc/app.conf', secret)])))]))
    put('container', 'gnu.a', b'\x02\x00' + ar([('/', b'\0\0\0\0'), ('//', b'long-member-name.txt/\n'),
                                                ('/0', secret), ('#1/5', b'bsd.x' + secret)]))
    put('container', 'newc.cpio', b'\x01\x00' + cpio([('etc', b'', 0o40755),
                                                      ('etc/k', secret, 0o100644),
                                                      ('etc/l', b'k', 0o120777)]))
    put('container', 'odc.cpio', b'\x03\x00' + b'070707' + b'%06o' % 0 + b'%06o' % 1 +
        b'%06o' % 0o100644 + b'000000' * 4 + b'%011o' % 0 + b'%06o' % 2 + b'%011o' % 5 +
        b'k\0hello')
    lead = b'\xed\xab\xee\xdb\x03\x00' + b'\0' * 72 + b'\0\x05' + b'\0' * 16
    put('container', 'demo.rpm', b'\x04\x00' + lead + rpm_hdr(b'sig\0') + rpm_hdr(b'echo x\0') +
        gzip.compress(cpio([('./etc/k', secret, 0o100644)]), mtime=0))
    put('container', 'x.xz', b'\x03\x00' + lzma.compress(secret) + lzma.compress(b'two'))
    put('container', 'x.bz2', b'\x02\x00' + bz2.compress(secret))
    if shutil.which('zstd'):
        put('container', 'x.zst', b'\x01\x00' + subprocess.run(
            ['zstd', '-q', '-c', '--no-check'], input=secret, capture_output=True).stdout)
    l0 = gzip.compress(tar([('etc/.env', secret), ('opt/c/a', b'a')]), mtime=0)
    l1 = tar([('etc/.wh..env', b''), ('opt/.wh..wh..opq', b'')])
    manifest = json.dumps([{'Config': 'c.json', 'RepoTags': ['x:1'],
                            'Layers': [h(l0) + '/layer.tar', h(l1) + '/layer.tar']}]).encode()
    image = tar([(h(l0) + '/layer.tar', l0), (h(l1) + '/layer.tar', l1), ('c.json', b'{}'),
                 ('manifest.json', manifest)])
    put('container', 'image.tar', b'\x04\x00' + image)
    put('scan', 'image.tar', image)
    put('scan', 'app.jar', zipb([('BOOT-INF/lib/in.jar', zipb([('k.properties', secret)]))],
                                zipfile.ZIP_STORED))
    if shutil.which('bsdtar'):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, 'k.txt'), 'wb') as f:
                f.write(secret)
            os.utime(os.path.join(d, 'k.txt'), (0, 0))
            subprocess.run(['bsdtar', '--format', '7zip', '-cf', 'a.7z', 'k.txt'], cwd=d, check=True)
            put('container', 'a.7z', b'\x04\x00' + open(os.path.join(d, 'a.7z'), 'rb').read())


formats_seeds()


def pack(objs):
    """A git pack; objs: (type, data, extra header bytes)."""
    import struct
    import zlib
    out = bytearray(b'PACK' + struct.pack('>II', 2, len(objs)))
    for kind, data, extra in objs:
        size = len(data)
        h = kind << 4 | size & 15
        size >>= 4
        while size:
            out.append(h | 0x80)
            h = size & 0x7f
            size >>= 7
        out.append(h)
        out += extra + zlib.compress(data)
    return bytes(out + b'\0' * 20)


put('scan', 'gitpack.tar', tar([('r/.git/objects/pack/pack-1.pack', pack([
    (3, secret, b''), (2, b'100644 a\0' + b'a' * 20, b''),
    (6, b'\x10\x20\x0bkey=AKIAZ3M\x90\x04\x02ok', b'\x30')]))]))

# Config files: every key, a few mistakes.
put('config', 'full.yaml', b'disable: [f-key]\nseverity: { f-key: critical }\n'
    b'internal_domains: [corp.acme.dev]\nmarkers: ["PROJECT FALCON"]\n'
    b'ignore:\n  - rule: config-marker-1\n    path: "*/docs/*"\n    reason: docs\n'
    b'    expires: 2999-01-01\n  - fingerprint: 0123456789abcdef0123456789abcdef\n'
    b'    reason: rotated\n')
put('config', 'typos.yaml', b'disable: [f-kye]\nseverity: { f-key: hihg }\n'
    b'internal_domains: [net, "*.acme.dev"]\nmarkers: ["ab"]\n'
    b'ignore:\n  - rule: f-key\n    reason: "  "\n    expires: 2024-13-45\n')
put('config', 'shapes.yaml', b'disable: 3\nseverity: [a, b]\nmarkers: {a: 1}\nignore: x\n'
    b'what: 1\n')
put('config', 'tab.yaml', b'disable:\n\t- f-key\n')

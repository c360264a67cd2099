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

#!/usr/bin/env python3
"""Writes N signed pull_request "synchronized" bodies for the ingest benchmark.

Each body is the real 16 KB Gitea payload with its own PR number (cycling over 500 PRs) and
head sha, so a delivery queues a run and supersedes the PR's previous queued one: the heavy
path. Record format, read by ingest.lua: "<hex signature> <byte length>\n<body>".
"""
import hashlib, hmac, sys

src, out, n, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
base = open(src, "rb").read()
old_sha = b"c3a1f7e9d2b4c6a8e0f1d3b5a7c9e1f2a4b6c8d0"
with open(out, "wb") as f:
    for i in range(n):
        body = base.replace(old_sha, b"%040x" % (i + 1)).replace(
            b'"number": 17,', b'"number": %d,' % (i % 500 + 1))
        sig = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
        f.write(sig + b" " + str(len(body)).encode() + b"\n" + body)

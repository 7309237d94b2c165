#!/usr/bin/env python3
"""Writes the body prefixes ingest.lua turns into unique signed pull_request deliveries.

Each prefix is the real 16 KB Gitea "synchronized" payload with its own PR number (one prefix
per PR, N PRs), ending in an open `"after": "` field: ingest.lua appends a fresh 40-hex head
sha and `"}` to every request, so every delivery is a new body (no body-hash duplicates, however
many are sent) that queues a run and supersedes its PR's previous queued one: the heavy path.
Gitea 1.27+ sends the new head as `after`, and cc-ci reads it. The signature is computed by
ingest.lua per request, from the HMAC state it precomputes over each prefix (only the last
block or two of a body are hashed per request). Record format: "<byte length>\n<prefix>".

Usage: make_bodies.py PAYLOAD OUT N_PRS
"""
import sys

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = open(src, "rb").read().rstrip()
assert base.endswith(b"}")
with open(out, "wb") as f:
    for i in range(n):
        body = base[:-1].rstrip().replace(b'"number": 17,', b'"number": %d,' % (i + 1))
        prefix = body + b',\n  "after": "'
        f.write(str(len(prefix)).encode() + b"\n" + prefix)

-- wrk script: signed ~16 KB Gitea deliveries, every one a new body with a fresh
-- X-Gitea-Delivery id (so none is a duplicate by id or by body hash).
-- Body prefixes come from BENCH_BODIES (see make_bodies.py), the HMAC key from BENCH_SECRET.
-- Each request appends a unique 40-hex head sha to a prefix and signs the result with
-- HMAC-SHA256, continuing from the hash state precomputed over the prefix at init, so only the
-- last one or two blocks are hashed per request.
local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local ror, rshift, lshift, tobit, tohex = bit.ror, bit.rshift, bit.lshift, bit.tobit, bit.tohex
local byte, char, rep, fmt = string.byte, string.char, string.rep, string.format

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
for i = 1, 64 do K[i] = tobit(K[i]) end
local H0 = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
             0x5be0cd19 }
local W = {}

-- The same signature through OpenSSL's SHA-256 (LuaJIT's FFI) when libcrypto loads: signing in
-- Lua took wrk 53-54 us of CPU per request in all, through OpenSSL 34-38 (5 s runs against
-- bare_server, two each), and wrk shares the two cores the server is measured on. The Lua
-- code stays as the fallback, and BENCH_SIGN=lua chooses it (the tables before 2026-12-03
-- 22:47 were measured with it).
local ok_ffi, ffi = pcall(require, "ffi")
local crypto
if ok_ffi and os.getenv("BENCH_SIGN") ~= "lua" then
  ffi.cdef([[
    typedef struct { unsigned int h[8]; unsigned int Nl, Nh; unsigned int data[16];
                     unsigned int num, md_len; } bench_sha256_ctx;
    int SHA256_Init(bench_sha256_ctx *c);
    int SHA256_Update(bench_sha256_ctx *c, const void *data, size_t len);
    int SHA256_Final(unsigned char *md, bench_sha256_ctx *c);
  ]])
  local loaded, lib = pcall(ffi.load, "libcrypto.so.3")
  if loaded then crypto = lib end
end

-- One SHA-256 compression of the 64 bytes of `s` at `pos` into the state H (in place).
local function compress(H, s, pos)
  for i = 1, 16 do
    local a, b, c, d = byte(s, pos + 4 * i - 4, pos + 4 * i - 1)
    W[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
  end
  for i = 17, 64 do
    local x, y = W[i - 15], W[i - 2]
    local s0 = bxor(ror(x, 7), ror(x, 18), rshift(x, 3))
    local s1 = bxor(ror(y, 17), ror(y, 19), rshift(y, 10))
    W[i] = tobit(W[i - 16] + s0 + W[i - 7] + s1)
  end
  local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
  for i = 1, 64 do
    local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
    local ch = bxor(band(e, f), band(bnot(e), g))
    local t1 = h + S1 + ch + K[i] + W[i]
    local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
    local maj = bxor(band(a, b), band(a, c), band(b, c))
    h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + S0 + maj)
  end
  H[1], H[2], H[3], H[4] = tobit(H[1] + a), tobit(H[2] + b), tobit(H[3] + c), tobit(H[4] + d)
  H[5], H[6], H[7], H[8] = tobit(H[5] + e), tobit(H[6] + f), tobit(H[7] + g), tobit(H[8] + h)
end

local function copy(H) return { H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8] } end

-- Finishes a hash whose state H covers `done` bytes, with `rest` (< 64 + any) still to hash.
local function finish(H, done, rest)
  local bits = (done + #rest) * 8
  local padded = rest .. "\128" .. rep("\0", (55 - #rest) % 64) ..
                 char(0, 0, 0, 0, band(rshift(bits, 24), 255), band(rshift(bits, 16), 255),
                      band(rshift(bits, 8), 255), band(bits, 255))
  for pos = 1, #padded, 64 do compress(H, padded, pos) end
  return char(band(rshift(H[1], 24), 255), band(rshift(H[1], 16), 255), band(rshift(H[1], 8), 255),
              band(H[1], 255), band(rshift(H[2], 24), 255), band(rshift(H[2], 16), 255),
              band(rshift(H[2], 8), 255), band(H[2], 255), band(rshift(H[3], 24), 255),
              band(rshift(H[3], 16), 255), band(rshift(H[3], 8), 255), band(H[3], 255),
              band(rshift(H[4], 24), 255), band(rshift(H[4], 16), 255),
              band(rshift(H[4], 8), 255), band(H[4], 255), band(rshift(H[5], 24), 255),
              band(rshift(H[5], 16), 255), band(rshift(H[5], 8), 255), band(H[5], 255),
              band(rshift(H[6], 24), 255), band(rshift(H[6], 16), 255),
              band(rshift(H[6], 8), 255), band(H[6], 255), band(rshift(H[7], 24), 255),
              band(rshift(H[7], 16), 255), band(rshift(H[7], 8), 255), band(H[7], 255),
              band(rshift(H[8], 24), 255), band(rshift(H[8], 16), 255),
              band(rshift(H[8], 8), 255), band(H[8], 255))
end

local function hex(s) return (s:gsub(".", function(c) return fmt("%02x", byte(c)) end)) end

local threads = {}
local prefixes, states, rests, n = {}, {}, {}, 0
local inner0, outer0  -- states after the key's ipad / opad block
local ctxs, outer_ctx, scratch, md, hexbuf  -- the same, with OpenSSL (when `crypto`)
local HEX = "0123456789abcdef"
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local key = assert(os.getenv("BENCH_SECRET"), "BENCH_SECRET")
  assert(#key <= 64, "keys over 64 bytes are hashed first; not supported here")
  key = key .. rep("\0", 64 - #key)
  local ipad = key:gsub(".", function(c) return char(bxor(byte(c), 0x36)) end)
  local opad = key:gsub(".", function(c) return char(bxor(byte(c), 0x5c)) end)
  inner0, outer0 = copy(H0), copy(H0)
  compress(inner0, ipad, 1)
  compress(outer0, opad, 1)
  if crypto then
    ctxs, outer_ctx = {}, ffi.new("bench_sha256_ctx")
    scratch, md, hexbuf = ffi.new("bench_sha256_ctx"), ffi.new("unsigned char[32]"),
                          ffi.new("char[64]")
    crypto.SHA256_Init(outer_ctx)
    crypto.SHA256_Update(outer_ctx, opad, 64)
  end
  local f = assert(io.open(os.getenv("BENCH_BODIES"), "rb"))
  while true do
    local len = f:read("*l")
    if not len then break end
    local p = f:read(tonumber(len))
    n = n + 1
    prefixes[n] = p
    if crypto then
      local c = ffi.new("bench_sha256_ctx")
      crypto.SHA256_Init(c)
      crypto.SHA256_Update(c, ipad, 64)
      crypto.SHA256_Update(c, p, #p)
      ctxs[n] = c
    end
    local H = copy(inner0)
    local full = #p - #p % 64
    for pos = 1, full, 64 do compress(H, p, pos) end
    states[n] = H
    rests[n] = p:sub(full + 1)
  end
  f:close()
end

function request()
  counter = counter + 1
  local i = counter % n + 1
  -- Unique per thread and request: the thread in the first 8 hex digits, the count after.
  local tail = tohex(tid) .. rep("0", 24) .. tohex(counter) .. '"\n}'
  local p = prefixes[i]
  local sig
  if crypto then
    ffi.copy(scratch, ctxs[i], ffi.sizeof(scratch))
    crypto.SHA256_Update(scratch, tail, #tail)
    crypto.SHA256_Final(md, scratch)
    ffi.copy(scratch, outer_ctx, ffi.sizeof(scratch))
    crypto.SHA256_Update(scratch, md, 32)
    crypto.SHA256_Final(md, scratch)
    -- Not hex() above: its gsub and a format per byte cost wrk 6-14 us more per request (three
    -- 5 s pairs against bare_server).
    for k = 0, 31 do
      hexbuf[2 * k] = byte(HEX, rshift(md[k], 4) + 1)
      hexbuf[2 * k + 1] = byte(HEX, band(md[k], 15) + 1)
    end
    sig = ffi.string(hexbuf, 64)
  else
    local inner = finish(copy(states[i]), 64 + #p - #rests[i], rests[i] .. tail)
    sig = hex(finish(copy(outer0), 64, inner))
  end
  return wrk.format("POST", "/hooks/gitea", {
    ["Content-Type"] = "application/json",
    ["X-Gitea-Event"] = "pull_request",
    ["X-Gitea-Event-Type"] = "pull_request_sync",
    ["X-Gitea-Delivery"] = "bench-" .. tid .. "-" .. counter,
    ["X-Gitea-Signature"] = sig,
  }, p .. tail)
end

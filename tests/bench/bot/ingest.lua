-- wrk script: signed ~16 KB Gitea deliveries, each with a fresh X-Gitea-Delivery id.
-- Bodies come from BENCH_BODIES (see make_bodies.py); the signature covers only the body, so
-- a body can be reused under new delivery ids.
local threads = {}
local bodies, sigs, n = {}, {}, 0
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODIES"), "rb"))
  while true do
    local header = f:read("*l")
    if not header then break end
    local sig, len = header:match("^(%x+) (%d+)$")
    n = n + 1
    sigs[n] = sig
    bodies[n] = f:read(tonumber(len))
  end
  f:close()
end

function request()
  counter = counter + 1
  local i = (counter * 7 + tid) % n + 1
  return wrk.format("POST", "/hooks/gitea", {
    ["Content-Type"] = "application/json",
    ["X-Gitea-Event"] = "pull_request",
    ["X-Gitea-Event-Type"] = "pull_request_sync",
    ["X-Gitea-Delivery"] = "bench-" .. tid .. "-" .. counter,
    ["X-Gitea-Signature"] = sigs[i],
  }, bodies[i])
end

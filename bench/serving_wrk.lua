-- wrk script of bench/serving_bench.py: POSTs Feast's /get-online-features body for random
-- entities, and prints one JSON line of totals and latency percentiles when the run ends.
--
--   wrk -t1 -c50 -d10s --latency -s bench/serving_wrk.lua http://127.0.0.1:P/get-online-features \
--       -- SERVICE ENTITIES_PER_REQUEST KEY_COUNT SEED
--
-- The bodies (keys drawn uniformly from [0, KEY_COUNT)) are built before the run, so the load
-- generator only sends prepared requests; each thread cycles through the same 1000.

local requests = {}
local next_request = 1
local kBodies = 1000

function init(args)
  local service = args[1] or "svc50"
  local per_request = tonumber(args[2] or "1")
  local key_count = tonumber(args[3] or "10000")
  local seed = tonumber(args[4] or "1")
  math.randomseed(seed)
  local headers = {["Content-Type"] = "application/json"}
  local path = wrk.path
  for i = 1, kBodies do
    local keys = {}
    for j = 1, per_request do
      keys[j] = tostring(math.random(0, key_count - 1))
    end
    local body = '{"feature_service": "' .. service .. '", "entities": {"customer_id": [' ..
                 table.concat(keys, ", ") .. ']}}'
    requests[i] = wrk.format("POST", path, headers, body)
  end
end

function request()
  local r = requests[next_request]
  next_request = next_request % kBodies + 1
  return r
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
      'SERVING_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p99.9": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9)))
end

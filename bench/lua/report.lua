-- Shared by every bench script: collects the wrk threads and prints one machine-readable line
-- (BENCH_RESULT {json}) from done(), with exact latency percentiles in microseconds.
local M = {}
local threads = {}

-- Also numbers the threads (global `tid`, 0-based) for scripts that make per-thread values.
function M.setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- Sum of a numeric global kept by each thread's own Lua state (0 when a script keeps none).
local function thread_sum(name)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + (tonumber(t:get(name)) or 0)
  end
  return total
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d,"max_us":%d,"mean_us":%.1f,"late":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, thread_sum("late")))
end

return M

-- A fixed request at a fixed rate (wrk2 is not packaged here): each wrk thread keeps its own
-- schedule of send slots, one every 1000 * threads / rate ms from its first request, and
-- delay() holds each connection until its next slot. The schedule is open-loop: a slow answer
-- does not push later slots back, other (idle) connections take them, so with enough
-- connections a stall shows up in the latencies instead of silently lowering the rate.
-- wrk measures each latency from the moment the request is written. `late` counts sends more
-- than one interval behind their slot (no idle connection was left): non-zero means the
-- figures are no longer open-loop and the run is reported as such.
-- Arguments: rate (requests/s, all threads together), threads.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval_ms = 0
local next_slot = nil
late = 0

setup = report.setup
done = report.done

function init(args)
  local rate = tonumber(args[1])
  local nthreads = tonumber(args[2]) or 1
  interval_ms = 1000 * nthreads / rate
end

function delay()
  local now = now_ms()
  if next_slot == nil then next_slot = now end
  local wait = next_slot - now
  next_slot = next_slot + interval_ms
  if wait < -interval_ms then late = late + 1 end
  if wait <= 0 then return 0 end
  -- wrk's timers count whole milliseconds.
  return math.floor(wait + 0.5)
end

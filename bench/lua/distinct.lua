-- GET_CUSTOMER of `count` distinct ids in all (split between the threads), each once, then
-- the thread stops and prints BENCH_STOP: wrk itself would wait out its whole duration, so the
-- runner interrupts it on that line (wrk then reports as usual). Fills the read cache with as
-- many different customers.
-- Arguments: path prefix (…/customers/), count, threads.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
local prefix, count, nthreads = "/", 0, 1
local sent, answered = 0, 0
tid = 0

setup = report.setup
done = report.done

function init(args)
  prefix = args[1]
  count = tonumber(args[2])
  nthreads = tonumber(args[3]) or 1
end

function request()
  local n = tid + sent * nthreads
  sent = sent + 1
  return wrk.format("GET", string.format("%sF%08d", prefix, n))
end

function response(status, headers, body)
  answered = answered + 1
  if tid + answered * nthreads >= count then
    io.write("BENCH_STOP\n")
    io.flush()
    wrk.thread:stop()
  end
end

-- A fixed request (method, path and headers from wrk's command line), sent as fast as the
-- connections allow. wrk builds it once: no Lua runs per request.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
setup = report.setup
done = report.done

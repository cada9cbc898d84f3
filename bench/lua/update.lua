-- UPDATE_CUSTOMER of a different customer each request (ids cycle through `span` per thread;
-- the fake CRM answers any id), each changing the first name. Updates of one customer are
-- serialized by the gateway (read-modify-write), so one id for all would measure that queue.
-- Arguments: path, span.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
local path, span, counter = "/", 10000, 0
tid = 0

setup = report.setup
done = report.done

local headers = {}
function init(args)
  path = args[1]
  span = tonumber(args[2]) or span
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local id = string.format("U%02d%07d", tid, counter % span)
  local body = string.format('{"customer":{"profile":{"customerId":"%s","firstName":"Kenji%d"}}}', id, counter)
  return wrk.format("PUT", path, headers, body)
end

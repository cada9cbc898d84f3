-- CREATE_CUSTOMER with a body no other request of the whole run repeats (a nonce from the
-- command line, the wrk thread and a counter go into the e-mail and the name), so the gateway's
-- repeated-create detection never answers from memory: every request reaches the CRM.
-- Arguments: path, nonce.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
local path, nonce, counter = "/", "0", 0
tid = 0

setup = report.setup
done = report.done

local headers = {}
function init(args)
  path = args[1]
  nonce = args[2]
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
end

local BODY = '{"customer":{"profile":{"salutation":"Ms","firstName":"Bench","lastName":"Create%s",' ..
  '"email":"bench.%s.%d.%d@example.com","phoneMobile":"+14155550142","birthday":"1990-04-17",' ..
  '"preferredLanguage":"en-US","address":{"addressLine1":"500 Howard St","addressLine2":"Apt 12",' ..
  '"city":"San Francisco","state":"CA","postalCode":"94105","countryCode":"US"}},' ..
  '"consents":{"agreeToTC":true,"loyaltySignUp":true,"eReceipt":true,"newsLetterSignUp":false,"smsSignUp":false},' ..
  '"storeAttribution":{"storeId":"SF-UNION-SQ","associateId":"A-1043"}}}'

function request()
  counter = counter + 1
  local body = string.format(BODY, nonce, nonce, tid, counter)
  return wrk.format("POST", path, headers, body)
end

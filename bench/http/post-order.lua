-- POST /api/orders with a unique Idempotency-Key per request (thread id + counter).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tid
end

local auth = "Bearer " .. (os.getenv("BRIGADE_TOKEN") or "")
local body = '{"restaurantId":"bench-bistro","items":[{"menuItemId":"soup","quantity":2}],"deliverTo":{"lat":52.521,"lon":13.401}}'

function request()
  counter = counter + 1
  return wrk.format("POST", "/api/orders", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = auth,
    ["Idempotency-Key"] = "bench-" .. thread_id .. "-" .. counter .. "-" .. os.time(),
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end

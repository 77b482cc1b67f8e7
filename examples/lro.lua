-- Long-running operations with azure-core for Lua: start, poll, resume from a token, failures.
-- usage: lua5.4 examples/lro.lua BASE_URL   (the test server's /lro routes)
local core = require("azure.core")
local polling = require("azure.core.polling")
local base_polling = require("azure.core.polling.base_polling")

local base = arg[1] or os.getenv("DEMO_URL") or "http://127.0.0.1:8080"
-- polling_interval: seconds between polls when the service sends no Retry-After (default 30)
local client = core.PipelineClient.new(base, { polling_interval = 0.05 })
local run = os.time() .. "-" .. tostring({}):match("%x+$") -- fresh operation ids per run

-- 1. A PUT answered 201 + Operation-Location: poll the status monitor, then GET the resource.
local id = "example-" .. run
local poller = assert(polling.begin(client, client:put("/lro/" .. id .. "/resource",
   { op = "operation-location", polls = "2" }, nil, { size = 1 })))
print("started: " .. poller:status())
poller:add_done_callback(function(method) print("done callback: " .. method:status()) end)
local thing, err = poller:result() -- polls until the operation ends
if not thing then error(tostring(err)) end
print(("result: %s %s"):format(thing.name == id and "same name" or thing.name,
   thing.provisioningState))

-- 2. Keep the continuation token (it holds no credentials) and resume elsewhere: here a fresh
-- client, as another process would.
local job = assert(polling.begin(client, client:post("/lro/job-" .. run .. "/action",
   { location = "1", polls = "2" })))
local token = assert(job:continuation_token())
local other = core.PipelineClient.new(base, { polling_interval = 0.05 })
local resumed = assert(polling.begin(other, nil, { continuation_token = token }))
print("resumed: " .. assert(resumed:result()).via)

-- 3. ARM: Azure-AsyncOperation + Location, with final-state-via from the API spec.
local arm = base_polling.LROBasePolling.new(nil, { lro_algorithms = {
   base_polling.OperationResourcePolling.new("azure-asyncoperation",
      { lro_options = { ["final-state-via"] = "location" } }),
   base_polling.LocationPolling.new(), base_polling.StatusCheckPolling.new() } })
local vm = assert(polling.begin(client, client:put("/lro/arm-" .. run .. "/resource",
   { op = "azure-asyncoperation", location = "1", polls = "1" }), { polling_method = arm }))
print("arm: " .. assert(vm:result()).via)

-- 4. A failed operation: an HttpResponseError holding the service's error and a token.
local doomed = assert(polling.begin(client, client:delete("/lro/doomed-" .. run .. "/resource",
   { op = "operation-location", polls = "1", final = "Failed" })))
local _, ferr = doomed:result()
print(("failed: %s %s %s token=%s"):format(ferr.type, ferr.error_code, doomed:status(),
   tostring(type(ferr.continuation_token) == "string")))
client:close()
other:close()

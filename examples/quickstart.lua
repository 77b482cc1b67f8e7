-- Quick start: a PipelineClient, JSON, streaming and errors with azure-core for Lua.
-- usage: lua5.4 examples/quickstart.lua BASE_URL   (examples/demo.sh starts a local server)
local core = require("azure.core")
local rest = require("azure.core.rest")

local base = arg[1] or os.getenv("DEMO_URL") or "http://127.0.0.1:8080"
-- the standard policy chain (request id, headers, user agent, redirect, retry) over libcurl
local client = core.PipelineClient.new(base, { retry_total = 3, connection_timeout = 5,
   read_timeout = 10, user_agent = "quickstart/1.0" })

-- a GET: failures come back as `nil, err`, never as exceptions
local res, err = client:send_request(client:get("/json"))
if not res then
   io.stderr:write("request failed: ", tostring(err), "\n")
   os.exit(1)
end
print(res.status_code, res.headers["content-type"], res:json().hello)

-- a POST with a JSON body and query parameters
local echo = assert(client:send_request(rest.HttpRequest.new("POST", base .. "/echo",
   { json = { msg = "hi" }, params = { v = "1" } })))
print(echo:json().body, echo:json().target)

-- retries are automatic: this route fails twice with 503, then answers
local retried = assert(client:send_request(client:get("/sequence/quickstart" .. os.time()
   .. "?statuses=503,503,200"), { retry_backoff_factor = 0.05 }))
print("after retries:", retried.status_code, retried:json().attempt)

-- stream a download in chunks: memory stays bounded whatever the size
local big = assert(client:send_request(client:get("/bytes/1048576"), { stream = true }))
local n = 0
for chunk in big:iter_bytes(64 * 1024) do n = n + #chunk end
print("streamed " .. n .. " bytes")

-- errors are objects from azure.core.exceptions
local _, e = client:send_request(client:get("/fault/reset"), { retry_total = 0 })
print(e.type, e.curl_name, e:is("AzureError"))
client:close()

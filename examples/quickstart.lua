-- Quick start: requests, JSON, streaming and errors with azure-core for Lua.
-- usage: lua5.4 examples/quickstart.lua BASE_URL   (examples/demo.sh starts a local server)
local rest = require("azure.core.rest")
local transport = require("azure.core.pipeline.transport")

local base = arg[1] or os.getenv("DEMO_URL") or "http://127.0.0.1:8080"
local t = transport.CurlTransport.new{ connection_timeout = 5, read_timeout = 10 }

-- a GET: failures come back as `nil, err`, never as exceptions
local res, err = t:send(rest.HttpRequest.new("GET", base .. "/json"))
if not res then
   io.stderr:write("request failed: ", tostring(err), "\n")
   os.exit(1)
end
print(res.status_code, res.headers["content-type"], res:json().hello)

-- a POST with a JSON body and query parameters
local echo = assert(t:send(rest.HttpRequest.new("POST", base .. "/echo",
   { json = { msg = "hi" }, params = { v = "1" } })))
print(echo:json().body, echo:json().target)

-- stream a download in chunks: memory stays bounded whatever the size
local big = assert(t:send(rest.HttpRequest.new("GET", base .. "/bytes/1048576"), { stream = true }))
local n = 0
for chunk in big:iter_bytes(64 * 1024) do n = n + #chunk end
print("streamed " .. n .. " bytes")

-- errors are objects from azure.core.exceptions
local _, e = t:send(rest.HttpRequest.new("GET", base .. "/fault/reset"))
print(e.type, e.curl_name, e:is("AzureError"))
t:close()

-- Long-running operations (BEHAVIOR §8): the poller, the polling methods and strategies rule by
-- rule over a MockTransport (sleeps recorded, not slept), then the ARM and Azure.Core scenarios
-- of the test server's /lro routes through both drivers, and continuation tokens resumed in a
-- fresh client and in another process.
local core = require("azure.core")
local rest = require("azure.core.rest")
local json = require("azure.core.json")
local exceptions = require("azure.core.exceptions")
local transport = require("azure.core.pipeline.transport")
local serialization = require("azure.core.serialization")
local polling = require("azure.core.polling")
local base = require("azure.core.polling.base_polling")
local ctoken = require("azure.core.polling.continuation_token")
local helper = require("support.helper")

local unique = 0
local function key(prefix)
   unique = unique + 1
   -- unique across processes sharing a test server too (the address differs per process)
   return ("%s%d_%s_%d"):format(prefix or "lro", os.time(), tostring({}):match("%x+$"), unique)
end

---------------------------------------------------------------------------------------------------
-- Rules over a MockTransport
---------------------------------------------------------------------------------------------------

-- A client over a MockTransport answering from `routes[METHOD .. " " .. path]`: a function
-- (request, n-th call) -> {status, headers, body} or a list of such answers (the last repeats).
local function mock_client(routes, options)
   local seen = {}
   local t = transport.MockTransport.new(function(req)
      local path = req.url:match("^https?://[^/]+(/[^?]*)") or req.url
      local k = req.method .. " " .. path
      seen[#seen + 1] = k
      local r = routes[k]
      assert(r, "no mock route for " .. k)
      local n = 0
      for _, s in ipairs(seen) do if s == k then n = n + 1 end end
      local a = type(r) == "function" and r(req, n) or r[math.min(n, #r)]
      local body = a[3]
      local headers = {}
      for hk, hv in pairs(a[2] or {}) do headers[hk] = hv end
      -- a content type as a service sends one: without it ContentDecodePolicy assumes JSON
      -- (azure-core does) and would reject the deliberately broken bodies first
      headers["Content-Type"] = headers["Content-Type"]
         or (type(body) == "table" and "application/json" or "text/plain")
      if type(body) == "table" then body = json.encode(body) end
      return rest.HttpResponse.new{ request = req, status_code = a[1], headers = headers,
         content = body or "" }
   end)
   local opts = { transport = t, retry_total = 0 }
   for k, v in pairs(options or {}) do opts[k] = v end
   local base_url = opts.base_url or "http://lro.test"
   opts.base_url = nil
   return core.PipelineClient.new(base_url, opts), t, seen
end

local OPLOC = { ["Operation-Location"] = "http://lro.test/ops/1" }
local RUNNING = { 200, nil, { status = "Running" } }
local SUCCEEDED = { 200, nil, { status = "Succeeded" } }

local function begin(client, method, path, opts)
   return polling.begin(client, rest.HttpRequest.new(method, "http://lro.test" .. path), opts)
end

describe("terminal statuses (§8.3)", function()
   it("are succeeded, canceled, failed in any case; 'Cancelled' is not one", function()
      for _, s in ipairs({ "Succeeded", "succeeded", "SUCCEEDED", "Canceled", "failed" }) do
         assert.is_true(base.finished(s), s)
      end
      for _, s in ipairs({ "Cancelled", "InProgress", "Running", "NotStarted", "" }) do
         assert.is_false(base.finished(s), s)
      end
      assert.is_true(base.failed("CANCELED"))
      assert.is_false(base.failed("Succeeded"))
      assert.is_true(base.succeeded({ value = "Succeeded" })) -- enum-like values
   end)
end)

describe("PollingMethod and NoPolling (§8.1, §8.2)", function()
   it("the base raises for what is not implemented", function()
      local M = polling.PollingMethod:extend("MyPolling")
      local m = M.new()
      for _, name in ipairs({ "initialize", "run", "status", "finished", "resource" }) do
         local ok, err = pcall(m[name], m)
         assert.is_false(ok)
         assert.equal("NotImplementedError", err.kind)
      end
      local ok, err = pcall(m.get_continuation_token, m)
      assert.is_false(ok)
      assert.equal("TypeError", err.kind)
      assert.equal("Polling method 'MyPolling' doesn't support get_continuation_token",
         err.message)
      ok, err = pcall(m.from_continuation_token, m, "t", {})
      assert.equal("Polling method 'MyPolling' doesn't support from_continuation_token",
         err.message)
   end)

   it("NoPolling: succeeded at once, the initial response is the result", function()
      local client = mock_client({ ["POST /do"] = { { 202, nil, { answer = 42 } } } })
      local poller = assert(begin(client, "POST", "/do", { polling = false }))
      assert.is_true(poller:done())
      assert.equal("succeeded", poller:status())
      assert.is_true(poller:polling_method():finished())
      assert.same({ answer = 42 }, poller:result())
   end)

   it("NoPolling: the continuation token round-trips; the callback is required", function()
      local client = mock_client({ ["POST /do"] = { { 202, nil, { answer = 42 } } } })
      local token = assert(begin(client, "POST", "/do", { polling = false }):continuation_token())
      local ok, err = pcall(polling.LROPoller.from_continuation_token, polling.NoPolling.new(),
         token, {})
      assert.is_false(ok)
      assert.equal("ValueError", err.kind)
      assert.matches("deserialization_callback", err.message)
      local poller = assert(polling.LROPoller.from_continuation_token(polling.NoPolling.new(),
         token, { deserialization_callback = polling.deserialize_json }))
      assert.same({ answer = 42 }, poller:result())
   end)
end)

describe("LROPoller (§8.1)", function()
   local routes
   before_each(function()
      routes = { ["PUT /things/1"] = { { 201, OPLOC, { name = "t" } } },
         ["GET /ops/1"] = { RUNNING, SUCCEEDED }, ["GET /things/1"] = { { 200, nil, { v = 1 } } } }
   end)

   it("polls only when waited on, then runs done callbacks once", function()
      local client, _, seen = mock_client(routes, { polling_interval = 5 })
      local poller = assert(begin(client, "PUT", "/things/1"))
      assert.is_false(poller:done())
      assert.equal("InProgress", poller:status())
      local calls = {}
      local cb = function(m) calls[#calls + 1] = m end
      poller:add_done_callback(cb)
      poller:add_done_callback(function() calls[#calls + 1] = "second" end)
      assert.same({ "PUT /things/1" }, seen)
      assert.same({ v = 1 }, poller:result())
      assert.is_true(poller:done())
      assert.equal("Succeeded", poller:status())
      assert.same({ poller:polling_method(), "second" }, calls)
      assert.is_true(poller:wait())
      assert.equal(2, #calls)
      -- after completion: called at once; removing raises
      poller:add_done_callback(cb)
      assert.equal(3, #calls)
      local ok, err = pcall(poller.remove_done_callback, poller, cb)
      assert.is_false(ok)
      assert.equal("Process is complete.", err.message)
      assert.equal("ValueError", err.kind)
   end)

   it("remove_done_callback before completion forgets the callback", function()
      local client = mock_client(routes)
      local poller = assert(begin(client, "PUT", "/things/1", { polling_interval = 0 }))
      local called = false
      local cb = function() called = true end
      poller:add_done_callback(cb)
      poller:remove_done_callback(cb)
      assert(poller:result())
      assert.is_false(called)
   end)

   it("sleeps the interval between polls, none before the first (through the transport)", function()
      routes["GET /ops/1"] = { RUNNING, RUNNING, SUCCEEDED }
      local client, t = mock_client(routes, { polling_interval = 7 })
      assert(assert(begin(client, "PUT", "/things/1")):result())
      assert.same({ 7, 7 }, t.sleeps)
   end)

   it("the interval defaults to 30 s (Configuration.polling_interval)", function()
      local client, t = mock_client(routes)
      assert(assert(begin(client, "PUT", "/things/1")):result())
      assert.same({ 30 }, t.sleeps)
      local client2, t2 = mock_client(routes)
      local m = base.LROBasePolling.new(2)
      assert(assert(begin(client2, "PUT", "/things/1", { polling_method = m })):result())
      assert.same({ 2 }, t2.sleeps)
   end)

   it("Retry-After (seconds, -ms, x-ms-...-ms) wins over the interval; 0 means the interval",
      function()
         routes["GET /ops/1"] = {
            { 200, { ["Retry-After"] = "3" }, { status = "Running" } },
            { 200, { ["retry-after-ms"] = "250" }, { status = "Running" } },
            { 200, { ["x-ms-retry-after-ms"] = "1500" }, { status = "Running" } },
            { 200, { ["Retry-After"] = "0" }, { status = "Running" } },
            SUCCEEDED }
         local client, t = mock_client(routes, { polling_interval = 9 })
         assert(assert(begin(client, "PUT", "/things/1")):result())
         assert.same({ 3, 0.25, 1.5, 9 }, t.sleeps)
      end)

   it("takes a deserialization table with a deserialize method", function()
      local Model = { deserialize = function(cls, presp)
         return { model = cls.tag, body = presp.http_response:json() }
      end, tag = "Thing" }
      local client = mock_client(routes)
      local poller = assert(begin(client, "PUT", "/things/1",
         { polling_interval = 0, deserialization_callback = Model }))
      assert.same({ model = "Thing", body = { v = 1 } }, poller:result())
   end)

   it("returns the callback's error, and wraps what it raises", function()
      local client = mock_client(routes)
      local poller = assert(begin(client, "PUT", "/things/1", { polling_interval = 0,
         deserialization_callback = function() return nil, exceptions.DecodeError.new{
            message = "no model" } end }))
      local v, err = poller:result()
      assert.is_nil(v)
      assert.equal("DecodeError", err.type)
      poller = assert(begin(mock_client(routes), "PUT", "/things/1", { polling_interval = 0,
         deserialization_callback = function() error("model broke") end }))
      v, err = poller:result()
      assert.is_nil(v)
      assert.matches("model broke", tostring(err))
   end)

   it("wait(timeout) stops before a wait past the timeout and continues later", function()
      routes["GET /ops/1"] = { { 200, nil, { status = "Cancelled" } } } -- not terminal
      local client, t = mock_client(routes, { polling_interval = 1 })
      local poller = assert(begin(client, "PUT", "/things/1"))
      assert.is_true(poller:wait(3.5))
      assert.is_false(poller:done())
      assert.equal("Cancelled", poller:status())
      assert.same({ 1, 1, 1 }, t.sleeps)
      assert.is_true(poller:wait(1))
      assert.same({ 1, 1, 1, 1 }, t.sleeps)
      assert.is_false(poller:done())
   end)

   it("accepts the HttpResponse send_request returns as the initial response", function()
      local client = mock_client(routes)
      local req = rest.HttpRequest.new("PUT", "http://lro.test/things/1")
      local res = assert(client:send_request(req))
      local poller = assert(polling.LROPoller.new(client, res, nil, base.LROBasePolling.new(0)))
      assert.same({ v = 1 }, poller:result())
      assert.is_string(poller:continuation_token())
   end)

   it("checks its arguments", function()
      assert.has_error(function() polling.LROPoller.new({}, {}, nil, nil) end)
      assert.has_error(function()
         polling.LROPoller.new({}, "response", nil, polling.NoPolling.new())
      end)
      assert.has_error(function() polling.LROPoller.new({}, {}, 42, polling.NoPolling.new()) end)
      local m = base.LROBasePolling.new(1)
      local ok, err = pcall(m.status, m)
      assert.is_false(ok)
      assert.equal("set_initial_status was never called. Did you give this instance to a poller?",
         err.message)
      assert.has_error(function() base.LROBasePolling.new(-1) end)
      assert.has_error(function() base.LROBasePolling.new("x") end)
   end)
end)

describe("LROBasePolling rules (§8.3)", function()
   it("rejects an initial status other than 200/201/202/204", function()
      local client = mock_client({ ["PUT /x"] = { { 203, OPLOC, "" } } })
      local m = base.LROBasePolling.new(0)
      local poller, err = begin(client, "PUT", "/x", { polling_method = m })
      assert.is_nil(poller)
      assert.equal("HttpResponseError", err.type)
      assert.equal(203, err.status_code)
      assert.equal("BadStatus", err.inner_exception.type)
      assert.equal("Invalid return status 203 for 'PUT' operation", err.inner_exception.message)
      assert.equal("Failed", m:status())
   end)

   it("with a custom strategy list that matches nothing: no status link", function()
      local client = mock_client({ ["PUT /x"] = { { 201, nil, "" } } })
      local poller, err = begin(client, "PUT", "/x",
         { lro_algorithms = { base.OperationResourcePolling.new() } })
      assert.is_nil(poller)
      assert.equal("Unable to find status link for polling.", err.message)
   end)

   it("reads the initial body's status: terminal means no poll", function()
      local client, _, seen = mock_client({
         ["PUT /x"] = { { 201, OPLOC, { status = "succeeded", name = "x" } } } })
      local poller = assert(begin(client, "PUT", "/x", { polling_interval = 0 }))
      assert.is_true(poller:done())
      assert.same({ status = "succeeded", name = "x" }, poller:result())
      assert.same({ "PUT /x" }, seen)
   end)

   it("an initial body that is not JSON, or has no status, means InProgress", function()
      for _, body in ipairs({ "not json", "", { name = "x" } }) do
         local client = mock_client({ ["PUT /x"] = { { 201, OPLOC, body } },
            ["GET /ops/1"] = { SUCCEEDED }, ["GET /x"] = { { 200, nil, { ok = true } } } })
         local poller = assert(begin(client, "PUT", "/x", { polling_interval = 0 }))
         assert.equal("InProgress", poller:status())
         assert.same({ ok = true }, poller:result())
      end
   end)

   it("status bodies: empty, not JSON, without status", function()
      local cases = {
         { "", "BadResponse", "The response from long running operation does not contain a body." },
         { "{oops", "DecodeError", "Error occurred in deserializing the response body." },
         { { state = "x" }, "BadResponse", "No status found in body" },
      }
      for _, c in ipairs(cases) do
         local client = mock_client({ ["PUT /x"] = { { 201, OPLOC, "" } },
            ["GET /ops/1"] = { { 200, nil, c[1] } } })
         local poller = assert(begin(client, "PUT", "/x", { polling_interval = 0 }))
         local v, err = poller:result()
         assert.is_nil(v)
         if c[2] == "DecodeError" then
            assert.equal("DecodeError", err.type)
            assert.equal(c[3], err.message)
         else
            assert.equal("HttpResponseError", err.type)
            assert.equal(c[3], err.message)
            assert.equal("Failed", poller:status())
         end
         assert.is_string(err.continuation_token)
      end
   end)

   it("LocationPolling follows a changing Location; 202 is in progress", function()
      local client, _, seen = mock_client({
         ["POST /job"] = { { 202, { Location = "http://lro.test/l/1" }, "" } },
         ["GET /l/1"] = { { 202, { Location = "http://lro.test/l/2" }, "" } },
         ["GET /l/2"] = { { 202, nil, "" }, { 200, nil, { done = true } } } })
      local poller = assert(begin(client, "POST", "/job", { polling_interval = 0 }))
      assert.same({ done = true }, poller:result())
      assert.same({ "POST /job", "GET /l/1", "GET /l/2", "GET /l/2" }, seen)
   end)

   it("an empty final body gives a nil result", function()
      local client = mock_client({
         ["DELETE /x"] = { { 202, { Location = "http://lro.test/l" }, "" } },
         ["GET /l"] = { { 204, nil, "" } } })
      local poller = assert(begin(client, "DELETE", "/x", { polling_interval = 0 }))
      local v, err = poller:result()
      assert.is_nil(v)
      assert.is_nil(err)
      assert.is_true(poller:done())
   end)

   it("a failing final GET is an HttpResponseError", function()
      local client = mock_client({ ["PUT /x"] = { { 201, OPLOC, "" } },
         ["GET /ops/1"] = { SUCCEEDED }, ["GET /x"] = { { 404, nil, "gone" } } })
      local v, err = assert(begin(client, "PUT", "/x", { polling_interval = 0 })):result()
      assert.is_nil(v)
      assert.equal(404, err.status_code)
   end)

   it("path_format_arguments format the polling URL against the client", function()
      local client, _, seen = mock_client({
         ["PUT /acc/x"] = { { 201, { ["Operation-Location"] = "/ops/{opid}" }, "" } },
         ["GET /acc/ops/o1"] = { SUCCEEDED }, ["GET /acc/x"] = { { 200, nil, { ok = 1 } } } },
         { base_url = "http://lro.test/{account}" })
      local m = base.LROBasePolling.new(0, { path_format_arguments = { account = "acc",
         opid = "o1" } })
      local poller = assert(polling.begin(client, rest.HttpRequest.new("PUT",
         "http://lro.test/acc/x"), { polling_method = m }))
      assert.same({ ok = 1 }, poller:result())
      assert.same({ "PUT /acc/x", "GET /acc/ops/o1", "GET /acc/x" }, seen)
   end)

   it("final-state-via values and names are case-insensitive", function()
      local client, _, seen = mock_client({
         ["PUT /x"] = { { 201, { ["Operation-Location"] = "http://lro.test/ops/1",
            Location = "http://lro.test/loc" }, "" } },
         ["GET /ops/1"] = { SUCCEEDED }, ["GET /loc"] = { { 200, nil, { via = "loc" } } } })
      local poller = assert(begin(client, "PUT", "/x", { polling_interval = 0,
         lro_options = { ["Final-State-Via"] = "Location" } }))
      assert.same({ via = "loc" }, poller:result())
      assert.same({ "PUT /x", "GET /ops/1", "GET /loc" }, seen)
   end)

   it("a service's own status shape: a plain-table strategy", function()
      -- a job service: X-Job-Url header; {"state": "queued"|"running"|"done"|"error"}
      local STATES = { queued = "InProgress", running = "InProgress", done = "Succeeded",
         error = "Failed" }
      local JobPolling = {}
      JobPolling.__index = JobPolling
      function JobPolling.can_poll(_, presp)
         return presp.http_response.headers["x-job-url"] ~= nil
      end
      function JobPolling:get_polling_url() return self.url end
      function JobPolling:set_initial_status(presp)
         self.url = presp.http_response.headers["x-job-url"]
         return "InProgress"
      end
      function JobPolling.get_status(_, presp)
         local body = presp.http_response:json()
         local s = body and STATES[body.state]
         if not s then return nil, "unknown job state" end
         return s
      end
      function JobPolling.get_final_get_url() return nil end
      local routes = {
         ["POST /jobs"] = { { 202, { ["X-Job-Url"] = "http://lro.test/jobs/7" }, "" } },
         ["GET /jobs/7"] = { { 200, nil, { state = "queued" } },
            { 200, nil, { state = "running" } },
            { 200, nil, { state = "done", output = "hi" } } } }
      local client = mock_client(routes)
      local poller = assert(begin(client, "POST", "/jobs", { polling_interval = 0,
         lro_algorithms = { setmetatable({}, JobPolling), base.StatusCheckPolling.new() } }))
      assert.same({ state = "done", output = "hi" }, poller:result())
      -- a state it does not know: a returned string is a bad response
      routes["GET /jobs/7"] = { { 200, nil, { state = "exploded" } } }
      client = mock_client(routes)
      poller = assert(begin(client, "POST", "/jobs", { polling_interval = 0,
         lro_algorithms = { setmetatable({}, JobPolling) } }))
      local v, err = poller:result()
      assert.is_nil(v)
      assert.equal("unknown job state", err.message)
      assert.equal("Failed", poller:status())
   end)

   it("a strategy derived from OperationResourcePolling overrides one method", function()
      local Polling = base.OperationResourcePolling:extend("StatePolling")
      function Polling.get_status(_, presp)
         local body = presp.http_response:json()
         return body and body.properties and body.properties.state
      end
      local client = mock_client({
         ["PUT /x"] = { { 201, { ["x-status"] = "http://lro.test/s" }, "" } },
         ["GET /s"] = { { 200, nil, { properties = { state = "Working" } } },
            { 200, nil, { properties = { state = "CANCELED" } } } } })
      local poller = assert(begin(client, "PUT", "/x", { polling_interval = 0,
         lro_algorithms = { Polling.new("x-status") } }))
      local v, err = poller:result()
      assert.is_nil(v)
      assert.equal("HttpResponseError", err.type)
      assert.equal("OperationFailed", err.inner_exception.type)
      assert.equal("CANCELED", poller:status())
   end)

   it("Lua errors raised inside a strategy come back wrapped", function()
      local S = base.LocationPolling:extend("Broken")
      function S.get_status() error("strategy bug") end
      local client = mock_client({
         ["POST /j"] = { { 202, { Location = "http://lro.test/l" }, "" } },
         ["GET /l"] = { { 200, nil, "" } } })
      local poller = assert(begin(client, "POST", "/j", { polling_interval = 0,
         lro_algorithms = { S.new() } }))
      local v, err = poller:result()
      assert.is_nil(v)
      assert.equal("AzureError", err.type)
      assert.matches("strategy bug", tostring(err.inner_exception))
   end)
end)

describe("continuation tokens", function()
   local function initial(headers, req_headers)
      local req = rest.HttpRequest.new("PUT", "https://svc.test/things/1?api-version=1",
         { headers = req_headers })
      local res = rest.HttpResponse.new{ request = req, status_code = 201, reason = "Created",
         headers = headers, content = '{"name":"x"}' }
      return { http_request = req, http_response = res }
   end

   it("are versioned base64 JSON without secrets", function()
      local token = assert(ctoken.encode(initial({ ["Operation-Location"] = "https://svc.test/o",
         ["Set-Cookie"] = "session=s3cret", ["x-ms-encryption-key"] = "k3y" },
         { Authorization = "Bearer t0ken", ["x-ms-client-request-id"] = "rid-1",
            ["api-key"] = "apik3y" })))
      local text = serialization._b64decode(token)
      local doc = json.decode(text)
      assert.equal("azure.core.lua/lro", doc.format)
      assert.equal(1, doc.version)
      assert.equal("PUT", doc.request.method)
      assert.same({ { "x-ms-client-request-id", "rid-1" } }, doc.request.headers)
      for _, secret in ipairs({ "t0ken", "s3cret", "k3y", "apik3y" }) do
         assert.is_nil(text:find(secret, 1, true), secret)
      end
      local presp = assert(ctoken.decode(token))
      local res = presp.http_response
      assert.equal(201, res.status_code)
      assert.equal("Created", res.reason)
      assert.equal('{"name":"x"}', res.content)
      assert.equal("https://svc.test/o", res.headers["operation-location"])
      assert.is_nil(res.headers["set-cookie"])
      assert.equal("https://svc.test/things/1?api-version=1", res.request.url)
      assert.equal("rid-1", res.request.headers["x-ms-client-request-id"])
   end)

   it("keep binary bodies intact", function()
      local body = "\0\1\2\255\254 bytes"
      local req = rest.HttpRequest.new("POST", "https://svc.test/x")
      local res = rest.HttpResponse.new{ request = req, status_code = 202, content = body }
      local presp = assert(ctoken.decode(assert(ctoken.encode({ http_response = res }))))
      assert.equal(body, presp.http_response.content)
   end)

   it("malformed or foreign tokens give a clear ValueError", function()
      local function enc(t) return serialization._b64encode(json.encode(t)) end
      local good = json.decode(serialization._b64decode(assert(ctoken.encode(initial({})))))
      local newer = json.decode(json.encode(good))
      newer.version = 2
      local cases = {
         { "", "not base64" },
         { "not a token!", "not base64" },
         { serialization._b64encode("plain text"), "not a token of azure.core for Lua" },
         { serialization._b64encode("\128\4\149pickled"), "pickled azure-core (Python) token" },
         { enc({ format = "something/else", version = 1 }), "not a token of azure.core for Lua" },
         { enc(newer), "version 2 is newer" },
         { enc({ format = "azure.core.lua/lro", version = 1 }), "missing request" },
      }
      for _, c in ipairs(cases) do
         local presp, err = ctoken.decode(c[1])
         assert.is_nil(presp, c[2])
         assert.equal("ValueError", err.kind)
         assert.matches("Invalid continuation token: ", err.message, 1, true)
         assert.matches(c[2], err.message, 1, true)
      end
      local client = mock_client({})
      local poller, err = polling.LROPoller.from_continuation_token(base.LROBasePolling.new(0),
         "garbage", { client = client, deserialization_callback = polling.deserialize_json })
      assert.is_nil(poller)
      assert.equal("ValueError", err.kind)
   end)

   it("from_continuation_token needs a client and a callback", function()
      local token = assert(ctoken.encode(initial({})))
      local ok, err = pcall(polling.LROPoller.from_continuation_token,
         base.LROBasePolling.new(0), token, { deserialization_callback = print })
      assert.is_false(ok)
      assert.equal("Need kwarg 'client' to be recreated from continuation_token", err.message)
      ok, err = pcall(polling.LROPoller.from_continuation_token,
         base.LROBasePolling.new(0), token, { client = mock_client({}) })
      assert.is_false(ok)
      assert.equal("Need kwarg 'deserialization_callback' to be recreated from continuation_token",
         err.message)
   end)
end)

---------------------------------------------------------------------------------------------------
-- Scenarios against the test server, through both drivers
---------------------------------------------------------------------------------------------------

-- A Lua transport over a real CurlTransport that records sleeps instead of sleeping (Lua driver).
local function recording()
   local inner = transport.CurlTransport.new()
   return {
      sleeps = {},
      send = function(_, req, opts) return inner:send(req, opts) end,
      sleep = function(self, s) self.sleeps[#self.sleeps + 1] = s end,
      close = function() inner:close() end,
   }
end

local function arm_algorithms(lro_options)
   return {
      base.OperationResourcePolling.new("azure-asyncoperation", { lro_options = lro_options }),
      base.LocationPolling.new(), base.StatusCheckPolling.new() }
end

-- name, method, route (after /lro/<id>/), begin options, expected result field, server counts
local SCENARIOS = {
   { "PUT 201 + operation-location polled to Succeeded, then GET of the PUT URL", "PUT",
      "resource?op=operation-location&polls=2", {}, { via = "resource" },
      { polls = 3, location_polls = 0, finals = 1 } },
   { "PUT + Azure-AsyncOperation + Location (ARM): final GET of the PUT URL", "PUT",
      "resource?op=azure-asyncoperation&location=1&polls=2",
      { lro_algorithms = arm_algorithms() }, { via = "resource" },
      { polls = 3, location_polls = 0, finals = 1 } },
   { "PUT + Azure-AsyncOperation + Location, final-state-via location", "PUT",
      "resource?op=azure-asyncoperation&location=1&polls=1",
      { lro_algorithms = arm_algorithms({ ["final-state-via"] = "location" }) },
      { via = "location" }, { polls = 2, location_polls = 0, finals = 1 } },
   { "PUT + Azure-AsyncOperation + Location, default strategies: Location wins", "PUT",
      "resource?op=azure-asyncoperation&location=1", {}, { via = "location" },
      { polls = 0, location_polls = 0, finals = 1 } },
   { "POST 202 + Location polled until 200", "POST", "action?location=1&polls=2", {},
      { via = "location" }, { polls = 0, location_polls = 3, finals = 0 } },
   { "DELETE + operation-location: the last status body is the result", "DELETE",
      "resource?op=operation-location&polls=1", {}, { status = "Succeeded" },
      { polls = 2, location_polls = 0, finals = 0 } },
   { "POST + operation-location + Location: final GET of the Location", "POST",
      "action?op=operation-location&location=1&polls=1", {}, { via = "location" },
      { polls = 2, location_polls = 0, finals = 1 } },
   { "POST, final-state-via operation-location: no final GET", "POST",
      "action?op=operation-location&location=1&polls=1",
      { lro_options = { ["final-state-via"] = "operation-location" } }, { status = "Succeeded" },
      { polls = 2, location_polls = 0, finals = 0 } },
   { "POST, status body with resourceLocation: final GET there", "POST",
      "action?op=operation-location&polls=1&resource_location=1", {},
      { via = "resourceLocation" }, { polls = 2, location_polls = 0, finals = 1 } },
   { "PATCH + relative operation-location resolved against the client", "PATCH",
      "resource?op=operation-location&relative=1&polls=1", {}, { via = "resource" },
      { polls = 2, location_polls = 0, finals = 1 } },
   { "an initial body that is already terminal: no poll", "PUT",
      "resource?op=operation-location&initial_status=Succeeded", {},
      { status = "Succeeded" }, { polls = 0, location_polls = 0, finals = 0, initial = 1 } },
   { "200 without a status link: nothing to poll", "PUT", "resource?code=200", {},
      { provisioningState = "Creating" }, { polls = 0, location_polls = 0, finals = 0 } },
   { "a first request that must be retried (503, then 201)", "PUT",
      "resource?op=operation-location&fail_first=503&polls=1", {}, { via = "resource" },
      { polls = 2, location_polls = 0, finals = 1, initial = 2 } },
}

for _, driver in ipairs({ "native", "lua" }) do
   describe("LRO scenarios (" .. driver .. " driver)", function()
      local client, rec
      local INTERVAL = 0.01
      before_each(function()
         rec = driver == "lua" and recording() or nil
         client = core.PipelineClient.new(helper.url(""), { driver = driver, transport = rec,
            polling_interval = INTERVAL, retry_backoff_factor = 0.01 })
      end)
      after_each(function() client:close() end)

      local function start(method, route, opts)
         local id = key()
         local req = rest.HttpRequest.new(method, helper.url("/lro/" .. id .. "/" .. route))
         local poller, err = polling.begin(client, req, opts)
         return poller, err, id
      end

      local function log(id)
         return assert(client:send_request(client:get("/lro/" .. id .. "/log"))):json()
      end

      for _, s in ipairs(SCENARIOS) do
         it(s[1], function()
            local poller, err, id = start(s[2], s[3], s[4])
            assert.is_nil(err)
            local value = assert(poller:result())
            for k, v in pairs(s[5]) do assert.equal(v, value[k], k) end
            assert.is_true(poller:done())
            assert.is_true(base.succeeded(poller:status()))
            local seen = log(id)
            for k, v in pairs(s[6]) do assert.equal(v, seen[k], k) end
            -- every poll re-sends the initial request's x-ms-client-request-id
            for _, rid in ipairs(seen.request_ids or {}) do
               assert.equal(seen.initial_request_id, rid)
            end
         end)
      end

      it("a failed operation: HttpResponseError with the status body, and a token", function()
         local poller, _, id = start("PUT", "resource?op=operation-location&polls=1&final=Failed")
         local v, err = poller:result()
         assert.is_nil(v)
         assert.equal("HttpResponseError", err.type)
         assert.equal(200, err.status_code)
         assert.equal("OperationFailed", err.error_code)
         assert.equal("(OperationFailed) the operation ended: failed",
            tostring(err):match("^[^\n]*"))
         assert.equal("OperationFailed", err.inner_exception.type)
         assert.equal("Failed", poller:status())
         assert.is_true(poller:done())
         assert.is_string(err.continuation_token)
         assert(ctoken.decode(err.continuation_token))
         local again, err2 = poller:wait()
         assert.is_nil(again)
         assert.equal(err, err2)
         assert.equal(0, log(id).finals)
      end)

      it("a canceled operation", function()
         local poller = start("POST", "action?op=operation-location&polls=0&final=Canceled")
         local v, err = poller:result()
         assert.is_nil(v)
         assert.equal("(OperationCanceled) the operation ended: canceled",
            tostring(err):match("^[^\n]*"))
         assert.equal("Canceled", poller:status())
      end)

      it("'Cancelled' (two l) is not terminal: wait(timeout) returns, still running", function()
         local poller, _, id = start("PUT",
            "resource?op=operation-location&polls=0&final=Cancelled")
         assert.is_true(poller:wait(INTERVAL * 3.5))
         assert.is_false(poller:done())
         assert.equal("Cancelled", poller:status())
         assert.equal(4, log(id).polls)
      end)

      it("an initial body that already failed: an error at once, no poll", function()
         local poller, err, id = start("PUT",
            "resource?op=operation-location&initial_status=Failed")
         assert.is_nil(poller)
         assert.equal("HttpResponseError", err.type)
         assert.equal(201, err.status_code)
         assert.equal("Operation failed or canceled", err.message)
         assert.equal(0, log(id).polls)
      end)

      it("an initial error status is an HttpResponseError (error_map applies)", function()
         local poller, err = start("PUT", "resource?op=operation-location&code=409")
         assert.is_nil(poller)
         assert.equal("HttpResponseError", err.type)
         assert.equal(409, err.status_code)
         poller, err = start("PUT", "resource?op=operation-location&code=409",
            { error_map = { [409] = exceptions.ResourceExistsError } })
         assert.is_nil(poller)
         assert.equal("ResourceExistsError", err.type)
      end)

      it("a poll answered 404 fails the operation", function()
         local poller = start("PUT", "resource?op=operation-location&bad_poll=404")
         local v, err = poller:result()
         assert.is_nil(v)
         assert.equal(404, err.status_code)
         assert.equal("BadStatus", err.inner_exception.type)
         assert.equal("Failed", poller:status())
      end)

      it("Retry-After on polls is what is slept (ms variant; 0 means the interval)", function()
         local t0 = helper.now()
         local poller = start("PUT", "resource?op=operation-location&polls=2&retry_after_ms=30")
         assert(poller:result())
         local elapsed = helper.now() - t0
         local poller0 = start("PUT", "resource?op=operation-location&polls=2&retry_after=0")
         assert(poller0:result())
         if rec then
            assert.same({ 0.03, 0.03, INTERVAL, INTERVAL }, rec.sleeps)
         else
            assert.is_true(elapsed >= 0.06, "slept " .. elapsed)
         end
      end)

      if driver == "lua" then
         it("Retry-After in seconds (recorded, not slept)", function()
            assert(start("PUT", "resource?op=operation-location&polls=2&retry_after=2"):result())
            assert.same({ 2, 2 }, rec.sleeps)
         end)
      end

      it("per-call options of the polling method reach every poll", function()
         local m = base.LROBasePolling.new(INTERVAL, { request_id = "poll-id" })
         local poller, _, id = start("PUT", "resource?op=operation-location&polls=1",
            { polling_method = m })
         assert(poller:result())
         assert.same({ "poll-id", "poll-id" }, log(id).request_ids)
      end)

      it("a poller resumed from its continuation token in a fresh client finishes", function()
         local secret_client = core.PipelineClient.new(helper.url(""), { driver = driver,
            transport = driver == "lua" and recording() or nil,
            headers = { Authorization = "Bearer very-secret" } })
         local req = rest.HttpRequest.new("PUT", helper.url("/lro/" .. key() .. "/resource?"
            .. "op=operation-location&polls=2"))
         local id = req.url:match("/lro/([^/]+)/")
         local first = assert(polling.begin(secret_client, req))
         local token = assert(first:continuation_token())
         secret_client:close()
         assert.is_nil(serialization._b64decode(token):find("very-secret", 1, true))
         local poller = assert(polling.LROPoller.from_continuation_token(
            base.LROBasePolling.new(INTERVAL), token,
            { client = client, deserialization_callback = polling.deserialize_json }))
         assert.is_false(poller:done())
         local value = assert(poller:result())
         assert.equal("resource", value.via)
         local seen = log(id)
         assert.equal(1, seen.initial)
         assert.equal(3, seen.polls)
         for _, rid in ipairs(seen.request_ids) do assert.equal(seen.initial_request_id, rid) end
         -- begin() resumes too
         local again = assert(polling.begin(client, nil, { continuation_token = token }))
         assert.equal("resource", assert(again:result()).via)
      end)

      it("the error of a failed poll carries a token that resumes the operation", function()
         local poller = start("PUT", "resource?op=operation-location&polls=1&bad_poll=500",
            { polling_method = base.LROBasePolling.new(INTERVAL, { retry_total = 0 }) })
         local v, err = poller:result()
         assert.is_nil(v)
         assert.equal(500, err.status_code)
         local resumed = assert(polling.begin(client, nil,
            { continuation_token = err.continuation_token }))
         assert.equal("resource", assert(resumed:result()).via)
      end)
   end)
end

describe("continuation token resumed in another process", function()
   it("finishes the operation", function()
      local client = core.PipelineClient.new(helper.url(""), { polling_interval = 0.01 })
      local id = key()
      local poller = assert(polling.begin(client, rest.HttpRequest.new("PUT",
         helper.url("/lro/" .. id .. "/resource?op=operation-location&polls=2"))))
      local token = assert(poller:continuation_token())
      client:close()
      local script = [[
         local core = require("azure.core")
         local polling = require("azure.core.polling")
         local client = core.PipelineClient.new(arg[1], { polling_interval = 0.01 })
         local poller = assert(polling.begin(client, nil, { continuation_token = arg[2] }))
         local value = assert(poller:result())
         print(value.via, value.name, poller:status())
      ]]
      local path = os.tmpname()
      local f = assert(io.open(path, "w"))
      f:write(script)
      f:close()
      local p = assert(io.popen(("LUA_PATH='lua/?.lua;lua/?/init.lua;;' "
         .. "LUA_CPATH='" .. package.cpath .. "' " .. helper.lua_exe() .. " '%s' '%s' '%s' 2>&1"):format(path,
         helper.url(""), token)))
      local out = p:read("*a")
      p:close()
      os.remove(path)
      assert.equal("resource\t" .. id .. "\tSucceeded\n", out)
   end)
end)

-- PipelineClient with the default native chain, and RetryPolicy / RedirectPolicy rule by rule
-- (BEHAVIOR §2-§4.7) against the test server, through both drivers. The Lua driver runs over a
-- recording transport (real CurlTransport sends, sleeps recorded instead of slept) so sleeps are
-- checked exactly; the native driver really sleeps, so its delays are tiny and checked by time.
local core = require("azure.core")
local rest = require("azure.core.rest")
local policies = require("azure.core.pipeline.policies")
local transport = require("azure.core.pipeline.transport")
local configuration = require("azure.core.configuration")
local helper = require("support.helper")

local unique = 0
local function key()
   unique = unique + 1
   return ("k%d_%d"):format(os.time(), unique)
end

-- A Lua transport over a real CurlTransport: counts sends, records sleeps without waiting.
local function recording()
   local inner = transport.CurlTransport.new()
   return {
      sends = 0, sleeps = {},
      send = function(self, req, opts) self.sends = self.sends + 1; return inner:send(req, opts) end,
      sleep = function(self, s) self.sleeps[#self.sleeps + 1] = s end,
      close = function() inner:close() end,
   }
end

local function count(k)
   local t = transport.CurlTransport.new()
   local res = assert(t:send(rest.HttpRequest.new("GET", helper.url("/sequence/" .. k .. "/count"))))
   t:close()
   return res:json().count
end

describe("RetryPolicy and RedirectPolicy (Lua driver, recorded sleeps)", function()
   local rec, client
   before_each(function()
      rec = recording()
      client = core.PipelineClient.new(helper.url(""), { transport = rec, retry_jitter_factor = 0 })
   end)
   after_each(function() client:close() end)

   local function send(method, path, opts, content)
      return client:send_request(rest.HttpRequest.new(method, helper.url(path),
         content and { content = content } or nil), opts)
   end

   it("retries 503 twice then succeeds, sleeping factor*2^(n-1) from the first retry", function()
      local k = key()
      local res = assert(send("GET", "/sequence/" .. k .. "?statuses=503,503,200"))
      assert.equal(200, res.status_code)
      assert.equal(3, count(k))
      assert.same({ 0.8, 1.6 }, rec.sleeps)
   end)

   it("fixed mode sleeps the factor each time", function()
      local c = core.PipelineClient.new(helper.url(""), { transport = rec, policies = {
         policies.RetryPolicy.new{ retry_mode = "fixed", retry_backoff_factor = 0.5,
            retry_jitter_factor = 0 } } })
      local k = key()
      assert.equal(200, assert(c:send_request(rest.HttpRequest.new("GET",
         helper.url("/sequence/" .. k .. "?statuses=500,500,200")))).status_code)
      assert.same({ 0.5, 0.5 }, rec.sleeps)
   end)

   it("jitter stays within ±20% by default", function()
      local c = core.PipelineClient.new(helper.url(""), { transport = rec })
      assert(c:send_request(rest.HttpRequest.new("GET",
         helper.url("/sequence/" .. key() .. "?statuses=503,503,200"))))
      assert.equal(2, #rec.sleeps)
      assert.is_true(rec.sleeps[1] >= 0.64 and rec.sleeps[1] <= 0.96)
      assert.is_true(rec.sleeps[2] >= 1.28 and rec.sleeps[2] <= 1.92)
   end)

   it("gives up after 3 status retries (4 attempts) and returns the last response", function()
      local k = key()
      local res = assert(send("GET", "/sequence/" .. k .. "?statuses=500"))
      assert.equal(500, res.status_code)
      assert.equal(4, count(k))
   end)

   it("retry_total caps attempts: 0 -> 1, 1 -> 2; retry_status=10,total=5 -> 6", function()
      local k0, k1, k5 = key(), key(), key()
      send("GET", "/sequence/" .. k0 .. "?statuses=500", { retry_total = 0 })
      send("GET", "/sequence/" .. k1 .. "?statuses=500", { retry_total = 1 })
      send("GET", "/sequence/" .. k5 .. "?statuses=500", { retry_total = 5, retry_status = 10 })
      assert.equal(1, count(k0))
      assert.equal(2, count(k1))
      assert.equal(6, count(k5))
   end)

   it("POST/PATCH are retried only on 500, 503, 504", function()
      local a, b, c, d = key(), key(), key(), key()
      send("POST", "/sequence/" .. a .. "?statuses=500,200")
      send("POST", "/sequence/" .. b .. "?statuses=502,200")
      send("POST", "/sequence/" .. c .. "?statuses=429,200")
      send("PATCH", "/sequence/" .. d .. "?statuses=504,200")
      assert.equal(2, count(a))
      assert.equal(1, count(b))
      assert.equal(1, count(c))
      assert.equal(2, count(d))
   end)

   it("never retries 501, 505 or 4xx without Retry-After; a 202 is final", function()
      for _, st in ipairs({ "501", "505", "404", "400" }) do
         local k = key()
         assert.equal(tonumber(st), assert(send("GET", "/sequence/" .. k .. "?statuses=" .. st .. ",200")).status_code)
         assert.equal(1, count(k))
      end
   end)

   it("Retry-After makes any >= 400 retryable and is slept exactly (seconds)", function()
      local k = key()
      local res = assert(send("POST", "/sequence/" .. k .. "?statuses=404,200&retry_after=2"))
      assert.equal(200, res.status_code)
      assert.same({ 2 }, rec.sleeps)
   end)

   it("retry-after-ms and x-ms-retry-after-ms are milliseconds; Retry-After wins", function()
      send("GET", "/sequence/" .. key() .. "?statuses=503,200&header=retry-after-ms:1500")
      send("GET", "/sequence/" .. key() .. "?statuses=503,200&header=x-ms-retry-after-ms:250")
      send("GET", "/sequence/" .. key() .. "?statuses=503,200&retry_after=3&header=retry-after-ms:10")
      assert.same({ 1.5, 0.25, 3 }, rec.sleeps)
   end)

   it("Retry-After as an HTTP-date in the past sleeps the backoff", function()
      send("GET", "/sequence/" .. key() .. "?statuses=503,200&header=Retry-After:Sun,%2006%20Nov%201994%2008:49:37%20GMT")
      assert.same({ 0.8 }, rec.sleeps)
   end)

   it("connection errors use the connect budget: 4 attempts to a refused port", function()
      local res, err = client:send_request(rest.HttpRequest.new("GET", "http://127.0.0.1:1/"))
      assert.is_nil(res)
      assert.equal("ServiceRequestError", err.type)
      assert.equal(4, rec.sends)
      local none = recording()
      local c = core.PipelineClient.new(helper.url(""), { transport = none, retry_connect = 0 })
      c:send_request(rest.HttpRequest.new("GET", "http://127.0.0.1:1/"))
      assert.equal(1, none.sends)
   end)

   it("errors are not retried for POST", function()
      client:send_request(rest.HttpRequest.new("POST", "http://127.0.0.1:1/"))
      assert.equal(1, rec.sends)
   end)

   it("a body that cannot rewind is not resent", function()
      local k = key()
      local chunks, i = { "a", "b" }, 0
      local res = assert(send("PUT", "/sequence/" .. k .. "?statuses=503,200", nil,
         function() i = i + 1; return chunks[i] end))
      assert.equal(503, res.status_code)
      assert.equal(1, count(k))
   end)

   it("a file body is rewound and resent", function()
      local k = key()
      local f = assert(io.tmpfile())
      f:write("file body"); f:seek("set", 0)
      local res = assert(send("PUT", "/sequence/" .. k .. "?statuses=503,200", nil, f))
      assert.equal(200, res.status_code)
      assert.equal(2, count(k))
      f:close()
   end)

   it("the timeout budget ends retries with ServiceResponseTimeoutError, without sleeping it", function()
      local k = key()
      local res, err = send("GET", "/sequence/" .. k .. "?statuses=503&retry_after=5", { timeout = 1 })
      assert.is_nil(res)
      assert.equal("ServiceResponseTimeoutError", err.type)
      assert.same({}, rec.sleeps)
   end)

   it("per-retry policies see every attempt; the request id stays the same", function()
      local seen = {}
      local P = policies.SansIOHTTPPolicy:extend()
      function P:on_request(preq) seen[#seen + 1] = preq.http_request.headers["x-ms-client-request-id"] end
      local c = core.PipelineClient.new(helper.url(""), { transport = rec, retry_jitter_factor = 0,
         per_retry_policies = { P.new() } })
      assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/sequence/" .. key() .. "?statuses=503,503,200"))))
      assert.equal(3, #seen)
      assert.equal(seen[1], seen[2])
      assert.equal(seen[1], seen[3])
   end)

   it("history is in the context", function()
      local presp = assert(client:send_request(rest.HttpRequest.new("GET",
         helper.url("/sequence/" .. key() .. "?statuses=500,503,200")), { _return_pipeline_response = true }))
      local h = presp.context.history
      assert.equal(2, #h)
      assert.equal(500, h[1].http_response.status_code)
      assert.equal(503, h[2].http_response.status_code)
   end)

   describe("redirects", function()
      it("follows 302 for GET; returns 301/302 for POST", function()
         local res = assert(send("GET", "/redirect/302?to=/json"))
         assert.equal(200, res.status_code)
         assert.equal(helper.url("/json"), res.url)
         assert.equal(302, assert(send("POST", "/redirect/302?to=/json")).status_code)
         assert.equal(301, assert(send("POST", "/redirect/301?to=/json")).status_code)
      end)

      it("303 turns into GET; 307 and 308 keep method and body", function()
         local e = assert(send("POST", "/redirect/303?to=/echo", nil, "body")):json()
         assert.equal("GET", e.method)
         local e7 = assert(send("POST", "/redirect/307?to=/echo", nil, "body")):json()
         assert.equal("POST", e7.method)
         assert.equal("body", e7.body)
         assert.equal("PUT", assert(send("PUT", "/redirect/308?to=/echo", nil, "x")):json().method)
      end)

      it("a relative Location replaces the whole path and drops the query", function()
         local res = assert(send("GET", "/redirect/302?to=json"))
         assert.equal(helper.url("/json"), res.url)
      end)

      it("strips Authorization and redirect_remove_headers on every hop", function()
         local c = core.PipelineClient.new(helper.url(""), { transport = rec,
            redirect_remove_headers = { "X-Secret" } })
         local req = rest.HttpRequest.new("GET", helper.url("/redirect/307?to=/echo"),
            { headers = { Authorization = "Bearer t", ["X-Secret"] = "s", ["X-Keep"] = "k" } })
         local e = assert(c:send_request(req)):json()
         assert.is_nil(e.headers.authorization)
         assert.is_nil(e.headers["x-secret"])
         assert.equal("k", e.headers["x-keep"])
      end)

      it("a 3xx without Location is returned", function()
         assert.equal(302, assert(send("GET", "/status/302")).status_code)
      end)

      it("permit_redirects = false returns the redirect; redirect_max raises TooManyRedirectsError", function()
         assert.equal(302, assert(send("GET", "/redirect/302?to=/json", { permit_redirects = false })).status_code)
         local res, err = send("GET", "/redirect/307?to=/redirect/307", { redirect_max = 1 })
         assert.is_nil(res)
         assert.equal("TooManyRedirectsError", err.type)
         assert.equal("Reached maximum redirect attempts.", err.message)
         assert.equal(2, #err.history)
      end)

      it("marks a cross-domain redirect in the context; same domain is not marked", function()
         local other = helper.url("/json"):gsub("127%.0%.0%.1", "localhost")
         local presp = assert(client:send_request(rest.HttpRequest.new("GET",
            helper.url("/redirect/302?to=" .. other)), { _return_pipeline_response = true }))
         assert.equal(200, presp.http_response.status_code)
         assert.is_true(presp.context.insecure_domain_change)
         local same = assert(client:send_request(rest.HttpRequest.new("GET",
            helper.url("/redirect/302?to=/json")), { _return_pipeline_response = true }))
         assert.is_nil(same.context.insecure_domain_change)
      end)
   end)
end)

-- The same retry scenarios through both drivers: the Lua driver (over a recording transport)
-- checks the sleeps exactly, the native driver (really sleeping) checks attempts, statuses and
-- that the elapsed time covers the sleeps. Delays are small so the native runs stay fast.
local SCENARIOS = {
   { "503,503,200 -> 3 attempts", "GET", "?statuses=503,503,200", {}, 200, 3, { 0.02, 0.04 } },
   { "status budget: 4 attempts", "GET", "?statuses=500", {}, 500, 4, { 0.02, 0.04, 0.08 } },
   { "retry_total=1 -> 2 attempts", "GET", "?statuses=500", { retry_total = 1 }, 500, 2, { 0.02 } },
   { "POST 500 retried", "POST", "?statuses=500,200", {}, 200, 2, { 0.02 } },
   { "POST 502 not retried", "POST", "?statuses=502,200", {}, 502, 1, {} },
   { "PATCH 504 retried", "PATCH", "?statuses=504,200", {}, 200, 2, { 0.02 } },
   { "404 not retried", "GET", "?statuses=404,200", {}, 404, 1, {} },
   { "Retry-After on a POST 404", "POST", "?statuses=404,200&retry_after=0.1", {}, 200, 2, { 0.1 } },
   { "retry-after-ms", "GET", "?statuses=503,200&header=retry-after-ms:150", {}, 200, 2, { 0.15 } },
   { "x-ms-retry-after-ms", "GET", "?statuses=503,200&header=x-ms-retry-after-ms:50", {}, 200, 2, { 0.05 } },
   { "a 202 is final", "GET", "?statuses=202,200", {}, 202, 1, {} },
}

for _, driver in ipairs({ "lua", "native" }) do
   describe("retry scenarios (" .. driver .. " driver)", function()
      for _, sc in ipairs(SCENARIOS) do
         local name, method, query, opts, status, attempts, sleeps = table.unpack(sc)
         it(name, function()
            local rec = driver == "lua" and recording() or nil
            local c = core.PipelineClient.new(helper.url(""), { transport = rec, driver = driver,
               retry_backoff_factor = 0.02, retry_jitter_factor = 0 })
            local k = key()
            local o = {}
            for kk, v in pairs(opts) do o[kk] = v end
            local t0 = helper.now()
            local res = assert(c:send_request(rest.HttpRequest.new(method,
               helper.url("/sequence/" .. k .. query)), o))
            local elapsed = helper.now() - t0
            assert.equal(status, res.status_code)
            assert.equal(attempts, count(k))
            local total = 0
            for _, x in ipairs(sleeps) do total = total + x end
            if rec then
               assert.equal(#sleeps, #rec.sleeps)
               for i, x in ipairs(sleeps) do assert.near(x, rec.sleeps[i], 1e-9) end
            else
               assert.is_true(elapsed >= total * 0.95, ("elapsed %.3f < %.3f"):format(elapsed, total))
            end
            c:close()
         end)
      end

      it("redirects: followed, 303 to GET, relative, stripped Authorization, too many", function()
         local rec = driver == "lua" and recording() or nil
         local c = core.PipelineClient.new(helper.url(""), { transport = rec, driver = driver })
         local res = assert(c:send_request(c:get("/redirect/302?to=/json")))
         assert.equal(helper.url("/json"), res.url)
         assert.equal(302, assert(c:send_request(c:post("/redirect/302?to=/json"))).status_code)
         local e = assert(c:send_request(rest.HttpRequest.new("POST", helper.url("/redirect/303?to=/echo"),
            { content = "b", headers = { Authorization = "Bearer x" } }))):json()
         assert.equal("GET", e.method)
         assert.is_nil(e.headers.authorization)
         assert.equal(helper.url("/json"), assert(c:send_request(c:get("/redirect/307?to=json"))).url)
         local r2, err = c:send_request(c:get("/redirect/307?to=/redirect/307"), { redirect_max = 1 })
         assert.is_nil(r2)
         assert.equal("TooManyRedirectsError", err.type)
         assert.equal(2, #err.history)
         c:close()
      end)

      it("connection errors: 4 attempts, then ServiceRequestError", function()
         local rec = recording()
         local c = core.PipelineClient.new(helper.url(""), { driver = driver,
            transport = driver == "lua" and rec or nil, retry_backoff_factor = 0.01 })
         local res, err = c:send_request(rest.HttpRequest.new("GET", "http://127.0.0.1:1/"),
            { _return_pipeline_response = true })
         assert.is_nil(res)
         assert.equal("ServiceRequestError", err.type)
         if driver == "lua" then assert.equal(4, rec.sends) end
         c:close()
      end)
   end)
end

describe("PipelineClient", function()
   -- A client nobody else references is collectable once its own frame is gone; its __gc
   -- closes the transport. A full collection in the middle of the call must not close it.
   for _, driver in ipairs({ "native", "lua" }) do
      it("a client referenced only by its call is not closed under it (" .. driver .. ")",
         function()
            local P = policies.SansIOHTTPPolicy:extend()
            function P:on_request() collectgarbage("collect"); collectgarbage("collect") end
            local res, err = core.PipelineClient.new(helper.url(""), { driver = driver,
               per_call_policies = { P.new() } }):send_request(rest.HttpRequest.new("GET",
               helper.url("/echo")))
            assert.is_nil(err)
            assert.equal(200, res.status_code)
         end)
   end

   it("consults a scheduler's in_scheduler hook on the native fast path", function()
      local pipeline = require("azure.core.pipeline")
      local default, asked = pipeline.in_scheduler, 0
      local c = core.PipelineClient.new(helper.url(""), { retry_total = 0 })
      assert.equal(200, assert(c:send_request(c:get("/echo"))).status_code)
      pipeline.in_scheduler = function() asked = asked + 1; return false end
      local ok, res = pcall(c.send_request, c, c:get("/echo"))
      pipeline.in_scheduler = default
      assert.is_true(ok)
      assert.equal(200, res.status_code)
      assert.is_true(asked >= 1)
      c:close()
   end)

   it("sends the default headers: user agent with the app id, a request id", function()
      local c = core.PipelineClient.new(helper.url(""), { user_agent = "myapp/1.0",
         headers = { ["X-Default"] = "d" } })
      local e = assert(c:send_request(c:get("/echo"))):json()
      assert.matches("^myapp/1%.0 azsdk%-lua%-core/0%.1%.0 Lua/5%.%d %(", e.headers["user-agent"])
      assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", e.headers["x-ms-client-request-id"])
      assert.equal("d", e.headers["x-default"])
      local e2 = assert(c:send_request(c:get("/echo"), { request_id = "fixed",
         headers = { ["X-Call"] = "c" } })):json()
      assert.equal("fixed", e2.headers["x-ms-client-request-id"])
      assert.equal("c", e2.headers["x-call"])
      local e3 = assert(c:send_request(c:get("/echo"), { request_id = false })):json()
      assert.is_nil(e3.headers["x-ms-client-request-id"])
      c:close()
      c:close()
   end)

   -- driver nil is send_request's native fast path (one pass over the options table)
   for _, driver in ipairs({ "default", "native", "lua" }) do
      it("reads per-call options in one call and raises on misuse (" .. driver .. ")", function()
         local d = driver ~= "default" and driver or nil
         local c = core.PipelineClient.new(helper.url(""), { retry_total = 0 })
         local function send(o)
            o.driver = d
            return c:send_request(c:get("/echo"), o)
         end
         local e = assert(send({ request_id = "rid", read_timeout = 5, retry_total = 1,
            connection_verify = false, stream = false, custom = {} })):json()
         assert.equal("rid", e.headers["x-ms-client-request-id"])
         local res = assert(send({ stream = true, user_agent = "ua/1" }))
         assert.is_false(res:_is_read()) -- stream = true came through
         res:read()
         assert.matches("^ua/1 ", res:json().headers["user-agent"])
         res:close()
         for _, bad in ipairs({
            { { retry_total = "x" }, "option 'retry_total' must be a number, got string" },
            { { request_id = {} }, "option 'request_id' must be a string, got table" },
            { { retry_on_methods = { "GET", {} } }, "must be a list of method names" },
            { { read_timeout = "a" }, "option 'read_timeout' must be a number, got string" },
            { { proxies = 5 }, "proxies must be a table" },
         }) do
            local ok, err = pcall(send, bad[1])
            assert.is_false(ok)
            assert.matches(bad[2], tostring(err), 1, true)
         end
         c:close()
      end)
   end

   it("format_url follows azure-core (§2.3)", function()
      local c = core.PipelineClient.new("https://host/base/", { transport = recording() })
      assert.equal("https://host/base/foo", c:format_url("/foo"))
      assert.equal("https://host/base/foo/bar", c:format_url("foo/bar"))
      assert.equal("https://other/x", c:format_url("https://other/x"))
      assert.equal("A/x", core.PipelineClient.new("https://h/", { transport = recording() })
         :format_url("{a}/x/{b}", { a = "A" }):match("A/x$") and "A/x")
      local cq = core.PipelineClient.new("https://host/base?q=1", { transport = recording() })
      assert.equal("https://host/base/foo?q=1", cq:format_url("/foo"))
   end)

   it("builds requests with the verb helpers (§2.4)", function()
      local c = core.PipelineClient.new(helper.url(""), { transport = recording() })
      local r = c:post("/echo", { a = "1" }, { ["X-H"] = "h" }, { k = "v" })
      assert.equal("POST", r.method)
      assert.equal(helper.url("/echo?a=1"), r.url)
      assert.equal("h", r.headers["X-H"])
      assert.equal('{"k":"v"}', r.content)
      local t = c:put("/echo", nil, { ["Content-Type"] = "text/plain" }, "hello")
      assert.equal("hello", t.content)
      local f = c:post("/echo", nil, nil, nil, { a = "b" })
      assert.equal("a=b", f.content)
      assert.equal("HEAD", c:head("/x").method)
   end)

   it("inserts per-call policies first and per-retry policies after the last RetryPolicy", function()
      local order = {}
      local function mark(name)
         local P = policies.SansIOHTTPPolicy:extend()
         function P:on_request() order[#order + 1] = name end
         return P.new()
      end
      local c = core.PipelineClient.new(helper.url(""), {
         policies = { mark("custom1"), policies.RetryPolicy.new(), mark("custom2") },
         per_call_policies = mark("call"), per_retry_policies = { mark("retry") } })
      assert(c:send_request(c:get("/json")))
      assert.same({ "call", "custom1", "retry", "custom2" }, order)
      local ok, err = pcall(core.PipelineClient.new, helper.url(""), { policies = { mark("x") },
         per_retry_policies = { mark("y") } })
      assert.is_false(ok)
      assert.matches("^Failed to add per_retry_policies; no RetryPolicy found", err.message)
   end)

   it("a config with nil attributes leaves those policies out", function()
      local cfg = configuration.Configuration.new()
      assert.equal(30, cfg.polling_interval)
      local c = core.PipelineClient.new(helper.url(""), { config = cfg })
      local k = key()
      local res = assert(c:send_request(rest.HttpRequest.new("GET", helper.url("/sequence/" .. k .. "?statuses=503,200"))))
      assert.equal(503, res.status_code) -- no retry policy
      assert.equal(1, count(k))
      local e = assert(c:send_request(c:get("/echo"))):json()
      assert.is_nil(e.headers["user-agent"] and e.headers["user-agent"]:match("azsdk"))
      assert.truthy(e.headers["x-ms-client-request-id"]) -- RequestIdPolicy is always added
   end)

   it("an explicit pipeline is used as is", function()
      local pipeline = require("azure.core.pipeline")
      local p = pipeline.Pipeline.new(transport.CurlTransport.new(), {})
      local c = core.PipelineClient.new(helper.url(""), { pipeline = p })
      assert.equal(p, c.pipeline)
      local e = assert(c:send_request(c:get("/echo"))):json()
      assert.is_nil(e.headers["x-ms-client-request-id"])
   end)

   it("exposes native policy settings as azure-core attributes", function()
      local r = policies.RetryPolicy.new{ retry_total = 7, retry_backoff_max = 60 }
      assert.equal(7, r.total_retries)
      assert.equal(60, r.backoff_max)
      assert.equal(0, policies.RetryPolicy.no_retries().total_retries)
      assert.is_false(policies.RedirectPolicy.no_redirects().allow)
      assert.equal(30, policies.RedirectPolicy.new().max_redirects)
      assert.has_error(function() policies.RetryPolicy.new{ retry_total = "x" } end)
   end)
end)

-- CurlTransport against real servers: the scripted test server, nginx (TLS, mTLS, HTTP/2) and
-- tinyproxy (forward proxy, CONNECT, Basic auth). Faults are classified per BEHAVIOR §6.1.
local rest = require("azure.core.rest")
local transport = require("azure.core.pipeline.transport")
local json = require("azure.core.json")
local helper = require("support.helper")

local CurlTransport = transport.CurlTransport

local function get(t, path_or_url, opts)
   local url = path_or_url:match("^https?://") and path_or_url or helper.url(path_or_url)
   return t:send(rest.HttpRequest.new("GET", url), opts)
end

describe("CurlTransport", function()
   local t
   before_each(function() t = CurlTransport.new() end)
   after_each(function() t:close() end)

   it("sends a GET and reads status, reason, headers, body", function()
      local res = assert(get(t, "/status/202?header=X-Test:yes"))
      assert.equal(202, res.status_code)
      assert.equal("Accepted", res.reason)
      assert.equal("yes", res.headers["x-test"])
      assert.equal("status 202", res.content)
   end)

   it("echoes method, headers and a bytes body", function()
      local req = rest.HttpRequest.new("PATCH", helper.url("/echo"),
         { content = "payload", headers = { ["X-Custom"] = "v" } })
      local res = assert(t:send(req))
      local e = res:json()
      assert.equal("PATCH", e.method)
      assert.equal("payload", e.body)
      assert.equal("v", e.headers["x-custom"])
      assert.equal("7", e.headers["content-length"])
      assert.is_nil(e.headers["expect"])
      assert.equal(req, res.request)
   end)

   it("sends a JSON body and a form body", function()
      local e = assert(t:send(rest.HttpRequest.new("POST", helper.url("/echo"),
         { json = { a = { 1, 2 } } }))):json()
      assert.equal('{"a":[1,2]}', e.body)
      assert.equal("application/json", e.headers["content-type"])
      local f = assert(t:send(rest.HttpRequest.new("POST", helper.url("/echo"),
         { data = { k = "v w" } }))):json()
      assert.equal("k=v+w", f.body)
   end)

   it("streams an upload from a Lua reader of unknown length (chunked)", function()
      local parts, i = { "one,", "two,", "three" }, 0
      local req = rest.HttpRequest.new("PUT", helper.url("/echo"),
         { content = function() i = i + 1; return parts[i] end })
      local e = assert(t:send(req)):json()
      assert.equal("one,two,three", e.body)
      assert.equal("chunked", e.headers["transfer-encoding"])
   end)

   it("streams an upload from a Lua reader with a known length", function()
      local sent = false
      local req = rest.HttpRequest.new("PUT", helper.url("/echo"), { content_length = 5,
         content = function() if sent then return nil end sent = true; return "12345" end })
      local e = assert(t:send(req)):json()
      assert.equal("12345", e.body)
      assert.equal("5", e.headers["content-length"])
   end)

   it("streams an upload from a file, and a failing reader is an error", function()
      local f = assert(io.tmpfile())
      f:write(("x"):rep(100000)); f:seek("set", 0)
      local e = assert(t:send(rest.HttpRequest.new("PUT", helper.url("/echo"), { content = f }))):json()
      assert.equal(100000, e.body_length)
      f:close()
      local res, err = t:send(rest.HttpRequest.new("PUT", helper.url("/echo"),
         { content = function() error("reader broke") end }))
      assert.is_nil(res)
      assert.equal("ServiceRequestError", err.type)
      assert.matches("reader broke", tostring(err))
   end)

   it("reuses one keep-alive connection across requests", function()
      local first = assert(get(t, "/echo")):json().connection
      for _ = 1, 5 do
         assert.equal(first, assert(get(t, "/echo")):json().connection)
      end
   end)

   it("keeps cookies per transport, like a session", function()
      assert(get(t, "/cookies/set?session=abc"))
      assert.same({ session = "abc" }, assert(get(t, "/cookies")):json())
      local other = CurlTransport.new()
      assert.same({}, assert(get(other, "/cookies")):json())
      other:close()
   end)

   it("does not follow redirects (a policy's job)", function()
      local res = assert(get(t, "/redirect/302?to=/json"))
      assert.equal(302, res.status_code)
      assert.equal("/json", res.headers.Location)
   end)

   it("folds repeated and many response headers", function()
      local res = assert(get(t, "/large-headers?n=100"))
      assert.equal("value-57", res.headers["x-h-57"])
   end)

   it("streams 256 MiB through iter_bytes with bounded memory", function()
      if os.getenv("AZURE_CORE_TEST_LANE") == "asan" then
         pending("ASan's quarantine inflates RSS: memory bounds are checked in the default lane")
         return
      end
      -- in a process of its own, so what earlier specs left in this one's heap does not count
      local size = 256 * 1024 * 1024
      local script = ([[
         package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
         package.cpath = %q
         local rest = require("azure.core.rest")
         local helper = require("support.helper")
         local t = require("azure.core.pipeline.transport").CurlTransport.new()
         collectgarbage()
         assert(helper.reset_hwm(), "cannot reset the peak RSS counter")
         local res = assert(t:send(rest.HttpRequest.new("GET", %q), { stream = true }))
         local n = 0
         for chunk in res:iter_bytes(256 * 1024) do n = n + #chunk end
         io.write(n, " ", helper.rss_kb().hwm)
      ]]):format(package.cpath, helper.url("/bytes/" .. size))
      local p = io.popen(helper.lua_exe() .. " -e '" .. script:gsub("'", "'\\''") .. "' 2>&1")
      local out = p:read("*a")
      p:close()
      local n, hwm = out:match("^(%d+) (%d+)$")
      assert(n, out)
      assert.equal(size, tonumber(n))
      assert.is_true(tonumber(hwm) < 64 * 1024, "peak RSS " .. hwm .. " KiB")
   end)

   describe("classifies failures", function()
      it("refused connection -> ServiceRequestError with the curl code", function()
         local res, err = get(t, "http://127.0.0.1:1/")
         assert.is_nil(res)
         assert.equal("ServiceRequestError", err.type)
         assert.equal(7, err.curl_code)
         assert.equal("CURLE_COULDNT_CONNECT", err.curl_name)
      end)

      it("unresolvable host -> ServiceRequestError", function()
         local res, err = get(t, "http://nonexistent.invalid/")
         assert.is_nil(res)
         assert.equal("ServiceRequestError", err.type)
      end)

      it("connect timeout -> ServiceRequestTimeoutError", function()
         helper.fill_blackhole()
         local res, err = get(t, "http://127.0.0.1:" .. helper.env("TEST_BLACKHOLE_PORT") .. "/",
            { connection_timeout = 0.3 })
         assert.is_nil(res)
         assert.equal("ServiceRequestTimeoutError", err.type)
         assert.is_true(err:is("ServiceRequestError"))
      end)

      it("reset mid-body -> ServiceResponseError", function()
         local res, err = get(t, "/fault/reset")
         assert.is_nil(res)
         assert.equal("ServiceResponseError", err.type)
         assert.truthy(err.curl_name)
      end)

      it("Content-Length longer than the body -> ServiceResponseError, never end-of-body", function()
         local res, err = get(t, "/fault/truncated")
         assert.is_nil(res)
         assert.equal("ServiceResponseError", err.type)
         local sres = assert(get(t, "/fault/truncated", { stream = true }))
         local ok, serr = pcall(function() for _ in sres:iter_bytes() do end end)
         assert.is_false(ok)
         assert.equal("ServiceResponseError", serr.type)
      end)

      it("malformed status line -> ServiceResponseError", function()
         local res, err = get(t, "/fault/malformed")
         assert.is_nil(res)
         assert.equal("ServiceResponseError", err.type)
      end)

      it("connection closed without an answer -> ServiceResponseError", function()
         local res, err = get(t, "/fault/close")
         assert.is_nil(res)
         assert.equal("ServiceResponseError", err.type)
      end)

      it("server that never answers -> ServiceResponseTimeoutError after read_timeout", function()
         local res, err = get(t, "/fault/hang", { read_timeout = 0.3 })
         assert.is_nil(res)
         assert.equal("ServiceResponseTimeoutError", err.type)
         assert.equal("CURLE_OPERATION_TIMEDOUT", err.curl_name)
      end)

      it("slow drip: read_timeout is idle time between bytes, not total time", function()
         local res = assert(get(t, "/drip?bytes=5&delay_ms=100", { read_timeout = 0.5 }))
         assert.equal(5, #res.content)
         local res2, err = get(t, "/drip?bytes=5&delay_ms=400", { read_timeout = 0.2, stream = true })
         if res2 then
            local ok, serr = pcall(function() for _ in res2:iter_bytes() do end end)
            assert.is_false(ok)
            err = serr
         end
         assert.equal("ServiceResponseTimeoutError", err.type)
      end)

      it("transport-level read_timeout applies when the call gives none", function()
         local slow = CurlTransport.new{ read_timeout = 0.2 }
         local res, err = get(slow, "/fault/hang")
         slow:close()
         assert.is_nil(res)
         assert.equal("ServiceResponseTimeoutError", err.type)
      end)
   end)

   it("raises for misuse: bad options and use after close", function()
      assert.has_error(function() CurlTransport.new{ connection_timeout = "x" } end)
      assert.has_error(function() t:send("not a request") end)
      local c = CurlTransport.new()
      c:close()
      c:close()
      assert.has_error(function() get(c, "/json") end)
   end)
end)

describe("CurlTransport over TLS (nginx)", function()
   local ca = helper.env("TEST_CA")

   it("verifies the server with a CA file", function()
      local t = CurlTransport.new{ connection_verify = ca }
      local res = assert(get(t, helper.env("TEST_TLS_URL") .. "/"))
      assert.equal(200, res.status_code)
      assert.is_true(res:json().tls)
      t:close()
   end)

   it("fails verification against another CA -> ServiceRequestError", function()
      local t = CurlTransport.new{ connection_verify = helper.env("TEST_CA_OTHER") }
      local res, err = get(t, helper.env("TEST_TLS_URL") .. "/")
      assert.is_nil(res)
      assert.equal("ServiceRequestError", err.type)
      t:close()
   end)

   it("connection_verify = false skips verification; per-call override works", function()
      local t = CurlTransport.new{ connection_verify = false }
      assert.equal(200, assert(get(t, helper.env("TEST_TLS_URL") .. "/")).status_code)
      local res, err = get(t, helper.env("TEST_TLS_URL") .. "/",
         { connection_verify = helper.env("TEST_CA_OTHER") })
      assert.is_nil(res)
      assert.equal("ServiceRequestError", err.type)
      t:close()
   end)

   it("mTLS: rejected without a client certificate, accepted with one", function()
      local t = CurlTransport.new{ connection_verify = ca }
      local res = get(t, helper.env("TEST_MTLS_URL") .. "/echo-cert")
      assert.is_true(res == nil or res.status_code == 400)
      t:close()
      local c = CurlTransport.new{ connection_verify = ca,
         connection_cert = { helper.env("TEST_CLIENT_CERT"), helper.env("TEST_CLIENT_KEY") } }
      local ok = assert(get(c, helper.env("TEST_MTLS_URL") .. "/echo-cert"))
      assert.equal("SUCCESS", ok.content)
      c:close()
      local combined = CurlTransport.new{ connection_verify = ca,
         connection_cert = helper.env("TEST_CLIENT_COMBINED") }
      assert.equal("SUCCESS", assert(get(combined, helper.env("TEST_MTLS_URL") .. "/echo-cert")).content)
      combined:close()
   end)

   it("HTTP/2 over TLS when opted in", function()
      local t = CurlTransport.new{ connection_verify = ca, http2 = true }
      for _ = 1, 3 do
         local res = assert(get(t, helper.env("TEST_H2_URL") .. "/"))
         assert.equal(200, res.status_code)
         assert.is_true(res:json().tls)
      end
      t:close()
   end)
end)

describe("CurlTransport through a forward proxy (tinyproxy)", function()
   it("sends http:// through the proxy", function()
      local t = CurlTransport.new{ proxies = { http = helper.env("TEST_PROXY_URL") } }
      local e = assert(get(t, "/echo")):json()
      assert.truthy(e.headers["via"], "proxied requests carry Via")
      t:close()
   end)

   it("tunnels https:// with CONNECT", function()
      local t = CurlTransport.new{ connection_verify = helper.env("TEST_CA"),
         proxies = { https = helper.env("TEST_PROXY_URL") } }
      assert.equal(200, assert(get(t, helper.env("TEST_TLS_URL") .. "/")).status_code)
      t:close()
   end)

   it("proxy Basic auth: 407 without credentials, 200 with them", function()
      local url = helper.env("TEST_AUTH_PROXY_URL")
      local t = CurlTransport.new{ proxies = { http = url } }
      assert.equal(407, assert(get(t, "/json")).status_code)
      t:close()
      local authed = url:gsub("^http://", "http://user:pass@")
      local a = CurlTransport.new{ proxies = { http = authed } }
      assert.equal(200, assert(get(a, "/json")).status_code)
      -- CONNECT refused by the proxy: the request was never sent
      local s = CurlTransport.new{ proxies = { https = url }, connection_verify = false }
      local res, err = get(s, helper.env("TEST_TLS_URL") .. "/")
      assert.is_nil(res)
      assert.equal("ServiceRequestError", err.type)
      a:close()
      s:close()
   end)

   it("per-call proxies replace the transport's", function()
      local t = CurlTransport.new()
      local e = assert(get(t, "/echo", { proxies = { http = helper.env("TEST_PROXY_URL") } })):json()
      assert.truthy(e.headers["via"])
      local d = assert(get(t, "/echo")):json()
      assert.is_nil(d.headers["via"])
      t:close()
   end)

   it("reads HTTP_PROXY/NO_PROXY from the environment when use_env_settings", function()
      local proxy = helper.env("TEST_PROXY_URL")
      local base = helper.env("TEST_SERVER_URL")
      local script = ([[
         package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
         package.cpath = %q
         local rest = require("azure.core.rest")
         local T = require("azure.core.pipeline.transport").CurlTransport
         local json = require("azure.core.json")
         local function via(t)
            local res = assert(t:send(rest.HttpRequest.new("GET", %q .. "/echo")))
            return json.decode(res.content).headers.via ~= nil
         end
         io.write(tostring(via(T.new())), " ", tostring(via(T.new{ use_env_settings = false })))
      ]]):format(package.cpath, base)
      local run = function(env)
         local p = io.popen(env .. " " .. helper.lua_exe() .. " -e '" .. script:gsub("'", "'\\''") .. "'")
         local out = p:read("*a")
         p:close()
         return out
      end
      assert.equal("true false", run("HTTP_PROXY=" .. proxy .. " NO_PROXY= no_proxy="))
      assert.equal("false false", run("HTTP_PROXY=" .. proxy .. " NO_PROXY=127.0.0.1"))
   end)
end)

describe("MockTransport", function()
   it("answers through its handler and records sleeps", function()
      local m = transport.MockTransport.new(function(req)
         return rest.HttpResponse.new{ request = req, status_code = 200, content = "mock" }
      end)
      local res = assert(m:send(rest.HttpRequest.new("GET", "http://x/")))
      assert.equal("mock", res.content)
      m:sleep(1.5)
      assert.same({ 1.5 }, m.sleeps)
      assert.has_error(function() transport.MockTransport.new(nil) end)
   end)
end)

describe("lifetime", function()
   it("transports and responses are collected, closed or not", function()
      local weak = setmetatable({}, { __mode = "k" })
      for i = 1, 20 do
         local t = CurlTransport.new()
         local res = assert(get(t, "/bytes/100000", { stream = true }))
         weak[t], weak[res] = true, true
         if i % 2 == 0 then
            res:close()
            t:close()
         end
      end
      collectgarbage()
      collectgarbage()
      assert.is_nil(next(weak))
   end)
end)

-- The pipeline machine through both drivers: Lua SansIO hooks, Lua HTTP policies, context,
-- options reaching the transport, errors from user code. Against the test server.
local rest = require("azure.core.rest")
local pipeline = require("azure.core.pipeline")
local policies = require("azure.core.pipeline.policies")
local transport = require("azure.core.pipeline.transport")
local exceptions = require("azure.core.exceptions")
local helper = require("support.helper")

local function recorder(log, name)
   local P = policies.SansIOHTTPPolicy:extend()
   function P:on_request(preq) log[#log + 1] = name .. ":req" end
   function P:on_response(preq, presp) log[#log + 1] = name .. ":resp" end
   function P:on_exception(preq, err) log[#log + 1] = name .. ":exc:" .. err.type end
   return P.new()
end

for _, driver in ipairs({ "native", "lua" }) do
   describe("Pipeline (" .. driver .. " driver)", function()
      local t
      before_each(function() t = transport.CurlTransport.new() end)
      after_each(function() t:close() end)

      local function run(list, req, opts)
         local p = pipeline.Pipeline.new(t, list, { driver = driver })
         return p:run(req or rest.HttpRequest.new("GET", helper.url("/echo")), opts)
      end

      it("runs SansIO hooks in order down and up", function()
         local log = {}
         local presp = assert(run({ recorder(log, "a"), recorder(log, "b") }))
         assert.equal(200, presp.http_response.status_code)
         assert.same({ "a:req", "b:req", "b:resp", "a:resp" }, log)
      end)

      it("skips nil entries in the policy list", function()
         local log = {}
         local presp = assert(run({ recorder(log, "a"), nil, false, recorder(log, "c") }))
         assert.equal(200, presp.http_response.status_code)
         assert.same({ "a:req", "c:req", "c:resp", "a:resp" }, log)
      end)

      it("lets a hook change the request the transport sends", function()
         local P = policies.SansIOHTTPPolicy:extend()
         function P:on_request(preq)
            preq.http_request.headers["X-Added"] = "1"
            preq.http_request.url = preq.http_request.url .. "?changed=yes"
         end
         local e = assert(run({ P.new() })).http_response:json()
         assert.equal("1", e.headers["x-added"])
         assert.equal("changed=yes", e.query)
      end)

      it("calls on_exception with the error object, then returns nil, err", function()
         local log = {}
         local presp, err = run({ recorder(log, "a") }, rest.HttpRequest.new("GET", "http://127.0.0.1:1/"))
         assert.is_nil(presp)
         assert.equal("ServiceRequestError", err.type)
         assert.same({ "a:req", "a:exc:ServiceRequestError" }, log)
      end)

      it("a raising on_request skips later policies and reaches earlier on_exception", function()
         local log = {}
         local Bad = policies.SansIOHTTPPolicy:extend()
         function Bad:on_request() error("bad hook") end
         local presp, err = run({ recorder(log, "a"), Bad.new(), recorder(log, "c") })
         assert.is_nil(presp)
         assert.is_true(err:is("AzureError"))
         assert.matches("bad hook", tostring(err.inner_exception))
         assert.same({ "a:req", "a:exc:AzureError" }, log)
      end)

      it("an error object raised by a hook comes back as that object", function()
         local mine = exceptions.ResourceNotFoundError.new{ message = "mine" }
         local Bad = policies.SansIOHTTPPolicy:extend()
         function Bad:on_response() error(mine) end
         local presp, err = run({ Bad.new() })
         assert.is_nil(presp)
         assert.equal(mine, err)
      end)

      it("a hook that yields gets a clear error naming the hook", function()
         local Y = policies.SansIOHTTPPolicy:extend()
         function Y:on_request() coroutine.yield() end
         local co = coroutine.create(function() return run({ Y.new() }) end)
         local ok, presp, err = coroutine.resume(co)
         assert.is_true(ok)
         assert.is_nil(presp)
         assert.matches("on_request of policy #1 tried to yield", tostring(err), 1, true)
      end)

      it("HTTP policies own the call: next:send runs the rest of the chain", function()
         local log = {}
         local Q = policies.HTTPPolicy:extend()
         function Q:send(preq)
            log[#log + 1] = "q:before"
            local presp, err = self.next:send(preq)
            log[#log + 1] = "q:after:" .. presp.http_response.status_code
            return presp, err
         end
         local presp = assert(run({ recorder(log, "a"), Q.new(), recorder(log, "c") }))
         assert.equal(200, presp.http_response.status_code)
         assert.same({ "a:req", "q:before", "c:req", "c:resp", "q:after:200", "a:resp" }, log)
      end)

      it("an HTTP policy may send twice (its own retry loop) and short-circuit", function()
         local Twice = policies.HTTPPolicy:extend()
         function Twice:send(preq)
            local first = assert(self.next:send(preq))
            self.first_conn = first.http_response:json().connection
            return self.next:send(preq)
         end
         local p = Twice.new()
         local presp = assert(run({ p }))
         assert.equal(p.first_conn, presp.http_response:json().connection)
         local Short = policies.HTTPPolicy:extend()
         function Short:send(preq)
            return pipeline.PipelineResponse(preq.http_request,
               rest.HttpResponse.new{ request = preq.http_request, status_code = 299, content = "" },
               preq.context)
         end
         assert.equal(299, assert(run({ Short.new() })).http_response.status_code)
      end)

      it("errors raised in send() become error objects", function()
         local Boom = policies.HTTPPolicy:extend()
         function Boom:send() error({ custom = true }) end
         local presp, err = run({ Boom.new() })
         assert.is_nil(presp)
         assert.is_true(err:is("AzureError"))
         assert.is_true(err.inner_exception.custom)
      end)

      it("one context flows through every policy; transport and options are protected", function()
         local seen = {}
         local A = policies.SansIOHTTPPolicy:extend()
         function A:on_request(preq) preq.context.mark = "A" end
         local B = policies.SansIOHTTPPolicy:extend()
         function B:on_request(preq)
            seen.mark = preq.context.mark
            seen.transport = preq.context.transport
            seen.opt = preq.context.options.custom_option
            seen.err1 = select(2, pcall(function() preq.context.transport = 1 end))
            seen.err2 = select(2, pcall(function() preq.context:pop("options") end))
         end
         local presp = assert(run({ A.new(), B.new() }, nil, { custom_option = "x" }))
         assert.equal("A", seen.mark)
         assert.equal(t, seen.transport)
         assert.equal("x", seen.opt)
         assert.equal("Context value transport cannot be overwritten.", seen.err1.message)
         assert.equal("Context value options cannot be popped.", seen.err2.message)
         assert.equal("A", presp.context.mark)
      end)

      it("raises for misuse", function()
         local p = pipeline.Pipeline.new(t, {}, { driver = driver })
         assert.has_error(function() p:run("not a request") end)
         assert.has_error(function() pipeline.Pipeline.new(nil, {}) end)
         assert.has_error(function() pipeline.Pipeline.new(t, { 42 }) end)
      end)
   end)
end

describe("Pipeline with a Lua transport (Lua driver)", function()
   it("passes unpopped options to the transport and records sleeps", function()
      local got
      local m = transport.MockTransport.new(function(req, opts)
         got = opts
         return rest.HttpResponse.new{ request = req, status_code = 200, content = "ok" }
      end)
      local p = pipeline.Pipeline.new(m, {})
      local presp = assert(p:run(rest.HttpRequest.new("GET", "http://x/"),
         { stream = true, custom = 5, connection_timeout = 3 }))
      assert.equal("ok", presp.http_response.content)
      assert.is_true(got.stream)
      assert.equal(5, got.custom)
      assert.equal(3, got.connection_timeout)
   end)

   it("a transport that raises gives nil, err with the raised value kept", function()
      local m = transport.MockTransport.new(function() error("transport exploded") end)
      local presp, err = pipeline.Pipeline.new(m, {}):run(rest.HttpRequest.new("GET", "http://x/"))
      assert.is_nil(presp)
      assert.matches("transport exploded", tostring(err))
   end)

   it("the native driver refuses a Lua transport", function()
      local m = transport.MockTransport.new(function() end)
      local p = pipeline.Pipeline.new(m, {}, { driver = "native" })
      assert.has_error(function() p:run(rest.HttpRequest.new("GET", "http://x/")) end)
   end)

   it("the same pipeline serves concurrent runs (coroutines interleaved)", function()
      local waiting = {}
      local m = transport.MockTransport.new(function(req)
         coroutine.yield()
         return rest.HttpResponse.new{ request = req, status_code = 200, content = req.url }
      end)
      local p = pipeline.Pipeline.new(m, {})
      local results = {}
      for i = 1, 3 do
         waiting[i] = coroutine.create(function()
            local presp = assert(p:run(rest.HttpRequest.new("GET", "http://x/" .. i)))
            results[i] = presp.http_response.content
         end)
         coroutine.resume(waiting[i])
      end
      for i = 3, 1, -1 do assert(coroutine.resume(waiting[i])) end
      assert.same({ "http://x/1", "http://x/2", "http://x/3" }, results)
   end)
end)

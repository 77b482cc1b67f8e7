-- CustomHookPolicy (BEHAVIOR §4.10) against the test server, through both drivers: constructor
-- and per-call hooks, which one wins, what they receive, what a raising hook does, and the
-- per-attempt rules under a retry policy (azure-core's, kept exactly).
local core = require("azure.core")
local rest = require("azure.core.rest")
local policies = require("azure.core.pipeline.policies")
local pipeline = require("azure.core.pipeline")
local transport = require("azure.core.pipeline.transport")
local exceptions = require("azure.core.exceptions")
local helper = require("support.helper")

local unique = 0
local function key()
   unique = unique + 1
   return ("hook%d_%d"):format(os.time(), unique)
end

for _, driver in ipairs({ "native", "lua" }) do
   describe("CustomHookPolicy (" .. driver .. " driver)", function()
      local log
      before_each(function() log = {} end)

      local function client(hook_opts, extra)
         local list = { policies.CustomHookPolicy.new(hook_opts) }
         for _, p in ipairs(extra or {}) do list[#list + 1] = p end
         return core.PipelineClient.new(helper.url(""), { driver = driver, policies = list })
      end
      local function rec(name)
         return function(arg) log[#log + 1] = { name = name, arg = arg } end
      end
      local function get(c, path, opts)
         return c:send_request(rest.HttpRequest.new("GET", helper.url(path or "/echo")), opts)
      end

      it("calls the constructor's hooks with the PipelineRequest and PipelineResponse",
         function()
            local c = client{ raw_request_hook = function(preq)
               log[#log + 1] = { name = "req", url = preq.http_request.url,
                  has_ctx = preq.context ~= nil }
               preq.http_request.headers["X-Hooked"] = "yes"
            end, raw_response_hook = function(presp)
               log[#log + 1] = { name = "resp", status = presp.http_response.status_code,
                  same_req = presp.http_request ~= nil }
            end }
            local res = assert(get(c))
            assert.equal("yes", res:json().headers["x-hooked"])
            assert.equal(2, #log)
            assert.equal("req", log[1].name)
            assert.equal(helper.url("/echo"), log[1].url)
            assert.is_true(log[1].has_ctx)
            assert.same({ name = "resp", status = 200, same_req = true }, log[2])
            c:close()
         end)

      it("a per-call hook replaces the constructor's", function()
         local c = client{ raw_request_hook = rec("ctor_req"), raw_response_hook = rec("ctor_resp") }
         assert(get(c, "/echo", { raw_request_hook = rec("call_req"),
            raw_response_hook = rec("call_resp") }))
         assert.same({ "call_req", "call_resp" }, { log[1].name, log[2].name })
         assert.equal(2, #log)
         log = {}
         assert(get(c, "/echo", { raw_response_hook = rec("call_resp") }))
         assert.same({ "ctor_req", "call_resp" }, { log[1].name, log[2].name })
         c:close()
      end)

      it("per-call hooks work on a policy without hooks", function()
         local c = client()
         local res = assert(get(c, "/echo", { raw_request_hook = function(preq)
            preq.http_request.headers["X-Per-Call"] = "1"
         end, raw_response_hook = rec("resp") }))
         assert.equal("1", res:json().headers["x-per-call"])
         assert.equal(1, #log)
         -- the hook saw the very response object the call returned
         assert.equal(res, log[1].arg.http_response)
         c:close()
      end)

      it("keeps per-call hooks in the context and out of its options", function()
         local c = client()
         local rq, rs = rec("req"), rec("resp")
         local presp = assert(get(c, "/echo", { raw_request_hook = rq, raw_response_hook = rs,
            _return_pipeline_response = true }))
         assert.equal(rq, presp.context.raw_request_hook)
         assert.equal(rs, presp.context.raw_response_hook)
         assert.is_nil(presp.context.options.raw_request_hook)
         assert.is_nil(presp.context.options.raw_response_hook)
         assert.equal(presp.context, log[1].arg.context)
         assert.equal(presp.context, log[2].arg.context)
         c:close()
      end)

      it("does nothing without hooks", function()
         local c = client()
         assert.equal(200, assert(get(c)).status_code)
         c:close()
      end)

      it("under a retry policy: the per-call request hook runs once, then the constructor's;"
         .. " the per-call response hook runs for every attempt", function()
         local c = core.PipelineClient.new(helper.url(""), { driver = driver, policies = {
            policies.RetryPolicy.new{ retry_backoff_factor = 0, retry_jitter_factor = 0 },
            policies.CustomHookPolicy.new{ raw_request_hook = rec("ctor_req") } } })
         local res = assert(get(c, "/sequence/" .. key() .. "?statuses=503,503,200",
            { raw_request_hook = rec("call_req"), raw_response_hook = rec("call_resp") }))
         assert.equal(200, res.status_code)
         local names = {}
         for i, e in ipairs(log) do names[i] = e.name end
         assert.same({ "call_req", "call_resp", "ctor_req", "call_resp", "ctor_req", "call_resp" },
            names)
         c:close()
      end)

      it("a raising hook fails the call with what it raised", function()
         local boom = exceptions.AzureError.new{ message = "boom" }
         local c = client{ raw_response_hook = function() error(boom) end }
         local res, err = get(c)
         assert.is_nil(res)
         assert.equal(boom, err)
         local res2, err2 = get(c, "/echo", { raw_request_hook = function() error("plain") end })
         assert.is_nil(res2)
         assert.is_true(exceptions.is_error(err2))
         assert.truthy(tostring(err2):find("plain", 1, true))
         assert.truthy(tostring(err2.inner_exception):find("plain", 1, true))
         c:close()
      end)

      it("a hook that yields gets a clear error", function()
         local c = client{ raw_request_hook = function() coroutine.yield() end }
         local co = coroutine.wrap(function() return get(c) end)
         local res, err = co()
         assert.is_nil(res)
         assert.truthy(tostring(err):find("tried to yield", 1, true))
         c:close()
      end)
   end)
end

describe("CustomHookPolicy with a Lua transport", function()
   local function recorder()
      local inner = transport.CurlTransport.new()
      return { seen = {}, send = function(self, req, opts)
         self.seen[#self.seen + 1] = opts
         return inner:send(req, opts)
      end, close = function() inner:close() end }
   end

   it("pops the hooks: the transport never sees them", function()
      local t = recorder()
      local p = pipeline.Pipeline.new(t, { policies.CustomHookPolicy.new() })
      assert(p:run(rest.HttpRequest.new("GET", helper.url("/echo")),
         { raw_request_hook = function() end, raw_response_hook = function() end }))
      assert.is_nil(t.seen[1].raw_request_hook)
      assert.is_nil(t.seen[1].raw_response_hook)
      p:close()
   end)

   it("without the policy the hook options reach the transport as given", function()
      local t = recorder()
      local p = pipeline.Pipeline.new(t, {})
      local f = function() end
      assert(p:run(rest.HttpRequest.new("GET", helper.url("/echo")), { raw_request_hook = f }))
      assert.equal(f, t.seen[1].raw_request_hook)
      p:close()
   end)
end)

describe("CustomHookPolicy object", function()
   it("exposes its hooks and checks them", function()
      local f = function() end
      local p = policies.CustomHookPolicy.new{ raw_request_hook = f }
      assert.equal(f, p.raw_request_hook)
      assert.is_nil(p.raw_response_hook)
      assert.has_error(function() policies.CustomHookPolicy.new{ raw_request_hook = 42 } end)
      local callable = setmetatable({}, { __call = function() end })
      assert.equal(callable, policies.CustomHookPolicy.new{ raw_response_hook = callable }
         .raw_response_hook)
   end)

   it("its hooks can be called directly (azure-core's on_request / on_response)", function()
      local context = require("azure.core.pipeline.context")
      local seen = {}
      local p = policies.CustomHookPolicy.new{ raw_request_hook = function() seen[#seen + 1] = "c" end }
      local cb = function() seen[#seen + 1] = "r" end
      local ctx = context.new(nil, { raw_response_hook = cb })
      local preq = context.PipelineRequest(rest.HttpRequest.new("GET", "http://x/"), ctx)
      p:on_request(preq)
      assert.equal(cb, ctx.raw_response_hook)
      p:on_response(preq, context.PipelineResponse(preq.http_request, nil, ctx))
      assert.same({ "c", "r" }, seen)
   end)
end)

-- azure.core.tracing and DistributedTracingPolicy (BEHAVIOR §4.13, and §9.5's
-- tracing_implementation as the policy reads it) against the test server, through both drivers,
-- with the built-in in-memory implementation.
local helper = require("support.helper")

-- azure.core.settings is written separately; until it exists, a stand-in with its documented
-- shape (settings.tracing_implementation(), assignment, :unset_value()) takes its place.
local function settings()
   local ok, mod = pcall(require, "azure.core.settings")
   if ok then return mod.settings end
   local user
   local setting = setmetatable({ unset_value = function() user = nil end },
      { __call = function() return user end })
   local s = setmetatable({}, {
      __index = function(_, k) if k == "tracing_implementation" then return setting end end,
      __newindex = function(_, k, v)
         if k == "tracing_implementation" then user = v else rawset(_, k, v) end
      end,
   })
   package.loaded["azure.core.settings"] = { settings = s }
   return s
end
local S = settings()

local core = require("azure.core")
local rest = require("azure.core.rest")
local policies = require("azure.core.pipeline.policies")
local tracing = require("azure.core.tracing")
local memory = require("azure.core.tracing.memory")
local logging = require("azure.core.logging")
local json = require("azure.core.json")

local function use(impl)
   if impl == nil then S.tracing_implementation:unset_value() else S.tracing_implementation = impl end
   tracing.refresh()
end

local function by_name(name)
   local out = {}
   for _, s in ipairs(memory.spans()) do if s.name == name then out[#out + 1] = s end end
   return out
end

describe("azure.core.tracing", function()
   after_each(function() use(nil); memory.reset() end)

   it("has azure-core's SpanKind values", function()
      assert.same({ UNSPECIFIED = 1, SERVER = 2, CLIENT = 3, PRODUCER = 4, CONSUMER = 5,
         INTERNAL = 6 }, tracing.SpanKind)
   end)

   it("is off without an implementation; the setting may name one", function()
      assert.is_nil(tracing.current_implementation())
      use("memory")
      assert.equal(memory.MemorySpan, tracing.current_implementation())
      use(memory.MemorySpan)
      assert.equal(memory.MemorySpan, tracing.current_implementation())
      tracing.register_implementation("Mine", memory.MemorySpan)
      use("mine")
      assert.equal(memory.MemorySpan, tracing.current_implementation())
   end)

   it("traced() calls through untouched when tracing is off", function()
      local f = tracing.traced(function(a, b) return a + b, "x" end, { name = "add" })
      local s, x = f(1, 2)
      assert.equal(3, s)
      assert.equal("x", x)
      assert.same({}, memory.spans())
   end)

   it("traced() wraps a call in an INTERNAL span that is current inside it", function()
      use(memory.MemorySpan)
      local inner
      local f = tracing.traced(function(v)
         inner = memory.MemorySpan.get_current_span()
         return v, nil, "third"
      end, { name = "Client.op", tracing_attributes = { k = "v" } })
      local a, b, c = f("r")
      assert.equal("r", a)
      assert.is_nil(b)
      assert.equal("third", c)
      local spans = memory.spans()
      assert.equal(1, #spans)
      assert.equal("Client.op", spans[1].name)
      assert.equal(tracing.SpanKind.INTERNAL, spans[1].kind)
      assert.equal("v", spans[1].attributes.k)
      assert.equal(spans[1], inner)
      assert.equal("ok", spans[1].status)
      assert.is_nil(memory.MemorySpan.get_current_span())
   end)

   it("traced() ends the span with a raised error and re-raises it", function()
      use(memory.MemorySpan)
      local boom = { type = "Boom" }
      local f = tracing.traced(function() error(boom) end, { name = "fails" })
      local ok, err = pcall(f)
      assert.is_false(ok)
      assert.equal(boom, err)
      assert.equal("error", memory.spans()[1].status)
      assert.equal(boom, memory.spans()[1].error)
   end)

   it("traced() ends the span with the error of a nil, err return", function()
      use(memory.MemorySpan)
      local f = tracing.traced(function() return nil, "bad" end, { name = "soft" })
      local v, e = f()
      assert.is_nil(v)
      assert.equal("bad", e)
      assert.equal("error", memory.spans()[1].status)
   end)

   it("MemorySpan gives W3C trace context and links children to parents", function()
      local parent = memory.MemorySpan.new{ name = "p" }
      local child = memory.MemorySpan.change_context(parent, function()
         return memory.MemorySpan.new{ name = "c", kind = tracing.SpanKind.CLIENT }
      end)
      assert.matches("^00%-%x+%-%x+%-01$", parent:to_header().traceparent)
      assert.equal(32, #parent.trace_id)
      assert.equal(16, #parent.span_id)
      assert.equal(parent.trace_id, child.trace_id)
      assert.equal(parent.span_id, child.parent_id)
      assert.are_not.equal(parent.span_id, child.span_id)
   end)

   it("HttpSpanMixin records method, redacted URL, user agent and status (504 without one)",
      function()
      local span = memory.MemorySpan.new{ name = "s" }
      local req = rest.HttpRequest.new("GET", "https://h/p?sig=SECRET&api-version=1",
         { headers = { ["User-Agent"] = "ua/1" } })
      span:set_http_attributes(req, nil)
      assert.equal(tracing.SpanKind.CLIENT, span.kind)
      assert.same({ component = "http", ["http.method"] = "GET",
         ["http.url"] = "https://h/p?sig=REDACTED&api-version=1", ["http.user_agent"] = "ua/1",
         ["http.status_code"] = 504 }, span.attributes)
   end)
end)

for _, driver in ipairs({ "native", "lua" }) do
   describe("DistributedTracingPolicy (" .. driver .. " driver)", function()
      local function client(opts, extra)
         local list = { policies.RequestIdPolicy.new(), policies.UserAgentPolicy.new(),
            policies.RetryPolicy.new{ retry_backoff_factor = 0, retry_jitter_factor = 0 } }
         for _, p in ipairs(extra or {}) do list[#list + 1] = p end
         list[#list + 1] = policies.DistributedTracingPolicy.new(opts)
         return core.PipelineClient.new(helper.url(""), { policies = list, driver = driver })
      end
      local function get(c, path, opts)
         return c:send_request(rest.HttpRequest.new("GET", helper.url(path)), opts)
      end

      after_each(function() use(nil); memory.reset() end)

      it("does nothing without an implementation: no span, no traceparent", function()
         local c = client()
         local res = assert(get(c, "/echo"))
         assert.is_nil(res:json().headers.traceparent)
         assert.same({}, memory.spans())
         c:close()
      end)

      it("makes a CLIENT span per call named by the URL path, with the call's attributes",
         function()
         use(memory.MemorySpan)
         local c = client()
         local res = assert(get(c, "/status/200?header=x-ms-request-id:srv-1&sig=SECRET"))
         assert.equal(200, res.status_code)
         local spans = memory.spans()
         assert.equal(1, #spans)
         local s = spans[1]
         assert.equal("/status/200", s.name)
         assert.equal(tracing.SpanKind.CLIENT, s.kind)
         assert.equal("ok", s.status)
         local a = s.attributes
         assert.equal("GET", a["http.method"])
         assert.equal(200, a["http.status_code"])
         assert.equal("http", a.component)
         assert.equal(helper.url("/status/200?header=REDACTED&sig=REDACTED"), a["http.url"])
         assert.matches("^azsdk%-lua%-", a["http.user_agent"])
         assert.equal(res.request.headers["x-ms-client-request-id"], a["x-ms-client-request-id"])
         assert.equal("srv-1", a["x-ms-request-id"])
         assert.is_nil(a["http.request.resend_count"])
         c:close()
      end)

      it("injects the span's W3C traceparent into the request", function()
         use(memory.MemorySpan)
         local c = client()
         local sent = assert(get(c, "/echo")):json().headers.traceparent
         local s = memory.spans()[1]
         assert.equal(s:get_trace_parent(), sent)
         assert.matches("^00%-" .. s.trace_id .. "%-" .. s.span_id .. "%-01$", sent)
         c:close()
      end)

      it("names spans with network_span_namer: constructor, then per call", function()
         use(memory.MemorySpan)
         local c = client{ network_span_namer = function(req) return "ctor " .. req.method end }
         assert(get(c, "/echo"))
         assert(get(c, "/echo", { network_span_namer = function() return "per-call" end }))
         local spans = memory.spans()
         assert.equal("ctor GET", spans[1].name)
         assert.equal("per-call", spans[2].name)
         c:close()
      end)

      it("adds tracing_attributes to every span", function()
         use(memory.MemorySpan)
         local c = client{ tracing_attributes = { ["az.namespace"] = "Test.NS", n = 1 } }
         assert(get(c, "/echo"))
         assert.equal("Test.NS", memory.spans()[1].attributes["az.namespace"])
         assert.equal(1, memory.spans()[1].attributes.n)
         c:close()
      end)

      it("makes one span per attempt, counting resends", function()
         use(memory.MemorySpan)
         local c = client()
         local key = ("tr%d%d"):format(os.time(), math.random(1e6))
         local res = assert(get(c, "/sequence/" .. key .. "?statuses=503,503,200"))
         assert.equal(200, res.status_code)
         local spans = memory.spans()
         assert.equal(3, #spans)
         assert.equal(503, spans[1].attributes["http.status_code"])
         assert.is_nil(spans[1].attributes["http.request.resend_count"])
         assert.equal(1, spans[2].attributes["http.request.resend_count"])
         assert.equal(2, spans[3].attributes["http.request.resend_count"])
         assert.equal(200, spans[3].attributes["http.status_code"])
         c:close()
      end)

      it("ends the span with the error when the call fails", function()
         use(memory.MemorySpan)
         local c = core.PipelineClient.new("http://127.0.0.1:1", { driver = driver,
            policies = { policies.DistributedTracingPolicy.new() } })
         local res, err = c:send_request(rest.HttpRequest.new("GET", "http://127.0.0.1:1/x"))
         assert.is_nil(res)
         assert.truthy(err)
         local s = memory.spans()[1]
         assert.equal("/x", s.name)
         assert.equal("error", s.status)
         assert.equal(err.type, s.attributes["error.type"])
         assert.equal(504, s.attributes["http.status_code"])
         c:close()
      end)

      it("makes the network span a child of a traced method's span", function()
         use(memory.MemorySpan)
         local c = client()
         local op = tracing.traced(function(cl) return get(cl, "/echo") end, { name = "Svc.op" })
         assert(op(c))
         local net, outer = by_name("/echo")[1], by_name("Svc.op")[1]
         assert.equal(outer.span_id, net.parent_id)
         assert.equal(outer.trace_id, net.trace_id)
         c:close()
      end)

      it("never fails the pipeline: a failing namer or implementation only warns", function()
         use(memory.MemorySpan)
         local warnings = {}
         logging.set_handler(function(r)
            if r.levelno >= logging.WARNING then warnings[#warnings + 1] = r.message end
         end)
         local c = client{ network_span_namer = function() error("namer broke") end }
         local res = assert(get(c, "/echo"))
         assert.equal(200, res.status_code)
         assert.is_nil(res:json().headers.traceparent)
         assert.matches("Unable to start network span: .*namer broke", warnings[1])
         local Broken = setmetatable({ new = function(o)
            local s = memory.MemorySpan.new(o)
            s.finish = function() error("finish broke") end
            return s
         end }, { __index = memory.MemorySpan })
         use(Broken)
         local c2 = client()
         assert.equal(200, assert(get(c2, "/echo")).status_code)
         assert.matches("Unable to end network span: .*finish broke", warnings[2])
         logging.set_handler(nil)
         c:close()
         c2:close()
      end)

      it("follows the setting: policies built before it switch on and off with refresh()",
         function()
         local c = client()
         assert(get(c, "/echo"))
         assert.same({}, memory.spans())
         use(memory.MemorySpan)
         assert(get(c, "/echo"))
         assert.equal(1, #memory.spans())
         use(nil)
         assert(get(c, "/echo"))
         assert.equal(1, #memory.spans())
         c:close()
      end)

      it("keeps a span per concurrent run (sub-runs of a Lua send policy)", function()
         use(memory.MemorySpan)
         local Twice = policies.HTTPPolicy:extend()
         function Twice:send(preq)
            local first = self.next:send(preq)
            local second, err = self.next:send(preq)
            assert(first and second, err)
            return second
         end
         local c = client(nil, { Twice.new() })
         assert(get(c, "/echo"))
         assert.equal(2, #memory.spans())
         assert.are_not.equal(memory.spans()[1].span_id, memory.spans()[2].span_id)
         c:close()
      end)
   end)
end

describe("DistributedTracingPolicy fields", function()
   it("exposes its settings", function()
      local namer = function() return "x" end
      local p = policies.DistributedTracingPolicy.new{ network_span_namer = namer,
         tracing_attributes = { a = 1 } }
      assert.equal(namer, p.network_span_namer)
      assert.same({ a = 1 }, p.tracing_attributes)
      assert.has_error(function() policies.DistributedTracingPolicy.new{ network_span_namer = 1 } end)
      assert.is_string(json.encode({}))
   end)
end)

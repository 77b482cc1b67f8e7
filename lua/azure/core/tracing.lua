--- Distributed tracing (azure-core's `azure.core.tracing`): the span interface a tracing
-- implementation provides, `SpanKind`, `traced` to wrap a client method in a span, and the span
-- work of DistributedTracingPolicy.
--
-- Tracing is on when a tracing implementation is configured: azure.core.settings'
-- `tracing_implementation` (a span class, or a registered name such as "memory"; environment
-- `AZURE_SDK_TRACING_IMPLEMENTATION`). An implementation is a class table:
--
--    Span.new{ name = "...", kind = SpanKind.CLIENT } -> span
--    span:start()                      span:finish(err)      -- err: the error that ended it, or nil
--    span:add_attribute(key, value)    span:set_http_attributes(http_request, http_response)
--    span:to_header() -> { traceparent = "00-<trace id>-<span id>-01" }
--    span.kind                         -- a SpanKind value
--    Span.get_current_span()           -- optional
--    Span.change_context(span, fn, ...) -- optional: fn(...) runs with span as the current span
--
-- `tracing.HttpSpanMixin.set_http_attributes` is a ready `set_http_attributes` (URL query values
-- redacted like the logging policies). `azure.core.tracing.memory` is a complete in-memory
-- implementation for tests and debugging.
-- @module azure.core.tracing
local native = require("azure.core.native")

local type, pairs, pcall, error, select, tostring, setmetatable, unpack =
   type, pairs, pcall, error, select, tostring, setmetatable, table.unpack or unpack
local lower = string.lower

local M = {}

--- Span kinds (azure-core's SpanKind).
M.SpanKind = { UNSPECIFIED = 1, SERVER = 2, CLIENT = 3, PRODUCER = 4, CONSUMER = 5, INTERNAL = 6 }

--- Attribute names the policy and the mixin write.
M.ATTRIBUTES = {
   component = "component", method = "http.method", url = "http.url",
   status_code = "http.status_code", user_agent = "http.user_agent",
   resend_count = "http.request.resend_count", request_id = "x-ms-client-request-id",
   response_id = "x-ms-request-id",
}

--- The URL as traces and logs show it: query values other than `api-version` are REDACTED.
-- @tparam string url
-- @tparam[opt] table allowed query parameter names whose values are kept
function M.redact_url(url, allowed)
   return native.redact_url(url, allowed)
end

-- Implementations --------------------------------------------------------------------------------

local registry = {}

--- Register an implementation under a name usable in the settings (case-insensitive).
function M.register_implementation(name, impl)
   if type(name) ~= "string" or type(impl) ~= "table" or type(impl.new) ~= "function" then
      error("register_implementation(name, span_class): a name and a class with new()", 2)
   end
   registry[lower(name)] = impl
end

--- The implementation registered as `name` ("memory" is built in), or nil.
function M.get_implementation(name)
   if type(name) ~= "string" then return nil end
   local impl = registry[lower(name)]
   if not impl and lower(name) == "memory" then
      impl = require("azure.core.tracing.memory").MemorySpan
      registry.memory = impl
   end
   return impl
end

local settings = require("azure.core._settings_ref")

local policies = setmetatable({}, { __mode = "k" })
local hint = false -- what the native policies were told: an implementation may be configured

local function tell(on)
   if on == hint then return end
   hint = on
   -- a collected policy may linger as a weak key after its finalizer ran: pcall skips it
   for p in pairs(policies) do pcall(p._set_active, p, on) end
end

--- The configured implementation (a span class), or nil when tracing is off. Reads
-- azure.core.settings' `tracing_implementation` (or, without that module, the environment).
function M.current_implementation()
   local impl
   local s = settings()
   if s and s.tracing_implementation then
      local ok, v = pcall(s.tracing_implementation)
      if ok then impl = v end
   elseif not s then
      impl = os.getenv("AZURE_SDK_TRACING_IMPLEMENTATION")
   end
   if type(impl) == "string" then impl = M.get_implementation(impl) end
   if type(impl) ~= "table" or type(impl.new) ~= "function" then impl = nil end
   tell(impl ~= nil)
   return impl
end

--- Re-read the settings and switch the native tracing policies on or off accordingly. Tracing
-- policies read the settings when they are built, and whenever a traced method runs; call this
-- after configuring an implementation for clients that already exist.
function M.refresh()
   M.current_implementation()
end
M._on_settings_changed = M.refresh

-- Called by the native constructor: keep the policy told from now on.
function M._adopt_policy(p)
   policies[p] = true
   M.current_implementation()
   p:_set_active(hint)
end

-- HttpSpanMixin -----------------------------------------------------------------------------------

--- A ready `set_http_attributes` for implementations (azure-core's HttpSpanMixin): kind CLIENT,
-- component "http", method, URL (query values redacted), user agent, status (504 without a
-- response).
M.HttpSpanMixin = {}
function M.HttpSpanMixin.set_http_attributes(span, request, response)
   local a = M.ATTRIBUTES
   span.kind = M.SpanKind.CLIENT
   span:add_attribute(a.component, "http")
   span:add_attribute(a.method, request.method)
   span:add_attribute(a.url, M.redact_url(request.url))
   local ua = request.headers["User-Agent"]
   if ua then span:add_attribute(a.user_agent, ua) end
   local status = response and response.status_code
   span:add_attribute(a.status_code, (status and status ~= 0) and status or 504)
end

-- DistributedTracingPolicy's span work ------------------------------------------------------------

local log
local function warn(fmt, err)
   log = log or require("azure.core.logging").get_logger(
      "azure.core.pipeline.policies.distributed_tracing")
   log:warning(fmt, tostring(err))
end

local open = {} -- the policy's key for a run -> its span (removed when the span ends)

local function start(key, request, default_name, config, options)
   local impl = M.current_implementation()
   if not impl then return false end
   local namer = (type(options) == "table" and options.network_span_namer)
      or (config and config.network_span_namer)
   local name = default_name
   if namer then name = namer(request) end
   local span = impl.new{ name = name, kind = M.SpanKind.CLIENT }
   local attrs = config and config.tracing_attributes
   if attrs then
      for k, v in pairs(attrs) do span:add_attribute(k, v) end
   end
   span:start()
   local headers = span:to_header()
   if type(headers) == "table" then
      for k, v in pairs(headers) do request.headers[k] = v end
   end
   open[key] = span
   return true
end

local function finish(key, request, response, err, resend)
   local span = open[key]
   if not span then return end
   open[key] = nil
   local a = M.ATTRIBUTES
   span:set_http_attributes(request, response)
   -- whatever the implementation wrote, the URL it keeps is the redacted one
   span:add_attribute(a.url, M.redact_url(request.url))
   if resend and resend > 0 then span:add_attribute(a.resend_count, resend) end
   local rid = request.headers[a.request_id]
   if rid then span:add_attribute(a.request_id, rid) end
   local sid = response and response.headers[a.response_id]
   if sid then span:add_attribute(a.response_id, sid) end
   span:finish(err)
end

native.set_trace_handler(function(event, key, request, response, err, resend, name, config, opts)
   if event == "start" then
      local ok, res = pcall(start, key, request, name, config, opts)
      if not ok then
         open[key] = nil
         warn("Unable to start network span: %s", res)
         return false
      end
      return res
   end
   local ok, res = pcall(finish, key, request, response, err, resend)
   if not ok then
      open[key] = nil
      warn("Unable to end network span: %s", res)
   end
   return false
end)

-- traced ------------------------------------------------------------------------------------------

local function pack(...) return { n = select("#", ...), ... } end

local function default_name(fn)
   local info = debug and debug.getinfo and debug.getinfo(fn, "S")
   if info and info.short_src then return info.short_src .. ":" .. tostring(info.linedefined) end
   return "traced"
end

--- Wrap `fn` (a client method) so that each call runs in a span of its own when tracing is on,
-- as azure-core's `distributed_trace` decorator. The network spans of the requests it sends are
-- its children. A raised error, or a returned `nil, err`, ends the span with that error.
-- @tparam function fn
-- @tparam[opt] table opts `name` (default: where fn is defined), `kind` (default INTERNAL),
-- `tracing_attributes` (added to every span)
-- @treturn function
function M.traced(fn, opts)
   if type(fn) ~= "function" then error("traced: fn must be a function", 2) end
   opts = opts or {}
   local name, kind, attrs = opts.name or default_name(fn), opts.kind or M.SpanKind.INTERNAL,
      opts.tracing_attributes
   return function(...)
      local impl = M.current_implementation()
      if not impl then return fn(...) end
      local span = impl.new{ name = name, kind = kind }
      if attrs then
         for k, v in pairs(attrs) do span:add_attribute(k, v) end
      end
      span:start()
      local res
      if type(impl.change_context) == "function" then
         res = pack(pcall(impl.change_context, span, fn, ...))
      else
         res = pack(pcall(fn, ...))
      end
      if not res[1] then
         span:finish(res[2])
         error(res[2], 0)
      end
      if res.n >= 3 and res[2] == nil and res[3] ~= nil then
         span:finish(res[3]) -- nil, err: the call failed
      else
         span:finish()
      end
      return unpack(res, 2, res.n)
   end
end

return M

--- An in-memory tracing implementation, for tests and debugging: spans are kept in a list when
-- they finish, with their parent links, attributes and W3C trace context.
--
--    local settings = require("azure.core.settings").settings
--    local memory = require("azure.core.tracing.memory")
--    settings.tracing_implementation = memory.MemorySpan     -- or "memory"
--    ... run client calls ...
--    for _, s in ipairs(memory.spans()) do print(s.name, s.attributes["http.status_code"]) end
--
-- The current span is kept per coroutine, so tasks of a scheduler do not see each other's.
-- @module azure.core.tracing.memory
local tracing = require("azure.core.tracing")

local setmetatable, pcall, error, select, format, random, floor =
   setmetatable, pcall, error, select, string.format, math.random, math.floor
local unpack = table.unpack or unpack

local M = {}

local finished = {}
local seq = 0

-- coroutine -> stack of current spans (the main thread under the key "main")
local stacks = setmetatable({}, { __mode = "k" })

local function stack()
   local co = coroutine.running()
   local key = co or "main"
   if co and select(2, coroutine.running()) then key = "main" end
   local s = stacks[key]
   if not s then
      s = {}
      stacks[key] = s
   end
   return s
end

local function pack(...) return { n = select("#", ...), ... } end

local function current()
   local s = stack()
   return s[#s]
end

local counter = 0
-- Random hex id of `n` digits, never all zeros (W3C forbids it).
local function hex_id(n)
   counter = counter + 1
   local parts = { format("%08x", (os.time() + counter) % 4294967296) }
   local len = 8
   while len < n do
      parts[#parts + 1] = format("%04x", floor(random() * 65536))
      len = len + 4
   end
   local id = table.concat(parts):sub(-n)
   if not id:find("[1-9a-f]") then id = id:sub(1, -2) .. "1" end
   return id
end

local MemorySpan = {}
MemorySpan.__index = MemorySpan
MemorySpan.__name = "azure.core.tracing.MemorySpan"

--- A new span: `opts.name`, `opts.kind` (default INTERNAL), `opts.parent` (default: the current
-- span). It starts when `start` is called.
function MemorySpan.new(opts)
   opts = opts or {}
   local parent = opts.parent
   if parent == nil then parent = current() end
   return setmetatable({
      name = opts.name or "span",
      kind = opts.kind or tracing.SpanKind.INTERNAL,
      attributes = {},
      parent = parent or nil,
      parent_id = parent and parent.span_id or nil,
      trace_id = parent and parent.trace_id or hex_id(32),
      span_id = hex_id(16),
      status = "unset",
   }, MemorySpan)
end

--- Start the span (records the start time and order).
function MemorySpan:start()
   seq = seq + 1
   self.start_seq = seq
   self.start_time = os.time()
end

--- Finish the span, with the error that ended it if any. Finished spans go to `spans()`.
function MemorySpan:finish(err)
   if self.end_seq then return end
   seq = seq + 1
   self.end_seq = seq
   self.end_time = os.time()
   if err ~= nil then
      self.status = "error"
      self.error = err
      self.attributes["error.type"] = type(err) == "table" and err.type or type(err)
   else
      self.status = "ok"
   end
   finished[#finished + 1] = self
end

--- Set an attribute.
function MemorySpan:add_attribute(key, value)
   self.attributes[key] = value
end

MemorySpan.set_http_attributes = tracing.HttpSpanMixin.set_http_attributes

--- The W3C traceparent of this span.
function MemorySpan:get_trace_parent()
   return format("00-%s-%s-01", self.trace_id, self.span_id)
end

--- The headers that carry this span's context.
function MemorySpan:to_header()
   return { traceparent = self:get_trace_parent() }
end

--- The current span of the running coroutine, or nil.
function MemorySpan.get_current_span()
   return current()
end

--- Run `fn(...)` with `span` as the current span; returns what fn returns (raises what it
-- raises, after restoring the previous span).
function MemorySpan.change_context(span, fn, ...)
   local s = stack()
   local depth = #s
   s[depth + 1] = span
   local res = pack(pcall(fn, ...))
   for i = #s, depth + 1, -1 do s[i] = nil end
   if not res[1] then error(res[2], 0) end
   return unpack(res, 2, res.n)
end

--- `fn` wrapped so that it runs with the span current now as the current span.
function MemorySpan.with_current_context(fn)
   local span = current()
   return function(...)
      if span == nil then return fn(...) end
      return MemorySpan.change_context(span, fn, ...)
   end
end

M.MemorySpan = MemorySpan

--- The finished spans, in the order they finished (a copy).
function M.spans()
   local out = {}
   for i = 1, #finished do out[i] = finished[i] end
   return out
end

--- Forget every finished span.
function M.reset()
   finished = {}
end

return M

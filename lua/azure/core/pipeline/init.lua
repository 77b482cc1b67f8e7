--- The pipeline (azure-core's `azure.core.pipeline`): policies plus a transport, run by the
-- native state machine. Native policies run inside the machine; Lua SansIO policies are called
-- by it synchronously; Lua HTTP policies (`send`) and Lua transports make the run use the Lua
-- driver, so they may yield.
-- @module azure.core.pipeline
local native = require("azure.core.native")
local exceptions = require("azure.core.exceptions")
local context = require("azure.core.pipeline.context")
local driver = require("azure.core.pipeline.driver")

local type, error, pairs, getmetatable, setmetatable, ipairs = type, error, pairs, getmetatable,
   setmetatable, ipairs

local M = {}

M.PipelineRequest = context.PipelineRequest
M.PipelineResponse = context.PipelineResponse
M.PipelineContext = { new = context.new }

--- Hook for schedulers (azure.core.aio sets it): true when the current code runs inside a
-- scheduler task, where only the Lua driver may be used.
local function no_scheduler() return false end
M.in_scheduler = no_scheduler
-- Is a scheduler task running? The default hook is not called (_send inlines this test).
local function scheduled()
   local f = M.in_scheduler
   return f ~= no_scheduler and f()
end

local function is_curl(t)
   local mt = type(t) == "userdata" and getmetatable(t)
   return mt and mt.__name == "azure.core.CurlTransport" or false
end

local Pipeline = {}
Pipeline.__index = Pipeline

--- Build a pipeline.
-- @param transport a transport object (CurlTransport, or any table with `send`)
-- @tparam table policies list of policies; nil/false entries are skipped
-- @tparam[opt] table opts `driver = "native" | "lua"` (default: chosen per run)
function M.Pipeline_new(transport, policies, opts)
   if transport == nil then error("Pipeline.new: a transport is required", 2) end
   if type(transport) ~= "userdata" and type(transport) ~= "table" then
      error("Pipeline.new: transport must be a transport object, got " .. type(transport), 2)
   end
   policies = policies or {}
   if type(policies) ~= "table" then
      error("Pipeline.new: policies must be a list, got " .. type(policies), 2)
   end
   local n = 0
   for k in pairs(policies) do
      if type(k) == "number" and k > n then n = k end
   end
   local nat = native.pipeline_new(policies, n)
   -- Lua HTTP policies get their `next`: the slots after them (policy objects are bound to one
   -- pipeline, as in azure-core)
   for slot = 0, nat:count() - 1 do
      local p = nat:policy(slot)
      if type(p) == "table" and type(p.send) == "function" then p.next = driver.next_node(slot) end
   end
   local d = opts and opts.driver
   if d ~= nil and d ~= "native" and d ~= "lua" then
      error("Pipeline.new: driver must be \"native\" or \"lua\"", 2)
   end
   local curl = is_curl(transport)
   return setmetatable({ _native = nat, _transport = transport, _curl = curl, _driver = d,
      -- every policy native over the curl transport: runs need no Lua object at all
      _fast = curl and nat:all_native() and d ~= "lua" }, Pipeline)
end

M.Pipeline = setmetatable({ new = M.Pipeline_new }, {
   __call = function(_, ...) return M.Pipeline_new(...) end,
})

-- Which driver carries a run: forced by the call or the pipeline, else native whenever the
-- transport is the curl transport, no Lua send policy is present and no scheduler is running.
local function choose(self, options)
   local d = (options and options.driver) or self._driver
   if d == "native" then
      if not self._curl then error("driver = \"native\" needs the CurlTransport", 3) end
      return "native"
   elseif d == "lua" then
      return "lua"
   elseif d ~= nil then
      error("driver must be \"native\" or \"lua\"", 3)
   end
   if self._curl and not self._native:has_host_send() and not scheduled() then
      return "native"
   end
   return "lua"
end

local function without_driver(options)
   if options == nil or options.driver == nil then return options end
   local o = {}
   for k, v in pairs(options) do if k ~= "driver" then o[k] = v end end
   return o
end

local function start(self, request, options, stream_default_false)
   local mt = getmetatable(request)
   if type(request) ~= "userdata" or not mt or mt.__name ~= "azure.core.HttpRequest" then
      error("Pipeline:run: request must be an azure.core.rest.HttpRequest", 3)
   end
   if options ~= nil and type(options) ~= "table" then
      error("Pipeline:run: options must be a table", 3)
   end
   local d = choose(self, options)
   local run = self._native:_run_new(request, without_driver(options), stream_default_false)
   -- a misused transport option raises under the Lua driver too, as the native one reads it
   if d == "lua" and options and self._curl then self._transport:_check_options(options) end
   driver.register(run, self._transport, d)
   local res, err
   if d == "native" then
      res, err = run:_drive_native(self._transport)
   else
      res, err = driver.drive(run, self._transport)
   end
   if not res then err = driver.finish_error(run, err) end
   return run, res, err
end

-- A multipart/mixed batch body is built when the pipeline runs (BEHAVIOR §1.4).
local batches = require("azure.core.multipart").batches
local function prepare(request)
   if batches[request] then return request:prepare_multipart_body() end
   return true
end

--- Run a request through the pipeline.
-- @param request HttpRequest
-- @tparam[opt] table options per-call options (azure-core's keyword arguments)
-- @return PipelineResponse, or nil and an error object
function Pipeline:run(request, options)
   local ok, perr = prepare(request)
   if not ok then return nil, perr end
   local run, res, err = start(self, request, options, false)
   local ctx = driver.context_of(run)
   context.detach(ctx)
   run:close()
   if not res then return nil, err end
   return context.PipelineResponse(request, res, ctx)
end

--- Run and return the HttpResponse only (PipelineClient.send_request's path: no Lua objects
-- beyond the response on the native driver). `stream` defaults to false.
function Pipeline:_send(request, options)
   if batches[request] then -- prepare(), inlined: this is every send_request's path
      local ok, perr = request:prepare_multipart_body()
      if not ok then return nil, perr end
   end
   if self._fast and (options == nil or (options.driver == nil and options.headers == nil))
      and (M.in_scheduler == no_scheduler or not M.in_scheduler()) then -- not scheduled()
      return self._native:_send_native(request, options, self._transport, true)
   end
   local run, res, err = start(self, request, options, true)
   run:close()
   return res, err
end

--- The transport.
function Pipeline:transport() return self._transport end

--- Close the transport (idempotent).
function Pipeline:close()
   if self._closed then return end
   self._closed = true
   if self._transport.close then self._transport:close() end
end
Pipeline.__close = Pipeline.close

return M

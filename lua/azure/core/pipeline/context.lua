--- PipelineContext, PipelineRequest and PipelineResponse (BEHAVIOR §1.3).
-- One context flows through every policy of one `run()`, including every retry and redirect.
-- Its `transport` and `options` keys are protected; other keys are free-form. Values native
-- policies keep in the run (`history`, `insecure_domain_change`) are read through the context.
-- @module azure.core.pipeline.context
local exceptions = require("azure.core.exceptions")

local setmetatable, rawget, error, pairs = setmetatable, rawget, error, pairs

local M = {}

local function value_error(msg) return exceptions.from_native("ValueError", msg) end
local function type_error(msg) return exceptions.from_native("TypeError", msg) end

local PROTECTED = { transport = true, options = true }

local Context = {}

--- Remove `key` and return its value (or `default`). Protected keys raise.
function Context.pop(ctx, key, default)
   if PROTECTED[key] then error(value_error("Context value " .. key .. " cannot be popped."), 2) end
   local store = ctx._store
   local v = store[key]
   if v == nil then return default end
   store[key] = nil
   return v
end

--- Delete `key`. Protected keys raise.
function Context.delete(ctx, key)
   if PROTECTED[key] then error(value_error("Context value " .. key .. " cannot be deleted."), 2) end
   ctx._store[key] = nil
end

--- Not supported (as in azure-core): raises.
function Context.clear() error(type_error("Context objects cannot be cleared."), 2) end
--- Not supported (as in azure-core): raises.
function Context.update() error(type_error("Context objects cannot be updated."), 2) end

--- Iterate the free-form keys.
function Context.items(ctx) return pairs(ctx._store) end

local context_mt = {
   __index = function(ctx, key)
      if key == "transport" then return ctx._transport end
      if key == "options" then return ctx._options end
      local v = ctx._store[key]
      if v ~= nil then return v end
      local run = rawget(ctx, "_run")
      if run then
         if key == "history" then
            local h = run:history()
            if #h > 0 then return h end
            return nil
         elseif key == "insecure_domain_change" then
            return run:flag("insecure_domain_change") or nil
         elseif key == "enforce_https" then -- kept by the bearer policy for retries (§4.8)
            if run:flag("enforce_https_off") then return false end
            return nil
         elseif key == "logging_enable" then -- NetworkTraceLoggingPolicy's decision (§4.11)
            return run:flag("logging_enable") or nil
         end
      end
      return Context[key]
   end,
   __newindex = function(ctx, key, value)
      if PROTECTED[key] then
         error(value_error("Context value " .. key .. " cannot be overwritten."), 2)
      end
      if key == "insecure_domain_change" and ctx._run then
         ctx._run:set_flag(key, value and true or false)
      end
      ctx._store[key] = value
   end,
   __name = "azure.core.PipelineContext",
}

--- Build a context.
-- @param transport the pipeline's transport
-- @tparam table options the per-call options
-- @param[opt] run the native run whose values the context exposes
function M.new(transport, options, run)
   return setmetatable({ _transport = transport, _options = options or {}, _store = {},
      _run = run }, context_mt)
end

--- Keep the run's values (history) after the run is freed.
function M.detach(ctx)
   local run = rawget(ctx, "_run")
   if not run then return end
   local h = run:history()
   if #h > 0 and ctx._store.history == nil then ctx._store.history = h end
   if run:flag("insecure_domain_change") then ctx._store.insecure_domain_change = true end
   if run:flag("enforce_https_off") then ctx._store.enforce_https = false end
   if run:flag("logging_enable") then ctx._store.logging_enable = true end
   ctx._run = false -- kept as a raw field: __index must never see it missing
end

M.Context = Context

--- PipelineRequest: what policies receive going down.
function M.PipelineRequest(http_request, context)
   return { http_request = http_request, context = context }
end

local presp_mt = {
   __index = function(t, k)
      if k == "history" then return t.context and t.context.history end
   end,
}

--- PipelineResponse: what policies receive going up, and what `Pipeline:run` returns.
function M.PipelineResponse(http_request, http_response, context)
   return setmetatable({ http_request = http_request, http_response = http_response,
      context = context }, presp_mt)
end

return M

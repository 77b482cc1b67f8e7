--- LROPoller (BEHAVIOR §8.1): drives a polling method to the end of a long-running operation.
--
-- azure-core polls in a background thread; Lua has none, so outside `azure.core.aio` polling runs
-- when `wait` or `result` is called (every wait between polls goes through the client
-- transport's `sleep`, which a scheduler may turn into a timer). `done()` is true once the
-- method reached a terminal state (at once when the initial response already was one).
-- @module azure.core.polling.lro_poller
local exceptions = require("azure.core.exceptions")
local json = require("azure.core.json")
local polling_method = require("azure.core.polling.polling_method")
local context = require("azure.core.pipeline.context")

local type, error, pcall, setmetatable, getmetatable, ipairs, tostring =
   type, error, pcall, setmetatable, getmetatable, ipairs, tostring

local M = {}

local is_error = exceptions.is_error
local raise = polling_method._raise

--- The default deserialization callback: the response body decoded as JSON.
-- @param pipeline_response PipelineResponse
-- @return value, or nil and a DecodeError
function M.deserialize_json(pipeline_response)
   local res = pipeline_response.http_response
   local v, err = res:json()
   if v == nil then return nil, err end
   if v == json.NULL then return nil end
   return v
end

local callable = require("azure.core.utils")._callable

-- A callback table with `deserialize` (a model class) is called as `cb:deserialize(response)`.
local function as_callback(cb)
   if cb == nil then return M.deserialize_json end
   if type(cb) == "table" and type(cb.deserialize) == "function" then
      return function(r) return cb:deserialize(r) end
   end
   if not callable(cb) then
      error("LROPoller: deserialization_callback must be a function or a table with "
         .. "deserialize, got " .. type(cb), 3)
   end
   return cb
end

local LROPoller = {}
LROPoller.__index = LROPoller
LROPoller.__name = "azure.core.polling.LROPoller"
M.LROPoller = LROPoller

local function check_method(method, fname)
   if type(method) ~= "table" or type(method.initialize) ~= "function"
      or type(method.run) ~= "function" then
      error(fname .. ": polling_method must be a polling method (a table with initialize, run, "
         .. "status, finished and resource), got " .. type(method), 3)
   end
end

--- Start polling an operation: the polling method looks at the initial response at once.
-- @param client the PipelineClient the operation was started with
-- @param initial_response the initial PipelineResponse (`client:send_request(req,
-- {_return_pipeline_response = true})`), or the HttpResponse `client:send_request(req)` returns
-- @param[opt] deserialization_callback `function(pipeline_response) -> value` (default: the body
-- as JSON), or a table whose `deserialize` method is used
-- @param polling_method e.g. `base_polling.LROBasePolling.new(interval)` or `NoPolling.new()`
-- @return LROPoller, or nil and an error (HttpResponseError when the initial response cannot be
-- polled: a bad status, no status link, an operation that already failed)
function LROPoller.new(client, initial_response, deserialization_callback, polling_method_obj)
   if client == LROPoller then
      error("LROPoller.new: call it with a dot (LROPoller.new(client, ...))", 2)
   end
   check_method(polling_method_obj, "LROPoller.new")
   local cb = as_callback(deserialization_callback)
   local mt = getmetatable(initial_response)
   if type(initial_response) == "userdata" and mt and mt.__name == "azure.core.HttpResponse" then
      -- an HttpResponse (what send_request returns by default): its PipelineResponse
      initial_response = context.PipelineResponse(initial_response.request, initial_response,
         context.new(polling_method.client_transport(client), {}))
   elseif type(initial_response) ~= "table" or initial_response.http_response == nil then
      error("LROPoller.new: initial_response must be a PipelineResponse or an HttpResponse, got "
         .. type(initial_response), 2)
   end
   local self = setmetatable({ _method = polling_method_obj, _callbacks = {}, _done = false },
      LROPoller)
   local ok, r, err = pcall(polling_method_obj.initialize, polling_method_obj, client,
      initial_response, cb)
   if not ok then return nil, exceptions.wrap(r) end
   if r == nil and err ~= nil then return nil, err end
   if polling_method_obj:finished() then self._done = true end
   return self
end

-- Run the done callbacks; callbacks added by callbacks run too.
local function run_callbacks(self)
   local callbacks = self._callbacks
   self._callbacks = {}
   local guard = 0
   while #callbacks > 0 and guard < 1000 do
      guard = guard + 1
      for _, f in ipairs(callbacks) do f(self._method) end
      callbacks, self._callbacks = self._callbacks, {}
   end
   -- kept, as azure-core keeps them after completion
   self._callbacks = callbacks
end

local function finish(self, err)
   self._done = true
   if err ~= nil then
      if not is_error(err) then err = exceptions.wrap(err) end
      local t = err.continuation_token
      if t == nil or t == false or t == "" then
         local ok, token = pcall(self.continuation_token, self)
         err.continuation_token = ok and token or nil
      end
      self._exception = err
   end
   run_callbacks(self)
end

--- Poll until the operation ends, or until `timeout` seconds of waiting between polls have
-- passed (then `done()` is still false and a later `wait` continues).
-- @tparam[opt] number timeout seconds
-- @return true, or nil and the polling error (the same error on every later call; it carries
-- the operation's `continuation_token`)
function LROPoller:wait(timeout)
   if timeout ~= nil and type(timeout) ~= "number" then
      error("LROPoller:wait: timeout must be a number of seconds", 2)
   end
   if not self._done then
      local m = self._method
      local ok, r, err = pcall(m.run, m, timeout ~= nil and { timeout = timeout } or nil)
      if not ok then
         finish(self, r)
      elseif r == nil and err ~= nil then
         finish(self, err)
      elseif m:finished() then
         finish(self)
      end
   end
   if self._exception then return nil, self._exception end
   return true
end

--- Wait (see `wait`), then the operation's result: the deserialization callback applied to the
-- final response (nil when its body is empty).
-- @tparam[opt] number timeout seconds
-- @return value, or nil and an error
function LROPoller:result(timeout)
   local ok, err = self:wait(timeout)
   if not ok then return nil, err end
   local m = self._method
   local pok, v, rerr = pcall(m.resource, m)
   if not pok then return nil, exceptions.wrap(v) end
   return v, rerr
end

--- True once polling has finished (successfully or not).
function LROPoller:done() return self._done end

--- The polling method's current status string ("InProgress", "Succeeded", ...).
function LROPoller:status() return self._method:status() end

--- The polling method.
function LROPoller:polling_method() return self._method end

--- A token that resumes this operation elsewhere (`LROPoller.from_continuation_token`).
-- @return string, or nil and an error
function LROPoller:continuation_token() return self._method:get_continuation_token() end

--- Call `fn(polling_method)` when polling finishes (at once if it already has).
function LROPoller:add_done_callback(fn)
   if not callable(fn) then error("add_done_callback: a function is required", 2) end
   if self._done then fn(self._method) end
   self._callbacks[#self._callbacks + 1] = fn
end

--- Forget a callback. Raises ValueError "Process is complete." once polling has finished.
function LROPoller:remove_done_callback(fn)
   if self._done then raise("ValueError", "Process is complete.", 2) end
   local kept = {}
   for _, f in ipairs(self._callbacks) do
      if f ~= fn then kept[#kept + 1] = f end
   end
   self._callbacks = kept
end

--- Resume an operation from a continuation token (possibly made in another process).
-- @param polling_method the polling method to resume with (e.g. a new LROBasePolling)
-- @tparam string token from `poller:continuation_token()` or `err.continuation_token`
-- @tparam table opts `client` (required by LROBasePolling), `deserialization_callback`
-- (required)
-- @return LROPoller, or nil and an error (ValueError kind for a malformed or foreign token)
function LROPoller.from_continuation_token(polling_method_obj, token, opts)
   check_method(polling_method_obj, "LROPoller.from_continuation_token")
   if type(polling_method_obj.from_continuation_token) ~= "function" then
      error("LROPoller.from_continuation_token: the polling method has no "
         .. "from_continuation_token", 2)
   end
   local client, initial, cb = polling_method_obj:from_continuation_token(token, opts)
   if cb == nil then
      -- nil, err
      return nil, initial or exceptions.from_native("ValueError", "Invalid continuation token")
   end
   return LROPoller.new(client, initial, cb, polling_method_obj)
end

function LROPoller.__tostring(self)
   return "<azure.core.polling.LROPoller " .. tostring(self._method and self._method._name) .. ">"
end

setmetatable(LROPoller, { __call = function(_, ...) return LROPoller.new(...) end })

return M

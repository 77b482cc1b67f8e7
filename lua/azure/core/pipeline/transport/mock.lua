--- MockTransport: a Lua transport that answers with a function (for tests and examples).
-- Its `sleep` records the requested delays in `self.sleeps` and returns at once, so pipeline
-- waits can be asserted without waiting.
-- @module azure.core.pipeline.transport.mock
local type, error, setmetatable = type, error, setmetatable

local M = {}
local Mock = {}
Mock.__index = Mock

--- Build a mock transport.
-- @tparam function handler `handler(http_request, options) -> HttpResponse | nil, err`
function M.new(handler)
   if type(handler) ~= "function" then
      error("MockTransport.new: handler must be a function, got " .. type(handler), 2)
   end
   return setmetatable({ _handler = handler, sleeps = {}, closed = false }, Mock)
end

--- Send through the handler.
function Mock:send(request, options) return self._handler(request, options or {}) end
--- No-op.
function Mock:open() return self end
--- Marks the transport closed (idempotent).
function Mock:close() self.closed = true end
--- Records `seconds` without waiting.
function Mock:sleep(seconds) self.sleeps[#self.sleeps + 1] = seconds end

return M

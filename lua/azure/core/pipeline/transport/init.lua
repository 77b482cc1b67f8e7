--- Transports (azure-core's `azure.core.pipeline.transport`).
-- A transport is any object with `send(self, http_request, options) -> HttpResponse | nil, err`,
-- `open()`, `close()` and `sleep(seconds)`.
-- @module azure.core.pipeline.transport
local M = {}

M.CurlTransport = { new = require("azure.core.pipeline.transport.curl").new }
M.MockTransport = { new = require("azure.core.pipeline.transport.mock").new }
for _, class in pairs({ M.CurlTransport, M.MockTransport }) do
   setmetatable(class, { __call = function(c, ...) return c.new(...) end })
end

return M

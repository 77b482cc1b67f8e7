--- CurlTransport: the native libcurl transport (DESIGN §2.3).
-- The transport object is native userdata; this file adds `send` (which picks the all-C path,
-- or, for a Lua body reader, advances the transfer from Lua so the reader may yield), `open`
-- and `sleep`.
-- @module azure.core.pipeline.transport.curl
local native = require("azure.core.native")
local exceptions = require("azure.core.exceptions")

local type, pcall, tostring, error, getmetatable = type, pcall, tostring, error, getmetatable

local M = {}

local Transport = {}

local function check_request(request)
   local mt = getmetatable(request)
   if type(request) ~= "userdata" or not mt or mt.__name ~= "azure.core.HttpRequest" then
      error("CurlTransport:send: request must be an azure.core.rest.HttpRequest, got "
         .. type(request), 3)
   end
end

-- A Lua reader body: the transfer is advanced here, one step at a time; the reader is called
-- between steps, never from a curl callback.
local function send_fed(self, request, options)
   local xfer, err = self:_start(request, options)
   if not xfer then return nil, err end
   local reader = request.content
   while true do
      local state, serr = xfer:run()
      if not state then
         xfer:close()
         return nil, serr
      end
      if state == "response" then
         local res = xfer:response()
         xfer:close()
         if not (options and options.stream) then
            local body, rerr = res:read()
            if not body then return nil, rerr end
         end
         return res
      end
      local ok, chunk, rerr = pcall(reader)
      if not ok or (chunk == nil and rerr ~= nil) or (chunk ~= nil and type(chunk) ~= "string") then
         xfer:close()
         local cause = (not ok) and chunk or rerr or ("reader returned a " .. type(chunk))
         return nil, exceptions.ServiceRequestError.new{
            message = "the request body reader failed: " .. tostring(cause), error = cause }
      end
      xfer:feed(chunk)
   end
end

--- Send a request. Options: `stream` (return after the headers), `connection_timeout`,
-- `read_timeout`, `connection_verify`, `connection_cert`, `proxies` for this call only.
-- @return HttpResponse, or nil and an error object
function Transport:send(request, options)
   check_request(request)
   if request:_body_kind() == "feed" then return send_fed(self, request, options) end
   return self:_send(request, options)
end

--- Nothing to do: connections are opened on demand (kept for the transport interface).
function Transport:open() return self end

native.set_methods("azure.core.CurlTransport", Transport)

--- Build a transport. See API.md for the options.
-- @tparam[opt] table options
-- @return CurlTransport, or nil and an error object
function M.new(options)
   if options ~= nil and type(options) ~= "table" then
      error("CurlTransport.new: options must be a table, got " .. type(options), 2)
   end
   return native.curl_new(options)
end

return M

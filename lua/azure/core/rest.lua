--- HTTP request and response objects (azure-core's `azure.core.rest`).
-- Both are native userdata (so native policies and the transport read them without copies);
-- this module supplies their constructors and the methods written in Lua. A Lua body reader is
-- only ever called from here, in Lua, so it may yield.
-- @module azure.core.rest
local native = require("azure.core.native")
local json = require("azure.core.json")
local exceptions = require("azure.core.exceptions")

local type, pairs, ipairs, tostring, error, pcall = type, pairs, ipairs, tostring, error, pcall
local sort, concat, char, byte = table.sort, table.concat, string.char, string.byte
local io_type = io.type

local M = {}

local serialization -- loaded on first JSON body: it builds on this module's siblings
local function encode_json(v)
   if serialization == nil then
      local ok, mod = pcall(require, "azure.core.serialization")
      serialization = ok and mod or false
   end
   if serialization then return serialization.encode_json(v) end
   return json.encode(v)
end

local function sorted_keys(t)
   local keys = {}
   for k in pairs(t) do
      if type(k) ~= "string" then
         error("parameter names must be strings, got " .. type(k), 3)
      end
      keys[#keys + 1] = k
   end
   sort(keys)
   return keys
end

local function value_error(message)
   return exceptions.from_native("ValueError", message)
end

-- Flatten {k = v | {v1, v2}} (keys sorted: Lua tables have no order) into {k1, v1, k2, v2, ...};
-- false (azure-core's None) is passed through for the core to reject with its message.
local function flatten_params(params)
   local flat = {}
   for _, k in ipairs(sorted_keys(params)) do
      local v = params[k]
      if type(v) == "table" then
         for _, w in ipairs(v) do
            flat[#flat + 1] = k
            flat[#flat + 1] = w
         end
      else
         flat[#flat + 1] = k
         flat[#flat + 1] = v
      end
   end
   return flat
end

local Request = {}

--- Merge `params` into the URL's query (BEHAVIOR §1.1): existing URL pairs win; list values
-- repeat the key; `false` (None) raises a ValueError-kind error. New keys are added in sorted
-- order. Values are not encoded.
-- @tparam table params
function Request:format_parameters(params)
   if type(params) ~= "table" then
      error("format_parameters: params must be a table, got " .. type(params), 2)
   end
   self:_format_parameters(flatten_params(params))
end

--- Set a JSON body: the value encoded with the Azure JSON encoder, Content-Type
-- application/json and Content-Length.
-- @param value any JSON-encodable value
function Request:set_json_body(value)
   local text, err = encode_json(value)
   if not text then error(exceptions.SerializationError.new{ message = tostring(err) }, 2) end
   self:_set_json_text(text)
end

--- Set an application/x-www-form-urlencoded body from a table (`false`/nil values dropped).
-- @tparam table data
function Request:set_form_body(data)
   local fields = {}
   for _, k in ipairs(sorted_keys(data)) do
      local v = data[k]
      if type(v) == "table" then
         for _, w in ipairs(v) do fields[#fields + 1] = { k, w } end
      elseif v ~= false then
         fields[#fields + 1] = { k, v }
      end
   end
   self:_set_form(fields)
end

--- Set a multipart/form-data body from `data` fields and `files`
-- (`files = {name = "content" | {filename=, content=, content_type=}}`).
function Request:set_multipart_body(data, files, boundary)
   local fields = {}
   if data then
      for _, k in ipairs(sorted_keys(data)) do
         local v = data[k]
         if v ~= false then fields[#fields + 1] = { k, v } end
      end
   end
   for _, k in ipairs(sorted_keys(files or {})) do
      local f = files[k]
      if type(f) == "string" then
         fields[#fields + 1] = { k, f, k, "application/octet-stream" }
      elseif type(f) == "table" then
         local content = f.content or f[2]
         if io_type(content) == "file" then content = content:read("*a") end
         fields[#fields + 1] = { k, content, f.filename or f[1] or k, f.content_type or f[3] }
      else
         error("files." .. k .. " must be a string or a table", 2)
      end
   end
   self:_set_multipart(fields, boundary)
end

--- Stream the body from a Lua reader (called with no arguments; returns the next chunk, or nil
-- at the end) or a file handle. `length`, when known, is sent as Content-Length.
function Request:set_streamed_body(source, length)
   if type(source) == "function" then
      self:_set_reader(source, length)
   elseif io_type(source) == "file" then
      self:_set_file(source)
   else
      error("set_streamed_body: expected a function or an open file, got " .. type(source), 2)
   end
end

native.set_methods("azure.core.HttpRequest", Request)

M.HttpRequest = {}

--- Build a request (BEHAVIOR §1.1 keyword bodies).
-- @tparam string method
-- @tparam string url
-- @tparam[opt] table opts `params`, `headers`, and one of `json`, `content`, `data`, `files`
-- @return HttpRequest
local request_new = native.request_new -- checks method and url (strings only)
function M.HttpRequest.new(method, url, opts)
   local req = request_new(method, url) -- not a tail call: its errors point at our caller
   if opts == nil then return req end
   if type(opts) ~= "table" then
      error("HttpRequest.new: options must be a table, got " .. type(opts), 2)
   end
   if opts.params then req:format_parameters(opts.params) end
   -- the body's own headers first, then the caller's (which win), as azure-core orders them
   if opts.json ~= nil then
      req:set_json_body(opts.json)
   elseif opts.content ~= nil then
      local c = opts.content
      if type(c) == "string" then
         req:set_bytes_body(c)
      elseif type(c) == "function" or io_type(c) == "file" then
         req:set_streamed_body(c, opts.content_length)
      else
         error("HttpRequest.new: content must be a string, a reader function or a file, got "
            .. type(c), 2)
      end
   elseif opts.files ~= nil then
      req:set_multipart_body(opts.data, opts.files, opts.boundary)
   elseif opts.data ~= nil then
      if type(opts.data) ~= "table" then
         error("HttpRequest.new: data must be a table, got " .. type(opts.data), 2)
      end
      req:set_form_body(opts.data)
   end
   if opts.headers then req.headers:update(opts.headers) end
   return req
end
setmetatable(M.HttpRequest, { __call = function(_, ...) return M.HttpRequest.new(...) end })

local Response = {}

-- Feed a fed (Lua-reader) body one chunk; false when the reader failed (err returned).
local function feed_once(self)
   local reader = self:_stream_fn()
   local ok, chunk, rerr = pcall(reader)
   if not ok or (chunk == nil and rerr ~= nil) then
      local e = ok and rerr or chunk
      return false, exceptions.ServiceResponseError.new{
         message = "the response body reader failed: " .. tostring(e), error = e }
   end
   if chunk ~= nil and type(chunk) ~= "string" then
      return false, exceptions.ServiceResponseError.new{
         message = "the response body reader returned a " .. type(chunk) }
   end
   self:_feed(chunk)
   return true
end

--- Read the whole body into memory (decoded as Content-Encoding says).
-- @return string, or nil and an error object
function Response:read()
   while true do
      local content, err = self:_read()
      if content ~= true then return content, err end
      local ok, ferr = feed_once(self)
      if not ok then return nil, ferr end
   end
end

local floor = math.floor
-- arithmetic, not bit operators: the same source loads in Lua 5.1 and LuaJIT
local function latin1_to_utf8(s)
   return (s:gsub("[\128-\255]", function(c)
      local b = byte(c)
      return char(0xC0 + floor(b / 64), 0x80 + b % 64)
   end))
end

local UTF8 = { ["utf-8"] = true, ["utf8"] = true, ["utf-8-sig"] = true, ["utf_8"] = true,
   ["ascii"] = true, ["us-ascii"] = true }
local LATIN1 = { ["iso-8859-1"] = true, ["latin-1"] = true, ["latin1"] = true,
   ["iso8859-1"] = true, ["l1"] = true }

--- The body as text (Lua strings are UTF-8): `encoding` argument, else the charset of
-- Content-Type when it is a known one, else UTF-8; a UTF-8 BOM is stripped; ISO-8859-1 bodies
-- are converted to UTF-8. Raises ResponseNotReadError for an unread stream.
-- @tparam[opt] string encoding
-- @treturn string
function Response:text(encoding)
   local body = self.content
   if body == "" then return "" end
   local enc = encoding and encoding:lower() or self.encoding
   if enc and LATIN1[enc] then return latin1_to_utf8(body) end
   if enc and not UTF8[enc] and encoding then
      error(exceptions.from_native("ValueError", "unsupported text encoding: " .. encoding), 2)
   end
   if body:sub(1, 3) == "\239\187\191" then body = body:sub(4) end
   return body
end

--- The body parsed as JSON (null becomes serialization.NULL).
-- @return value, or nil and a DecodeError
function Response:json()
   local ok, text = pcall(self.text, self)
   if not ok then return nil, text end
   local v, err = json.decode(text)
   if v == nil then
      return nil, exceptions.DecodeError.new{ message = "invalid JSON: " .. tostring(err),
         response = self }
   end
   return v
end

local function iterate(self, raw, chunk_size)
   chunk_size = chunk_size or 4096
   if type(chunk_size) ~= "number" or chunk_size <= 0 then
      error("chunk size must be a positive number", 3)
   end
   if self:_is_read() then
      local content, pos = self.content, 1
      return function()
         if pos > #content then return nil end
         local piece = content:sub(pos, pos + chunk_size - 1)
         pos = pos + chunk_size
         return piece
      end
   end
   return function()
      while true do
         local chunk, err = self:_next(raw, chunk_size)
         if chunk == false then return nil end
         if chunk == nil then error(err, 2) end
         if chunk ~= true then return chunk end
         local ok, ferr = feed_once(self)
         if not ok then error(ferr, 2) end
      end
   end
end

--- Iterate the decoded body in chunks of at most `chunk_size` bytes (raises on error).
function Response:iter_bytes(chunk_size) return iterate(self, false, chunk_size) end
--- Iterate the raw (still encoded) body (raises on error).
function Response:iter_raw(chunk_size) return iterate(self, true, chunk_size) end

--- Raise HttpResponseError when the status is 400 or more.
function Response:raise_for_status()
   if self.status_code >= 400 then
      error(exceptions.HttpResponseError.new{ response = self }, 2)
   end
end

native.set_methods("azure.core.HttpResponse", Response)

M.HttpResponse = {}

--- Build a response from Lua values (for Lua transports and tests).
-- @tparam table t `request`, `status_code`, `reason`, `headers`, and `content` (a string) or
-- `stream` (a reader function returning chunks, nil at the end)
-- @return HttpResponse
function M.HttpResponse.new(t)
   if type(t) ~= "table" then error("HttpResponse.new: expected a table", 2) end
   if type(t.status_code) ~= "number" then
      error("HttpResponse.new: status_code must be a number", 2)
   end
   local res = native.response_new(t.status_code, t.reason or "", t.request)
   if t.headers then res.headers:update(t.headers) end
   if t.stream ~= nil then
      if type(t.stream) ~= "function" then error("HttpResponse.new: stream must be a function", 2) end
      res:_set_stream(t.stream)
   elseif t.content ~= nil then
      if type(t.content) ~= "string" then error("HttpResponse.new: content must be a string", 2) end
      res:_set_content(t.content)
   else
      res:_set_content("")
   end
   return res
end
setmetatable(M.HttpResponse, { __call = function(_, ...) return M.HttpResponse.new(...) end })

-- multipart/mixed batches: set_multipart_mixed, prepare_multipart_body, parts()
require("azure.core.multipart")

return M

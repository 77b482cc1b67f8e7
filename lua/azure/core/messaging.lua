--- CloudEvents 1.0 events, as azure-core's `CloudEvent`.
-- @module azure.core.messaging
local serialization = require("azure.core.serialization")
local utils = require("azure.core.utils")
local json = require("azure.core.json")

local type, next, tostring, tonumber, error = type, next, tostring, tonumber, error
local setmetatable, getmetatable = setmetatable, getmetatable
local io_open, os_time, os_clock = io.open, os.time, os.clock
local floor = math.floor
local byte, sub, find, format, concat, sort = string.byte, string.sub, string.find,
   string.format, table.concat, table.sort

local NULL = serialization.NULL
local Bytes, DateTime = serialization.Bytes, serialization.DateTime
local new_error = utils._error

local M = {}

-- UUID4 -----------------------------------------------------------------------------------------

-- /dev/urandom is read unbuffered, 16 bytes per id: nothing random is held in Lua memory, so
-- processes forked after this module loaded (nginx workers) never hand out the same ids.
local urandom

-- Fallback when /dev/urandom is missing: a Park-Miller generator (exact in doubles on every Lua)
-- seeded from the clock and a table address.
local lcg_state
local function lcg_byte()
   if not lcg_state then
      local addr = tonumber(sub(tostring({}), -8), 16) or 0
      lcg_state = (os_time() + floor(os_clock() * 1e6) + addr) % 2147483646 + 1
   end
   lcg_state = (lcg_state * 48271) % 2147483647
   return floor(lcg_state / 8388608) % 256
end

local function random16()
   if urandom == nil then
      local f = io_open("/dev/urandom", "rb")
      if f then f:setvbuf("no") end
      urandom = f or false
   end
   if urandom then
      local s = urandom:read(16)
      if s and #s == 16 then return { byte(s, 1, 16) } end
   end
   local b = {}
   for i = 1, 16 do b[i] = lcg_byte() end
   return b
end

--- A random (version 4) UUID string, e.g. `"1d2e904b-a2c7-48ea-a9d8-998008b9f826"`.
-- @treturn string
function M._uuid4()
   local b = random16()
   b[7] = 0x40 + b[7] % 16 -- version 4
   b[9] = 0x80 + b[9] % 64 -- RFC 4122 variant
   return format("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15], b[16])
end
local uuid4 = M._uuid4

-- CloudEvent ------------------------------------------------------------------------------------

--- A CloudEvent. Fields: `source`, `type`, `specversion`, `id`, `time` (a `DateTime` or nil),
-- `datacontenttype`, `dataschema`, `subject`, `data`, `extensions` (table or nil).
-- `data` holding a `serialization.Bytes` is sent as `data_base64`.
-- @type CloudEvent
local CloudEvent = { __name = "azure.core.CloudEvent" }
CloudEvent.__index = CloudEvent
M.CloudEvent = CloudEvent

setmetatable(CloudEvent, {
   __call = function(_, ...)
      return CloudEvent.new(...)
   end,
})

local OPTIONS = {
   data = true, time = true, dataschema = true, datacontenttype = true, subject = true,
   specversion = true, id = true, extensions = true,
}

local RESERVED = {
   data = true, data_base64 = true, id = true, source = true, type = true, specversion = true,
   time = true, dataschema = true, datacontenttype = true, subject = true,
}

local EXTENSION_MSG = "Extension attributes should be lower cased and alphanumeric."

-- Python's `key.islower() and key.isalnum()` for ASCII keys: [a-z0-9]+ with at least one letter.
local function valid_extension_name(k)
   return type(k) == "string" and find(k, "^[a-z0-9]+$") ~= nil and find(k, "[a-z]") ~= nil
end

local function check_extensions(ext)
   for k in next, ext do
      if not valid_extension_name(k) then return new_error("ValueError", EXTENSION_MSG) end
   end
   return nil
end

-- `false` stands for Python's explicit None (see API.md), `nil` for "not given".
local function opt(v, default)
   if v == nil then return default end
   if v == false then return nil end
   return v
end

local function to_time(t)
   if DateTime.is(t) then return t end
   if type(t) == "number" then return DateTime.new(t) end
   if type(t) == "string" then
      local dt, err = DateTime.parse(t)
      if not dt then error(err, 3) end
      return dt
   end
   error(format("bad option 'time' to 'CloudEvent.new' (DateTime, number or string expected, " ..
      "got %s)", type(t)), 3)
end

--- Create an event.
-- Options: `data` (any value, `NULL` for an explicit null, `Bytes` for binary), `time`
-- (`DateTime`, Unix seconds or an RFC 3339 string; default now, `false` for none), `id` (default
-- a random UUID4, `false` for none), `specversion` (default "1.0", `false` for none),
-- `datacontenttype`, `dataschema`, `subject`, `extensions` (lowercase alphanumeric names).
-- Raises a ValueError object for a bad extension name or an unknown option.
-- @param source
-- @param type
-- @tparam[opt] table opts
-- @treturn CloudEvent
function CloudEvent.new(source, type_, opts)
   if opts == nil then opts = {} end
   if type(opts) ~= "table" then
      error(format("bad argument #3 to 'CloudEvent.new' (table expected, got %s)", type(opts)), 2)
   end
   local self = setmetatable({
      source = source,
      type = type_,
      specversion = opt(opts.specversion, "1.0"),
      datacontenttype = opt(opts.datacontenttype),
      dataschema = opt(opts.dataschema),
      subject = opt(opts.subject),
      data = opts.data,
   }, CloudEvent)
   if opts.id == nil then
      self.id = uuid4()
   else
      self.id = opt(opts.id)
   end
   if opts.time == nil then
      self.time = DateTime.now()
   elseif opts.time ~= false then
      self.time = to_time(opts.time)
   end
   local ext = opt(opts.extensions)
   if ext ~= nil then
      if type(ext) ~= "table" then
         error(format("bad option 'extensions' to 'CloudEvent.new' (table expected, got %s)",
            type(ext)), 2)
      end
      local err = check_extensions(ext)
      if err then error(err, 2) end
      self.extensions = ext
   end
   local unknown = {}
   for k in next, opts do
      if not OPTIONS[k] then unknown[#unknown + 1] = tostring(k) end
   end
   if #unknown > 0 then
      sort(unknown)
      error(new_error("ValueError", "Unexpected keyword arguments " .. concat(unknown, ", ") ..
         ". Any extension attributes must be passed explicitly using extensions."), 2)
   end
   return self
end

--- True when `v` is a CloudEvent.
-- @param v
-- @treturn boolean
function CloudEvent.is(v)
   return type(v) == "table" and getmetatable(v) == CloudEvent
end

local function nilify(v)
   if v == NULL then return nil end
   return v
end

-- Python type names, for the b64decode TypeError message.
local function py_type(v)
   if v == NULL then return "NoneType" end
   local t = type(v)
   if t == "number" then return v % 1 == 0 and "int" or "float" end
   if t == "boolean" then return "bool" end
   if t == "table" then return v[1] ~= nil and "list" or "dict" end
   return t
end

--- Build an event from its dict form (e.g. decoded JSON). Does not auto-fill `id`, `specversion`
-- or `time`; keys other than the reserved ones become extensions. The input is not modified.
-- @tparam table event
-- @treturn[1] CloudEvent
-- @treturn[2] nil
-- @treturn[2] table ValueError (TypeError for a non-string `data_base64`)
function CloudEvent.from_dict(event)
   if type(event) ~= "table" then
      error(format("bad argument #1 to 'CloudEvent.from_dict' (table expected, got %s)",
         type(event)), 2)
   end
   if event.data ~= nil and event.data_base64 ~= nil then
      return nil,
         new_error("ValueError", "Invalid input. Only one of data and data_base64 must be present.")
   end
   local data = event.data
   if data == nil and event.data_base64 ~= nil then
      local b64 = event.data_base64
      if type(b64) ~= "string" then
         return nil, new_error("TypeError", "argument should be a bytes-like object or ASCII " ..
            "string, not '" .. py_type(b64) .. "'")
      end
      local raw, err = serialization._b64decode(b64)
      if not raw then return nil, err end
      data = Bytes.new(raw)
   end
   if event.source == nil or event.type == nil then
      if event.subject ~= nil and event.eventType ~= nil and event.data ~= nil
         and event.dataVersion ~= nil and event.id ~= nil and event.eventTime ~= nil then
         return nil, new_error("ValueError", "The event you are trying to parse follows the " ..
            "Eventgrid Schema. You can parse EventGrid events using EventGridEvent.from_dict " ..
            "method in the azure-eventgrid library.")
      end
      return nil, new_error("ValueError", "The event does not conform to the cloud event spec " ..
         "https://github.com/cloudevents/spec. The `source` and `type` params are required.")
   end
   local time = event.time
   if time == NULL or time == "" then
      time = nil
   elseif time ~= nil then
      local err
      time, err = DateTime.parse(time)
      if not time then return nil, err end
   end
   local ext
   for k, v in next, event do
      if not RESERVED[k] then
         ext = ext or {}
         ext[k] = v
      end
   end
   if ext then
      local err = check_extensions(ext)
      if err then return nil, err end
   end
   return setmetatable({
      source = nilify(event.source),
      type = nilify(event.type),
      specversion = nilify(event.specversion),
      id = nilify(event.id),
      time = time,
      datacontenttype = event.datacontenttype,
      dataschema = event.dataschema,
      subject = event.subject,
      data = data,
      extensions = ext,
   }, CloudEvent)
end

local LOAD_FAILED = "Failed to load JSON content from the object."

--- Build an event from JSON: a string, an object with a `content` string (Storage queue message)
-- or an object with a `body` (a function returning the first chunk, a list of chunks, or a
-- string; a JSON list yields its first element, as Event Hubs sends; an object is used as is,
-- as Service Bus sends).
-- @param obj
-- @treturn[1] CloudEvent
-- @treturn[2] nil
-- @treturn[2] table ValueError
function CloudEvent.from_json(obj)
   local text, from_body
   if type(obj) == "string" then
      text = obj
   elseif type(obj) == "table" then
      if obj.content ~= nil then
         text = obj.content
      elseif obj.body ~= nil then
         local body = obj.body
         from_body = true
         if type(body) == "function" then
            text = body()
         elseif type(body) == "table" then
            text = body[1]
         else
            text = body
         end
      end
   end
   if type(text) ~= "string" then return nil, new_error("ValueError", LOAD_FAILED) end
   local v = json.decode(text)
   if type(v) ~= "table" then return nil, new_error("ValueError", LOAD_FAILED) end
   if from_body and v[1] ~= nil then v = v[1] end
   if type(v) ~= "table" then return nil, new_error("ValueError", LOAD_FAILED) end
   return CloudEvent.from_dict(v)
end

--- The event's JSON-ready dict form (what `from_dict` reads back): nil attributes are left out,
-- `NULL` ones kept; `time` as an RFC 3339 UTC string; `Bytes` data as `data_base64`; extensions
-- as top-level keys (a reserved attribute wins over an extension of the same name).
-- @treturn table
function CloudEvent:to_dict()
   local out = {}
   if self.extensions then
      for k, v in next, self.extensions do out[k] = v end
   end
   out.specversion = self.specversion
   out.id = self.id
   out.source = self.source
   out.type = self.type
   local t = self.time
   if DateTime.is(t) then t = t:serialize() end
   out.time = t
   out.datacontenttype = self.datacontenttype
   out.dataschema = self.dataschema
   out.subject = self.subject
   out.data, out.data_base64 = nil, nil
   if Bytes.is(self.data) then
      out.data_base64 = self.data:serialize()
   else
      out.data = self.data
   end
   return out
end

--- The event as JSON text (`serialization.encode_json(event:to_dict())`).
-- @treturn[1] string
-- @treturn[2] nil
-- @treturn[2] table SerializationError
function CloudEvent:to_json()
   return serialization.encode_json(self:to_dict())
end

CloudEvent.__tojson = CloudEvent.to_dict

local function py_str(v)
   if v == nil or v == NULL then return "None" end
   if DateTime.is(v) then return v:isoformat(" ") end
   return tostring(v)
end

--- `CloudEvent(source=…, type=…, specversion=…, id=…, time=…)`, at most 1024 bytes.
function CloudEvent:__tostring()
   local s = format("CloudEvent(source=%s, type=%s, specversion=%s, id=%s, time=%s)",
      py_str(self.source), py_str(self.type), py_str(self.specversion), py_str(self.id),
      py_str(self.time))
   return sub(s, 1, 1024)
end

return M

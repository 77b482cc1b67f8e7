--- Error objects of azure-core (BEHAVIOR.md §6).
-- Every error is a table whose metatable is its class: `e.type` is the class name,
-- `e:is(cls_or_name)` follows the hierarchy, `tostring(e)` is the azure-core message. I/O and data
-- failures are returned as `nil, err` with one of these; API misuse raises. The C core reports
-- failures as a code name and a message; `from_native` turns those into objects here.
--
--    AzureError
--    +-- ServiceRequestError -- ServiceRequestTimeoutError
--    +-- ServiceResponseError -- ServiceResponseTimeoutError
--    +-- HttpResponseError
--    |   +-- DecodeError -- IncompleteReadError
--    |   +-- ResourceExistsError, ResourceNotFoundError, ClientAuthenticationError,
--    |   +-- ResourceModifiedError, ResourceNotModifiedError, TooManyRedirectsError, ODataV4Error
--    +-- StreamConsumedError, StreamClosedError, ResponseNotReadError
--    SerializationError, DeserializationError (ValueError kinds, not AzureError)
--
-- Responses are read duck-typed: `status_code`, `reason`, `headers` (a table, or an object with
-- `:get(name)`), `request`, and `:text()` (called under pcall: an unread stream has no body).
-- @module azure.core.exceptions
local json = require("azure.core.json")

local type, pairs, ipairs, next, pcall, error, rawget =
   type, pairs, ipairs, next, pcall, error, rawget
local tostring, tonumber = tostring, tonumber
local setmetatable, getmetatable = setmetatable, getmetatable
local byte, char, sub, find, match, format, rep, lower =
   string.byte, string.char, string.sub, string.find, string.match, string.format, string.rep,
   string.lower
local concat, sort = table.concat, table.sort
local floor, huge = math.floor, math.huge
local math_type, math_tointeger = math.type, math.tointeger -- nil on Lua 5.1 / LuaJIT

local NULL = json.NULL

local M = {}

---------------------------------------------------------------------------------------------------
-- Python value formatting. Messages must match azure-core's text, so `str()` and `json.dumps()`
-- are reproduced for the JSON values error bodies hold.
---------------------------------------------------------------------------------------------------

-- Key order of JSON objects parsed from error bodies (Lua tables forget it; Python keeps it).
local key_order = setmetatable({}, { __mode = "k" })

local classes = setmetatable({}, { __mode = "k" }) -- error classes (and ODataV4Format)

--- Python truthiness of a JSON-ish value: nil, false, null, 0, "" and empty containers are false.
local function truthy(v)
   if v == nil or v == false or v == NULL or v == 0 or v == "" then return false end
   if type(v) == "table" then
      local mt = getmetatable(v)
      if mt == nil or mt == json.array_mt then return next(v) ~= nil end
   end
   return true
end

local function is_array(t)
   if t == json.empty_array or getmetatable(t) == json.array_mt then return true end
   if next(t) == nil then return false end -- `{}` is an object, as json.encode writes it
   local n = 0
   for k in pairs(t) do
      if type(k) ~= "number" or k < 1 or k ~= floor(k) then return false end
      n = n + 1
   end
   return n == #t
end

-- Object keys: parse order first, then any other keys sorted (for tables built in Lua).
local function object_keys(t)
   local keys, seen = {}, {}
   local order = key_order[t]
   if order then
      for _, k in ipairs(order) do
         if t[k] ~= nil and not seen[k] then
            keys[#keys + 1] = k
            seen[k] = true
         end
      end
   end
   local rest = {}
   for k in pairs(t) do
      if not seen[k] then rest[#rest + 1] = k end
   end
   sort(rest, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta < tb end
      if ta == "string" or ta == "number" then return a < b end
      return tostring(a) < tostring(b)
   end)
   for _, k in ipairs(rest) do keys[#keys + 1] = k end
   return keys
end

-- Python float repr / int str. On Lua 5.1 every number is a float; integral ones print as ints.
local function py_number(n, for_json)
   if n ~= n then return for_json and "NaN" or "nan" end
   if n == huge then return for_json and "Infinity" or "inf" end
   if n == -huge then return for_json and "-Infinity" or "-inf" end
   if math_type then
      if math_type(n) == "integer" then return format("%d", n) end
   elseif n == floor(n) and n > -2 ^ 53 and n < 2 ^ 53 then
      return format("%d", n)
   end
   if n == floor(n) and n > -1e16 and n < 1e16 then return format("%.1f", n) end
   for p = 1, 17 do
      local s = format("%." .. p .. "g", n)
      if tonumber(s) == n then return s end
   end
   return format("%.17g", n)
end

-- Encode one UTF-8 sequence starting a run of bytes as \uXXXX (Python's ensure_ascii).
local function u_escape(cp)
   if cp >= 0x10000 then
      cp = cp - 0x10000
      return format("\\u%04x\\u%04x", 0xD800 + floor(cp / 0x400), 0xDC00 + cp % 0x400)
   end
   return format("\\u%04x", cp)
end

local function escape_utf8_run(run)
   local c, len = byte(run, 1), #run
   local need = c >= 0xF0 and 4 or c >= 0xE0 and 3 or 2
   if c >= 0xF8 or len < need then return rep("\\ufffd", len) end
   local cp = c % (need == 2 and 0x20 or need == 3 and 0x10 or 0x08)
   for i = 2, need do cp = cp * 64 + byte(run, i) % 64 end
   return u_escape(cp) .. rep("\\ufffd", len - need)
end

local json_escapes = {
   ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
   ["\b"] = "\\b", ["\f"] = "\\f", ["\127"] = "\127",
}

local function json_string(s)
   s = s:gsub('[%c"\\]', function(c) return json_escapes[c] or format("\\u%04x", byte(c)) end)
   s = s:gsub("[\192-\255][\128-\191]*", escape_utf8_run)
   s = s:gsub("[\128-\191]", "\\ufffd")
   return '"' .. s .. '"'
end

local py_str

--- Python's `json.dumps(v)` (indent nil) or `json.dumps(v, indent=n)`, ensure_ascii on.
local function py_dumps(v, indent, level)
   level = level or 0
   if level > 100 then error("value too deep (or circular) to format as JSON", 0) end
   if v == nil or v == NULL then return "null" end
   local tv = type(v)
   if tv == "boolean" then return v and "true" or "false" end
   if tv == "number" then return py_number(v, true) end
   if tv == "string" then return json_string(v) end
   if tv ~= "table" or (getmetatable(v) ~= nil and getmetatable(v) ~= json.array_mt) then
      return json_string(py_str(v))
   end
   local open, close, items = "{", "}", {}
   if is_array(v) then
      open, close = "[", "]"
      for i = 1, #v do items[i] = py_dumps(v[i], indent, level + 1) end
   else
      for _, k in ipairs(object_keys(v)) do
         local key = type(k) == "string" and k or py_str(k)
         items[#items + 1] = json_string(key) .. ": " .. py_dumps(v[k], indent, level + 1)
      end
   end
   if #items == 0 then return open .. close end
   if not indent then return open .. concat(items, ", ") .. close end
   local pad = "\n" .. rep(" ", indent * (level + 1))
   return open .. pad .. concat(items, "," .. pad) .. "\n" .. rep(" ", indent * level) .. close
end

local function py_repr_string(s)
   local q = (find(s, "'", 1, true) and not find(s, '"', 1, true)) and '"' or "'"
   s = s:gsub("[%c\\" .. q .. "]", function(c)
      if c == "\n" then return "\\n" end
      if c == "\r" then return "\\r" end
      if c == "\t" then return "\\t" end
      if c == "\\" or c == q then return "\\" .. c end
      return format("\\x%02x", byte(c))
   end)
   return q .. s .. q
end

-- Python repr of a value inside a container (str() of a dict or list).
local function py_repr(v, level)
   if type(v) == "string" then return py_repr_string(v) end
   if type(v) ~= "table" or (getmetatable(v) ~= nil and getmetatable(v) ~= json.array_mt) then
      return py_str(v)
   end
   if level > 100 then return "..." end
   local items = {}
   if is_array(v) then
      for i = 1, #v do items[i] = py_repr(v[i], level + 1) end
      return "[" .. concat(items, ", ") .. "]"
   end
   for _, k in ipairs(object_keys(v)) do
      items[#items + 1] = py_repr(k, level + 1) .. ": " .. py_repr(v[k], level + 1)
   end
   return "{" .. concat(items, ", ") .. "}"
end

--- Python's `str(v)`: nil/null -> "None", booleans -> "True"/"False", tables as Python reprs.
function py_str(v)
   if v == nil or v == NULL then return "None" end
   local tv = type(v)
   if tv == "string" then return v end
   if tv == "boolean" then return v and "True" or "False" end
   if tv == "number" then return py_number(v, false) end
   if tv == "table" and (getmetatable(v) == nil or getmetatable(v) == json.array_mt) then
      return py_repr(v, 0)
   end
   local ok, s = pcall(tostring, v)
   return ok and type(s) == "string" and s or "<" .. tv .. ">"
end

-- Python str.splitlines(): \n, \r\n, \r, \v, \f, \x1c-\x1e, U+0085, U+2028, U+2029.
local function split_lines(s)
   local lines, pos, n = {}, 1, #s
   while pos <= n do
      local a, b = find(s, "[\n\r\11\12\28\29\30]", pos)
      if a and sub(s, a, b) == "\r" and sub(s, a + 1, a + 1) == "\n" then b = a + 1 end
      local a2, b2 = find(s, "\194\133", pos, true)
      if a2 and (not a or a2 < a) then a, b = a2, b2 end
      a2, b2 = find(s, "\226\128[\168\169]", pos)
      if a2 and (not a or a2 < a) then a, b = a2, b2 end
      if not a then
         lines[#lines + 1] = sub(s, pos)
         break
      end
      lines[#lines + 1] = sub(s, pos, a - 1)
      pos = b + 1
   end
   return lines
end

-- Cut @p s to @p n UTF-8 characters (Python slices characters, not bytes).
local function truncate_chars(s, n)
   if #s <= n then return s end
   local count = 0
   for i = 1, #s do
      local c = byte(s, i)
      if c < 0x80 or c >= 0xC0 then
         count = count + 1
         if count > n then return sub(s, 1, i - 1) end
      end
   end
   return s
end

---------------------------------------------------------------------------------------------------
-- JSON decoding of error bodies. lua-cjson forgets object key order, which azure-core's message
-- text shows (the "Inner error" dump), so error bodies (small) are parsed here: objects record
-- their key order in `key_order`, arrays are marked with json.array, null is json.NULL.
---------------------------------------------------------------------------------------------------

local utf8_char = function(cp)
   if cp < 0x80 then return char(cp) end
   if cp < 0x800 then return char(0xC0 + floor(cp / 64), 0x80 + cp % 64) end
   if cp < 0x10000 then
      return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
   end
   return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
               0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

local string_escapes = {
   ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t",
}
local literals = { ["true"] = true, ["false"] = false, null = NULL, NaN = 0 / 0,
                   Infinity = huge, ["-Infinity"] = -huge }

local function jfail(msg, pos) error(format("%s at position %d", msg, pos), 0) end

local function skip_ws(s, pos)
   local _, e = find(s, "^[ \t\r\n]*", pos)
   return e + 1
end

local function parse_string(s, pos)
   local buf, i = {}, pos + 1
   while true do
      local a = find(s, '["\\%z\1-\31]', i)
      if not a then jfail("unterminated string", pos) end
      buf[#buf + 1] = sub(s, i, a - 1)
      local c = sub(s, a, a)
      if c == '"' then return concat(buf), a + 1 end
      if c ~= "\\" then jfail("invalid control character", a) end
      local e = sub(s, a + 1, a + 1)
      if e == "u" then
         local hex = match(s, "^%x%x%x%x", a + 2)
         if not hex then jfail("invalid \\uXXXX escape", a) end
         local cp = tonumber(hex, 16)
         i = a + 6
         if cp >= 0xD800 and cp <= 0xDBFF then
            local lo = match(s, "^\\u(%x%x%x%x)", i)
            lo = lo and tonumber(lo, 16)
            if lo and lo >= 0xDC00 and lo <= 0xDFFF then
               cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
               i = i + 6
            end
         end
         buf[#buf + 1] = utf8_char(cp)
      else
         local r = string_escapes[e]
         if not r then jfail("invalid escape", a) end
         buf[#buf + 1] = r
         i = a + 2
      end
   end
end

local parse_value

local function parse_container(s, pos, depth, is_obj)
   if depth > 500 then jfail("nesting too deep", pos) end
   local t, order, close = {}, {}, is_obj and "}" or "]"
   pos = skip_ws(s, pos + 1)
   if sub(s, pos, pos) ~= close then
      while true do
         local v
         if is_obj then
            if sub(s, pos, pos) ~= '"' then jfail("expected a property name", pos) end
            local k
            k, pos = parse_string(s, pos)
            pos = skip_ws(s, pos)
            if sub(s, pos, pos) ~= ":" then jfail("expected ':'", pos) end
            v, pos = parse_value(s, pos + 1, depth + 1)
            if t[k] == nil then order[#order + 1] = k end
            t[k] = v
         else
            v, pos = parse_value(s, pos, depth + 1)
            t[#t + 1] = v
         end
         pos = skip_ws(s, pos)
         local c = sub(s, pos, pos)
         if c == close then break end
         if c ~= "," then jfail("expected ',' or '" .. close .. "'", pos) end
         pos = skip_ws(s, pos + 1)
      end
   end
   if is_obj then
      key_order[t] = order
   else
      json.array(t)
   end
   return t, pos + 1
end

function parse_value(s, pos, depth)
   pos = skip_ws(s, pos)
   local c = sub(s, pos, pos)
   if c == "{" or c == "[" then return parse_container(s, pos, depth, c == "{") end
   if c == '"' then return parse_string(s, pos) end
   local word = match(s, "^%-?%a+", pos)
   if word and literals[word] ~= nil then return literals[word], pos + #word end
   local int = match(s, "^%-?0", pos) or match(s, "^%-?[1-9]%d*", pos)
   if not int then jfail("expected a value", pos) end
   local p = pos + #int
   local frac = match(s, "^%.%d+", p)
   if frac then p = p + #frac end
   local exp = match(s, "^[eE][-+]?%d+", p)
   if exp then p = p + #exp end
   local n = tonumber(sub(s, pos, p - 1))
   if not frac and not exp and math_tointeger then n = math_tointeger(n) or n end
   return n, p
end

--- Decode JSON text keeping object key order. @return value, or nil and a message.
local function decode_ordered(s)
   local ok, v, pos = pcall(parse_value, s, 1, 0)
   if not ok then return nil, v end
   pos = skip_ws(s, pos)
   if pos <= #s then return nil, format("extra data at position %d", pos) end
   return v
end

---------------------------------------------------------------------------------------------------
-- Duck-typed response access (a response may be a table or a userdata; never let it raise).
---------------------------------------------------------------------------------------------------

local function index(obj, key) return obj[key] end

local function get_field(obj, key)
   if obj == nil then return nil end
   local ok, v = pcall(index, obj, key)
   if ok then return v end
   return nil
end

local function call_text(response) return response:text() end

-- The body as text, or nil when there is none to show (no response, unread stream, ...).
local function response_text(response)
   if response == nil then return nil end
   local ok, text = pcall(call_text, response)
   if ok and type(text) == "string" then return text end
   return nil
end

local function header_lookup(headers, name)
   local get = headers.get
   if type(get) == "function" then return get(headers, name) end
   local v = headers[name]
   if v == nil and type(headers) == "table" then
      local lname = lower(name)
      for k, x in pairs(headers) do
         if type(k) == "string" and lower(k) == lname then return x end
      end
   end
   return v
end

local function response_header(response, name)
   local headers = get_field(response, "headers")
   if headers == nil then return nil end
   local ok, v = pcall(header_lookup, headers, name)
   if not ok then return nil end
   if type(v) == "number" then v = tostring(v) end
   return type(v) == "string" and v or nil
end

---------------------------------------------------------------------------------------------------
-- Classes
---------------------------------------------------------------------------------------------------

local function is_error(v)
   return type(v) == "table" and classes[getmetatable(v)] == "error"
end

-- Constructor arguments: `new{...}`, or `new(message, {...})`.
local function normalize(a, b)
   if b == nil and type(a) == "table" and getmetatable(a) == nil then return a end
   local o = {}
   if type(b) == "table" then
      for k, v in pairs(b) do o[k] = v end
   end
   o.message = a
   return o
end

local function copy(t)
   local o = {}
   for k, v in pairs(t) do o[k] = v end
   return o
end

local function instance_tostring(self)
   local ok, s = pcall(self._str, self)
   if not ok or type(s) ~= "string" then s = py_str(rawget(self, "message")) end
   local curl_name = rawget(self, "curl_name")
   if curl_name and not find(s, curl_name, 1, true) then s = s .. " (" .. curl_name .. ")" end
   return s
end

local Base = {}

--- True when this error (or class) is, or derives from, `cls_or_name` (a class or a class name).
-- A native error of a non-Azure kind (e.g. "ValueError") also matches its kind name.
-- @param cls_or_name class table or string
-- @treturn boolean
function Base.is(self, cls_or_name)
   local target_cls, name
   if type(cls_or_name) == "string" then
      name = cls_or_name
   elseif classes[cls_or_name] == "error" then
      target_cls = cls_or_name
   else
      error("bad argument #1 to 'is' (error class or class name expected, got "
            .. type(cls_or_name) .. ")", 2)
   end
   local c = classes[self] == "error" and self or getmetatable(self)
   if name and rawget(self, "kind") == name then return true end
   while c do
      if c == target_cls or (name and c.type == name) then return true end
      c = c._parent
   end
   return false
end

local function define(name, parent, init)
   local cls = {}
   cls.__index = cls
   cls.__name = "azure.core.exceptions." .. name
   cls.__tostring = instance_tostring
   cls.type = name
   cls._parent = parent
   cls._init = init or parent._init
   if not parent then
      cls.is = Base.is
      cls._str = function(self) return py_str(self.message) end
   end
   setmetatable(cls, {
      __index = parent,
      __call = function(c, ...) return c.new(...) end,
      __tostring = function() return "azure.core.exceptions." .. name end,
   })
   --- Build an error: `Class.new{message = ..., ...}` or `Class.new(message, {...})`.
   cls.new = function(...)
      local a, b, c = ...
      if a == cls then a, b = b, c end -- Class:new(...)
      local self = setmetatable({}, cls)
      self.type = name
      self.kind = name
      cls._init(self, normalize(a, b))
      return self
   end
   --- Derive a class: `AzureError:extend("MyError", init)`; `init(self, opts, parent_init)` is
   -- optional and should call `parent_init(self, opts)`.
   cls.extend = function(base, sub_name, sub_init)
      if not sub_init then return define(sub_name, base) end
      return define(sub_name, base, function(self, o) return sub_init(self, o, base._init) end)
   end
   classes[cls] = "error"
   return cls
end

-- AzureError(message, error=..., continuation_token=...) (§6.2)
local function azure_init(self, o)
   self.message = py_str(o.message)
   local inner = o.error
   self.inner_exception = inner
   -- Python records the exception being handled; in Lua that is the wrapped inner value.
   if inner ~= nil then
      self.exc_type = is_error(inner) and inner.type or type(inner)
      self.exc_value = inner
   end
   self.exc_msg = format("%s, %s: %s", self.message, py_str(self.exc_type), py_str(self.exc_value))
   self.continuation_token = o.continuation_token
end

local AzureError = define("AzureError", nil, azure_init)
M.AzureError = AzureError
M.ServiceRequestError = define("ServiceRequestError", AzureError)
M.ServiceRequestTimeoutError = define("ServiceRequestTimeoutError", M.ServiceRequestError)
M.ServiceResponseError = define("ServiceResponseError", AzureError)
M.ServiceResponseTimeoutError = define("ServiceResponseTimeoutError", M.ServiceResponseError)

---------------------------------------------------------------------------------------------------
-- ODataV4Format (§6.5)
---------------------------------------------------------------------------------------------------

local ODataV4Format = {
   CODE_LABEL = "code", MESSAGE_LABEL = "message", TARGET_LABEL = "target",
   DETAILS_LABEL = "details", INNERERROR_LABEL = "innererror",
}
ODataV4Format.__name = "azure.core.exceptions.ODataV4Format"
ODataV4Format.__index = function(self, k)
   if k == "error" then return self end -- deprecated `error.error` alias of azure-core
   return ODataV4Format[k]
end
setmetatable(ODataV4Format, { __call = function(c, ...) return c.new(...) end })
classes[ODataV4Format] = "format"
M.ODataV4Format = ODataV4Format

local function raise_kind(kind, message)
   local e = AzureError.new{ message = message }
   e.kind = kind
   error(e, 0)
end

local function nonnull(v)
   if v == NULL then return nil end
   return v
end

--- Parse an OData v4 error object (or `{error = {...}}`). Raises (kind "ValueError") when
-- neither code nor message is present, as azure-core does.
-- @tparam table json_object decoded JSON
-- @return ODataV4Format with `.code .message .target .details .innererror`
function ODataV4Format.new(json_object)
   if json_object == ODataV4Format then error("use ODataV4Format.new(json), not :new", 2) end
   local node = json_object
   if type(node) == "table" and node.error ~= nil then node = node.error end
   if type(node) ~= "table" then
      raise_kind("TypeError", "ODataV4Format expects a JSON object, got " .. py_str(node))
   end
   local self = setmetatable({}, ODataV4Format)
   self.code = nonnull(node[ODataV4Format.CODE_LABEL])
   self.message = nonnull(node[ODataV4Format.MESSAGE_LABEL])
   if not (truthy(self.code) or truthy(self.message)) then
      raise_kind("ValueError",
                 "Impossible to extract code/message from received JSON:\n" .. py_dumps(node))
   end
   self.target = nonnull(node[ODataV4Format.TARGET_LABEL])
   self.details = {}
   local details = node[ODataV4Format.DETAILS_LABEL]
   if truthy(details) then
      if type(details) == "table" then
         for _, d in ipairs(details) do
            local ok, sub_format = pcall(ODataV4Format.new, d)
            if ok then self.details[#self.details + 1] = sub_format end -- invalid: skipped
         end
      elseif type(details) ~= "string" then -- a string iterates to nothing valid in Python
         raise_kind("TypeError", "ODataV4Format details must be a list, got " .. py_str(details))
      end
   end
   local inner = node[ODataV4Format.INNERERROR_LABEL]
   if inner == nil then inner = {} end
   self.innererror = nonnull(inner) -- explicit null stays "no value" (nil)
   return self
end

--- The detailed text: Code, Message, Target, Exception Details, Inner error.
-- @treturn string
function ODataV4Format:message_details()
   local parts = { "Code: " .. py_str(self.code), "\nMessage: " .. py_str(self.message) }
   if truthy(self.target) then parts[#parts + 1] = "\nTarget: " .. py_str(self.target) end
   if self.details and #self.details > 0 then
      parts[#parts + 1] = "\nException Details:"
      -- as azure-core: each detail's lines tab-indented, no separator before or between details
      for _, d in ipairs(self.details) do
         local lines = split_lines(tostring(d))
         for i, line in ipairs(lines) do lines[i] = "\t" .. line end
         parts[#parts + 1] = concat(lines, "\n")
      end
   end
   if truthy(self.innererror) then
      parts[#parts + 1] = "\nInner error: " .. py_dumps(self.innererror, 4)
   end
   return concat(parts)
end

function ODataV4Format.__tostring(self)
   return "(" .. py_str(self.code) .. ") " .. py_str(self.message) .. "\n" .. self:message_details()
end

---------------------------------------------------------------------------------------------------
-- HttpResponseError and subclasses (§6.3)
---------------------------------------------------------------------------------------------------

local function parse_odata_body(error_format, response)
   local text = response_text(response)
   if not text then return nil end
   local value = decode_ordered(text)
   if value == nil then return nil end
   local ok, fmt = pcall(error_format.new, value)
   if ok then return fmt end
   return nil
end

local function http_init(self, o)
   local response = o.response
   self.response = response
   if response ~= nil then
      self.reason = get_field(response, "reason")
      self.status_code = get_field(response, "status_code")
   end
   if o.model ~= nil then
      self.model = o.model
   else -- back-compat: a subclass init may have set `error` before calling this
      self.model = rawget(self, "error")
   end
   self.error = parse_odata_body(o.error_format or ODataV4Format, response)
   local message
   if self.error then
      message = tostring(self.error)
   elseif truthy(o.message) then
      message = o.message
   else
      message = "Operation returned an invalid status '" .. py_str(self.reason) .. "'"
   end
   azure_init(self, { message = message, error = o.error,
                      continuation_token = o.continuation_token })
   -- Service diagnostics: header x-ms-error-code, else the OData code; the service's request id.
   self.error_code = response_header(response, "x-ms-error-code")
   if self.error_code == nil and self.error then self.error_code = self.error.code end
   self.request_id = response_header(response, "x-ms-request-id")
end

local HttpResponseError = define("HttpResponseError", AzureError, http_init)
M.HttpResponseError = HttpResponseError

function HttpResponseError._str(self)
   local ret = py_str(self.message)
   local body = response_text(self.response)
   if body and body ~= "" and not self.error then
      return truncate_chars(ret .. "\nContent: " .. body, 2048)
   end
   return ret
end

M.DecodeError = define("DecodeError", HttpResponseError)
M.IncompleteReadError = define("IncompleteReadError", M.DecodeError)
M.ResourceExistsError = define("ResourceExistsError", HttpResponseError)
M.ResourceNotFoundError = define("ResourceNotFoundError", HttpResponseError)
M.ClientAuthenticationError = define("ClientAuthenticationError", HttpResponseError)
M.ResourceModifiedError = define("ResourceModifiedError", HttpResponseError)
M.ResourceNotModifiedError = define("ResourceNotModifiedError", HttpResponseError)

M.TooManyRedirectsError = define("TooManyRedirectsError", HttpResponseError, function(self, o)
   self.history = o.history
   local o2 = copy(o)
   o2.message = "Reached maximum redirect attempts."
   http_init(self, o2)
end)

-- ODataV4Error(response, message=...) (§6.6)
local ODataV4Error = define("ODataV4Error", HttpResponseError, function(self, o)
   local text = response_text(o.response)
   local odata_json = text and nonnull(decode_ordered(text)) or nil
   local odata_message
   if type(odata_json) == "table" then
      local node = odata_json.error
      if type(node) == "table" then odata_message = nonnull(node.message) end
   end
   self.odata_json = odata_json
   self.details = {}
   self.innererror = {}
   local message = o.message
   if message == nil then message = odata_message end
   local o2 = copy(o)
   if truthy(message) and o.message == nil then o2.message = message end
   http_init(self, o2)
   if type(odata_json) == "table" and truthy(odata_json) then
      local ok, fmt = pcall(ODataV4Format.new, odata_json.error)
      if ok then
         self._error_format = fmt
         for _, k in ipairs({ "code", "message", "target", "details", "innererror" }) do
            if fmt[k] ~= nil then self[k] = fmt[k] end
         end
      end
   end
end)
M.ODataV4Error = ODataV4Error

function ODataV4Error._str(self)
   if self._error_format then return tostring(self._error_format) end
   return HttpResponseError._str(self)
end

---------------------------------------------------------------------------------------------------
-- Stream errors (§6.7): built with `{response = res}`; a given `message` (from the C core) wins.
---------------------------------------------------------------------------------------------------

local function stream_class(name, template)
   return define(name, AzureError, function(self, o)
      local message = o.message
      if message == nil then
         message = format(template, py_str(get_field(o.response, "request")))
      end
      self.response = o.response
      azure_init(self, { message = message, error = o.error,
                         continuation_token = o.continuation_token })
   end)
end

M.StreamConsumedError = stream_class("StreamConsumedError",
   "You are attempting to read or stream the content from request %s. You have likely already "
   .. "consumed this stream, so it can not be accessed anymore.")
M.StreamClosedError = stream_class("StreamClosedError",
   "The content for response from request %s can no longer be read or streamed, since the "
   .. "response has already been closed.")
M.ResponseNotReadError = stream_class("ResponseNotReadError",
   "You have not read in the bytes for the response from request %s. Call .read() on the "
   .. "response first.")

---------------------------------------------------------------------------------------------------
-- SerializationError / DeserializationError: ValueError kinds, not AzureError.
---------------------------------------------------------------------------------------------------

local ValueError = define("ValueError", nil, function(self, o)
   self.message = o.message ~= nil and py_str(o.message) or ""
   self.inner_exception = o.error
end)
M.ValueError = ValueError
M.TypeError = define("TypeError", nil, function(self, o)
   self.message = o.message ~= nil and py_str(o.message) or ""
   self.inner_exception = o.error
end)
M.SerializationError = define("SerializationError", ValueError)
M.DeserializationError = define("DeserializationError", ValueError)

---------------------------------------------------------------------------------------------------
-- map_error / ErrorMap (§6.4)
---------------------------------------------------------------------------------------------------

local ErrorMap = {}
ErrorMap.__index = ErrorMap
ErrorMap.__name = "azure.core.exceptions.ErrorMap"
setmetatable(ErrorMap, { __call = function(c, ...) return c.new(...) end })
M.ErrorMap = ErrorMap

--- `ErrorMap.new(custom_error_map, {default_error = cls})` (or one table with both keys).
-- @tparam[opt] table custom_error_map status code -> error class
-- @tparam[opt] table opts `default_error`
function ErrorMap.new(custom_error_map, opts)
   if opts == nil and type(custom_error_map) == "table"
      and (custom_error_map.custom_error_map ~= nil or custom_error_map.default_error ~= nil) then
      opts = custom_error_map
      custom_error_map = opts.custom_error_map
   end
   return setmetatable({ _custom = custom_error_map or {},
                         _default = opts and opts.default_error }, ErrorMap)
end

--- The custom entry for `status_code` when set, else the default error (or nil).
function ErrorMap:get(status_code)
   local ret = self._custom[status_code]
   if ret then return ret end
   return self._default
end

--- Raise `error_map[status_code]{response = response}` when the map has a class for the status;
-- otherwise return nothing (callers then raise HttpResponseError themselves).
-- @param status_code number
-- @param response the response
-- @param error_map a table status -> class, an ErrorMap, or nil
function M.map_error(status_code, response, error_map)
   if not truthy(error_map) then return end
   local error_type
   if getmetatable(error_map) == ErrorMap then
      error_type = error_map:get(status_code)
   else
      error_type = error_map[status_code]
   end
   if not error_type then return end
   if classes[error_type] == "error" then error(error_type.new{ response = response }, 0) end
   error(error_type{ response = response }, 0)
end

---------------------------------------------------------------------------------------------------
-- Helpers for the binding and the pipeline
---------------------------------------------------------------------------------------------------

--- True when `v` is an error object of this module (and, with `cls_or_name`, of that kind).
function M.is_error(v, cls_or_name)
   if not is_error(v) then return false end
   if cls_or_name == nil then return true end
   return v:is(cls_or_name)
end

--- Build the error object for a C-core failure.
-- @string kind the code name from azc_code_name ("ServiceRequestError", "ValueError", ...)
-- @string message the core's message
-- @int[opt] curl_code CURLcode (0 = none)
-- @string[opt] curl_name "CURLE_..." ("" = none)
-- @return error object: the class named `kind` when it is an AzureError class, else an
-- AzureError whose `kind` is `kind`; with `curl_code`/`curl_name` when given.
function M.from_native(kind, message, curl_code, curl_name)
   if message == nil or message == "" then message = kind or "unknown error" end
   local cls = type(kind) == "string" and M[kind] or nil
   local e
   if classes[cls] == "error" and cls:is(AzureError) then
      e = cls.new{ message = message }
   else
      e = AzureError.new{ message = message }
      e.kind = kind
   end
   if curl_code ~= nil and curl_code ~= 0 then e.curl_code = curl_code end
   if curl_name ~= nil and curl_name ~= "" then e.curl_name = curl_name end
   return e
end

--- Turn any raised Lua value into an error object: error objects are returned as they are,
-- anything else becomes an AzureError with `inner_exception = value`.
function M.wrap(value)
   if is_error(value) then return value end
   local ok, message = pcall(tostring, value)
   if not ok or type(message) ~= "string" then
      message = "(error value of type " .. type(value) .. ")"
   end
   return AzureError.new{ message = message, error = value }
end

-- Exposed for other modules and tests that need azure-core's exact text.
M._py_str = py_str
M._py_dumps = py_dumps
M._decode_ordered = decode_ordered

return M

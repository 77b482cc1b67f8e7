--- The one place that wraps lua-cjson.
-- JSON `null` decodes to `json.NULL` (the same value as `serialization.NULL`); empty Lua tables
-- encode as objects unless marked with `json.array(t)` (or `json.empty_array`), since Debian's
-- lua-cjson 2.1.0 has no `empty_array` extensions: where the loaded cjson has them (OpenResty),
-- they are used.
-- @module azure.core.json
local cjson = require("cjson")

local setmetatable, getmetatable, type, pairs, next = setmetatable, getmetatable, type, pairs, next
local tostring, error, pcall = tostring, error, pcall

local M = {}

local engine = cjson.new()
engine.encode_sparse_array(true, 1, 1)
engine.encode_number_precision(14)
if engine.decode_array_with_array_mt then engine.decode_array_with_array_mt(false) end

--- The JSON null sentinel (a light userdata, cjson's own `cjson.null`).
M.NULL = cjson.null

local array_mt = cjson.array_mt or { __name = "azure.core.json.array" }
--- Metatable marking a table as a JSON array (so an empty one encodes as `[]`).
M.array_mt = array_mt
M.has_native_empty_array = cjson.array_mt ~= nil

--- Mark `t` (or a new table) as a JSON array. Returns the table.
-- @tparam[opt] table t
-- @treturn table
function M.array(t)
   return setmetatable(t or {}, array_mt)
end

--- An empty array value that encodes as `[]`.
M.empty_array = cjson.empty_array or setmetatable({}, array_mt)

local function is_empty_array(v)
   return v == M.empty_array or (getmetatable(v) == array_mt and next(v) == nil)
end

-- Does `v` (recursively) hold a marked empty array that plain cjson would render as `{}`?
local function needs_walk(v, depth)
   if depth > 100 then return false end
   if type(v) ~= "table" then return false end
   if is_empty_array(v) then return true end
   for _, x in pairs(v) do
      if type(x) == "table" and needs_walk(x, depth + 1) then return true end
   end
   return false
end

-- Placeholder string substituted for marked empty arrays, then replaced in the output text.
local EMPTY_MARK = "\0azure.core.json.empty_array\0"

local function substitute(v)
   if type(v) ~= "table" then return v end
   if is_empty_array(v) then return EMPTY_MARK end
   local out = {}
   for k, x in pairs(v) do out[k] = substitute(x) end
   return setmetatable(out, getmetatable(v))
end

-- cjson 2.1.0 escapes every "/" as "\/": valid, but not what other encoders write. Every "/"
-- in its output is preceded by that escape, so undoing it cannot touch anything else.
local function unescape_slashes(s)
   if s:find("\\/", 1, true) then s = s:gsub("\\/", "/") end
   return s
end

--- Encode a Lua value as JSON text.
-- @return string, or nil and an error message
function M.encode(v)
   if not M.has_native_empty_array and needs_walk(v, 0) then
      local ok, s = pcall(engine.encode, substitute(v))
      if not ok then return nil, s end
      s = s:gsub('"\\u0000azure.core.json.empty_array\\u0000"', "[]")
      return unescape_slashes(s)
   end
   local ok, s = pcall(engine.encode, v)
   if not ok then return nil, s end
   return unescape_slashes(s)
end

-- cjson decodes every number as a float; on Lua 5.3+ integral values within 2^53 become
-- integers again, so 42 prints as "42" and works as a table index.
local tointeger = math.tointeger
local function integers(v, depth)
   if type(v) == "number" then
      if v == v and v >= -9007199254740992 and v <= 9007199254740992 then
         return tointeger(v) or v
      end
      return v
   end
   if type(v) == "table" and depth < 1000 then
      for k, x in pairs(v) do
         local tx = type(x)
         if tx == "number" or tx == "table" then v[k] = integers(x, depth + 1) end
      end
   end
   return v
end

--- Decode JSON text; `null` becomes `json.NULL`.
-- @return value, or nil and an error message
function M.decode(s)
   if type(s) ~= "string" then return nil, "expected a string, got " .. type(s) end
   local ok, v = pcall(engine.decode, s)
   if not ok then return nil, tostring(v) end
   if tointeger then return integers(v, 0) end
   return v
end

return M

--- Utilities for code built on azure-core: a case-insensitive dictionary, the connection-string
-- parser and the match-condition (ETag) helpers that generated Azure clients use.
-- @module azure.core.utils
local match_conditions = require("azure.core.match_conditions")
local NULL = require("azure.core.json").NULL

local type, next, pairs, rawget, rawequal = type, next, pairs, rawget, rawequal
local setmetatable, getmetatable, tostring, error = setmetatable, getmetatable, tostring, error
local lower, find, sub, byte, format, gsub = string.lower, string.find, string.sub, string.byte,
   string.format, string.gsub
local concat, sort = table.concat, table.sort

local MatchConditions = match_conditions.MatchConditions

local M = {}

-- Error objects ---------------------------------------------------------------------------------

local error_mt = {
   __tostring = function(e)
      return e.message
   end,
}

--- The error object for a failure of kind `kind` ("ValueError", "TypeError",
-- "SerializationError", "DeserializationError": azure.core.exceptions classes that, as in
-- Python, are not AzureError); `tostring(err)` is the message. Used by `serialization` and
-- `messaging` too.
-- @tparam string kind
-- @tparam string msg
-- @treturn table
function M._error(kind, msg)
   local cls = require("azure.core.exceptions")[kind]
   if cls then return cls.new{ message = msg } end
   return setmetatable({ type = kind, message = msg }, error_mt)
end
local new_error = M._error

--- True for a function or a value whose metatable has `__call` (callbacks given to paging and
-- polling may be either).
-- @param f any value
-- @treturn boolean
function M._callable(f)
   if type(f) == "function" then return true end
   local mt = getmetatable(f)
   return type(mt) == "table" and mt.__call ~= nil
end

-- Python-like repr of scalars, for __tostring of containers ------------------------------------

local function py_str_repr(s)
   local quote = "'"
   if find(s, "'", 1, true) and not find(s, '"', 1, true) then quote = '"' end
   local out = gsub(s, "[%c\\'\"\127]", function(c)
      if c == "\\" then return "\\\\" end
      if c == quote then return "\\" .. c end
      if c == "'" or c == '"' then return c end
      if c == "\n" then return "\\n" end
      if c == "\r" then return "\\r" end
      if c == "\t" then return "\\t" end
      return format("\\x%02x", byte(c))
   end)
   return quote .. out .. quote
end

--- Python-style repr of a scalar (strings quoted, nil/NULL as None, booleans as True/False).
-- @param v any value
-- @treturn string
function M._py_repr(v)
   local tv = type(v)
   if tv == "string" then return py_str_repr(v) end
   if v == nil or rawequal(v, NULL) then return "None" end
   if v == true then return "True" end
   if v == false then return "False" end
   return tostring(v)
end
local py_repr = M._py_repr

-- CaseInsensitiveDict ---------------------------------------------------------------------------

-- Internal state hangs off the instance under a key no user can spell, so that every string key
-- (even "_vals") goes through __index/__newindex:
--   vals[lk]  value by lowercased key        names[lk] last-written spelling
--   pos[lk]   slot of lk in order            order[i]  lk, or false once removed
--   n         live entries                   holes     false slots awaiting compaction
local STATE = setmetatable({}, { __name = "azure.core.CaseInsensitiveDict.state" })

local CaseInsensitiveDict = {}
M.CaseInsensitiveDict = CaseInsensitiveDict

local methods = {}
local dict_mt = { __name = "azure.core.CaseInsensitiveDict" }

local function state_of(d)
   local st = type(d) == "table" and rawget(d, STATE)
   if not st then error("bad self (CaseInsensitiveDict expected)", 3) end
   return st
end

local function is_dict(v)
   return type(v) == "table" and getmetatable(v) == dict_mt
end

local function check_key(k, fname)
   if type(k) ~= "string" then
      error(format("bad argument #1 to '%s' (string key expected, got %s)", fname, type(k)), 3)
   end
end

-- Rebuild `order` without holes. Only called while inserting, so removing entries during an
-- items() loop never shifts the slots that loop is walking.
local function compact(st)
   local order, pos = st.order, st.pos
   local j = 0
   for i = 1, #order do
      local lk = order[i]
      if lk and pos[lk] == i then
         j = j + 1
         order[j] = lk
         pos[lk] = j
      end
   end
   for i = #order, j + 1, -1 do order[i] = nil end
   st.holes = 0
end

local function set(st, k, v)
   local lk = lower(k)
   if v == nil then
      local p = st.pos[lk]
      if p then
         st.order[p] = false
         st.pos[lk], st.vals[lk], st.names[lk] = nil, nil, nil
         st.n = st.n - 1
         st.holes = st.holes + 1
      end
      return
   end
   if st.pos[lk] == nil then
      if st.holes > 16 and st.holes > st.n then compact(st) end
      local order = st.order
      local p = #order + 1
      order[p] = lk
      st.pos[lk] = p
      st.n = st.n + 1
   end
   st.vals[lk] = v
   st.names[lk] = k
end

function dict_mt.__index(d, k)
   local m = methods[k]
   if m ~= nil then return m end
   if type(k) ~= "string" then return nil end
   return rawget(d, STATE).vals[lower(k)]
end

function dict_mt.__newindex(d, k, v)
   check_key(k, "__newindex")
   set(rawget(d, STATE), k, v)
end

local function new_dict()
   return setmetatable({
      [STATE] = { vals = {}, names = {}, pos = {}, order = {}, n = 0, holes = 0 },
   }, dict_mt)
end

-- Apply a mapping and/or a list of {k, v} pairs. List entries first (in order), then the string
-- keys sorted, because a Lua table has no insertion order to preserve.
local function update(st, src, fname)
   if src == nil then return end
   if type(src) ~= "table" then
      error(format("bad argument to '%s' (table expected, got %s)", fname, type(src)), 3)
   end
   if is_dict(src) then
      local sst = rawget(src, STATE)
      local order, pos = sst.order, sst.pos
      for i = 1, #order do
         local lk = order[i]
         if lk and pos[lk] == i then set(st, sst.names[lk], sst.vals[lk]) end
      end
      return
   end
   local n = 0
   while src[n + 1] ~= nil do
      n = n + 1
      local pair = src[n]
      if type(pair) ~= "table" or type(pair[1]) ~= "string" or pair[2] == nil then
         error(format("bad argument to '%s' (element #%d is not a {key, value} pair)", fname, n), 3)
      end
      set(st, pair[1], pair[2])
   end
   local names = {}
   for k in next, src do
      if type(k) == "string" then
         names[#names + 1] = k
      elseif not (type(k) == "number" and k >= 1 and k <= n and k % 1 == 0) then
         error(format("bad argument to '%s' (string key expected, got %s)", fname, type(k)), 3)
      end
   end
   sort(names)
   for i = 1, #names do set(st, names[i], src[names[i]]) end
end

--- Create a case-insensitive dictionary.
-- `init` may be another CaseInsensitiveDict, a table of string keys, a list of `{key, value}`
-- pairs, or a table holding both (the pairs are applied first, then the string keys in sorted
-- order); `extra` is a second table of string keys applied last (Python's keyword arguments).
-- @tparam[opt] table init
-- @tparam[opt] table extra
-- @treturn CaseInsensitiveDict
function CaseInsensitiveDict.new(init, extra)
   local d = new_dict()
   local st = rawget(d, STATE)
   update(st, init, "CaseInsensitiveDict.new")
   update(st, extra, "CaseInsensitiveDict.new")
   return d
end

setmetatable(CaseInsensitiveDict, {
   __call = function(_, ...)
      return CaseInsensitiveDict.new(...)
   end,
})

--- True when `v` is a CaseInsensitiveDict.
-- @param v any value
-- @treturn boolean
function CaseInsensitiveDict.is(v)
   return is_dict(v)
end

--- Same as `CaseInsensitiveDict.new(...)`.
-- @treturn CaseInsensitiveDict
function M.case_insensitive_dict(...)
   return CaseInsensitiveDict.new(...)
end

--- Value for `k` (any case), or `default` when absent.
-- Also the way to read keys that collide with method names (`d:get("keys")`).
-- @tparam string k
-- @param[opt] default
function methods.get(d, k, default)
   local st = state_of(d)
   check_key(k, "get")
   local v = st.vals[lower(k)]
   if v == nil then return default end
   return v
end

--- Set `k` to `v` (`nil` removes); the spelling of `k` becomes the stored name.
-- @tparam string k
-- @param v
function methods.set(d, k, v)
   local st = state_of(d)
   check_key(k, "set")
   set(st, k, v)
end

--- Remove `k` and return its value, or `default` when absent.
-- @tparam string k
-- @param[opt] default
function methods.pop(d, k, default)
   local st = state_of(d)
   check_key(k, "pop")
   local v = st.vals[lower(k)]
   if v == nil then return default end
   set(st, k, nil)
   return v
end

--- True when `k` (any case) is present.
-- @tparam string k
-- @treturn boolean
function methods.contains(d, k)
   local st = state_of(d)
   if type(k) ~= "string" then return false end
   return st.vals[lower(k)] ~= nil
end

--- Number of entries (also `#d` on Lua 5.2+).
-- @treturn integer
function methods.len(d)
   return state_of(d).n
end

-- Iterator over live slots, yielding the stored or the lowercased name with the value.
local function iter(st, lowercase)
   local order, pos, vals, names = st.order, st.pos, st.vals, st.names
   local i = 0
   return function()
      while true do
         i = i + 1
         local lk = order[i]
         if lk == nil then return nil end
         if lk and pos[lk] == i then
            if lowercase then return lk, vals[lk] end
            return names[lk], vals[lk]
         end
      end
   end
end

--- Iterator of `name, value` in first-insertion order, each name in its last-written case.
-- Removing entries while iterating is allowed; adding is not.
-- @treturn function
function methods.items(d)
   return iter(state_of(d), false)
end

--- Iterator of `lowercase_name, value` in first-insertion order.
-- @treturn function
function methods.lowerkey_items(d)
   return iter(state_of(d), true)
end

--- List of the names (last-written case) in first-insertion order.
-- @treturn {string,...}
function methods.keys(d)
   local out = {}
   for k in iter(state_of(d), false) do out[#out + 1] = k end
   return out
end

--- List of the values in first-insertion order.
-- @treturn table
function methods.values(d)
   local out = {}
   for _, v in iter(state_of(d), false) do out[#out + 1] = v end
   return out
end

--- Apply another mapping or list of pairs (see `new`).
-- @tparam table src
-- @tparam[opt] table extra
function methods.update(d, src, extra)
   local st = state_of(d)
   update(st, src, "update")
   update(st, extra, "update")
end

--- Remove every entry.
function methods.clear(d)
   local st = state_of(d)
   st.vals, st.names, st.pos, st.order, st.n, st.holes = {}, {}, {}, {}, 0, 0
end

--- A new, independent dictionary with the same entries, order and spelling.
-- @treturn CaseInsensitiveDict
function methods.copy(d)
   local out = new_dict()
   update(rawget(out, STATE), d, "copy")
   return out
end

--- A plain table of `name = value` (last-written case); what the JSON encoder renders.
-- @treturn table
function methods.to_table(d)
   local out = {}
   for k, v in iter(state_of(d), false) do out[k] = v end
   return out
end

--- Compare with any table by lowercased keys (values with `==`); false for non-tables and for
-- tables with non-string keys.
-- @param other
-- @treturn boolean
function methods.equals(d, other)
   local st = state_of(d)
   if rawequal(d, other) then return true end
   if type(other) ~= "table" then return false end
   local ovals, on
   if is_dict(other) then
      local ost = rawget(other, STATE)
      ovals, on = ost.vals, ost.n
   else
      ovals, on = {}, 0
      for k, v in next, other do
         if type(k) ~= "string" then return false end
         local lk = lower(k)
         if ovals[lk] == nil then on = on + 1 end
         ovals[lk] = v
      end
   end
   if on ~= st.n then return false end
   for lk, v in next, st.vals do
      local ov = ovals[lk]
      if ov == nil or not (ov == v) then return false end
   end
   return true
end

dict_mt.__eq = function(a, b)
   if is_dict(a) then return methods.equals(a, b) end
   return methods.equals(b, a)
end

dict_mt.__len = function(d)
   return rawget(d, STATE).n
end

dict_mt.__pairs = function(d)
   return iter(rawget(d, STATE), false), d, nil
end

dict_mt.__tostring = function(d)
   local parts = {}
   for k, v in iter(rawget(d, STATE), false) do
      parts[#parts + 1] = py_str_repr(k) .. ": " .. py_repr(v)
   end
   return "{" .. concat(parts, ", ") .. "}"
end

-- Rendered as a JSON object by azure.core.serialization.encode_json.
dict_mt.__tojson = function(d)
   return methods.to_table(d)
end

-- Connection strings ----------------------------------------------------------------------------

-- What Python's str.strip() removes: ASCII whitespace (including \x1c-\x1f) and the Unicode
-- White_Space characters, here in UTF-8.
local UNICODE_SPACES = {
   "\194\133", "\194\160", "\225\154\128", "\226\128\168", "\226\128\169", "\226\128\175",
   "\226\129\159", "\227\128\128",
}
for c = 0x80, 0x8A do UNICODE_SPACES[#UNICODE_SPACES + 1] = "\226\128" .. string.char(c) end

local function space_len_at(s, i)
   local b = byte(s, i)
   if b == nil then return 0 end
   if (b >= 9 and b <= 13) or (b >= 28 and b <= 32) then return 1 end
   if b < 0xC2 then return 0 end
   for j = 1, #UNICODE_SPACES do
      local u = UNICODE_SPACES[j]
      if sub(s, i, i + #u - 1) == u then return #u end
   end
   return 0
end

local function space_len_before(s, e)
   local b = byte(s, e)
   if b == nil then return 0 end
   if (b >= 9 and b <= 13) or (b >= 28 and b <= 32) then return 1 end
   if b < 0x80 then return 0 end
   for j = 1, #UNICODE_SPACES do
      local u = UNICODE_SPACES[j]
      if e - #u + 1 >= 1 and sub(s, e - #u + 1, e) == u then return #u end
   end
   return 0
end

local function py_strip(s)
   local i, e = 1, #s
   while i <= e do
      local n = space_len_at(s, i)
      if n == 0 then break end
      i = i + n
   end
   while e >= i do
      local n = space_len_before(s, e)
      if n == 0 then break end
      e = e - n
   end
   return sub(s, i, e)
end

local MALFORMED = "Connection string is either blank or malformed."

--- Parse an Azure connection string (`Key=Value;Key2=Value2`).
-- The string is trimmed, trailing `;` removed, then split on `;`; each segment splits at its
-- first `=`. Keys and values are not trimmed. Without `case_sensitive_keys` the keys are
-- lowercased (lookups must use lowercase).
-- @tparam string conn_str
-- @tparam[opt=false] boolean case_sensitive_keys
-- @treturn[1] table key -> value
-- @treturn[2] nil
-- @treturn[2] table ValueError
function M.parse_connection_string(conn_str, case_sensitive_keys)
   if type(conn_str) ~= "string" then
      error(format("bad argument #1 to 'parse_connection_string' (string expected, got %s)",
         type(conn_str)), 2)
   end
   local s = gsub(py_strip(conn_str), ";+$", "")
   local keys, vals = {}, {}
   local pos, len = 1, #s
   while true do
      local semi = find(s, ";", pos, true)
      local seg = sub(s, pos, (semi or len + 1) - 1)
      local eq = find(seg, "=", 1, true)
      if not eq or eq == 1 or eq == #seg then return nil, new_error("ValueError", MALFORMED) end
      keys[#keys + 1] = sub(seg, 1, eq - 1)
      vals[#vals + 1] = sub(seg, eq + 1)
      if not semi then break end
      pos = semi + 1
   end
   local exact = {}
   for i = 1, #keys do
      if exact[keys[i]] then return nil, new_error("ValueError", MALFORMED) end
      exact[keys[i]] = vals[i]
   end
   if case_sensitive_keys then return exact end
   local out = {}
   for i = 1, #keys do
      local lk = lower(keys[i])
      if out[lk] ~= nil then
         return nil, new_error("ValueError", "Duplicate key in connection string: " .. lk)
      end
      out[lk] = vals[i]
   end
   return out
end

-- Match conditions ------------------------------------------------------------------------------

local function cond_value(cond)
   if type(cond) == "string" then return MatchConditions[cond] end
   return cond
end

--- Quote an ETag for an If-Match / If-None-Match header.
-- nil, "" and "*" are returned unchanged, as are weak tags (`W/...`) and values already wrapped in
-- double or single quotes; anything else is wrapped in double quotes.
-- @tparam[opt] string etag
-- @treturn string|nil
function M.quote_etag(etag)
   if etag == nil or etag == "" or etag == "*" then return etag end
   if type(etag) ~= "string" then
      error(format("bad argument #1 to 'quote_etag' (string expected, got %s)", type(etag)), 2)
   end
   if sub(etag, 1, 2) == "W/" then return etag end
   local first, last = sub(etag, 1, 1), sub(etag, -1)
   if (first == '"' and last == '"') or (first == "'" and last == "'") then return etag end
   return '"' .. etag .. '"'
end
local quote_etag = M.quote_etag

--- Value of the If-Match header for a match condition (value or member name), or nil.
-- IfNotModified: the quoted etag (nil without an etag); IfPresent: `*`.
-- @tparam[opt] string etag
-- @param cond a MatchConditions value (or its name)
-- @treturn string|nil
function M.prep_if_match(etag, cond)
   cond = cond_value(cond)
   if cond == MatchConditions.IfNotModified then
      if etag == nil or etag == "" then return nil end
      return quote_etag(etag)
   end
   if cond == MatchConditions.IfPresent then return "*" end
   return nil
end

--- Value of the If-None-Match header for a match condition (value or member name), or nil.
-- IfModified: the quoted etag (nil without an etag); IfMissing: `*`.
-- @tparam[opt] string etag
-- @param cond a MatchConditions value (or its name)
-- @treturn string|nil
function M.prep_if_none_match(etag, cond)
   cond = cond_value(cond)
   if cond == MatchConditions.IfModified then
      if etag == nil or etag == "" then return nil end
      return quote_etag(etag)
   end
   if cond == MatchConditions.IfMissing then return "*" end
   return nil
end

--- The error map generated Azure clients use by default, as status -> exception class name:
-- `{[401] = "ClientAuthenticationError", [404] = "ResourceNotFoundError",
-- [409] = "ResourceExistsError", [304] = "ResourceNotModifiedError"}` (a new table each call).
-- @treturn table
function M.default_error_map()
   return {
      [401] = "ClientAuthenticationError",
      [404] = "ResourceNotFoundError",
      [409] = "ResourceExistsError",
      [304] = "ResourceNotModifiedError",
   }
end

--- Error-map entries a match condition adds (BEHAVIOR §6.4), as status -> exception class name,
-- merged over a copy of `base` when given (`base` itself is not modified).
-- IfNotModified: `412 = "ResourceModifiedError"`; IfPresent: `412 = "ResourceNotFoundError"`;
-- IfMissing: `412 = "ResourceExistsError"`; IfModified: `304 = "ResourceNotModifiedError"`
-- (already in the default map); Unconditionally or nil: nothing.
-- Class names resolve against `azure.core.exceptions` (e.g. `exceptions[name]`).
-- @param cond a MatchConditions value (or its name), or nil
-- @tparam[opt] table base e.g. `utils.default_error_map()`
-- @treturn table
function M.error_map_for(cond, base)
   local out = {}
   if base ~= nil then
      if type(base) ~= "table" then
         error(format("bad argument #2 to 'error_map_for' (table expected, got %s)", type(base)), 2)
      end
      for k, v in pairs(base) do out[k] = v end
   end
   cond = cond_value(cond)
   if cond == MatchConditions.IfNotModified then
      out[412] = "ResourceModifiedError"
   elseif cond == MatchConditions.IfPresent then
      out[412] = "ResourceNotFoundError"
   elseif cond == MatchConditions.IfMissing then
      out[412] = "ResourceExistsError"
   elseif cond == MatchConditions.IfModified then
      out[304] = "ResourceNotModifiedError"
   end
   return out
end

M.MatchConditions = MatchConditions

return M

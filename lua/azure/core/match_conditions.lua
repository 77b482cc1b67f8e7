--- Match conditions for conditional requests (ETags), as in azure-core's `MatchConditions` enum.
-- `MatchConditions.IfNotModified == 2`; indexing with a value gives the member name
-- (`MatchConditions[2] == "IfNotModified"`); an unknown member name raises (a typo is a bug).
-- The table is read-only and `pairs` visits the five members only.
-- @module azure.core.match_conditions
local type, error, pairs, rawget, rawset, tostring = type, error, pairs, rawget, rawset, tostring
local setmetatable, format = setmetatable, string.format

local M = {}

local members = {
   Unconditionally = 1, -- matches any condition
   IfNotModified = 2, -- the target is unchanged: If-Match: <etag>
   IfModified = 3, -- the target changed: If-None-Match: <etag>
   IfPresent = 4, -- the target exists: If-Match: *
   IfMissing = 5, -- the target does not exist: If-None-Match: *
}

local names = {}
for name, value in pairs(members) do names[value] = name end

--- The enum: `{Unconditionally = 1, IfNotModified = 2, IfModified = 3, IfPresent = 4,
-- IfMissing = 5}`; `MatchConditions[value]` is the member name.
M.MatchConditions = setmetatable({}, {
   __name = "azure.core.MatchConditions",
   __index = function(_, k)
      if type(k) == "number" then return names[k] end
      error(format("MatchConditions has no member %s", tostring(k)), 2)
   end,
   __newindex = function()
      error("MatchConditions is read-only", 2)
   end,
   __tostring = function()
      return "MatchConditions"
   end,
})
-- members are raw fields, so pairs() works everywhere and lookups skip __index
for name, value in pairs(members) do rawset(M.MatchConditions, name, value) end

--- Name of a member value (`name_of(2) == "IfNotModified"`), or nil.
-- @param value
-- @treturn string|nil
function M.name_of(value)
   return names[value]
end

--- True when `value` is one of the enum's values.
-- @param value
-- @treturn boolean
function M.is_valid(value)
   return rawget(names, value) ~= nil
end

return M

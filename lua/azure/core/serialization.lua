--- JSON the way Azure services expect it: `NULL`, and wrapper types the encoder renders as
-- azure-core's `AzureJSONEncoder` does (`Bytes` as base64, `DateTime` as ISO 8601 UTC with `Z`,
-- `Duration` as an ISO 8601 duration).
--
-- Any table whose metatable has a `__tojson(v)` function is encoded as the value that function
-- returns (the wrappers here, `CaseInsensitiveDict`, `CloudEvent` use this).
-- @module azure.core.serialization
local json = require("azure.core.json")
local utils = require("azure.core.utils")

local type, next, tostring, tonumber, error, pcall = type, next, tostring, tonumber, error, pcall
local getmetatable, setmetatable, rawequal = getmetatable, setmetatable, rawequal
local floor, huge = math.floor, math.huge
local byte, char, sub, match, format, gsub = string.byte, string.char, string.sub, string.match,
   string.format, string.gsub
local concat = table.concat
local unpack = table.unpack or unpack
local os_time = os.time

local new_error = utils._error

local M = {}

--- The explicit JSON `null` (the same value `decode_json` produces for `null`).
-- Unlike Python's NULL it is truthy in Lua: test it with `v == serialization.NULL`.
M.NULL = json.NULL

-- Base64 (pure Lua, 5.1-compatible arithmetic; a C implementation comes with azure.core.crypto) --

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local enc1, enc2, dec = {}, {}, {}
for i = 0, 63 do
   enc1[i] = sub(B64, i + 1, i + 1)
   dec[byte(B64, i + 1)] = i
end
for i = 0, 4095 do enc2[i] = enc1[floor(i / 64)] .. enc1[i % 64] end

--- Standard base64 with padding (azure.core.crypto, in C).
-- @tparam string s bytes
-- @treturn string
M._b64encode = require("azure.core.crypto").base64_encode

-- Decoding stays here: it follows Python's lenient b64decode (skipping characters outside the
-- alphabet, its exact messages), which CloudEvent's data_base64 rules need; crypto's decoder is
-- strict.
--- Base64 decoding with Python's `base64.b64decode` (non-strict) rules: characters outside the
-- alphabet are skipped, a complete pad sequence ends the input, and a dangling quad is an error
-- (`Incorrect padding`, or `Invalid base64-encoded string: number of data characters (N) cannot
-- be 1 more than a multiple of 4`).
-- @tparam string s
-- @treturn[1] string bytes
-- @treturn[2] nil
-- @treturn[2] table ValueError
function M._b64decode(s)
   local out, k = {}, 0
   local quad, left, pads = 0, 0, 0
   for i = 1, #s do
      local c = byte(s, i)
      if c == 61 then -- '='
         if quad >= 2 then
            pads = pads + 1
            if quad + pads >= 4 then
               quad = 0
               break
            end
         end
      else
         local v = dec[c]
         if v then
            pads = 0
            if quad == 0 then
               left, quad = v, 1
            elseif quad == 1 then
               k = k + 1
               out[k] = left * 4 + floor(v / 16)
               left, quad = v % 16, 2
            elseif quad == 2 then
               k = k + 1
               out[k] = (left % 16) * 16 + floor(v / 4)
               left, quad = v % 4, 3
            else
               k = k + 1
               out[k] = (left % 4) * 64 + v
               left, quad = 0, 0
            end
         end
      end
   end
   if quad == 1 then
      return nil, new_error("ValueError", format("Invalid base64-encoded string: number of data " ..
         "characters (%d) cannot be 1 more than a multiple of 4", floor(k / 3) * 4 + 1))
   elseif quad ~= 0 then
      return nil, new_error("ValueError", "Incorrect padding")
   end
   local parts = {}
   for i = 1, k, 4096 do
      parts[#parts + 1] = char(unpack(out, i, i + 4095 < k and i + 4095 or k))
   end
   return concat(parts)
end

local b64encode = M._b64encode

-- Bytes -----------------------------------------------------------------------------------------

--- Binary data that encodes as a standard base64 string. `b.value` is the raw byte string.
-- @type Bytes
local Bytes = { __name = "azure.core.Bytes" }
Bytes.__index = Bytes
M.Bytes = Bytes

--- Wrap a byte string.
-- @tparam string s
-- @treturn Bytes
function Bytes.new(s)
   if type(s) ~= "string" then
      error(format("bad argument #1 to 'Bytes.new' (string expected, got %s)", type(s)), 2)
   end
   return setmetatable({ value = s }, Bytes)
end

--- True when `v` is a Bytes.
-- @param v
-- @treturn boolean
function Bytes.is(v)
   return type(v) == "table" and getmetatable(v) == Bytes
end

--- The base64 text the JSON encoder writes.
-- @treturn string
function Bytes:serialize()
   return b64encode(self.value)
end

Bytes.__tojson = Bytes.serialize
Bytes.__tostring = Bytes.serialize
function Bytes.__len(b)
   return #b.value
end
function Bytes.__eq(a, b)
   return Bytes.is(a) and Bytes.is(b) and a.value == b.value
end

-- Calendar arithmetic (proleptic Gregorian, days relative to 1970-01-01) -------------------------

local function days_from_civil(y, m, d)
   if m <= 2 then y = y - 1 end
   local era = floor(y / 400)
   local yoe = y - era * 400
   local mp = (m + 9) % 12
   local doy = floor((153 * mp + 2) / 5) + d - 1
   local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
   return era * 146097 + doe - 719468
end

local function civil_from_days(z)
   z = z + 719468
   local era = floor(z / 146097)
   local doe = z - era * 146097
   local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
   local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
   local mp = floor((5 * doy + 2) / 153)
   local d = doy - floor((153 * mp + 2) / 5) + 1
   local m = mp < 10 and mp + 3 or mp - 9
   local y = yoe + era * 400
   if m <= 2 then y = y + 1 end
   return y, m, d
end

local function days_in_month(y, m)
   if m == 2 then
      if (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0 then return 29 end
      return 28
   end
   if m == 4 or m == 6 or m == 9 or m == 11 then return 30 end
   return 31
end

-- Round to an integer, ties to even (what Python's datetime/timedelta do with microseconds).
local function round_even(x)
   local f = floor(x)
   local r = x - f
   if r > 0.5 or (r == 0.5 and f % 2 == 1) then return f + 1 end
   return f
end

local function is_int(v, lo, hi)
   return type(v) == "number" and v % 1 == 0 and v >= lo and v <= hi
end

-- DateTime --------------------------------------------------------------------------------------

--- A calendar date and time with microseconds and an optional fixed UTC offset.
-- Fields: `year, month, day, hour, min, sec, usec` (wall clock) and `offset_minutes` (east of
-- UTC; nil for a naive time, which is treated as UTC). The JSON encoder writes it in UTC:
-- `2020-01-02T03:04:05Z`, or `2020-01-02T01:04:05.123456Z` when `usec` is not 0.
-- Comparisons (`==`, `<`, `<=`) compare the instants.
-- @type DateTime
local DateTime = { __name = "azure.core.DateTime" }
DateTime.__index = DateTime
M.DateTime = DateTime

local function from_unix(t, offset_minutes)
   local secs = floor(t)
   local usec = round_even((t - secs) * 1e6)
   if usec >= 1000000 then
      secs, usec = secs + 1, usec - 1000000
   end
   if offset_minutes then secs = secs + offset_minutes * 60 end
   local days = floor(secs / 86400)
   local sod = secs - days * 86400
   local y, m, d = civil_from_days(days)
   local hour = floor(sod / 3600)
   local min = floor((sod - hour * 3600) / 60)
   return setmetatable({
      year = y, month = m, day = d, hour = hour, min = min, sec = sod - hour * 3600 - min * 60,
      usec = usec, offset_minutes = offset_minutes,
   }, DateTime)
end

-- Returns the normalized field table, or nil and a message.
local function check_fields(f)
   local y, mo, d = f.year, f.month, f.day
   local h, mi, s, us, off = f.hour or 0, f.min or 0, f.sec or 0, f.usec or 0, f.offset_minutes
   if not is_int(y, 1, 9999) then return nil, "year must be in 1..9999" end
   if not is_int(mo, 1, 12) then return nil, "month must be in 1..12" end
   if not is_int(d, 1, days_in_month(y, mo)) then return nil, "day is out of range for month" end
   if not is_int(h, 0, 23) then return nil, "hour must be in 0..23" end
   if not is_int(mi, 0, 59) then return nil, "minute must be in 0..59" end
   if not is_int(s, 0, 59) then return nil, "second must be in 0..59" end
   if not is_int(us, 0, 999999) then return nil, "microsecond must be in 0..999999" end
   if off ~= nil and not is_int(off, -1439, 1439) then
      return nil, "offset_minutes must be an integer strictly between -1440 and 1440"
   end
   return setmetatable({
      year = y, month = mo, day = d, hour = h, min = mi, sec = s, usec = us, offset_minutes = off,
   }, DateTime)
end

--- Make a DateTime from Unix seconds (a number, fraction kept to the microsecond; the result is
-- UTC, `offset_minutes = 0`) or from fields `{year, month, day, hour, min, sec, usec,
-- offset_minutes}` (hour..usec default to 0; without offset_minutes the time is naive).
-- Raises on an invalid field.
-- @tparam number|table v
-- @treturn DateTime
function DateTime.new(v)
   if type(v) == "number" then
      if v ~= v or v == huge or v == -huge then
         error("bad argument #1 to 'DateTime.new' (finite number expected)", 2)
      end
      local dt = from_unix(v, 0)
      if dt.year < 1 or dt.year > 9999 then
         error("bad argument #1 to 'DateTime.new' (year is out of range)", 2)
      end
      return dt
   end
   if type(v) ~= "table" then
      error(format("bad argument #1 to 'DateTime.new' (number or table expected, got %s)",
         type(v)), 2)
   end
   local dt, msg = check_fields(v)
   if not dt then error("bad argument #1 to 'DateTime.new' (" .. msg .. ")", 2) end
   return dt
end

--- Same as `DateTime.new(unix_seconds)`, in UTC or at the given offset (minutes east of UTC).
-- @tparam number t
-- @tparam[opt=0] integer offset_minutes
-- @treturn DateTime
function DateTime.from_unix(t, offset_minutes)
   if type(t) ~= "number" or t ~= t or t == huge or t == -huge then
      error("bad argument #1 to 'DateTime.from_unix' (finite number expected)", 2)
   end
   if offset_minutes ~= nil and not is_int(offset_minutes, -1439, 1439) then
      error("bad argument #2 to 'DateTime.from_unix' (offset in minutes out of range)", 2)
   end
   local dt = from_unix(t, offset_minutes or 0)
   if dt.year < 1 or dt.year > 9999 then
      error("bad argument #1 to 'DateTime.from_unix' (year is out of range)", 2)
   end
   return dt
end

--- The current time in UTC (sub-second precision from `ngx.now()` under OpenResty or from an
-- already loaded LuaSocket, else whole seconds).
-- @treturn DateTime
function DateTime.now()
   local ngx = _G.ngx
   if type(ngx) == "table" and type(ngx.now) == "function" then return from_unix(ngx.now(), 0) end
   local socket = package.loaded.socket
   if type(socket) == "table" and type(socket.gettime) == "function" then
      return from_unix(socket.gettime(), 0)
   end
   return from_unix(os_time(), 0)
end

--- True when `v` is a DateTime.
-- @param v
-- @treturn boolean
function DateTime.is(v)
   return type(v) == "table" and getmetatable(v) == DateTime
end

local function invalid_time(s)
   return nil, new_error("ValueError", "Invalid RFC 3339 date-time: " .. utils._py_repr(s))
end

--- Parse an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
-- The fraction is truncated to microseconds (`.539861122` -> 539861, `.123` -> 123000); the
-- wall-clock fields are kept and the offset attached (`-08:00` -> offset_minutes = -480).
-- @tparam string s
-- @treturn[1] DateTime
-- @treturn[2] nil
-- @treturn[2] table ValueError
function DateTime.parse(s)
   if type(s) ~= "string" then return invalid_time(s) end
   local y, mo, d, h, mi, sec, rest = match(s,
      "^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt](%d%d):(%d%d):(%d%d)(.*)$")
   if not y then return invalid_time(s) end
   local usec = 0
   local frac, tz = match(rest, "^%.(%d+)(.*)$")
   if frac then
      rest = tz
      usec = tonumber(sub(frac .. "00000", 1, 6))
   end
   local off
   if rest == "Z" or rest == "z" then
      off = 0
   else
      local sign, oh, om = match(rest, "^([+-])(%d%d):(%d%d)$")
      if not sign then return invalid_time(s) end
      oh, om = tonumber(oh), tonumber(om)
      if oh > 23 or om > 59 then return invalid_time(s) end
      off = oh * 60 + om
      if sign == "-" then off = -off end
   end
   local dt = check_fields({
      year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h),
      min = tonumber(mi), sec = tonumber(sec), usec = usec, offset_minutes = off,
   })
   if not dt then return invalid_time(s) end
   return dt
end

--- Unix seconds (with the microseconds as a fraction); a naive time counts as UTC.
-- @treturn number
function DateTime:to_unix()
   local days = days_from_civil(self.year, self.month, self.day)
   local secs = days * 86400 + self.hour * 3600 + self.min * 60 + self.sec
   secs = secs - (self.offset_minutes or 0) * 60
   if self.usec == 0 then return secs end
   return secs + self.usec / 1e6
end

-- Whole seconds and microseconds of the instant, exactly (no float fraction).
local function instant(dt)
   local days = days_from_civil(dt.year, dt.month, dt.day)
   return days * 86400 + dt.hour * 3600 + dt.min * 60 + dt.sec - (dt.offset_minutes or 0) * 60,
      dt.usec
end

--- The same instant in UTC (`offset_minutes = 0`).
-- @treturn DateTime
function DateTime:to_utc()
   local secs, usec = instant(self)
   local dt = from_unix(secs, 0)
   dt.usec = usec
   return dt
end

local function fmt_offset(off)
   local sign = off < 0 and "-" or "+"
   off = off < 0 and -off or off
   return format("%s%02d:%02d", sign, floor(off / 60), off % 60)
end

--- Python's `datetime.isoformat(sep)`: the wall-clock fields, `.ffffff` when usec is not 0, and
-- `+HH:MM` when the time has an offset. `dt:isoformat(" ")` is Python's `str(dt)`.
-- @tparam[opt="T"] string sep
-- @treturn string
function DateTime:isoformat(sep)
   local s = format("%04d-%02d-%02d%s%02d:%02d:%02d", self.year, self.month, self.day, sep or "T",
      self.hour, self.min, self.sec)
   if self.usec ~= 0 then s = s .. format(".%06d", self.usec) end
   if self.offset_minutes then s = s .. fmt_offset(self.offset_minutes) end
   return s
end

--- The text the JSON encoder writes: ISO 8601 in UTC with `Z` (naive times are assumed UTC).
-- @treturn string
function DateTime:serialize()
   local u = self
   if self.offset_minutes and self.offset_minutes ~= 0 then u = self:to_utc() end
   local s = format("%04d-%02d-%02dT%02d:%02d:%02d", u.year, u.month, u.day, u.hour, u.min, u.sec)
   if u.usec ~= 0 then s = s .. format(".%06d", u.usec) end
   return s .. "Z"
end

DateTime.__tojson = DateTime.serialize
DateTime.__tostring = DateTime.serialize

local function cmp_dt(a, b)
   local sa, ua = instant(a)
   local sb, ub = instant(b)
   if sa ~= sb then return sa < sb and -1 or 1 end
   if ua ~= ub then return ua < ub and -1 or 1 end
   return 0
end
function DateTime.__eq(a, b)
   return DateTime.is(a) and DateTime.is(b) and cmp_dt(a, b) == 0
end
function DateTime.__lt(a, b)
   return cmp_dt(a, b) < 0
end
function DateTime.__le(a, b)
   return cmp_dt(a, b) <= 0
end

-- Duration --------------------------------------------------------------------------------------

--- A signed time span with microsecond resolution (Python's timedelta).
-- Fields, normalized as Python does: `days` (may be negative), `seconds` (0..86399),
-- `microseconds` (0..999999). The JSON encoder writes an ISO 8601 duration: `P4DT12H30M05S`,
-- `PT00S`, `PT00.5S`, `PT05M00S`, `P1DT00H00M00S`, `P-1DT23H59M59S` (for -1 s).
-- @type Duration
local Duration = { __name = "azure.core.Duration" }
Duration.__index = Duration
M.Duration = Duration

-- integer literals so that Lua 5.3+ keeps the fields integers
local US_PER_S, US_PER_MIN, US_PER_DAY = 1000000, 60000000, 86400000000
local UNITS = {
   weeks = 7 * US_PER_DAY, days = US_PER_DAY, hours = 60 * US_PER_MIN, minutes = US_PER_MIN,
   seconds = US_PER_S, milliseconds = 1000, microseconds = 1,
}

local function duration_of(us)
   local days = floor(us / US_PER_DAY)
   local rem = us - days * US_PER_DAY
   local secs = floor(rem / US_PER_S)
   return setmetatable({
      days = days, seconds = secs, microseconds = rem - secs * US_PER_S, _us = us,
   }, Duration)
end

--- Make a Duration from seconds (a number, fraction kept to the microsecond) or from fields
-- `{weeks, days, hours, minutes, seconds, milliseconds, microseconds}` (any subset, any sign,
-- fractions allowed; the total is rounded to the microsecond, ties to even).
-- @tparam number|table v
-- @treturn Duration
function Duration.new(v)
   local us
   if type(v) == "number" then
      us = v * US_PER_S
   elseif type(v) == "table" then
      us = 0
      for k, x in next, v do
         local unit = UNITS[k]
         if not unit then
            error(format("bad argument #1 to 'Duration.new' (unknown field %s)", tostring(k)), 2)
         end
         if type(x) ~= "number" then
            error(format("bad argument #1 to 'Duration.new' (%s must be a number)", k), 2)
         end
         us = us + x * unit
      end
   else
      error(format("bad argument #1 to 'Duration.new' (number or table expected, got %s)",
         type(v)), 2)
   end
   if us ~= us or us == huge or us == -huge then
      error("bad argument #1 to 'Duration.new' (finite value expected)", 2)
   end
   return duration_of(round_even(us))
end

--- True when `v` is a Duration.
-- @param v
-- @treturn boolean
function Duration.is(v)
   return type(v) == "table" and getmetatable(v) == Duration
end

--- The span in seconds.
-- @treturn number
function Duration:total_seconds()
   return self._us / US_PER_S
end

--- The text the JSON encoder writes (azure-core's `_timedelta_as_isostr`): `P[nD]T`, then
-- hours, minutes and seconds zero-padded to two digits, each present once a larger unit is;
-- seconds with up to six decimals, trailing zeros removed.
-- @treturn string
function Duration:serialize()
   local us = self._us
   local total_min = floor(us / US_PER_MIN)
   local sec_us = us - total_min * US_PER_MIN
   local total_h = floor(total_min / 60)
   local minutes = total_min - total_h * 60
   local days = floor(total_h / 24)
   local hours = total_h - days * 24
   local out = { "P" }
   if days ~= 0 then out[#out + 1] = format("%dD", days) end
   out[#out + 1] = "T"
   local bigger = days ~= 0 or hours ~= 0
   if bigger then out[#out + 1] = format("%02dH", hours) end
   bigger = bigger or minutes ~= 0
   if bigger then out[#out + 1] = format("%02dM", minutes) end
   local whole = floor(sec_us / US_PER_S)
   local frac = sec_us - whole * US_PER_S
   if frac == 0 then
      out[#out + 1] = format("%02dS", whole)
   else
      out[#out + 1] = (gsub(format("%02d.%06d", whole, frac), "0+$", "")) .. "S"
   end
   return concat(out)
end

Duration.__tojson = Duration.serialize
Duration.__tostring = Duration.serialize
function Duration.__eq(a, b)
   return Duration.is(a) and Duration.is(b) and a._us == b._us
end
function Duration.__lt(a, b)
   return a._us < b._us
end
function Duration.__le(a, b)
   return a._us <= b._us
end

-- JSON ------------------------------------------------------------------------------------------

local MAX_DEPTH = 1000
local array_mt = json.array_mt

-- Replace values whose metatable has __tojson, copying only the tables that change.
local function transform(v, depth)
   if type(v) ~= "table" then return v end
   if depth > MAX_DEPTH then
      error(format("Cannot serialise, excessive nesting (%d)", depth), 0)
   end
   local mt = getmetatable(v)
   local hook = mt and mt.__tojson
   if type(hook) == "function" then return transform(hook(v), depth + 1) end
   local out
   for k, x in next, v do
      local y = transform(x, depth + 1)
      if out then
         out[k] = y
      elseif not rawequal(x, y) then
         out = {}
         for k2, x2 in next, v do out[k2] = x2 end
         out[k] = y
      end
   end
   if not out then return v end
   if mt == array_mt then setmetatable(out, array_mt) end
   return out
end

--- Encode a value as JSON text, rendering `Bytes`, `DateTime`, `Duration` (and any table with a
-- `__tojson` metamethod) as azure-core's AzureJSONEncoder does. `NULL` is `null`; mark empty
-- arrays with `json.array()` / `json.empty_array`, or they encode as `{}`.
-- @param v
-- @treturn[1] string
-- @treturn[2] nil
-- @treturn[2] table SerializationError
function M.encode_json(v)
   local ok, t = pcall(transform, v, 0)
   if not ok then return nil, new_error("SerializationError", tostring(t)) end
   local s, err = json.encode(t)
   if not s then return nil, new_error("SerializationError", tostring(err)) end
   return s
end

--- Decode JSON text; `null` becomes `NULL`.
-- @tparam string s
-- @return the value
-- @treturn[2] nil
-- @treturn[2] table DeserializationError
function M.decode_json(s)
   local v, err = json.decode(s)
   if v == nil then return nil, new_error("DeserializationError", tostring(err)) end
   return v
end

return M

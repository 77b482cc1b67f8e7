-- Specs for azure.core.serialization (BEHAVIOR.md §9.6). Expected strings were produced by
-- azure-core 1.26.3's AzureJSONEncoder and Python's base64 module.
local serialization = require("azure.core.serialization")
local json = require("azure.core.json")

local Bytes, DateTime, Duration = serialization.Bytes, serialization.DateTime,
   serialization.Duration

describe("serialization.NULL", function()
   it("is the json module's null and round-trips", function()
      assert.equal(json.NULL, serialization.NULL)
      assert.equal('{"a":null}', serialization.encode_json({ a = serialization.NULL }))
      assert.equal(serialization.NULL, serialization.decode_json('{"a":null}').a)
      assert.equal(serialization.NULL, serialization.decode_json("null"))
   end)
end)

describe("Duration", function()
   -- every example verified with azure-core's _timedelta_as_isostr
   local cases = {
      { { days = 4, hours = 12, minutes = 30, seconds = 5 }, "P4DT12H30M05S" },
      { 0, "PT00S" },
      { 0.5, "PT00.5S" },
      { { microseconds = 1 }, "PT00.000001S" },
      { { days = 1 }, "P1DT00H00M00S" },
      { { minutes = 5 }, "PT05M00S" },
      { { hours = 1 }, "PT01H00M00S" },
      { { minutes = 1, seconds = 1.25 }, "PT01M01.25S" },
      { -1, "P-1DT23H59M59S" },
      { { days = -1, seconds = 5.5 }, "P-1DT00H00M05.5S" },
      { { days = 400, microseconds = 10 }, "P400DT00H00M00.00001S" },
      { { hours = 25 }, "P1DT01H00M00S" },
      { 59.999999, "PT59.999999S" },
      { 3600.123, "PT01H00M00.123S" },
      { { microseconds = -1 }, "P-1DT23H59M59.999999S" },
      { { weeks = 3, milliseconds = 7 }, "P21DT00H00M00.007S" },
      { { days = 1.5, milliseconds = 2.5 }, "P1DT12H00M00.0025S" },
      { { hours = -25 }, "P-2DT23H00M00S" },
   }
   for _, c in ipairs(cases) do
      it("renders " .. c[2], function()
         local d = Duration.new(c[1])
         assert.equal(c[2], d:serialize())
         assert.equal(c[2], tostring(d))
         assert.equal('"' .. c[2] .. '"', serialization.encode_json(d))
      end)
   end

   it("normalizes fields as timedelta does", function()
      local d = Duration.new(-1)
      assert.equal(-1, d.days)
      assert.equal(86399, d.seconds)
      assert.equal(0, d.microseconds)
      d = Duration.new({ days = 1.5, milliseconds = 2.5 })
      assert.equal(1, d.days)
      assert.equal(43200, d.seconds)
      assert.equal(2500, d.microseconds)
      assert.equal(129600.0025, d:total_seconds())
   end)

   it("rounds to the microsecond, ties to even", function()
      assert.equal("PT00S", Duration.new({ microseconds = 0.5 }):serialize())
      assert.equal("PT00.000002S", Duration.new({ microseconds = 1.5 }):serialize())
      assert.equal("PT00.000002S", Duration.new({ microseconds = 2.5 }):serialize())
   end)

   it("compares", function()
      assert.is_true(Duration.new(60) == Duration.new({ minutes = 1 }))
      assert.is_true(Duration.new(1) < Duration.new(2))
      assert.is_true(Duration.new(2) <= Duration.new(2))
   end)

   it("raises on bad input", function()
      assert.has_error(function() Duration.new("1") end)
      assert.has_error(function() Duration.new({ fortnights = 1 }) end)
      assert.has_error(function() Duration.new({ days = "1" }) end)
      assert.has_error(function() Duration.new(math.huge) end)
   end)
end)

describe("DateTime", function()
   it("renders UTC with Z, microseconds kept", function()
      assert.equal("2020-01-02T03:04:05Z",
         DateTime.new({ year = 2020, month = 1, day = 2, hour = 3, min = 4, sec = 5 }):serialize())
      assert.equal("2020-01-02T01:04:05.123456Z", DateTime.new({ year = 2020, month = 1, day = 2,
         hour = 3, min = 4, sec = 5, usec = 123456, offset_minutes = 120 }):serialize())
      assert.equal("2020-01-02T03:04:05.120000Z", DateTime.new({ year = 2020, month = 1, day = 2,
         hour = 3, min = 4, sec = 5, usec = 120000, offset_minutes = 0 }):serialize())
      assert.equal("2019-12-31T19:00:00Z", DateTime.new({ year = 2020, month = 1, day = 1,
         hour = 0, min = 30, offset_minutes = 330 }):serialize())
      assert.equal("2020-01-01T07:30:00Z", DateTime.new({ year = 2019, month = 12, day = 31,
         hour = 23, min = 30, offset_minutes = -480 }):serialize())
      assert.equal("0001-01-01T00:00:00Z",
         DateTime.new({ year = 1, month = 1, day = 1 }):serialize())
      assert.equal("9999-12-31T23:59:59.999999Z", DateTime.new({ year = 9999, month = 12,
         day = 31, hour = 23, min = 59, sec = 59, usec = 999999 }):serialize())
      assert.equal("2000-02-29T13:30:00.000001Z", DateTime.new({ year = 2000, month = 2, day = 29,
         hour = 12, usec = 1, offset_minutes = -90 }):serialize())
   end)

   it("isoformat is Python's (wall clock and offset)", function()
      local dt = DateTime.new({ year = 2000, month = 2, day = 29, hour = 12, usec = 1,
         offset_minutes = -90 })
      assert.equal("2000-02-29T12:00:00.000001-01:30", dt:isoformat())
      assert.equal("2000-02-29 00:00:00", DateTime.new({ year = 2000, month = 2, day = 29 })
         :isoformat(" "))
   end)

   it("converts from and to Unix seconds", function()
      local dt = DateTime.new(1577934245.123456)
      assert.equal("2020-01-02 03:04:05.123456+00:00", dt:isoformat(" "))
      assert.equal(0, dt.offset_minutes)
      assert.equal("1969-12-31 23:59:58.500000+00:00", DateTime.new(-1.5):isoformat(" "))
      assert.equal("1970-01-01T00:00:00Z", DateTime.new(0):serialize())
      local p = assert(DateTime.parse("2021-02-18T20:18:10.539861Z"))
      assert.near(1613679490.539861, p:to_unix(), 1e-6)
      assert.equal(1613679490, DateTime.parse("2021-02-18T20:18:10Z"):to_unix())
      local local_time = DateTime.from_unix(0, 60)
      assert.equal("1970-01-01T01:00:00+01:00", local_time:isoformat())
      assert.equal(0, local_time:to_unix())
   end)

   it("parses RFC 3339 with offsets and fractions", function()
      local dt = assert(DateTime.parse("2021-02-18T20:18:10.539861122+00:00"))
      assert.same({ 2021, 2, 18, 20, 18, 10, 539861, 0 }, { dt.year, dt.month, dt.day, dt.hour,
         dt.min, dt.sec, dt.usec, dt.offset_minutes })
      assert.equal(123000, DateTime.parse("2021-02-18T20:18:10.123Z").usec)
      dt = assert(DateTime.parse("2021-02-18T17:11:10-08:00"))
      assert.equal(17, dt.hour)
      assert.equal(-480, dt.offset_minutes)
      assert.equal("2021-02-19T01:11:10Z", dt:serialize())
      dt = assert(DateTime.parse("2021-02-18t20:18:10+05:30"))
      assert.equal(330, dt.offset_minutes)
      assert.equal("2021-02-18T14:48:10Z", dt:serialize())
   end)

   it("rejects what is not RFC 3339", function()
      for _, s in ipairs({ "2021-02-18T20:18:10", "", "garbage", "2021-02-18 20:18:10Z",
         "2021-02-30T20:18:10Z", "2021-02-18T24:00:00Z", "2021-02-18T20:18:60Z",
         "2021-02-18T20:18:10.Z", "2021-02-18T20:18:10+24:00", "2021-2-18T20:18:10Z" }) do
         local dt, err = DateTime.parse(s)
         assert.is_nil(dt, s)
         assert.equal("ValueError", err.type)
         assert.equal("Invalid RFC 3339 date-time: '" .. s .. "'", err.message)
      end
      local _, err = DateTime.parse(42)
      assert.equal("Invalid RFC 3339 date-time: 42", err.message)
   end)

   it("validates fields", function()
      assert.has_error(function() DateTime.new({ year = 2021, month = 2, day = 29 }) end)
      assert.has_error(function() DateTime.new({ year = 2021, month = 13, day = 1 }) end)
      assert.has_error(function() DateTime.new({ year = 0, month = 1, day = 1 }) end)
      assert.has_error(function()
         DateTime.new({ year = 2021, month = 1, day = 1, offset_minutes = 1440 })
      end)
      assert.has_error(function() DateTime.new("2021-01-01") end)
      assert.has_error(function() DateTime.new(0 / 0) end)
      assert.has_error(function() DateTime.new(1e15) end)
      assert.has_error(function() DateTime.from_unix(-62135596801) end)
      assert.equal("0001-01-01T00:00:00Z", DateTime.from_unix(-62135596800):serialize())
      assert.equal("9999-12-31T23:59:59Z", DateTime.new(253402300799):serialize())
   end)

   it("compares instants", function()
      local a = DateTime.parse("2021-02-18T20:00:00+01:00")
      local b = DateTime.parse("2021-02-18T19:00:00Z")
      assert.is_true(a == b)
      assert.is_true(DateTime.parse("2021-02-18T19:00:00.000001Z") > b)
      assert.is_true(a <= b)
   end)

   it("now() is UTC and close to os.time()", function()
      local dt = DateTime.now()
      assert.equal(0, dt.offset_minutes)
      assert.is_true(math.abs(dt:to_unix() - os.time()) < 5)
   end)
end)

describe("Bytes and base64", function()
   it("encodes as standard base64", function()
      assert.equal('"AP8gaGVsbG8="', serialization.encode_json(Bytes.new("\0\255 hello")))
      assert.equal('["","YQ==","YWI=","YWJj"]', serialization.encode_json(json.array({
         Bytes.new(""), Bytes.new("a"), Bytes.new("ab"), Bytes.new("abc") })))
      local all = {}
      for i = 0, 255 do all[#all + 1] = string.char(i) end
      local enc = Bytes.new(table.concat(all)):serialize()
      assert.equal(344, #enc)
      assert.equal("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g" ..
         "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7", enc:sub(1, 80))
      assert.equal(table.concat(all), serialization._b64decode(enc))
      assert.equal(3, #Bytes.new("abc").value)
      assert.is_true(Bytes.new("x") == Bytes.new("x"))
      assert.has_error(function() Bytes.new(1) end)
   end)

   it("decodes with Python's b64decode rules", function()
      local ok = {
         { "QUJD", "ABC" }, { "QUJDRA==", "ABCD" }, { "QU=JD", "ABC" }, { "QU JD\n", "ABC" },
         { "@@QUJD", "ABC" }, { "QUJDRA==QUJD", "ABCD" }, { "QUI=x", "AB" }, { "=QUJD", "ABC" },
         { "QU==", "A" }, { "QUI=", "AB" }, { "", "" },
      }
      for _, c in ipairs(ok) do assert.equal(c[2], serialization._b64decode(c[1]), c[1]) end
      local bad = {
         { "QUJ", "Incorrect padding" }, { "QU", "Incorrect padding" },
         { "QUJDRA", "Incorrect padding" }, { "QUJDRA=", "Incorrect padding" },
         { "Q", "Invalid base64-encoded string: number of data characters (1) cannot be 1 more " ..
            "than a multiple of 4" },
         { "Q===", "Invalid base64-encoded string: number of data characters (1) cannot be 1 " ..
            "more than a multiple of 4" },
         { "QUJD====x", "Invalid base64-encoded string: number of data characters (5) cannot be " ..
            "1 more than a multiple of 4" },
         { "QUJDR", "Invalid base64-encoded string: number of data characters (5) cannot be 1 " ..
            "more than a multiple of 4" },
      }
      for _, c in ipairs(bad) do
         local r, err = serialization._b64decode(c[1])
         assert.is_nil(r, c[1])
         assert.equal("ValueError", err.type)
         assert.equal(c[2], err.message)
      end
   end)

   it("round-trips large inputs", function()
      local s = string.rep("\1\2\3\250\251", 20000)
      assert.equal(s, serialization._b64decode(serialization._b64encode(s)))
   end)
end)

describe("encode_json / decode_json", function()
   it("renders wrappers nested anywhere and leaves the input untouched", function()
      local dt = DateTime.new({ year = 2020, month = 1, day = 2, hour = 3, min = 4, sec = 5 })
      local v = { list = json.array({ dt, Duration.new(5) }), inner = { b = Bytes.new("x") } }
      local s = assert(serialization.encode_json(v))
      assert.same({ list = { "2020-01-02T03:04:05Z", "PT05S" }, inner = { b = "eA==" } },
         serialization.decode_json(s))
      assert.equal(dt, v.list[1])
   end)

   it("keeps empty arrays as []", function()
      assert.equal('{"a":[]}', serialization.encode_json({ a = json.empty_array }))
      assert.equal('[[],"PT00S"]', serialization.encode_json(json.array({ json.array(),
         Duration.new(0) })))
      assert.equal('{"e":[[]]}', serialization.encode_json({ e = json.array({ json.array() }) }))
   end)

   it("uses any __tojson metamethod", function()
      local obj = setmetatable({}, { __tojson = function() return { x = 1 } end })
      assert.equal('{"x":1}', serialization.encode_json(obj))
   end)

   it("returns errors instead of raising", function()
      local s, err = serialization.encode_json({ f = function() end })
      assert.is_nil(s)
      assert.equal("SerializationError", err.type)
      local cyc = {}
      cyc.self = cyc
      s, err = serialization.encode_json(cyc)
      assert.is_nil(s)
      assert.equal("SerializationError", err.type)
      local cyc2 = { d = Duration.new(1) }
      cyc2.self = cyc2
      s, err = serialization.encode_json(cyc2)
      assert.is_nil(s)
      assert.equal("Cannot serialise, excessive nesting (1001)", err.message)
      local v
      v, err = serialization.decode_json("{not json")
      assert.is_nil(v)
      assert.equal("DeserializationError", err.type)
      assert.is_string(err.message)
   end)
end)

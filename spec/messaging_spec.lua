-- Specs for azure.core.messaging.CloudEvent (BEHAVIOR.md §9.7). Messages and outcomes were
-- checked against azure-core 1.26.3 (newest behaviour where BEHAVIOR.md says it differs).
local messaging = require("azure.core.messaging")
local serialization = require("azure.core.serialization")

local CloudEvent = messaging.CloudEvent
local NULL, Bytes, DateTime = serialization.NULL, serialization.Bytes, serialization.DateTime

local UUID4 = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local EXT_MSG = "Extension attributes should be lower cased and alphanumeric."
local SPEC_MSG = "The event does not conform to the cloud event spec " ..
   "https://github.com/cloudevents/spec. The `source` and `type` params are required."
local EVENTGRID_MSG = "The event you are trying to parse follows the Eventgrid Schema. You can " ..
   "parse EventGrid events using EventGridEvent.from_dict method in the azure-eventgrid library."
local LOAD_MSG = "Failed to load JSON content from the object."

local function raised(fn, ...)
   local ok, err = pcall(fn, ...)
   assert.is_false(ok)
   return err
end

local function deep_copy(t)
   if type(t) ~= "table" then return t end
   local out = {}
   for k, v in pairs(t) do out[k] = deep_copy(v) end
   return setmetatable(out, getmetatable(t))
end

describe("CloudEvent.new", function()
   it("fills defaults", function()
      local e = CloudEvent.new("https://src", "Sample.Type")
      assert.equal("https://src", e.source)
      assert.equal("Sample.Type", e.type)
      assert.equal("1.0", e.specversion)
      assert.equal(36, #e.id)
      assert.truthy(e.id:match(UUID4), e.id)
      assert.is_true(DateTime.is(e.time))
      assert.equal(0, e.time.offset_minutes)
      assert.is_true(math.abs(e.time:to_unix() - os.time()) < 5)
      assert.is_nil(e.data)
      assert.is_nil(e.datacontenttype)
      assert.is_nil(e.dataschema)
      assert.is_nil(e.subject)
      assert.is_nil(e.extensions)
      assert.is_true(CloudEvent.is(e))
      assert.is_true(CloudEvent.is(CloudEvent("s", "t")))
   end)

   it("generates distinct UUID4 ids", function()
      local seen = {}
      for _ = 1, 500 do
         local id = messaging._uuid4()
         assert.truthy(id:match(UUID4), id)
         assert.is_nil(seen[id])
         seen[id] = true
      end
   end)

   it("takes every option; false means an explicit None", function()
      local t = DateTime.parse("2020-01-02T03:04:05.000006Z")
      local e = CloudEvent.new("s", "t", {
         data = { a = 1 }, time = t, dataschema = "sch", datacontenttype = "application/json",
         subject = "sub", specversion = "1.1", id = "my-id", extensions = { ext1 = "x" },
      })
      assert.same({ a = 1 }, e.data)
      assert.equal(t, e.time)
      assert.equal("sch", e.dataschema)
      assert.equal("application/json", e.datacontenttype)
      assert.equal("sub", e.subject)
      assert.equal("1.1", e.specversion)
      assert.equal("my-id", e.id)
      assert.same({ ext1 = "x" }, e.extensions)
      e = CloudEvent.new("s", "t", { time = false, id = false, specversion = false })
      assert.is_nil(e.time)
      assert.is_nil(e.id)
      assert.is_nil(e.specversion)
      assert.equal(NULL, CloudEvent.new("s", "t", { data = NULL }).data)
      assert.equal(false, CloudEvent.new("s", "t", { data = false }).data)
   end)

   it("accepts time as Unix seconds or RFC 3339 text", function()
      assert.equal("2020-01-02T03:04:05Z",
         CloudEvent.new("s", "t", { time = 1577934245 }).time:serialize())
      local e = CloudEvent.new("s", "t", { time = "2021-02-18T17:11:10-08:00" })
      assert.equal(-480, e.time.offset_minutes)
      assert.equal("ValueError", raised(CloudEvent.new, "s", "t", { time = "nope" }).type)
      assert.has_error(function() CloudEvent.new("s", "t", { time = {} }) end)
   end)

   it("rejects unknown options with azure-core's message", function()
      local err = raised(CloudEvent.new, "s", "t", { foo = 1, bar = 2 })
      assert.equal("ValueError", err.type)
      assert.equal("Unexpected keyword arguments bar, foo. Any extension attributes must be " ..
         "passed explicitly using extensions.", err.message)
      err = raised(CloudEvent.new, "s", "t", { foo = 1 })
      assert.equal("Unexpected keyword arguments foo. Any extension attributes must be passed " ..
         "explicitly using extensions.", err.message)
   end)

   it("validates extension names (lowercase alphanumeric, no length limit)", function()
      -- ASCII only: Python would also accept lowercase non-ASCII letters ("exté"); we do not
      for _, name in ipairs({ "Abc", "123", "a_b", "a-b", "@", "", "ABC", "ext\195\169" }) do
         local err = raised(CloudEvent.new, "s", "t", { extensions = { [name] = 1 } })
         assert.equal("ValueError", err.type)
         assert.equal(EXT_MSG, err.message, name)
      end
      assert.equal(EXT_MSG, raised(CloudEvent.new, "s", "t", { extensions = { 1 } }).message)
      local e = CloudEvent.new("s", "t", { extensions = { abc123 = 1, [string.rep("x", 30)] = 2,
         a1 = 3 } })
      assert.equal(2, e.extensions[string.rep("x", 30)])
      -- a bad extension is reported before unknown options, as in azure-core
      assert.equal(EXT_MSG, raised(CloudEvent.new, "s", "t", { extensions = { Abc = 1 },
         foo = 2 }).message)
   end)

   it("has azure-core's repr, capped at 1024 bytes", function()
      local e = CloudEvent.new("s", "t", { id = "x",
         time = DateTime.new({ year = 2020, month = 1, day = 2, hour = 3, min = 4, sec = 5,
            usec = 6, offset_minutes = 0 }) })
      assert.equal("CloudEvent(source=s, type=t, specversion=1.0, id=x, time=2020-01-02 " ..
         "03:04:05.000006+00:00)", tostring(e))
      assert.equal("CloudEvent(source=None, type=None, specversion=None, id=None, time=None)",
         tostring(CloudEvent.new(nil, nil, { id = false, time = false, specversion = false })))
      local long = tostring(CloudEvent.new(string.rep("s", 2000), "t"))
      assert.equal(1024, #long)
      assert.equal("CloudEvent(source=sss", long:sub(1, 21))
   end)
end)

describe("CloudEvent.from_dict", function()
   it("rejects both data and data_base64", function()
      local e, err = CloudEvent.from_dict({ source = "s", type = "t", data = 1,
         data_base64 = "QQ==" })
      assert.is_nil(e)
      assert.equal("ValueError", err.type)
      assert.equal("Invalid input. Only one of data and data_base64 must be present.", err.message)
   end)

   it("keeps data, maps null to NULL and decodes data_base64", function()
      local e = assert(CloudEvent.from_dict({ source = "s", type = "t", data = { x = 1 } }))
      assert.same({ x = 1 }, e.data)
      e = assert(CloudEvent.from_dict({ source = "s", type = "t", data = NULL }))
      assert.equal(NULL, e.data)
      e = assert(CloudEvent.from_dict({ source = "s", type = "t", data_base64 = "QUJD" }))
      assert.is_true(Bytes.is(e.data))
      assert.equal("ABC", e.data.value)
      e = assert(CloudEvent.from_dict({ source = "s", type = "t" }))
      assert.is_nil(e.data)
   end)

   it("reports bad base64 as Python does, before checking source/type", function()
      local e, err = CloudEvent.from_dict({ source = "s", type = "t", data_base64 = "QUJ" })
      assert.is_nil(e)
      assert.equal("ValueError", err.type)
      assert.equal("Incorrect padding", err.message)
      e, err = CloudEvent.from_dict({ type = "t", data_base64 = "QUJ" })
      assert.equal("Incorrect padding", err.message)
      e, err = CloudEvent.from_dict({ source = "s", type = "t", data_base64 = NULL })
      assert.equal("TypeError", err.type)
      assert.equal("argument should be a bytes-like object or ASCII string, not 'NoneType'",
         err.message)
   end)

   it("maps present-but-null datacontenttype, dataschema and subject to NULL", function()
      local e = assert(CloudEvent.from_dict({ source = "s", type = "t", subject = NULL,
         dataschema = NULL, datacontenttype = NULL }))
      assert.equal(NULL, e.subject)
      assert.equal(NULL, e.dataschema)
      assert.equal(NULL, e.datacontenttype)
      e = assert(CloudEvent.from_dict({ source = "s", type = "t", subject = "sub",
         dataschema = "sch", datacontenttype = "text/plain" }))
      assert.equal("sub", e.subject)
      assert.equal("sch", e.dataschema)
      assert.equal("text/plain", e.datacontenttype)
   end)

   it("does not auto-fill id, specversion or time", function()
      local e = assert(CloudEvent.from_dict({ source = "s", type = "t" }))
      assert.is_nil(e.id)
      assert.is_nil(e.specversion)
      assert.is_nil(e.time)
      assert.equal("CloudEvent(source=s, type=t, specversion=None, id=None, time=None)",
         tostring(e))
      e = assert(CloudEvent.from_dict({ source = "s", type = "t", id = "i", specversion = "1.0" }))
      assert.equal("i", e.id)
      assert.equal("1.0", e.specversion)
      e = assert(CloudEvent.from_dict({ source = "s", type = "t", id = NULL, time = NULL }))
      assert.is_nil(e.id)
      assert.is_nil(e.time)
      assert.is_nil(assert(CloudEvent.from_dict({ source = "s", type = "t", time = "" })).time)
   end)

   it("turns every other key into an extension and validates it", function()
      local e = assert(CloudEvent.from_dict({ source = "s", type = "t", ext1 = "x", ext2 = NULL }))
      assert.same({ ext1 = "x", ext2 = NULL }, e.extensions)
      local err
      e, err = CloudEvent.from_dict({ source = "s", type = "t", BADext2 = 1 })
      assert.is_nil(e)
      assert.equal("ValueError", err.type)
      assert.equal(EXT_MSG, err.message)
      -- missing source/type is reported first
      e, err = CloudEvent.from_dict({ type = "t", BADext2 = 1 })
      assert.equal(SPEC_MSG, err.message)
   end)

   it("parses time: fraction truncated, offset attached, wall clock kept", function()
      local e = assert(CloudEvent.from_dict({ source = "s", type = "t",
         time = "2021-02-18T20:18:10.539861122+00:00" }))
      assert.equal(539861, e.time.usec)
      assert.equal("2021-02-18 20:18:10.539861+00:00", e.time:isoformat(" "))
      e = assert(CloudEvent.from_dict({ source = "s", type = "t",
         time = "2021-02-18T20:18:10.123Z" }))
      assert.equal(123000, e.time.usec)
      e = assert(CloudEvent.from_dict({ source = "s", type = "t",
         time = "2021-02-18T17:11:10-08:00" }))
      assert.same({ 2021, 2, 18, 17, 11, 10 }, { e.time.year, e.time.month, e.time.day,
         e.time.hour, e.time.min, e.time.sec })
      assert.equal(-480, e.time.offset_minutes)
      local err
      e, err = CloudEvent.from_dict({ source = "s", type = "t", time = "2021-02-18T20:18:10",
         BAD = 1 })
      assert.is_nil(e)
      assert.equal("ValueError", err.type)
      assert.equal("Invalid RFC 3339 date-time: '2021-02-18T20:18:10'", err.message)
   end)

   it("tells EventGrid events from events missing source or type", function()
      local e, err = CloudEvent.from_dict({ subject = "s", eventType = "t", data = 1,
         dataVersion = "1", id = "i", eventTime = "2021-02-18T20:18:10Z" })
      assert.is_nil(e)
      assert.equal("ValueError", err.type)
      assert.equal(EVENTGRID_MSG, err.message)
      e, err = CloudEvent.from_dict({ subject = "s", eventType = "t", data = 1, id = "i",
         eventTime = "x" })
      assert.equal(SPEC_MSG, err.message)
      e, err = CloudEvent.from_dict({ source = "s" })
      assert.equal(SPEC_MSG, err.message)
      e, err = CloudEvent.from_dict({ type = "t" })
      assert.equal(SPEC_MSG, err.message)
   end)

   it("does not modify its input", function()
      local input = { source = "s", type = "t", data = { nested = { 1, 2 } }, ext1 = "e",
         time = "2021-02-18T20:18:10Z", subject = NULL }
      local before = deep_copy(input)
      assert(CloudEvent.from_dict(input))
      assert.same(before, input)
   end)

   it("raises for a non-table argument", function()
      assert.has_error(function() CloudEvent.from_dict("{}") end)
   end)
end)

describe("CloudEvent.from_json", function()
   local text = '{"source":"s","type":"t","data":{"k":"v"},"id":"1","specversion":"1.0"}'

   it("parses JSON text", function()
      local e = assert(CloudEvent.from_json(text))
      assert.equal("s", e.source)
      assert.same({ k = "v" }, e.data)
      assert.equal("1", e.id)
   end)

   it("parses a queue message's content", function()
      local e = assert(CloudEvent.from_json({ content = text }))
      assert.equal("t", e.type)
   end)

   it("parses an Event Hubs body (JSON list, first element)", function()
      local chunks = { "[" .. text .. "]" }
      local i = 0
      local e = assert(CloudEvent.from_json({ body = function()
         i = i + 1
         return chunks[i]
      end }))
      assert.equal("s", e.source)
      assert.equal(1, i)
      e = assert(CloudEvent.from_json({ body = chunks }))
      assert.equal("s", e.source)
   end)

   it("parses a Service Bus body (JSON object)", function()
      local e = assert(CloudEvent.from_json({ body = { text } }))
      assert.equal("1", e.id)
      e = assert(CloudEvent.from_json({ body = text }))
      assert.equal("1", e.id)
   end)

   it("fails with azure-core's message", function()
      for _, obj in ipairs({ "not json", "5", '"str"', { content = "{" }, { body = { "x" } }, {},
         42, { content = 1 } }) do
         local e, err = CloudEvent.from_json(obj)
         assert.is_nil(e)
         assert.equal("ValueError", err.type)
         assert.equal(LOAD_MSG, err.message)
      end
   end)

   it("passes from_dict errors through", function()
      local e, err = CloudEvent.from_json('{"source":"s"}')
      assert.is_nil(e)
      assert.equal(SPEC_MSG, err.message)
   end)
end)

describe("CloudEvent to_dict / to_json", function()
   it("writes the wire form, leaving nil attributes out", function()
      local e = CloudEvent.new("s", "t", { id = "i",
         time = DateTime.parse("2021-02-18T17:11:10.5-08:00"), data = { a = 1 }, subject = NULL,
         extensions = { ext1 = "x" } })
      assert.same({ specversion = "1.0", id = "i", source = "s", type = "t",
         time = "2021-02-19T01:11:10.500000Z", data = { a = 1 }, subject = NULL, ext1 = "x" },
         e:to_dict())
      local d = CloudEvent.new("s", "t", { id = false, time = false, specversion = false })
         :to_dict()
      assert.same({ source = "s", type = "t" }, d)
   end)

   it("sends Bytes as data_base64 and NULL data as null", function()
      local d = CloudEvent.new("s", "t", { data = Bytes.new("ABC") }):to_dict()
      assert.equal("QUJD", d.data_base64)
      assert.is_nil(d.data)
      d = CloudEvent.new("s", "t", { data = NULL }):to_dict()
      assert.equal(NULL, d.data)
      assert.is_nil(d.data_base64)
   end)

   it("lets reserved attributes win over same-named extensions", function()
      local d = CloudEvent.new("s", "t", { id = "real", extensions = { id = "ext" } }):to_dict()
      assert.equal("real", d.id)
   end)

   it("round-trips through JSON", function()
      local e = CloudEvent.new("https://src", "Type.A", { id = "abc",
         time = DateTime.parse("2021-02-18T20:18:10.539861Z"), data = Bytes.new("\0\1binary"),
         datacontenttype = "application/octet-stream", dataschema = NULL, subject = "subj",
         extensions = { traceparent = "00-1", count = 3 } })
      local s = assert(e:to_json())
      local back = assert(CloudEvent.from_json(s))
      assert.equal(e.source, back.source)
      assert.equal(e.type, back.type)
      assert.equal(e.id, back.id)
      assert.equal(e.specversion, back.specversion)
      assert.equal(e.time, back.time)
      assert.equal("\0\1binary", back.data.value)
      assert.equal(e.datacontenttype, back.datacontenttype)
      assert.equal(NULL, back.dataschema)
      assert.equal("subj", back.subject)
      assert.same(e.extensions, back.extensions)
      -- a plain data value too, and the event inside a larger JSON document
      local e2 = CloudEvent.new("s", "t", { data = { list = { 1, 2 }, text = "x" } })
      local back2 = assert(CloudEvent.from_json(assert(e2:to_json())))
      assert.same(e2.data, back2.data)
      assert.equal(e2.time:serialize(), back2.time:serialize())
      local doc = serialization.decode_json(assert(serialization.encode_json({ e2 })))
      assert.equal("s", doc[1].source)
   end)
end)

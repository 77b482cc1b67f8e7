-- The collector sees the C memory requests and responses keep alive (src/bind/azl_gc.c): a loop
-- that drops large responses or request bodies does not pile them up until the Lua heap itself
-- grows; under Lua 5.4's generational mode small ones die young too; the program's collector
-- mode is left as it was, and a collector the program stopped stays stopped.
local core = require("azure.core")
local rest = require("azure.core.rest")
local helper = require("support.helper")

local BIG = 256 * 1024
local ROUNDS = 40
local SMALL_ROUNDS = 200
local LUA54 = _VERSION == "Lua 5.4"

local function alive(weak)
   local n = 0
   for _ in pairs(weak) do n = n + 1 end
   return n
end

for _, driver in ipairs({ "native", "lua" }) do
   describe("C memory and the collector (" .. driver .. " driver)", function()
      local client
      setup(function()
         client = core.PipelineClient.new(helper.url(""), { driver = driver, retry_total = 0 })
      end)
      teardown(function()
         client:close()
         collectgarbage("collect") -- later specs measure RSS: leave no bodies behind
      end)

      -- a body ContentDecodePolicy leaves as it is, read into C before the response is made
      -- (stream = false) or when read (stream = true)
      local function fetch(stream)
         local res = assert(client:send_request(rest.HttpRequest.new("GET",
            helper.url("/bytes/" .. BIG .. "?type=text/plain")), { stream = stream or false }))
         assert.equal(200, res.status_code)
         if stream then assert.equal(BIG, #assert(res:read())) end
         return res
      end

      -- A weak-valued table loses an object as soon as the collector schedules its finalizer,
      -- which is when its C memory goes (weak keys would keep it one more cycle).
      for _, stream in ipairs({ false, true }) do
         it("collects dropped responses whose bodies sit in C (stream = " .. tostring(stream)
            .. ")", function()
            collectgarbage("collect")
            local seen = setmetatable({}, { __mode = "v" })
            for i = 1, ROUNDS do
               seen[i] = fetch(stream)
               seen[i]:close()
            end
            -- 40 x 256 KiB bodies are 10 MiB of C memory but a few KiB of Lua objects: the
            -- collector runs only because each response counts its body
            assert.is_true(alive(seen) < ROUNDS / 4, "responses still alive: " .. alive(seen))
         end)
      end

      local function small()
         local res = assert(client:send_request(rest.HttpRequest.new("GET",
            helper.url("/text")), { stream = false }))
         assert.equal(200, res.status_code)
         return res
      end

      it("leaves a stopped collector stopped", function()
         collectgarbage("collect")
         collectgarbage("stop")
         local seen = setmetatable({}, { __mode = "v" })
         -- 40 small ones pass the point (every 32 small objects) where a minor collection
         -- would be asked for; more would only leave the process a larger heap for later specs
         for i = 1, 4 do seen[i] = fetch() end
         for i = 5, 44 do seen[i] = small() end
         local n = alive(seen)
         collectgarbage("restart")
         collectgarbage("collect")
         assert.equal(44, n)
      end)

      it("lets small dropped responses die young in generational mode (Lua 5.4)", function()
         if not LUA54 then
            pending("Lua 5.4 only: other collectors have no generational mode")
            return
         end
         local was = collectgarbage("generational")
         -- a heap like a real program's: a minor collection comes every fifth of it (~2.5 MiB
         -- here), so at the default pace all 200 would still be alive
         local ballast = {}
         for i = 1, 200000 do ballast[i] = { i } end
         collectgarbage("collect")
         local seen = setmetatable({}, { __mode = "v" })
         for i = 1, SMALL_ROUNDS do seen[i] = small() end
         local n = alive(seen)
         ballast = nil
         collectgarbage(was)
         collectgarbage("collect")
         assert.is_true(n < SMALL_ROUNDS / 4, "responses still alive: " .. n)
      end)
   end)
end

describe("C memory and the collector (requests)", function()
   it("collects dropped requests whose byte bodies live in C", function()
      local body = string.rep("x", BIG)
      collectgarbage("collect")
      local seen = setmetatable({}, { __mode = "v" })
      for i = 1, ROUNDS do
         seen[i] = rest.HttpRequest.new("POST", helper.url("/echo"), { content = body })
      end
      assert.is_true(alive(seen) < ROUNDS / 4, "requests still alive: " .. alive(seen))
   end)

   it("a script that replaces the collector record a metatable keeps corrupts nothing", function()
      -- getmetatable(request)[1] is the per-state record azl_box_new_counted counts through;
      -- anything else put there must be refused, not written to
      local req = rest.HttpRequest.new("GET", helper.url("/echo"))
      local mt = getmetatable(req)
      local record = rawget(mt, 1)
      assert.equal("userdata", type(record))
      for _, fake in ipairs({ io.stderr, req, "x", 42 }) do
         rawset(mt, 1, fake)
         for _ = 1, 50 do rest.HttpRequest.new("POST", helper.url("/echo"), { content = "b" }) end
      end
      rawset(mt, 1, record)
      local client = core.PipelineClient.new(helper.url(""))
      assert.equal(200, assert(client:send_request(req)).status_code)
      assert.is_true(io.type(io.stderr) == "file")
      client:close()
   end)
end)

-- Last: once the probe in azl_gc.c has found an incremental collector it leaves the state alone
-- (no more minor collections asked for), which the test above must not see.
describe("C memory and the collector (the program's mode)", function()
   it("leaves the program's collector mode as it was (Lua 5.4)", function()
      if not LUA54 then
         pending("Lua 5.4 only: other collectors have one mode")
         return
      end
      local client = core.PipelineClient.new(helper.url(""), { retry_total = 0 })
      local function small()
         assert.equal(200, assert(client:send_request(rest.HttpRequest.new("GET",
            helper.url("/text")), { stream = false })).status_code)
      end
      local was = collectgarbage("generational")
      for _ = 1, SMALL_ROUNDS do small() end
      local gen = collectgarbage("incremental")
      for _ = 1, SMALL_ROUNDS do small() end
      local inc = collectgarbage(was)
      client:close()
      assert.equal("generational", gen)
      assert.equal("incremental", inc)
   end)
end)

-- Every script in examples/ runs against the test server and prints what it promises.
local helper = require("support.helper")

local function run(script, ...)
   local args = { ... }
   -- the subprocess loads the same native module as this process (build/asan in the ASan lane)
   local cmd = { "LUA_PATH='lua/?.lua;lua/?/init.lua;;'", "LUA_CPATH='" .. package.cpath .. "'",
      helper.lua_exe(), script }
   for _, a in ipairs(args) do cmd[#cmd + 1] = "'" .. a:gsub("'", "'\\''") .. "'" end
   local p = assert(io.popen(table.concat(cmd, " ") .. " 2>&1; echo \"exit=$?\""))
   local out = p:read("*a")
   p:close()
   return out, tonumber(out:match("exit=(%d+)%s*$"))
end

describe("examples", function()
   it("every example is covered by this spec", function()
      local p = assert(io.popen("ls examples/*.lua"))
      local listed = {}
      for name in p:lines() do listed[#listed + 1] = name end
      p:close()
      local covered = { ["examples/quickstart.lua"] = true }
      covered["examples/hmac_signing.lua"] = true
      covered["examples/paging.lua"] = true
      covered["examples/lro.lua"] = true
      for _, name in ipairs(listed) do
         assert.is_true(covered[name] == true, name .. " is not run by spec/examples_spec.lua")
      end
   end)

   it("quickstart.lua", function()
      local out, code = run("examples/quickstart.lua", helper.url(""))
      assert.equal(0, code, out)
      assert.matches("200\tapplication/json\tworld", out, 1, true)
      assert.matches('{"msg":"hi"}', out, 1, true)
      assert.matches("after retries:\t200\t3", out, 1, true)
      assert.matches("streamed 1048576 bytes", out, 1, true)
      assert.matches("ServiceResponseError", out, 1, true)
   end)

   it("paging.lua", function()
      local out, code = run("examples/paging.lua", helper.url(""))
      assert.equal(0, code, out)
      assert.matches("items: p1-1 p1-2 p2-1 p2-2 p3-1 p3-2\n", out, 1, true)
      assert.matches("page of 2, more: true\npage of 2, more: true\npage of 2, more: false\n",
         out, 1, true)
      assert.matches("before the failure: p1-1 p1-2\nfailed: HttpResponseError 500, resuming\n"
         .. "after resuming: p1-1 p1-2 p2-1 p2-2 p3-1 p3-2\n", out, 1, true)
      assert.matches("custom: p1-1 p1-2 p2-1 p2-2\n", out, 1, true)
   end)

   it("lro.lua", function()
      local out, code = run("examples/lro.lua", helper.url(""))
      assert.equal(0, code, out)
      assert.matches("started: InProgress\ndone callback: Succeeded\nresult: same name Succeeded\n",
         out, 1, true)
      assert.matches("resumed: location\narm: location\n", out, 1, true)
      assert.matches("failed: HttpResponseError OperationFailed Failed token=true\n", out, 1, true)
   end)

   it("hmac_signing.lua", function()
      local out, code = run("examples/hmac_signing.lua", helper.url(""))
      assert.equal(0, code, out)
      assert.matches("signed: HMAC-SHA256 Credential=app-id&SignedHeaders=x-ms-date;host;"
         .. "x-ms-content-sha256&Signature=...\n", out, 1, true)
      assert.matches("server check: valid\n", out, 1, true)
      assert.matches("after rotation: new secret valid, old secret invalid\n", out, 1, true)
   end)
end)

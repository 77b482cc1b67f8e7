-- bench/report.lua: the benchmark's arithmetic (ratios of medians, medians of per-round ratios
-- and their bootstrap intervals) on a fixed set of runs, so a change to the report cannot
-- silently change what it claims.
local function report(lines, n)
   local path = os.tmpname()
   local f = assert(io.open(path, "w"))
   f:write(table.concat(lines, "\n"), "\n")
   f:close()
   local p = assert(io.popen(("lua5.4 bench/report.lua %s %d"):format(path, n)))
   local out = p:read("*a")
   p:close()
   os.remove(path)
   local rows = {}
   for line in out:gmatch("[^\n]+") do
      local cells = {}
      for c in line:gmatch("|%s*([^|]-)%s*%f[|]") do cells[#cells + 1] = c end
      if cells[1] and cells[1] ~= "client" and not cells[1]:find("^%-") then
         rows[cells[1]] = cells
      end
   end
   return rows, out
end

describe("bench/report.lua", function()
   it("pairs each client with raw libcurl by round, leaving out a round that failed", function()
      local rows, out = report({
         "curl_raw round=1 requests=10 seconds=1 cpu=1.0",
         "native round=1 requests=10 seconds=1.1 cpu=1.2",
         "curl_raw round=2 requests=10 seconds=2 cpu=2.0",
         "curl_raw round=3 requests=10 seconds=1 cpu=1.5",
         "native round=3 requests=10 seconds=1.05 cpu=1.65",
         "native round=2 requests=10 seconds=2.2 cpu=2.3",
         "curl_raw round=4 requests=10 seconds=1 cpu=1.0", -- native failed in round 4
      }, 10)
      assert.matches("4 interleaved rounds", out, 1, true)
      local nat = assert(rows.native)
      -- medians: raw cpu 0.125 s/10 (of 1.0, 1.0, 1.5, 2.0), native 0.165 s/10 (1.2, 1.65, 2.3)
      assert.equal("1.32", nat[5]) -- x libcurl CPU, ratio of medians
      assert.equal("1.150", nat[8]) -- per-round CPU: median of 1.2, 1.15, 1.1
      assert.equal("0.909", nat[7]) -- per-round req/s: median of 0.909, 0.909, 0.952
      assert.equal("1.000", rows.curl_raw[8]) -- under 5 rounds: no interval
   end)

   it("gives the per-round medians a bootstrap interval inside the rounds' range", function()
      local lines, cpu = {}, { 1.10, 1.30, 1.15, 1.25, 1.20, 1.05, 1.40 }
      for round, ratio in ipairs(cpu) do
         lines[#lines + 1] = ("curl_raw round=%d requests=10 seconds=1 cpu=1.0"):format(round)
         lines[#lines + 1] = ("native round=%d requests=10 seconds=1.25 cpu=%.2f")
            :format(round, ratio)
      end
      local rows = report(lines, 10)
      -- every round took 1.25x the time: the interval of a constant ratio is that ratio
      assert.equal("0.800 [0.800-0.800]", rows.native[7])
      local m, lo, hi = rows.native[8]:match("^(%S+) %[(%S+)%-(%S+)%]$")
      m, lo, hi = tonumber(m), tonumber(lo), tonumber(hi)
      assert.equal(1.20, m)
      assert.is_true(lo < m and m < hi, rows.native[8])
      assert.is_true(lo >= 1.05 and hi <= 1.40, rows.native[8])
      assert.equal(rows.native[8], report(lines, 10).native[8]) -- a fixed seed: same run, same text
   end)
end)

-- Median table of bench/run.sh's runs, as ratios to raw libcurl.
-- Two estimates of each ratio: the ratio of the medians, and the median of the per-round ratios
-- (each client against raw libcurl measured in the same round, seconds apart). CPU time on a
-- shared VM drifts by tens of percent within minutes; pairing by round cancels that drift.
-- The per-round medians come with a 95% bootstrap interval (2,000 resamples of the rounds, fixed
-- seed): a target inside the interval is not resolved by the run, whichever side the median is.
local path, n = arg[1], tonumber(arg[2])
local rows, order = {}, {}
for line in io.lines(path) do
   local name, round = line:match("^(%S+) round=(%d+)")
   local secs, cpu = tonumber(line:match("seconds=([%d.]+)")), tonumber(line:match("cpu=([%d.]+)"))
   if name and secs and cpu then
      if not rows[name] then
         rows[name] = { rps = {}, cpu = {}, by_round = {} }; order[#order + 1] = name
      end
      table.insert(rows[name].rps, n / secs)
      table.insert(rows[name].cpu, cpu / n * 1e6)
      rows[name].by_round[round] = { rps = n / secs, cpu = cpu / n * 1e6 }
   end
end
local function median(t)
   local s = {}
   for i, v in ipairs(t) do s[i] = v end
   table.sort(s)
   local m = #s
   if m == 0 then return 0 end
   return m % 2 == 1 and s[(m + 1) / 2] or (s[m / 2] + s[m / 2 + 1]) / 2
end
-- a's field / b's for each round both ran (a failed run leaves its round out), in round order
local function ratios(a, b, field)
   local r, rounds = {}, {}
   for round in pairs(a.by_round) do
      if b.by_round[round] then rounds[#rounds + 1] = round end
   end
   table.sort(rounds, function(x, y) return tonumber(x) < tonumber(y) end)
   for i, round in ipairs(rounds) do r[i] = a.by_round[round][field] / b.by_round[round][field] end
   return r
end
-- the median of the ratios and its 95% bootstrap interval, as "m [lo-hi]"
local function paired(a, b, field)
   local r = ratios(a, b, field)
   if #r < 5 then return ("%.3f"):format(median(r)) end
   math.randomseed(1)
   local meds, sample = {}, {}
   for k = 1, 2000 do
      for i = 1, #r do sample[i] = r[math.random(#r)] end
      meds[k] = median(sample)
   end
   table.sort(meds)
   return ("%.3f [%.3f-%.3f]"):format(median(r), meds[50], meds[1951])
end
local base = rows.curl_raw
local brps, bcpu = median(base.rps), median(base.cpu)
print(("%d sequential keep-alive GETs of a 99-byte body, %d interleaved rounds")
   :format(n, #base.rps))
local hdr = rows.curl_headers
local hcpu = hdr and median(hdr.cpu)
print("| client | req/s | x libcurl req/s | CPU us/req | x libcurl CPU | x libcurl+headers CPU "
   .. "| per-round x libcurl req/s | per-round x libcurl CPU |")
print("|---|---|---|---|---|---|---|---|")
for _, name in ipairs(order) do
   local r = rows[name]
   local rps, cpu = median(r.rps), median(r.cpu)
   print(("| %s | %.0f | %.2f | %.1f | %.2f | %s | %s | %s |"):format(name, rps, rps / brps,
      cpu, cpu / bcpu, hcpu and ("%.2f"):format(cpu / hcpu) or "-", paired(r, base, "rps"),
      paired(r, base, "cpu")))
end

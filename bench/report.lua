-- Median table of bench/run.sh's runs, as ratios to raw libcurl.
local path, n = arg[1], tonumber(arg[2])
local rows, order = {}, {}
for line in io.lines(path) do
   local name = line:match("^(%S+)")
   local secs, cpu = tonumber(line:match("seconds=([%d.]+)")), tonumber(line:match("cpu=([%d.]+)"))
   if name and secs and cpu then
      if not rows[name] then rows[name] = { rps = {}, cpu = {} }; order[#order + 1] = name end
      table.insert(rows[name].rps, n / secs)
      table.insert(rows[name].cpu, cpu / n * 1e6)
   end
end
local function median(t)
   table.sort(t)
   local m = #t
   if m == 0 then return 0 end
   return m % 2 == 1 and t[(m + 1) / 2] or (t[m / 2] + t[m / 2 + 1]) / 2
end
local base = rows.curl_raw
local brps, bcpu = median(base.rps), median(base.cpu)
print(("%d sequential keep-alive GETs of a 99-byte body, median of %d runs"):format(n, #base.rps))
local hdr = rows.curl_headers
local hcpu = hdr and median(hdr.cpu)
print("| client | req/s | x libcurl req/s | CPU us/req | x libcurl CPU | x libcurl+headers CPU |")
print("|---|---|---|---|---|---|")
for _, name in ipairs(order) do
   local r = rows[name]
   local rps, cpu = median(r.rps), median(r.cpu)
   print(("| %s | %.0f | %.2f | %.1f | %.2f | %s |"):format(name, rps, rps / brps, cpu, cpu / bcpu,
      hcpu and ("%.2f"):format(cpu / hcpu) or "-"))
end

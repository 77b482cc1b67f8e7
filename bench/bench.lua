-- The project's benchmark client (the contract of ../shared/bench/run.sh):
--   lua5.4 bench/bench.lua URL COUNT [INFLIGHT [MODE]]
-- INFLIGHT 1: one PipelineClient with the default policies, sequential send_request.
-- MODE buffer: read each body; stream: iter_bytes and drop (download case).
-- env BENCH_DRIVER=native|lua forces a pipeline driver; BENCH_LOGGING=1 turns logging_enable on.
-- Prints: requests=N seconds=S cpu=S bytes=B errors=E  (the request loop only)
local core = require("azure.core")
local rest = require("azure.core.rest")
local ok_socket, socket = pcall(require, "socket")
local now = ok_socket and socket.gettime or os.time

local url, count = arg[1], tonumber(arg[2])
local inflight, mode = tonumber(arg[3] or "1"), arg[4] or "buffer"
if not url or not count then
   io.stderr:write("usage: bench.lua URL COUNT [INFLIGHT [MODE]]\n")
   os.exit(2)
end
if inflight > 1 then
   print("unsupported=concurrency needs azure.core.aio (not built yet)")
   os.exit(3)
end

local opts = { retry_total = 0, driver = os.getenv("BENCH_DRIVER") }
if os.getenv("BENCH_LOGGING") == "1" then opts.logging_enable = true end
local client = core.PipelineClient.new(url, opts)
local stream = mode == "stream"
-- buffer mode is send_request's default (stream = false): the call an API method makes passes
-- no options table, so none is built per request here either
local call_opts = stream and { stream = true } or nil
local bytes, errors = 0, 0

local function one()
   local res = client:send_request(rest.HttpRequest.new("GET", url), call_opts)
   if not res or res.status_code ~= 200 then
      errors = errors + 1
      return
   end
   if stream then
      for chunk in res:iter_bytes(256 * 1024) do bytes = bytes + #chunk end
   else
      bytes = bytes + #res.content
   end
   res:close()
end

one() -- warm: connection, TLS-free keep-alive, first allocations
bytes, errors = 0, 0
local t0, c0 = now(), os.clock()
for _ = 1, count do one() end
print(string.format("requests=%d seconds=%.6f cpu=%.6f bytes=%d errors=%d",
   count, now() - t0, os.clock() - c0, bytes, errors))
client:close()
os.exit(errors == 0 and 0 or 1)

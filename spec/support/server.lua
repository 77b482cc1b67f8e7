--- Scripted HTTP/1.1 test server for the busted specs and the C tests.
--
-- Run as `lua5.4 spec/support/server.lua`. It binds 127.0.0.1 on two ephemeral ports and prints
-- exactly two lines on stdout, `PORT <n>` (the HTTP server) and `BLACKHOLE <n>` (a listener that
-- is never accepted, for connect-timeout tests), then serves until killed by pid.
--
-- One process, one coroutine per connection, a `socket.select` loop with timers: a slow or hung
-- client never blocks the others. The routes are listed in docs/testing.md.
--
-- Set AZC_TEST_SERVER_LOG=1 to log one line per request on stderr.

local socket = require("socket")
local mime = require("mime")
local cjson = require("cjson")

local coroutine, string, table, math = coroutine, string, table, math
local tonumber, tostring, pairs, ipairs, type = tonumber, tostring, pairs, ipairs, type
local now = socket.gettime

local IO_TIMEOUT = 60 -- seconds a read or write may stall before the connection is dropped
local HANG_TIMEOUT = 3600 -- /fault/hang holds the socket until the client closes (bounded)
local MAX_HEAD = 256 * 1024 -- request line + headers
local RECV_SIZE = 65536

local log_enabled = os.getenv("AZC_TEST_SERVER_LOG") == "1"

local function log(...)
   if log_enabled then
      io.stderr:write(string.format(...), "\n")
   end
end

---------------------------------------------------------------------------------------------------
-- Scheduler: each coroutine waits for one socket (read or write) and/or a deadline.
---------------------------------------------------------------------------------------------------

-- co -> wait record {kind = "r"|"w"|nil, sock = s|nil, deadline = t|nil}
local waiting = {}

local function resume(co, ...)
   waiting[co] = nil
   local ok, err = coroutine.resume(co, ...)
   if not ok then
      io.stderr:write("server.lua: handler error: ", tostring(err), "\n",
         debug.traceback(co), "\n")
   end
end

--- Suspends the running coroutine until `sock` is ready for `kind` ("r" or "w"), or until
-- `deadline` (absolute time). Returns true when ready, false on deadline.
local function wait(kind, sock, deadline)
   waiting[coroutine.running()] = { kind = kind, sock = sock, deadline = deadline }
   return coroutine.yield()
end

local function sleep(seconds)
   if seconds > 0 then
      wait(nil, nil, now() + seconds)
   end
end

local function spawn(fn, ...)
   resume(coroutine.create(fn), ...)
end

local function run_loop()
   while true do
      local recvt, sendt, owner = {}, {}, {}
      local next_deadline
      for co, w in pairs(waiting) do
         if w.kind == "r" then
            recvt[#recvt + 1] = w.sock
            owner[w.sock] = co
         elseif w.kind == "w" then
            sendt[#sendt + 1] = w.sock
            owner[w.sock] = co
         end
         if w.deadline and (not next_deadline or w.deadline < next_deadline) then
            next_deadline = w.deadline
         end
      end
      local timeout
      if next_deadline then
         timeout = math.max(0, next_deadline - now())
      end
      local r, s = socket.select(recvt, sendt, timeout)
      -- Collect first, resume after: resuming changes `waiting`. A record is resumed only if it is
      -- still the one the coroutine waits on, so a stale readiness or deadline is ignored.
      local runs = {}
      for _, list in ipairs({ r, s }) do
         for _, sk in ipairs(list) do
            local co = owner[sk]
            if co then
               runs[#runs + 1] = { co, waiting[co], true }
            end
         end
      end
      local t = now()
      for co, w in pairs(waiting) do
         if w.deadline and w.deadline <= t then
            runs[#runs + 1] = { co, w, false }
         end
      end
      for _, run in ipairs(runs) do
         local co, rec = run[1], run[2]
         if waiting[co] == rec and rec ~= nil then
            resume(co, run[3])
         end
      end
   end
end

---------------------------------------------------------------------------------------------------
-- Connection I/O
---------------------------------------------------------------------------------------------------

local Conn = {}
Conn.__index = Conn

local conn_counter = 0
local function new_conn(sock)
   conn_counter = conn_counter + 1 -- /echo reports it, so tests can see keep-alive reuse
   return setmetatable({ sock = sock, buf = "", closed = false, id = conn_counter }, Conn)
end

--- Receives up to `max` bytes from the socket (not the buffer), or nil, "closed"|"timeout"|err.
-- luasocket's own buffer is always drained before waiting (a "timeout" return means it is empty),
-- so select() never misses data luasocket already holds.
function Conn:recv(max, timeout)
   while true do
      local data, err, partial = self.sock:receive(max)
      local got = data or partial
      if got and #got > 0 then
         return got
      end
      if err ~= "timeout" then
         return nil, err
      end
      if not wait("r", self.sock, now() + (timeout or IO_TIMEOUT)) then
         return nil, "timeout"
      end
   end
end

--- Returns up to `max` bytes, buffered data first.
function Conn:read_some(max, timeout)
   local buf = self.buf
   if #buf == 0 then
      return self:recv(max, timeout)
   end
   if #buf <= max then
      self.buf = ""
      return buf
   end
   self.buf = buf:sub(max + 1)
   return buf:sub(1, max)
end

--- Appends more data from the socket to the buffer.
function Conn:fill(timeout)
   local data, err = self:recv(RECV_SIZE, timeout)
   if not data then
      return nil, err
   end
   self.buf = self.buf .. data
   return true
end

--- Reads a CRLF-terminated line (without the CRLF).
function Conn:read_line(limit)
   while true do
      local e = self.buf:find("\r\n", 1, true)
      if e then
         local line = self.buf:sub(1, e - 1)
         self.buf = self.buf:sub(e + 2)
         return line
      end
      if #self.buf > (limit or 8192) then
         return nil, "line too long"
      end
      local ok, err = self:fill()
      if not ok then
         return nil, err
      end
   end
end

--- Sends data[i..j], waiting for writability as needed.
function Conn:send(data, i, j)
   i = i or 1
   j = j or #data
   local sock = self.sock
   while i <= j do
      local last, err, partial = sock:send(data, i, j)
      if last then
         return true
      end
      if err ~= "timeout" then
         return nil, err
      end
      i = partial + 1
      if i <= j and not wait("w", sock, now() + IO_TIMEOUT) then
         return nil, "timeout"
      end
   end
   return true
end

function Conn:close()
   if not self.closed then
      self.closed = true
      self.sock:close()
   end
end

--- Sends a TCP RST instead of a FIN: SO_LINGER with a zero timeout, then close.
function Conn:reset()
   if not self.closed then
      self.sock:setoption("linger", { on = true, timeout = 0 })
      self:close()
   end
end

---------------------------------------------------------------------------------------------------
-- HTTP helpers
---------------------------------------------------------------------------------------------------

local REASONS = {
   [100] = "Continue", [101] = "Switching Protocols", [102] = "Processing", [103] = "Early Hints",
   [200] = "OK", [201] = "Created", [202] = "Accepted", [203] = "Non-Authoritative Information",
   [204] = "No Content", [205] = "Reset Content", [206] = "Partial Content",
   [207] = "Multi-Status", [208] = "Already Reported", [226] = "IM Used",
   [300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found",
   [303] = "See Other", [304] = "Not Modified", [305] = "Use Proxy",
   [307] = "Temporary Redirect", [308] = "Permanent Redirect",
   [400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required",
   [403] = "Forbidden", [404] = "Not Found", [405] = "Method Not Allowed",
   [406] = "Not Acceptable", [407] = "Proxy Authentication Required",
   [408] = "Request Timeout", [409] = "Conflict", [410] = "Gone", [411] = "Length Required",
   [412] = "Precondition Failed", [413] = "Content Too Large", [414] = "URI Too Long",
   [415] = "Unsupported Media Type", [416] = "Range Not Satisfiable",
   [417] = "Expectation Failed", [418] = "I'm a teapot", [421] = "Misdirected Request",
   [422] = "Unprocessable Content", [423] = "Locked", [424] = "Failed Dependency",
   [425] = "Too Early", [426] = "Upgrade Required", [428] = "Precondition Required",
   [429] = "Too Many Requests", [431] = "Request Header Fields Too Large",
   [451] = "Unavailable For Legal Reasons",
   [500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
   [503] = "Service Unavailable", [504] = "Gateway Timeout",
   [505] = "HTTP Version Not Supported", [506] = "Variant Also Negotiates",
   [507] = "Insufficient Storage", [508] = "Loop Detected", [510] = "Not Extended",
   [511] = "Network Authentication Required",
}

local function url_decode(s)
   s = s:gsub("+", " ")
   return (s:gsub("%%(%x%x)", function(h)
      return string.char(tonumber(h, 16))
   end))
end

--- Parses a raw query string into a list of {name, value} and a map of first values.
local function parse_query(q)
   local list, map = {}, {}
   for part in q:gmatch("[^&]+") do
      local k, v = part:match("^([^=]*)=(.*)$")
      if not k then
         k, v = part, ""
      end
      k, v = url_decode(k), url_decode(v)
      list[#list + 1] = { k, v }
      if map[k] == nil then
         map[k] = v
      end
   end
   return list, map
end

--- `header=Name:Value` query parameters as a list of {name, value}.
local function query_headers(req)
   local out = {}
   for _, kv in ipairs(req.query_list) do
      if kv[1] == "header" then
         local name, value = kv[2]:match("^([^:]+):%s*(.*)$")
         if name then
            out[#out + 1] = { name, value }
         end
      end
   end
   return out
end

local function has_no_body(status)
   return (status >= 100 and status < 200) or status == 204 or status == 304
end

--- Builds the status line and headers. `headers` is a list of {name, value}.
local function build_head(req, status, headers, reason)
   local parts = { string.format("HTTP/1.1 %d %s\r\n", status, reason or REASONS[status]
      or "Unknown") }
   for _, h in ipairs(headers) do
      parts[#parts + 1] = h[1] .. ": " .. h[2] .. "\r\n"
   end
   if req.close then
      parts[#parts + 1] = "Connection: close\r\n"
   end
   parts[#parts + 1] = "\r\n"
   return table.concat(parts)
end

--- Sends a complete response with a string body (Content-Length added unless the status has no
-- body). `opts.reason` overrides the reason phrase.
local function respond(conn, req, status, headers, body, opts)
   headers = headers or {}
   body = body or ""
   local no_body = has_no_body(status)
   if not no_body then
      headers[#headers + 1] = { "Content-Length", tostring(#body) }
   end
   local head = build_head(req, status, headers, opts and opts.reason)
   if no_body or req.method == "HEAD" then
      return conn:send(head)
   end
   return conn:send(head .. body)
end

local function respond_json(conn, req, status, value, extra)
   local headers = { { "Content-Type", "application/json" } }
   for _, h in ipairs(extra or {}) do
      headers[#headers + 1] = h
   end
   return respond(conn, req, status, headers, cjson.encode(value))
end

local function respond_text(conn, req, status, text, extra)
   local headers = { { "Content-Type", "text/plain; charset=utf-8" } }
   for _, h in ipairs(extra or {}) do
      headers[#headers + 1] = h
   end
   return respond(conn, req, status, headers, text)
end

---------------------------------------------------------------------------------------------------
-- Request reading
---------------------------------------------------------------------------------------------------

--- Reads the request line and headers. Returns a request table, or nil, err (nil, nil for a
-- clean close between requests).
local function read_head(conn)
   -- Skip stray CRLFs between keep-alive requests.
   while true do
      while #conn.buf < 2 do
         local ok, err = conn:fill(IO_TIMEOUT)
         if not ok then
            if #conn.buf == 0 and (err == "closed" or err == "timeout") then
               return nil, nil
            end
            return nil, err
         end
      end
      if conn.buf:sub(1, 2) == "\r\n" then
         conn.buf = conn.buf:sub(3)
      else
         break
      end
   end
   local e
   while true do
      e = conn.buf:find("\r\n\r\n", 1, true)
      if e then
         break
      end
      if #conn.buf > MAX_HEAD then
         return nil, "header too large"
      end
      local ok, err = conn:fill()
      if not ok then
         return nil, err
      end
   end
   local head = conn.buf:sub(1, e + 1)
   conn.buf = conn.buf:sub(e + 4)

   local line, rest = head:match("^([^\r\n]*)\r\n(.*)$")
   local method, target, version = line:match("^(%u+) (%S+) HTTP/(%d%.%d)$")
   if not method then
      return nil, "bad request line"
   end
   local req = {
      method = method,
      target = target,
      version = version,
      headers = {},
      header_list = {},
   }
   for hl in rest:gmatch("([^\r\n]*)\r\n") do
      local name, value = hl:match("^([^:%s]+):%s*(.-)%s*$")
      if not name then
         return nil, "bad header line"
      end
      name = name:lower()
      req.header_list[#req.header_list + 1] = { name, value }
      if req.headers[name] then
         req.headers[name] = req.headers[name] .. ", " .. value
      else
         req.headers[name] = value
      end
   end
   -- Absolute-form targets (as sent to a proxy) are routed by their path.
   local origin = target:gsub("^%a[%w+.-]*://[^/?]*", "")
   if origin == "" then
      origin = "/"
   end
   req.path, req.query = origin:match("^([^?]*)%??(.*)$")
   req.query_list, req.args = parse_query(req.query)

   local conn_hdr = (req.headers["connection"] or ""):lower()
   if version == "1.0" then
      req.close = not conn_hdr:find("keep-alive", 1, true)
   else
      req.close = conn_hdr:find("close", 1, true) ~= nil
   end

   local te = (req.headers["transfer-encoding"] or ""):lower()
   if te:find("chunked", 1, true) then
      req.chunked = true
   else
      local cl = req.headers["content-length"]
      if cl then
         req.length = tonumber(cl:match("^%s*(%d+)"))
         if not req.length then
            return nil, "bad content-length"
         end
      else
         req.length = 0
      end
   end
   req.expect_continue = version == "1.1"
      and (req.headers["expect"] or ""):lower() == "100-continue"
   req.body_done = not req.chunked and req.length == 0
   return req
end

--- Reads the request body, calling `sink(chunk)` for each piece. Sends `100 Continue` first
-- when the client asked for it. Returns true or nil, err.
local function read_body(conn, req, sink)
   if req.body_done then
      return true
   end
   req.body_done = true
   if req.expect_continue then
      local ok, err = conn:send("HTTP/1.1 100 Continue\r\n\r\n")
      if not ok then
         return nil, err
      end
   end
   local function read_exact(n)
      while n > 0 do
         local data, err = conn:read_some(math.min(n, RECV_SIZE))
         if not data then
            return nil, err
         end
         n = n - #data
         sink(data)
      end
      return true
   end
   if not req.chunked then
      return read_exact(req.length)
   end
   req.trailers = {}
   while true do
      local line, err = conn:read_line()
      if not line then
         return nil, err
      end
      local size = tonumber(line:match("^%s*(%x+)"), 16)
      if not size then
         return nil, "bad chunk size"
      end
      if size == 0 then
         break
      end
      local ok, rerr = read_exact(size)
      if not ok then
         return nil, rerr
      end
      local crlf, cerr = conn:read_line()
      if crlf ~= "" then
         return nil, cerr or "bad chunk terminator"
      end
   end
   -- Trailers end with an empty line.
   for _ = 1, 100 do
      local line, err = conn:read_line()
      if not line then
         return nil, err
      end
      if line == "" then
         return true
      end
      local name, value = line:match("^([^:%s]+):%s*(.-)%s*$")
      if name then
         req.trailers[name:lower()] = value
      end
   end
   return nil, "too many trailers"
end

local function discard() end

---------------------------------------------------------------------------------------------------
-- Fixtures built at start-up
---------------------------------------------------------------------------------------------------

-- 251 * 261 bytes: a whole number of periods of `i % 251`, so back-to-back sends of this block
-- continue the pattern exactly.
local PATTERN_BLOCK
do
   local period = {}
   for i = 0, 250 do
      period[#period + 1] = string.char(i)
   end
   PATTERN_BLOCK = table.concat(period):rep(261)
end

local ENCODED_TEXT = ("hello compressed world\n"):rep(1000)
local ENCODED = {}
do
   local ok, zlib = pcall(require, "zlib")
   if ok then
      ENCODED.gzip = zlib.deflate(9, 31)(ENCODED_TEXT, "finish")
      ENCODED.deflate = zlib.deflate(9, 15)(ENCODED_TEXT, "finish")
      ENCODED.raw_deflate = zlib.deflate(9, -15)(ENCODED_TEXT, "finish")
   end
   -- br and zstd come from their CLIs, once.
   local tmp = os.tmpname()
   local f = io.open(tmp, "wb")
   if f then
      f:write(ENCODED_TEXT)
      f:close()
      local function run(cmd)
         local p = io.popen(cmd .. " < '" .. tmp .. "' 2>/dev/null", "r")
         if not p then
            return nil
         end
         local out = p:read("*a")
         p:close()
         if out and #out > 0 then
            return out
         end
      end
      ENCODED.br = run("brotli -c")
      ENCODED.zstd = run("zstd -q -c")
      if not ENCODED.gzip then
         ENCODED.gzip = run("gzip -c -n")
      end
   end
   os.remove(tmp)
end

---------------------------------------------------------------------------------------------------
-- Routes
---------------------------------------------------------------------------------------------------

local sequences = {} -- key -> number of requests seen

local routes = {}

--- Registers a route. `own_body` handlers read the request body themselves; for the others the
-- body is read and discarded before the handler runs.
local function route(pattern, handler, own_body)
   routes[#routes + 1] = { pattern = "^" .. pattern .. "$", handler = handler, own_body = own_body }
end

route("/status/(%d+)", function(conn, req, code)
   local status = tonumber(code)
   local headers = query_headers(req)
   table.insert(headers, 1, { "Content-Type", "text/plain; charset=utf-8" })
   return respond(conn, req, status, headers, "status " .. code, { reason = req.args.reason })
end)

route("/echo", function(conn, req)
   local parts, length = {}, 0
   local keep = req.args.discard ~= "1"
   local crc
   local ok_zlib, zlib = pcall(require, "zlib")
   if ok_zlib then
      crc = zlib.crc32()
   end
   local crc_value = 0
   local ok, err = read_body(conn, req, function(chunk)
      length = length + #chunk
      if keep then
         parts[#parts + 1] = chunk
      end
      if crc then
         crc_value = crc(chunk)
      end
   end)
   if not ok then
      return nil, err
   end
   local value = {
      method = req.method,
      target = req.target,
      path = req.path,
      query = req.query,
      http_version = req.version,
      headers = req.headers,
      body_length = length,
      body_crc32 = math.tointeger(crc_value) or crc_value,
      connection = conn.id,
   }
   if keep then
      value.body = table.concat(parts)
   end
   if req.trailers and next(req.trailers) then
      value.trailers = req.trailers
   end
   return respond_json(conn, req, tonumber(req.args.status) or 200, value)
end, true)

route("/json", function(conn, req)
   return respond(conn, req, 200, { { "Content-Type", "application/json" } },
      '{"hello":"world","n":1}')
end)

route("/text", function(conn, req)
   local body = req.args.body or "héllo"
   if req.args.latin1 == "1" then
      local out = {}
      for _, cp in utf8.codes(body, true) do
         out[#out + 1] = cp < 256 and string.char(cp) or "?"
      end
      body = table.concat(out)
   end
   if req.args.bom == "1" then
      body = "\239\187\191" .. body
   end
   local ctype = "text/plain"
   if req.args.charset then
      ctype = ctype .. "; charset=" .. req.args.charset
   end
   return respond(conn, req, 200, { { "Content-Type", ctype } }, body)
end)

-- /content?type=<Content-Type>&body=<body>: that body under that Content-Type (without `type`,
-- no Content-Type header at all); bom=1 puts a UTF-8 BOM first; status= and header=Name:Value
-- as for /status. For ContentDecodePolicy's cases (spec/content_decode_spec.lua).
route("/content", function(conn, req)
   local headers = query_headers(req)
   if req.args.type then
      table.insert(headers, 1, { "Content-Type", req.args.type })
   end
   local body = req.args.body or ""
   if req.args.bom == "1" then
      body = "\239\187\191" .. body
   end
   return respond(conn, req, tonumber(req.args.status) or 200, headers, body)
end)

-- /xml: a small Storage-style XML listing (application/xml).
route("/xml", function(conn, req)
   return respond(conn, req, 200, { { "Content-Type", "application/xml" } },
      '<?xml version="1.0" encoding="utf-8"?>\n<EnumerationResults ServiceEndpoint="https://a/">'
      .. "<Containers><Container><Name>c1</Name></Container><Container><Name>c2</Name>"
      .. "</Container></Containers><NextMarker/></EnumerationResults>")
end)

route("/bytes/(%d+)", function(conn, req, count)
   local n = math.tointeger(tonumber(count))
   local block, bsize = PATTERN_BLOCK, #PATTERN_BLOCK
   local chunked = req.args.chunked == "1"
   local headers = { { "Content-Type", req.args.type or "application/octet-stream" } }
   if chunked then
      headers[#headers + 1] = { "Transfer-Encoding", "chunked" }
   else
      headers[#headers + 1] = { "Content-Length", string.format("%d", n) }
   end
   local ok, err = conn:send(build_head(req, 200, headers))
   if not ok or req.method == "HEAD" then
      return ok, err
   end
   local sep = ""
   while n > 0 do
      local len = math.min(n, bsize)
      if chunked then
         ok, err = conn:send(string.format("%s%x\r\n", sep, len))
         sep = "\r\n"
      end
      if ok then
         ok, err = conn:send(block, 1, len)
      end
      if not ok then
         return nil, err
      end
      n = n - len
   end
   if chunked then
      return conn:send(sep .. "0\r\n\r\n")
   end
   return true
end)

route("/encoded/(%a+)", function(conn, req, enc)
   local headers = {
      { "Content-Type", "text/plain; charset=utf-8" },
      { "X-Decoded-Length", tostring(#ENCODED_TEXT) },
   }
   if enc == "bad" then
      headers[#headers + 1] = { "Content-Encoding", "gzip" }
      return respond(conn, req, 200, headers, "this is definitely not gzip data\n")
   end
   local body = ENCODED[enc]
   if enc == "deflate" and req.args.raw_deflate == "1" then
      body = ENCODED.raw_deflate
   end
   if not body then
      return respond_text(conn, req, 404, "unknown or unavailable encoding " .. enc)
   end
   headers[#headers + 1] = { "Content-Encoding", enc }
   return respond(conn, req, 200, headers, body)
end)

route("/sequence/([^/]+)/reset", function(conn, req, key)
   sequences[key] = nil
   return respond_json(conn, req, 200, { reset = true })
end)

route("/sequence/([^/]+)/count", function(conn, req, key)
   return respond_json(conn, req, 200, { count = sequences[key] or 0 })
end)

route("/sequence/([^/]+)", function(conn, req, key)
   local n = (sequences[key] or 0) + 1
   sequences[key] = n
   local statuses = {}
   for s in (req.args.statuses or "200"):gmatch("%d+") do
      statuses[#statuses + 1] = tonumber(s)
   end
   if #statuses == 0 then
      statuses[1] = 200
   end
   local status = statuses[math.min(n, #statuses)]
   local extra = {}
   if status < 200 or status >= 300 then
      if req.args.retry_after then
         extra[#extra + 1] = { "Retry-After", req.args.retry_after }
      end
      for _, h in ipairs(query_headers(req)) do
         extra[#extra + 1] = h
      end
   end
   return respond_json(conn, req, status, { attempt = n, status = status }, extra)
end)

route("/redirect/(%d+)", function(conn, req, code)
   local to = req.args.to or "/echo"
   return respond_text(conn, req, tonumber(code), "redirect to " .. to, { { "Location", to } })
end)

route("/cookies/set", function(conn, req)
   local headers, set = { { "Content-Type", "application/json" } }, {}
   for _, kv in ipairs(req.query_list) do
      headers[#headers + 1] = { "Set-Cookie", kv[1] .. "=" .. kv[2] .. "; Path=/" }
      set[kv[1]] = kv[2]
   end
   return respond(conn, req, 200, headers, cjson.encode(set))
end)

-- A response carrying secrets that appear nowhere in its request (the logging specs check that
-- no record shows them): a session cookie, plus harmless allow-listed headers.
route("/logging/secrets", function(conn, req)
   return respond_json(conn, req, 200, { ok = true }, {
      { "Set-Cookie", "azsession=CookieSecret-7f3e9a; Path=/; HttpOnly" },
      { "x-ms-request-id", "rid-logging-1" },
   })
end)

-- `type=` sets Content-Type exactly (default text/plain), `disposition=` adds
-- Content-Disposition; body "typed body" (the network-trace logging specs).
route("/logging/typed", function(conn, req)
   local headers = { { "Content-Type", req.args.type or "text/plain" } }
   if req.args.disposition then headers[2] = { "Content-Disposition", req.args.disposition } end
   return respond(conn, req, 200, headers, "typed body")
end)

route("/cookies", function(conn, req)
   local cookies = {}
   for _, h in ipairs(req.header_list) do
      if h[1] == "cookie" then
         for pair in h[2]:gmatch("[^;]+") do
            local k, v = pair:match("^%s*([^=]-)%s*=%s*(.-)%s*$")
            if k and k ~= "" then
               cookies[k] = v
            end
         end
      end
   end
   return respond_json(conn, req, 200, cookies)
end)

route("/drip", function(conn, req)
   local n = math.tointeger(tonumber(req.args.bytes or "10")) or 10
   local delay = (tonumber(req.args.delay_ms or "100") or 100) / 1000
   local ok, err = conn:send(build_head(req, 200, {
      { "Content-Type", "application/octet-stream" },
      { "Content-Length", string.format("%d", n) },
   }))
   if not ok or req.method == "HEAD" then
      return ok, err
   end
   for _ = 1, n do
      sleep(delay)
      ok, err = conn:send("*")
      if not ok then
         return nil, err
      end
   end
   return true
end)

route("/delay/(%d+)", function(conn, req, ms)
   sleep(tonumber(ms) / 1000)
   return respond_text(conn, req, 200, "delayed")
end)

route("/auth/basic", function(conn, req)
   if req.headers["authorization"] == "Basic " .. mime.b64("user:pass") then
      return respond_json(conn, req, 200, { authenticated = true, user = "user" })
   end
   return respond_text(conn, req, 401, "unauthorized",
      { { "WWW-Authenticate", 'Basic realm="x"' } })
end)

-- Token credentials (spec/auth_spec.lua): a token endpoint, a resource that answers a claims
-- challenge, and an echo of Authorization.

local tokens_issued = {} -- key -> tokens issued

local function b64url(s)
   return (mime.b64(s):gsub("+", "-"):gsub("/", "_"):gsub("=", ""))
end

route("/auth/token/([^/]+)/count", function(conn, req, key)
   return respond_json(conn, req, 200, { count = tokens_issued[key] or 0 })
end)

-- POST (form body) or GET (query): scope, claims, tenant_id; query options: expires_in
-- (default 3600), refresh_in, fail=<status> (answers an OAuth error), delay_ms. The token is
-- "tok-<key>-<n>", plus ".<base64url(claims)>" when claims were asked for.
route("/auth/token/([^/]+)", function(conn, req, key)
   local parts = {}
   local ok, err = read_body(conn, req, function(chunk) parts[#parts + 1] = chunk end)
   if not ok then
      return nil, err
   end
   local _, form = parse_query(table.concat(parts))
   local function arg(name)
      return form[name] or req.args[name]
   end
   if req.args.delay_ms then
      sleep(tonumber(req.args.delay_ms) / 1000)
   end
   if req.args.fail then
      return respond_json(conn, req, tonumber(req.args.fail), { error = "invalid_client",
         error_description = "the token endpoint refused the request" })
   end
   local n = (tokens_issued[key] or 0) + 1
   tokens_issued[key] = n
   local token = "tok-" .. key .. "-" .. n
   local claims = arg("claims")
   if claims and claims ~= "" then
      token = token .. "." .. b64url(claims)
   end
   return respond_json(conn, req, 200, {
      access_token = token,
      token_type = "Bearer",
      expires_in = tonumber(req.args.expires_in or "3600"),
      refresh_in = tonumber(req.args.refresh_in),
      scope = arg("scope"),
      claims = claims,
      tenant_id = arg("tenant_id"),
   })
end, true)

-- 200 when the bearer token carries the claims (base64url) given in `claims=`, else 401 with an
-- insufficient_claims challenge for them.
route("/auth/claims", function(conn, req)
   local claims = req.args.claims or ""
   local auth = req.headers["authorization"] or ""
   local token = auth:match("^Bearer (.+)$")
   if token and claims ~= "" and token:sub(-#claims - 1) == "." .. claims then
      return respond_json(conn, req, 200, { authorization = auth })
   end
   return respond_text(conn, req, 401, "claims required", { { "WWW-Authenticate",
      'Bearer realm="", authorization_uri="https://login.example/authorize", '
         .. 'error="insufficient_claims", claims="' .. claims .. '"' } })
end)

-- The request's Authorization header and target; `status=` and `challenge=` (a raw
-- WWW-Authenticate value, sent with the status) shape the answer.
route("/auth/echo", function(conn, req)
   local extra = {}
   if req.args.challenge then
      extra[1] = { "WWW-Authenticate", req.args.challenge }
   end
   return respond_json(conn, req, tonumber(req.args.status) or 200,
      { authorization = req.headers["authorization"] or cjson.null, target = req.target }, extra)
end)

route("/fault/reset", function(conn, req)
   local ok, err = conn:send(build_head(req, 200, {
      { "Content-Type", "application/octet-stream" },
      { "Content-Length", "100000" },
   }) .. PATTERN_BLOCK:sub(1, 1000))
   if not ok then
      return nil, err
   end
   -- Let the client start reading the body, so the reset arrives mid-body.
   sleep(0.05)
   conn:reset()
   return nil, "reset"
end)

route("/fault/truncated", function(conn, req)
   conn:send(build_head(req, 200, {
      { "Content-Type", "application/octet-stream" },
      { "Content-Length", "100" },
   }) .. PATTERN_BLOCK:sub(1, 10))
   conn:close()
   return nil, "closed"
end)

route("/fault/malformed", function(conn)
   conn:send("HTTP/1.1 abc garbage\r\n\r\n")
   conn:close()
   return nil, "closed"
end)

route("/fault/hang", function(conn)
   -- Never answer; discard anything else the client sends until it closes.
   while true do
      local data = conn:read_some(RECV_SIZE, HANG_TIMEOUT)
      if not data then
         conn:close()
         return nil, "closed"
      end
   end
end)

route("/fault/close", function(conn)
   conn:close()
   return nil, "closed"
end)

route("/large%-headers", function(conn, req)
   local n = math.tointeger(tonumber(req.args.n or "100")) or 100
   local headers = { { "Content-Type", "text/plain; charset=utf-8" } }
   for i = 1, n do
      headers[#headers + 1] = { "X-H-" .. i, "value-" .. i }
   end
   return respond(conn, req, 200, headers, "ok")
end)

-- multipart/mixed batches (spec/multipart_spec.lua). Parsed here with plain string functions,
-- independently of the code under test: CRLF lines, `--boundary` delimiters.

local function mp_boundary(ctype)
   ctype = ctype or ""
   return ctype:match('[Bb]oundary="([^"]*)"') or ctype:match("[Bb]oundary=([^;%s]+)")
end

--- Splits a multipart body into part texts, or nil, err.
local function mp_split(body, boundary)
   local delim = "--" .. boundary
   local parts = {}
   local pos = body:find(delim, 1, true)
   if not pos then
      return nil, "no delimiter"
   end
   pos = pos + #delim
   for _ = 1, 10000 do
      if body:sub(pos, pos + 1) == "--" then
         return parts
      end
      local eol = body:find("\r\n", pos, true)
      if not eol then
         return nil, "unterminated delimiter line"
      end
      local nxt = body:find("\r\n" .. delim, eol + 2, true)
      if not nxt then
         return nil, "no closing delimiter"
      end
      parts[#parts + 1] = body:sub(eol + 2, nxt - 1)
      pos = nxt + 2 + #delim
   end
   return nil, "too many parts"
end

--- Header block and the rest: ({lowercase name = value}, list of {name, value}, rest), or nil.
local function mp_head(text)
   local map, list = {}, {}
   if text:sub(1, 2) == "\r\n" then
      return map, list, text:sub(3)
   end
   local e = text:find("\r\n\r\n", 1, true)
   if not e then
      return nil
   end
   for line in (text:sub(1, e + 1)):gmatch("([^\r\n]*)\r\n") do
      local name, value = line:match("^([^:]+):%s*(.-)%s*$")
      if name then
         map[name:lower()] = value
         list[#list + 1] = { name, value }
      end
   end
   return map, list, text:sub(e + 4)
end

local mp_counter = 0

--- The multipart/mixed answer to a batch body: one application/http response per sub-request
-- (status from a `/status/<code>` path, else 200; X-Method and X-Url echo the sub-request; a
-- JSON body with its method, URL, headers and body), a nested changeset answered in a nested
-- changeset. Returns boundary, body or nil, err.
local function mp_answer(body, boundary, kind)
   local parts, err = mp_split(body, boundary)
   if not parts then
      return nil, err
   end
   mp_counter = mp_counter + 1
   local out_boundary = kind .. "response_" .. mp_counter
   local out = {}
   for i, text in ipairs(parts) do
      local ph, _, content = mp_head(text)
      if not ph then
         return nil, "part " .. i .. " has no header block"
      end
      local ctype = ph["content-type"] or ""
      local piece
      if ctype:find("^multipart/mixed") then
         local b, nested = mp_answer(content, mp_boundary(ctype) or "", "changeset")
         if not b then
            return nil, nested
         end
         piece = "Content-Type: multipart/mixed; boundary=" .. b .. "\r\n\r\n" .. nested
      else
         local line, rest = content:match("^([^\r\n]*)\r\n(.*)$")
         local method, target = (line or ""):match("^(%S+) (%S+) HTTP/1%.1$")
         if not method then
            return nil, "part " .. i .. " has no request line"
         end
         local rh, rlist, rbody = mp_head(rest)
         if not rh then
            return nil, "part " .. i .. " has no request headers"
         end
         rbody = rbody:sub(1, tonumber(rh["content-length"] or "0") or 0)
         local path = target:gsub("^%a[%w+.-]*://[^/?]*", "")
         local status = tonumber(path:match("^/status/(%d+)")) or 200
         local headers = {}
         for _, h in ipairs(rlist) do
            headers[h[1]:lower()] = h[2]
         end
         local head = { string.format("HTTP/1.1 %d %s\r\n", status, REASONS[status] or "Unknown"),
            "X-Method: " .. method .. "\r\n", "X-Url: " .. target .. "\r\n" }
         local pbody = ""
         if not has_no_body(status) then
            pbody = cjson.encode({ method = method, url = target, headers = headers, body = rbody })
            head[#head + 1] = "Content-Type: application/json\r\n"
            head[#head + 1] = "Content-Length: " .. #pbody .. "\r\n"
         end
         piece = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            .. (ph["content-id"] and ("Content-ID: " .. ph["content-id"] .. "\r\n") or "")
            .. "\r\n" .. table.concat(head) .. "\r\n" .. pbody
      end
      out[#out + 1] = "--" .. out_boundary .. "\r\n" .. piece .. "\r\n"
   end
   out[#out + 1] = "--" .. out_boundary .. "--\r\n"
   return out_boundary, table.concat(out)
end

route("/multipart/batch", function(conn, req)
   local chunks = {}
   local ok, err = read_body(conn, req, function(chunk)
      chunks[#chunks + 1] = chunk
   end)
   if not ok then
      return nil, err
   end
   if req.method ~= "POST" then
      return respond_text(conn, req, 405, "POST a multipart/mixed batch")
   end
   local boundary = mp_boundary(req.headers["content-type"])
   if not (req.headers["content-type"] or ""):find("^multipart/mixed") or not boundary then
      return respond_text(conn, req, 400, "not a multipart/mixed body")
   end
   local b, body = mp_answer(table.concat(chunks), boundary, "batch")
   if not b then
      return respond_text(conn, req, 400, "bad batch: " .. tostring(body))
   end
   return respond(conn, req, 202, { { "Content-Type", "multipart/mixed; boundary=" .. b } }, body)
end, true)

-- A fixed batch answer whose second part is a changeset of two responses (as Azure Tables
-- answers an entity-group transaction).
local CHANGESET_ANSWER = table.concat({
   "--batchresponse_e2b8\r\n",
   "Content-Type: application/http\r\n",
   "Content-Transfer-Encoding: binary\r\n",
   "\r\n",
   "HTTP/1.1 200 OK\r\n",
   "Content-Type: application/json\r\n",
   "X-Part: first\r\n",
   "\r\n",
   '{"value":1}\r\n',
   "--batchresponse_e2b8\r\n",
   "Content-Type: multipart/mixed; boundary=changesetresponse_71c3\r\n",
   "\r\n",
   "--changesetresponse_71c3\r\n",
   "Content-Type: application/http\r\n",
   "Content-Transfer-Encoding: binary\r\n",
   "\r\n",
   "HTTP/1.1 201 Created\r\n",
   "Location: https://x/T(1)\r\n",
   "Content-Length: 7\r\n",
   "\r\n",
   '{"a":1}\r\n',
   "--changesetresponse_71c3\r\n",
   "Content-Type: application/http\r\n",
   "Content-Transfer-Encoding: binary\r\n",
   "\r\n",
   "HTTP/1.1 204 No Content\r\n",
   "X-Part: third\r\n",
   "\r\n",
   "\r\n",
   "--changesetresponse_71c3--\r\n",
   "\r\n",
   "--batchresponse_e2b8\r\n",
   "Content-Type: application/http\r\n",
   "\r\n",
   "HTTP/1.1 404 Not Found\r\n",
   "Content-Length: 9\r\n",
   "\r\n",
   "not found\r\n",
   "--batchresponse_e2b8--\r\n",
})

route("/multipart/changeset", function(conn, req)
   local ctype = "multipart/mixed; boundary=batchresponse_e2b8"
   return respond(conn, req, 202, { { "Content-Type", ctype } }, CHANGESET_ANSWER)
end)

-- Long-running operations (spec/polling_spec.lua) and paging (spec/paging_spec.lua), modelled on
-- the ARM and Azure.Core patterns. State is keyed by a client-chosen id in the path, so parallel
-- tests stay independent; `GET /lro/<id>/log` reports what the server saw.

local lro = {} -- id -> state

local function lro_state(id)
   local st = lro[id]
   if not st then
      st = { initial = 0, polls = 0, location_polls = 0, finals = 0, request_ids = {},
         opts = {} }
      lro[id] = st
   end
   return st
end

local function lro_link(req, id, leaf, relative)
   local path = "/lro/" .. id .. "/" .. leaf
   if relative then
      return path
   end
   return "http://" .. (req.headers.host or "127.0.0.1") .. path
end

-- Retry-After headers asked for by the initial request, as a list of {name, value}.
local function lro_delay_headers(o, list)
   if o.retry_after then
      list[#list + 1] = { "Retry-After", o.retry_after }
   end
   if o.retry_after_ms then
      list[#list + 1] = { "retry-after-ms", o.retry_after_ms }
   end
   return list
end

-- The initial request of an operation (PUT/PATCH/DELETE /lro/<id>/resource, POST
-- /lro/<id>/action). Query: op=operation-location|azure-asyncoperation, location=1, code=,
-- polls=N (non-terminal answers), final=Succeeded|Failed|Canceled|<any>, retry_after=,
-- retry_after_ms=, initial_status=, fail_first=<code>, relative=1, resource_location=1,
-- bad_poll=<code>, no_status=1.
local function lro_initial(conn, req, id)
   local st = lro_state(id)
   st.initial = st.initial + 1
   st.initial_request_id = req.headers["x-ms-client-request-id"]
   local a = req.args
   if a.fail_first and st.initial == 1 then
      return respond_json(conn, req, tonumber(a.fail_first), { error = { code = "Busy",
         message = "try again" } }, { { "retry-after-ms", "1" } })
   end
   st.opts = a
   st.polls, st.location_polls = 0, 0
   local relative = a.relative == "1"
   local headers = { { "Content-Type", "application/json" } }
   if a.op then
      headers[#headers + 1] = { a.op == "azure-asyncoperation" and "Azure-AsyncOperation"
         or "Operation-Location", lro_link(req, id, "operations", relative) }
   end
   if a.location == "1" then
      headers[#headers + 1] = { "Location", lro_link(req, id, "location", relative) }
   end
   lro_delay_headers(a, headers)
   local default_code = (req.method == "PUT" or req.method == "PATCH") and 201 or 202
   local code = tonumber(a.code) or default_code
   local body = ""
   if req.method == "PUT" or req.method == "PATCH" then
      body = cjson.encode({ name = id, provisioningState = a.initial_status or "Creating",
         status = a.initial_status })
   elseif a.initial_status then
      body = cjson.encode({ id = id, status = a.initial_status })
   end
   return respond(conn, req, code, headers, body)
end

route("/lro/([^/]+)/log", function(conn, req, id)
   local st = lro_state(id)
   -- request_ids is left out while empty (cjson would write an empty table as {})
   return respond_json(conn, req, 200, { initial = st.initial, polls = st.polls,
      location_polls = st.location_polls, finals = st.finals,
      initial_request_id = st.initial_request_id,
      request_ids = #st.request_ids > 0 and st.request_ids or nil })
end)

route("/lro/([^/]+)/resource", function(conn, req, id)
   if req.method ~= "GET" then
      return lro_initial(conn, req, id)
   end
   local st = lro_state(id)
   st.finals = st.finals + 1
   return respond_json(conn, req, 200, { name = id, provisioningState = "Succeeded",
      via = "resource" })
end)

route("/lro/([^/]+)/action", function(conn, req, id)
   return lro_initial(conn, req, id)
end)

-- The status monitor: `polls` non-terminal answers, then `final`.
route("/lro/([^/]+)/operations", function(conn, req, id)
   local st = lro_state(id)
   local o = st.opts
   st.polls = st.polls + 1
   st.request_ids[#st.request_ids + 1] = req.headers["x-ms-client-request-id"] or ""
   if o.bad_poll and st.polls == 1 then
      return respond_text(conn, req, tonumber(o.bad_poll), "bad poll")
   end
   local n = tonumber(o.polls) or 2
   local value = { id = id }
   if st.polls <= n then
      value.status = (st.polls % 2 == 1) and "NotStarted" or "Running"
   else
      value.status = o.final or "Succeeded"
      local lower = value.status:lower()
      if lower == "failed" or lower == "canceled" then
         value.error = { code = "Operation" .. value.status, message = "the operation ended: "
            .. lower }
      elseif lower == "succeeded" and o.resource_location == "1" then
         value.resourceLocation = lro_link(req, id, "created")
      end
   end
   if o.no_status == "1" then
      value.status = nil
   end
   return respond_json(conn, req, 200, value, lro_delay_headers(o, {}))
end)

-- Location: polled (202 while running) when the operation has no status monitor; otherwise a
-- final GET target.
route("/lro/([^/]+)/location", function(conn, req, id)
   local st = lro_state(id)
   local o = st.opts
   if not o.op then
      st.location_polls = st.location_polls + 1
      st.request_ids[#st.request_ids + 1] = req.headers["x-ms-client-request-id"] or ""
      if st.location_polls <= (tonumber(o.polls) or 2) then
         return respond(conn, req, 202, lro_delay_headers(o, { { "Location",
            lro_link(req, id, "location", o.relative == "1") } }), "")
      end
   else
      st.finals = st.finals + 1
   end
   return respond_json(conn, req, 200, { name = id, via = "location" })
end)

route("/lro/([^/]+)/created", function(conn, req, id)
   local st = lro_state(id)
   st.finals = st.finals + 1
   return respond_json(conn, req, 200, { name = id, via = "resourceLocation" })
end)

-- Paging. `GET /paging/<id>/page/<n>?pages=P&per=K`: {"value": [...], "nextLink": ...} with items
-- "p<n>-<i>"; link=absolute|relative|odata|odata_at (the key "odata.nextLink" /
-- "@odata.nextLink"), null_next=1 (last page has "nextLink": null), empty_first=1 (page 1 has
-- no items), fail=<n> (page n answers fail_status, default 500, once per id).
local paging_failures = {} -- id .. "/" .. page -> times failed

local function page_items(n, count)
   local items = {}
   for i = 1, count do
      items[i] = string.format("p%d-%d", n, i)
   end
   return items
end

local function items_json(items)
   if #items == 0 then
      return "[]"
   end
   return cjson.encode(items)
end

route("/paging/([^/]+)/page/(%d+)", function(conn, req, id, page)
   local a = req.args
   local n, pages, per = tonumber(page), tonumber(a.pages) or 3, tonumber(a.per) or 2
   if tonumber(a.fail) == n then
      local key = id .. "/" .. n
      if (paging_failures[key] or 0) < (tonumber(a.fail_times) or 1) then
         paging_failures[key] = (paging_failures[key] or 0) + 1
         return respond_json(conn, req, tonumber(a.fail_status) or 500,
            { error = { code = "PageFailed", message = "page " .. n .. " failed" } })
      end
   end
   local items = (n == 1 and a.empty_first == "1") and {} or page_items(n, per)
   local parts = { '{"value":' .. items_json(items) }
   local key = (a.link == "odata") and "odata.nextLink" or (a.link == "odata_at")
      and "@odata.nextLink" or "nextLink"
   if n < pages then
      local path = "/paging/" .. id .. "/page/" .. (n + 1) .. "?" .. req.query
      local link = a.link == "relative" and path
         or "http://" .. (req.headers.host or "127.0.0.1") .. path
      parts[#parts + 1] = cjson.encode(key) .. ":" .. cjson.encode(link)
   elseif a.null_next == "1" then
      parts[#parts + 1] = cjson.encode(key) .. ":null"
   end
   return respond(conn, req, 200, { { "Content-Type", "application/json" } },
      table.concat(parts, ",") .. "}")
end)

-- `GET /paging/<id>/ct?pages=P&per=K`: the page number comes from the query parameter `token`
-- or the request header `x-ms-continuation` (missing: page 1); the next one is sent back in the
-- response header `x-ms-continuation` (absent on the last page). Body {"items": [...]}.
route("/paging/([^/]+)/ct", function(conn, req, id)
   local a = req.args
   local token = a.token or req.headers["x-ms-continuation"]
   local n = 1
   if token then
      n = tonumber(token:match("^page%-(%d+)$"))
      if not n then
         return respond_json(conn, req, 400, { error = { code = "BadToken",
            message = "bad continuation token " .. token } })
      end
   end
   local pages, per = tonumber(a.pages) or 3, tonumber(a.per) or 2
   local headers = { { "Content-Type", "application/json" } }
   if n < pages then
      headers[#headers + 1] = { "x-ms-continuation", "page-" .. (n + 1) }
   end
   return respond(conn, req, 200, headers, '{"items":' .. items_json(page_items(n, per)) .. "}")
end)

local function dispatch(conn, req)
   for _, r in ipairs(routes) do
      local caps = { req.path:match(r.pattern) }
      if caps[1] ~= nil then
         if not r.own_body then
            local ok, err = read_body(conn, req, discard)
            if not ok then
               return nil, err
            end
         end
         return r.handler(conn, req, table.unpack(caps))
      end
   end
   local ok, err = read_body(conn, req, discard)
   if not ok then
      return nil, err
   end
   return respond_text(conn, req, 404, "not found: " .. req.path)
end

---------------------------------------------------------------------------------------------------
-- Connections and listeners
---------------------------------------------------------------------------------------------------

local function serve(sock)
   sock:settimeout(0)
   sock:setoption("tcp-nodelay", true)
   local conn = new_conn(sock)
   -- Bounded: at most this many requests per connection.
   for _ = 1, 1000000 do
      local req, err = read_head(conn)
      if not req then
         if err and not conn.closed then
            log("bad request: %s", err)
            conn:send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
         end
         break
      end
      log("%s %s", req.method, req.target)
      local ok, herr = dispatch(conn, req)
      if not ok then
         log("connection ended: %s", tostring(herr))
         break
      end
      if req.close or not req.body_done or conn.closed then
         break
      end
   end
   conn:close()
end

local function bind(backlog)
   local s = assert(socket.tcp4())
   assert(s:setoption("reuseaddr", true))
   assert(s:bind("127.0.0.1", 0))
   assert(s:listen(backlog))
   local _, port = s:getsockname()
   return s, port
end

local server, port = bind(128)
-- Never accepted: with a backlog of 1 the kernel queues two connections, then drops further SYNs,
-- so a new connect() times out.
local blackhole, blackhole_port = bind(1)

io.stdout:write("PORT ", tostring(port), "\n", "BLACKHOLE ", tostring(blackhole_port), "\n")
io.stdout:flush()

server:settimeout(0)
spawn(function()
   while true do
      wait("r", server)
      -- Accept everything pending.
      for _ = 1, 64 do
         local client = server:accept()
         if not client then
            break
         end
         spawn(serve, client)
      end
   end
end)

-- `blackhole` stays referenced by this chunk's locals for as long as run_loop() runs.
run_loop()

-- Paging with azure-core for Lua: list pages lazily, resume after a failure, write an extractor.
-- usage: lua5.4 examples/paging.lua BASE_URL   (the test server's /paging routes)
local core = require("azure.core")
local paging = require("azure.core.paging")
local exceptions = require("azure.core.exceptions")

local base = arg[1] or os.getenv("DEMO_URL") or "http://127.0.0.1:8080"
local client = core.PipelineClient.new(base, { retry_total = 0 })
local run = os.time() .. "-" .. tostring({}):match("%x+$") -- a fresh listing id per run

-- 1. The standard Azure list shape, {"value": [...], "nextLink": "..."}: no extractor to write.
local pager = paging.next_link_paged(client, "/paging/example-" .. run .. "/page/1",
   { params = { pages = "3", per = "2" } })
local names = {}
for item in pager:items() do names[#names + 1] = item end -- nothing is fetched before this loop
print("items: " .. table.concat(names, " "))

-- 2. Page by page; `pages.continuation_token` is the next page's link (nil after the last).
local pages = pager:by_page()
for page in pages do
   print(("page of %d, more: %s"):format(#page, tostring(pages.continuation_token ~= nil)))
end

-- 3. A page fails: the error carries the token of that page, so the listing can resume there.
local flaky = paging.next_link_paged(client, "/paging/flaky-" .. run .. "/page/1",
   { params = { pages = "3", fail = "2" } })
local seen = {}
local ok, err = pcall(function()
   for item in flaky:items() do seen[#seen + 1] = item end
end)
print("before the failure: " .. table.concat(seen, " "))
print(("failed: %s %d, resuming"):format(ok and "no" or err.type, err.status_code))
for page in flaky:by_page(err.continuation_token) do
   for _, item in ipairs(page) do seen[#seen + 1] = item end
end
print("after resuming: " .. table.concat(seen, " "))

-- 4. Any other shape: write get_next(token) and extract_data(response). Here the token comes in
-- a response header and goes back in a request header (continuation_header_paged does this too).
local function get_next(token)
   local req = client:get("/paging/custom-" .. run .. "/ct", { pages = "2" })
   if token then req.headers["x-ms-continuation"] = token end
   local res, serr = client:send_request(req)
   if not res then return nil, serr end
   if res.status_code ~= 200 then return nil, exceptions.HttpResponseError.new{ response = res } end
   return res
end
local function extract_data(res)
   local body = assert(res:json())
   return res.headers["x-ms-continuation"], body.items -- nil token: that was the last page
end
local custom = {}
for item in paging.ItemPaged.new(get_next, extract_data):items() do custom[#custom + 1] = item end
print("custom: " .. table.concat(custom, " "))
client:close()

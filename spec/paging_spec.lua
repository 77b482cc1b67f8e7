-- Paging (BEHAVIOR §7): PageIterator and ItemPaged rule by rule, then the next-link and
-- continuation-header pagers against the test server's /paging routes through both drivers.
local core = require("azure.core")
local rest = require("azure.core.rest")
local json = require("azure.core.json")
local exceptions = require("azure.core.exceptions")
local paging = require("azure.core.paging")
local helper = require("support.helper")

local unique = 0
local function key(prefix)
   unique = unique + 1
   -- unique across processes sharing a test server too (the address differs per process)
   return ("%s%d_%s_%d"):format(prefix or "pg", os.time(), tostring({}):match("%x+$"), unique)
end

-- A scripted get_next: pages[token or "<start>"] = {next_token, items} or an error to return.
local function script(pages)
   local calls = {}
   local function get_next(token)
      calls[#calls + 1] = token == nil and "<nil>" or token
      local p = pages[token == nil and "<start>" or token]
      if p == nil then error("unexpected token " .. tostring(token)) end
      if exceptions.is_error(p) then return nil, p end
      return p
   end
   local function extract_data(p) return p[1], p[2] end
   return get_next, extract_data, calls
end

local function collect(iter)
   local out = {}
   for x in iter do out[#out + 1] = x end
   return out
end

describe("PageIterator / ItemPaged (§7)", function()
   it("is lazy: nothing is fetched until iteration", function()
      local get_next, extract, calls = script({ ["<start>"] = { nil, { 1 } } })
      local pager = paging.ItemPaged.new(get_next, extract)
      local pages = pager:by_page()
      assert.same({}, calls)
      assert.same({ { 1 } }, collect(pages))
      assert.same({ "<nil>" }, calls)
   end)

   it("items() flattens the pages and skips empty ones", function()
      local get_next, extract = script({
         ["<start>"] = { "a", {} }, a = { "b", { 1, 2 } }, b = { nil, { 3 } } })
      assert.same({ 1, 2, 3 }, collect(paging.ItemPaged.new(get_next, extract):items()))
   end)

   it("only nil (or JSON null) ends paging; an empty string asks for another page", function()
      local get_next, extract, calls = script({
         ["<start>"] = { "", { 1 } }, [""] = { json.NULL, { 2 } } })
      assert.same({ 1, 2 }, collect(paging.ItemPaged.new(get_next, extract):items()))
      assert.same({ "<nil>", "" }, calls)
   end)

   it("exposes the next page's token and the last response", function()
      local get_next, extract = script({ ["<start>"] = { "t2", { 1 } }, t2 = { nil, { 2 } } })
      local pages = paging.ItemPaged.new(get_next, extract):by_page()
      assert.is_nil(pages.continuation_token)
      assert.same({ 1 }, pages:next())
      assert.equal("t2", pages.continuation_token)
      assert.same({ "t2", { 1 } }, pages.response)
      assert.same({ 2 }, pages())
      assert.is_nil(pages.continuation_token)
      assert.is_nil(pages:next())
      assert.is_nil(pages:next())
   end)

   it("by_page(token) starts a new iterator at that token, each call", function()
      local get_next, extract, calls = script({
         ["<start>"] = { "t2", { 1 } }, t2 = { "t3", { 2 } }, t3 = { nil, { 3 } } })
      local pager = paging.ItemPaged.new(get_next, extract)
      assert.same({ { 2 }, { 3 } }, collect(pager:by_page("t2")))
      assert.same({ { 2 }, { 3 } }, collect(pager:by_page("t2")))
      assert.same({ { 1 }, { 2 }, { 3 } }, collect(pager:by_page()))
      assert.same({ "t2", "t3", "t2", "t3", "<nil>", "t2", "t3" }, calls)
   end)

   it("the continuation_token option is where items() and by_page() start", function()
      local get_next, extract = script({
         ["<start>"] = { "t2", { 1 } }, t2 = { nil, { 2 } } })
      local pager = paging.ItemPaged.new(get_next, extract, { continuation_token = "t2" })
      assert.same({ 2 }, collect(pager:items()))
      assert.same({ { 2 } }, collect(pager:by_page()))
   end)

   it("an error from get_next carries the token of the page being fetched (resume)", function()
      local boom = exceptions.HttpResponseError.new{ message = "boom" }
      local get_next, extract = script({ ["<start>"] = { "foo", { "bar" } }, foo = boom })
      local pager = paging.ItemPaged.new(get_next, extract)
      local it = pager:items()
      assert.equal("bar", it())
      local ok, err = pcall(it)
      assert.is_false(ok)
      assert.equal(boom, err)
      assert.equal("foo", err.continuation_token)
   end)

   it("keeps a token the error already has, and leaves the first page's nil", function()
      local e1 = exceptions.AzureError.new{ message = "x", continuation_token = "own" }
      local get_next, extract = script({ ["<start>"] = { "t", { 1 } }, t = e1 })
      local pages = paging.ItemPaged.new(get_next, extract):by_page()
      pages:next()
      local page, err = pages:next()
      assert.is_nil(page)
      assert.equal("own", err.continuation_token)
      local e2 = exceptions.ServiceRequestError.new{ message = "down" }
      get_next, extract = script({ ["<start>"] = e2 })
      page, err = paging.ItemPaged.new(get_next, extract):by_page():next()
      assert.is_nil(page)
      assert.is_nil(err.continuation_token)
   end)

   it("a failed page can be fetched again by calling next again", function()
      local n = 0
      local function get_next(token)
         if token == "t2" then
            n = n + 1
            if n == 1 then return nil, exceptions.ServiceResponseError.new{ message = "reset" } end
            return { nil, { 2 } }
         end
         return { "t2", { 1 } }
      end
      local pages = paging.PageIterator.new(get_next, function(p) return p[1], p[2] end)
      assert.same({ 1 }, pages:next())
      local page, err = pages:next()
      assert.is_nil(page)
      assert.equal("t2", err.continuation_token)
      assert.same({ 2 }, pages:next())
      assert.is_nil(pages:next())
   end)

   it("wraps Lua errors raised by the callbacks, with the token", function()
      local pages = paging.PageIterator.new(function() error("get_next broke") end,
         function() end, "t0")
      local page, err = pages:next()
      assert.is_nil(page)
      assert.equal("AzureError", err.type)
      assert.matches("get_next broke", tostring(err.inner_exception))
      assert.equal("t0", err.continuation_token)
      local failing = paging.PageIterator.new(function() return {} end,
         function() return nil, exceptions.DecodeError.new{ message = "bad page" } end, "t1")
      page, err = failing:next()
      assert.is_nil(page)
      assert.equal("DecodeError", err.type)
      assert.equal("t1", err.continuation_token)
      local wrong = paging.PageIterator.new(function() return {} end,
         function() return "t", 42 end)
      page, err = wrong:next()
      assert.is_nil(page)
      assert.equal("TypeError", err.kind)
      local msg = paging.PageIterator.new(function() return {} end,
         function() return nil, "cannot read the page" end, "t2")
      page, err = msg:next()
      assert.is_nil(page)
      assert.equal("cannot read the page", err.message)
      assert.equal("t2", err.continuation_token)
   end)

   it("next() and `for item in pager` continue one shared iteration (Python's next())", function()
      local get_next, extract = script({ ["<start>"] = { "t", { 1, 2 } }, t = { nil, { 3 } } })
      local pager = paging.ItemPaged.new(get_next, extract)
      assert.equal(1, pager:next())
      assert.same({ 2, 3 }, collect(pager))
      assert.is_nil(pager:next())
      assert.same({ 1, 2, 3 }, collect(pager:items())) -- items() starts over
   end)

   it("takes a page_iterator_class", function()
      local Counting = paging.PageIterator:extend()
      local made = 0
      local base_new = Counting.new
      Counting.new = function(...)
         made = made + 1
         return base_new(...)
      end
      local get_next, extract = script({ ["<start>"] = { nil, { 1 } } })
      local pager = paging.ItemPaged.new(get_next, extract, { page_iterator_class = Counting })
      assert.same({ 1 }, collect(pager:items()))
      assert.same({ { 1 } }, collect(pager:by_page()))
      assert.equal(2, made)
   end)

   it("prints like azure-core and checks its arguments", function()
      local pager = paging.ItemPaged.new(function() end, function() end)
      assert.matches("^<iterator object azure%.core%.paging%.ItemPaged at 0x%x+>$", tostring(pager))
      assert.has_error(function() paging.ItemPaged.new(nil, function() end) end)
      assert.has_error(function() paging.ItemPaged.new(function() end, 1) end)
      assert.has_error(function() paging.PageIterator.new(function() end) end)
      assert.has_error(function() paging.next_link_paged({}, "/x") end)
      assert.has_error(function()
         paging.continuation_header_paged(core.PipelineClient.new("http://127.0.0.1:1"), "/x", {})
      end)
   end)
end)

for _, driver in ipairs({ "native", "lua" }) do
   describe("next-link and continuation-header pagers (" .. driver .. " driver)", function()
      local client
      before_each(function()
         client = core.PipelineClient.new(helper.url(""), { driver = driver, retry_total = 0 })
      end)
      after_each(function() client:close() end)

      local function list(path, opts)
         return collect(paging.next_link_paged(client, path, opts):items())
      end
      local ALL = { "p1-1", "p1-2", "p2-1", "p2-2", "p3-1", "p3-2" }

      it("follows absolute nextLinks", function()
         assert.same(ALL, list("/paging/" .. key() .. "/page/1?pages=3"))
      end)

      it("resolves relative nextLinks against the client", function()
         assert.same(ALL, list("/paging/" .. key() .. "/page/1?pages=3&link=relative"))
      end)

      it("reads odata.nextLink and @odata.nextLink", function()
         assert.same(ALL, list("/paging/" .. key() .. "/page/1?pages=3&link=odata"))
         assert.same(ALL, list("/paging/" .. key() .. "/page/1?pages=3&link=odata_at"))
      end)

      it("goes past an empty first page", function()
         local pages = collect(paging.next_link_paged(client, "/paging/" .. key()
            .. "/page/1?pages=2&empty_first=1"):by_page())
         assert.same({ {}, { "p2-1", "p2-2" } }, pages)
      end)

      it("stops at a null nextLink", function()
         assert.same({ "p1-1", "p1-2", "p2-1", "p2-2" },
            list("/paging/" .. key() .. "/page/1?pages=2&null_next=1"))
      end)

      it("a failing second page is resumed from the token its error carries", function()
         local path = "/paging/" .. key() .. "/page/1?pages=3&fail=2"
         local pager = paging.next_link_paged(client, path)
         local seen = {}
         local ok, err = pcall(function()
            for item in pager:items() do seen[#seen + 1] = item end
         end)
         assert.is_false(ok)
         assert.same({ "p1-1", "p1-2" }, seen)
         assert.is_true(err:is("HttpResponseError"))
         assert.equal(500, err.status_code)
         assert.equal("PageFailed", err.error_code)
         assert.equal(helper.url(path:gsub("page/1", "page/2")), err.continuation_token)
         local rest_pages = collect(pager:by_page(err.continuation_token))
         assert.same({ { "p2-1", "p2-2" }, { "p3-1", "p3-2" } }, rest_pages)
      end)

      it("maps error statuses through error_map", function()
         local pager = paging.next_link_paged(client, "/paging/" .. key()
            .. "/page/1?pages=2&fail=1&fail_status=404",
            { error_map = { [404] = exceptions.ResourceNotFoundError } })
         local page, err = pager:by_page():next()
         assert.is_nil(page)
         assert.equal("ResourceNotFoundError", err.type)
         assert.equal(404, err.status_code)
      end)

      it("deserializes items, and copies a request given as the first page", function()
         local req = rest.HttpRequest.new("GET", helper.url("/paging/" .. key()
            .. "/page/1?pages=2"))
         local pager = paging.next_link_paged(client, req, {
            item = function(s) return s:upper() end, headers = { ["x-test"] = "1" } })
         assert.same({ "P1-1", "P1-2", "P2-1", "P2-2" }, collect(pager:items()))
         assert.same({ "P1-1", "P1-2", "P2-1", "P2-2" }, collect(pager:items()))
         assert.is_nil(req.headers["x-ms-client-request-id"]) -- the original was never sent
      end)

      it("takes a custom items field, next_link field and next_request", function()
         local used = {}
         local pager = paging.next_link_paged(client, function()
            return client:get("/paging/" .. key() .. "/page/1", { pages = "2" })
         end, {
            items = function(body) return body.value end,
            next_link = "nextLink",
            next_request = function(link)
               used[#used + 1] = link
               return rest.HttpRequest.new("GET", link)
            end,
         })
         assert.same({ "p1-1", "p1-2", "p2-1", "p2-2" }, collect(pager:items()))
         assert.equal(1, #used)
      end)

      it("continuation header sent back as a query parameter", function()
         local pager = paging.continuation_header_paged(client, "/paging/" .. key()
            .. "/ct?pages=3", { header = "x-ms-continuation", query_param = "token",
               items = "items" })
         assert.same(ALL, collect(pager:items()))
         local pages = pager:by_page("page-3")
         assert.same({ "p3-1", "p3-2" }, pages())
         assert.is_nil(pages())
      end)

      it("continuation header sent back as a request header", function()
         local pager = paging.continuation_header_paged(client, "/paging/" .. key()
            .. "/ct?pages=2", { header = "x-ms-continuation", items = "items" })
         local pages = pager:by_page()
         assert.same({ "p1-1", "p1-2" }, pages())
         assert.equal("page-2", pages.continuation_token)
         assert.same({ "p2-1", "p2-2" }, pages())
         assert.is_nil(pages.continuation_token)
         assert.is_nil(pages())
      end)

      it("a bad continuation token comes back as the service's error", function()
         local pager = paging.continuation_header_paged(client, "/paging/" .. key()
            .. "/ct?pages=2", { header = "x-ms-continuation", items = "items" })
         local page, err = pager:by_page("garbage"):next()
         assert.is_nil(page)
         assert.equal(400, err.status_code)
         assert.equal("garbage", err.continuation_token)
      end)
   end)
end

-- wrk script: POST one ~1 KB report per request to /api/v1/reports, each about a URL never
-- sent before (run tag + thread id + per-thread counter), so that every request takes the
-- gateway's full path: validate, canonicalize, pseudonymize, seal, and create a new case.
--
--   JB_RUN_TAG=main wrk -t2 -c50 -d20s --latency -s bench/report.lua http://127.0.0.1:PORT
--
-- Any answer other than 202 is counted per thread; done() prints one machine-readable line:
--   JB_RESULT requests=… duration_us=… rps=… p50_us=… p90_us=… p99_us=… max_us=… non202=…
--             connect_err=… read_err=… write_err=… timeout_err=… bytes=…

local threads = {}
local run_tag = (os.getenv("JB_RUN_TAG") or "run") .. "-" .. os.time()

function setup(thread)
  thread:set("tid", #threads + 1)
  thread:set("tag", run_tag)
  table.insert(threads, thread)
end

-- Globals, so that done() can read them with thread:get().
counter, bad, bad_status, bad_body = 0, 0, nil, nil
local path = "/api/v1/reports"
local headers = {["Content-Type"] = "application/json"}

-- ~900 bytes of mixed Chinese and English (UTF-8), the shape of a real description.
local description =
  "本人于2024年3月在某社交平台看到一则投资理财广告，声称每日收益百分之五，保本无风险。" ..
  "对方通过即时通讯软件联系我，要求下载名为“鑫盛财富”的应用并充值。" ..
  "The site asked for a deposit of 20,000 CNY through a personal bank account, then " ..
  "blocked withdrawals and demanded a further 'unfreezing fee' of 5,000 CNY. " ..
  "客服人员自称是证券公司员工，提供的营业执照照片经查询为伪造。" ..
  "Screenshots of the chat, the transfer receipts and the app's download page are kept. " ..
  "该网站目前仍在运营，并在多个群组中继续招揽受害者，请尽快核查处理。" ..
  "The same operator also runs look-alike domains that redirect to this page. " ..
  "如需完整的转账记录和聊天记录，请通过邮件联系我。I can send the full records by email. 谢谢！"

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local body_head = '{"url":"https://example.com/post/'
local body_tail = '","category":"fraud","title":' .. json_string("虚假投资理财平台诈骗 fake investment app") ..
  ',"description":' .. json_string(description) ..
  ',"contact":"someone@example.com","language":"zh-CN"}'

function init(args)
  -- tid and tag were set by setup() as globals of this thread's Lua state.
  local dump = os.getenv("JB_DUMP_BODY")
  if dump and tid == 1 then  -- one body, for bench/stages.c
    local f = assert(io.open(dump, "w"))
    f:write(body_head .. tag .. "-t1-0" .. body_tail)
    f:close()
  end
end

function request()
  counter = counter + 1
  local body = body_head .. tag .. "-t" .. tid .. "-" .. counter .. body_tail
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, resp)
  if status ~= 202 then
    bad = bad + 1
    if not bad_status then
      bad_status = status
      bad_body = string.sub(resp or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local non202, first = 0, nil
  for _, t in ipairs(threads) do
    non202 = non202 + (t:get("bad") or 0)
    if not first and t:get("bad_status") then
      first = t:get("bad_status") .. " " .. tostring(t:get("bad_body"))
    end
  end
  local e = summary.errors
  io.write(string.format(
    "JB_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "non202=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d status_err=%d bytes=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    non202, e.connect, e.read, e.write, e.timeout, e.status, summary.bytes))
  if first then
    io.write("JB_FIRST_BAD " .. first:gsub("\n", " ") .. "\n")
  end
end

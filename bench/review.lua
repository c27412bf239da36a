-- bench/review.lua — wrk script of bench/review.py: each thread is one reviewer on one
-- connection (wrk -tN -cN), with its own session token from the file $JB_TOKENS (line i for
-- thread i), claiming a case and deciding it (no_violation), over and over.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local i = 0
  for line in io.lines(os.getenv("JB_TOKENS")) do
    i = i + 1
    if i == index then token = line end
  end
  decided, empty, errors, case = 0, 0, 0, nil
  started = os.time()
end

function request()
  local h = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  if case then
    return wrk.format("POST", "/api/v1/review/cases/" .. case .. "/decision", h,
      '{"verdict":"no_violation","note":"bench"}')
  end
  return wrk.format("POST", "/api/v1/review/claim", h, '{"queue":"default"}')
end

function response(status, headers, body)
  if case then
    if status == 200 then decided = decided + 1 else errors = errors + 1 end
    case = nil
  elseif status == 200 then
    case = string.match(body, '"case":"(C%-[%w%-]+)"')
  elseif status == 204 then
    empty = empty + 1
  else
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local d, e, x = 0, 0, 0
  for _, t in ipairs(threads) do
    d = d + t:get("decided")
    e = e + t:get("empty")
    x = x + t:get("errors")
  end
  io.write(string.format("decisions: %d in %.3f s; empty claims: %d; errors: %d\n", d,
    summary.duration / 1e6, e, x))
end

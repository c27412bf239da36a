--[[
jubao's Redis Functions: every write of a report is one atomic call, so that a 202 means the
whole of it (case, report, queue entry, idempotency record) is stored, and a crash between
steps cannot leave half a report. Functions survive a Redis restart (scripts by SHA do not).

Keys all carry the hash tag {0} (built by lib/schema.h): everything one call touches sits in one
slot, so the same code runs on a single Redis and on a Redis Cluster. A case key is derived
inside jb_report from the prefix passed as ARGV, because which case a URL belongs to is only
known inside the call; it shares the tag, so it is in the same slot.
]]

-- A token bucket. prev (or nil) is the bucket of the same client under yesterday's pseudonym:
-- a bucket that does not exist yet starts from it, so that midnight refills nothing.
local function take_token(key, cap, window_ms, now, prev)
  if cap <= 0 then return 0 end
  local b = redis.call('HMGET', key, 't', 'ts')
  if not b[1] and prev and prev ~= key then b = redis.call('HMGET', prev, 't', 'ts') end
  local tokens = tonumber(b[1]) or cap
  local ts = tonumber(b[2]) or now
  local rate = cap / window_ms
  if now > ts then tokens = math.min(cap, tokens + (now - ts) * rate) end
  if tokens < 1 then
    return math.max(1, math.ceil((1 - tokens) / rate / 1000))
  end
  redis.call('HSET', key, 't', tostring(tokens - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', key, window_ms)
  return 0
end

-- The comma-separated list old with the items of new that it lacks appended.
local function merge_list(old, new)
  if new == '' then return old or '' end
  if not old or old == '' then return new end
  local seen, out = {}, {}
  for item in string.gmatch(old .. ',' .. new, '[^,]+') do
    if not seen[item] then seen[item] = true; out[#out + 1] = item end
  end
  return table.concat(out, ',')
end

-- The suggestions with scores old and new ("cat:score:source,...", rules/triage.h) as one
-- list: each category once, with the higher of its scores (and that score's source),
-- strongest first.
local function merge_scores(old, new)
  if new == '' then return old or '' end
  if not old or old == '' then return new end
  local best, order = {}, {}
  for item in string.gmatch(old .. ',' .. new, '[^,]+') do
    local cat, score = string.match(item, '^([^:]+):([%d.]+)')
    if cat then
      local p = tonumber(score)
      if not best[cat] then order[#order + 1] = cat end
      if not best[cat] or p > best[cat].p then best[cat] = {p = p, item = item} end
    end
  end
  table.sort(order, function(a, b) return best[a].p > best[b].p end)
  local out = {}
  for i, cat in ipairs(order) do out[i] = best[cat].item end
  return table.concat(out, ',')
end

-- The open case for a URL, or nil. A case that was actioned is closed: a new report about
-- the same URL opens a new case. A case decided no_violation stays open for window_ms after
-- the decision, so that floods against cleared content join it instead of refilling the queue;
-- but a report that raises the stakes (an urgent category, or rules firing more severely than
-- on any report of the case) does not join it: the page may have changed since it was cleared
-- (bait-and-switch). Then the answer is nil and the cleared case, and that report opens a new
-- case, which the worker queues for review like any other.
local function open_case(prefix, url_key, now, window_ms, category, severity)
  local cid = redis.call('GET', url_key)
  if not cid then return nil end
  local c = redis.call('HMGET', prefix .. 'case:' .. cid, 'status', 'decided_ms', 'severity')
  if c[1] == false or c[1] == 'actioned' then return nil end
  if c[1] == 'no_violation' then
    if now - (tonumber(c[2]) or 0) > window_ms then return nil end
    if URGENT[category] or severity > (tonumber(c[3]) or 0) then return nil, cid end
  end
  return cid
end

-- Adds the decision on report rid to the feed of the platform that filed it, if one did. The
-- feed is under fprefix (the global prefix: one feed per platform whatever the report's shard;
-- prefix when nil).
local function feed_add(prefix, rid, cid, verdict, category, at, fprefix)
  local r = redis.call('HMGET', prefix .. 'report:' .. rid, 'platform', 'platform_ref')
  if not r[1] or r[1] == '' then return end
  redis.call('XADD', (fprefix or prefix) .. 'decisions:' .. r[1], '*', 'report', rid, 'case', cid,
    'verdict', verdict, 'category', category, 'decided_at', at, 'platform_ref', r[2] or '')
end


--[[ Workers and review.

intake (stream, group WORKERS) -> jb_route -> review:<queue>:<band> (streams, group
REVIEWERS; bands BANDS - 1 highest .. 0) -> jb_claim -> a lease -> jb_decide.

A lease is case fields lease_holder, lease_until (ms, Redis' clock), lease_stream, lease_entry
and lease_queue, plus the case in the sorted set leases:<queue> scored by lease_until. The
queue entry stays pending for its holder until the decision acknowledges and deletes it; a
lease that ran out (or was released: score 0) is found in the sorted set by the next claim.
Lease times come from Redis' TIME, so that every gateway agrees on them. ]]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function queue_key(prefix, queue, band)
  return prefix .. 'review:' .. queue .. ':' .. band
end

-- Adds the case to a queue's band; returns the entry's id.
local function queue_add(prefix, queue, band, cid)
  local k = queue_key(prefix, queue, band)
  if redis.call('EXISTS', k) == 0 then
    redis.call('XGROUP', 'CREATE', k, REVIEWERS, '0', 'MKSTREAM')
  end
  return redis.call('XADD', k, '*', 'case', cid)
end

-- The name and role of the reviewer of a live session, or nil (unknown, expired, disabled).
local function session_of(prefix, skey)
  local name = redis.call('HGET', skey, 'name')
  if not name then return nil end
  local r = redis.call('HMGET', prefix .. 'reviewer:' .. name, 'disabled', 'role')
  if r[1] ~= '0' then return nil end
  return name, r[2]
end

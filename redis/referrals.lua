--[[ Handlers and referrals (docs/API.md, "Handlers"). A handler is handler:<name> {name,
domains, categories (comma-separated; either may be ''), disabled, created_at, webhook ('' or
a URL; hook_ok, hook_failed: its deliveries, hooks.lua)}, indexed by
hdomain:<registrable domain> and hcat:<category>. All of them, and every referral, sit under
the handlers' prefix H (lib/global.h: one slot), because routing a case reads every handler that
may match it in one call, and a referral is made once per actioned decision and handler: few.

A referral is referral:<rid> {handler, case, deadline_ms, created_at, cursor (its feed entry's
id), outcome, outcome_at, outcome_note, hook_n_tries, hook_d_tries}, an entry of its
handler's stream referrals:<handler> (the handler's feed), and, while it has no outcome, a
member of ref_open scored by its deadline. What a handler sees of the case is copied once
into rcase:<case> {url, domain, category, severity, note, prefix (the case's shard's),
deadline_ms}, rcase:<case>:desc (the reviewers' redacted descriptions) and
rcase:<case>:feeds (platform, report, platform_ref of the platforms that filed it);
rcase:<case>:tried holds the handlers the case was referred to, rcase:<case>:open its referrals
without an outcome. A case no handler takes waits in unrouted (scored by the time).

Every referral and outcome is an event of ref_events (scored by the time) until the gateway has
appended it to the audit chain (jb_audit, once per event id) and, for an outcome, written it to
the case (jb_case_outcome); jb_ref_done then clears it. A gateway that stopped between them
leaves the event, which any gateway's auditor completes (jb_ref_events). ]]

local REF_DID_TTL = 30 * 86400
local KEEP_MS = 400 * 86400 * 1000     -- a handler's feed: above the longest retention_days
local LIST_SCAN = 10000                -- overdue referrals counted for /metrics, at most

local function csv(s)
  local out = {}
  for item in string.gmatch(s or '', '[^,]+') do out[#out + 1] = item end
  return out
end

local function has(list, item)
  for _, v in ipairs(list) do if v == item then return true end end
  return false
end

-- Whether handler record h (HMGET domains, categories, disabled) takes a case of domain and
-- category: a platform by its domains, an agency by its categories (and its domains, if any).
local function takes(h, domain, category)
  if h[3] ~= '0' then return false end
  local doms, cats = csv(h[1]), csv(h[2])
  if #cats > 0 and not has(cats, category) then return false end
  if #doms > 0 and not has(doms, domain) then return false end
  return #cats > 0 or #doms > 0
end

--[[ A handler with a webhook gets each new referral pushed (hooks.lua): member 'n:<rid>' of
hook_due, due now, and 'd:<rid>', due at its deadline (sent only if it still has no outcome
then). The score of a member is when it is due, or the end of a gateway's lease on it. ]]
local function hook_schedule(H, name, rid, now, deadline)
  local url = redis.call('HGET', H .. 'handler:' .. name, 'webhook')
  if url and url ~= '' then
    redis.call('ZADD', H .. 'hook_due', now, 'n:' .. rid)
    redis.call('ZADD', H .. 'hook_due', deadline, 'd:' .. rid)
  end
end

-- Refers case cid to every enabled handler that takes it and has not had it; to unrouted when
-- none has an open referral of it then. Returns the number of referrals made.
local function route(H, cid, now, iso)
  local rk = H .. 'rcase:' .. cid
  local c = redis.call('HMGET', rk, 'domain', 'category', 'deadline_ms')
  local keep = redis.call('TTL', rk)
  local names = redis.call('SUNION', H .. 'hdomain:' .. (c[1] or ''), H .. 'hcat:' .. (c[2] or ''))
  table.sort(names)
  local made = 0
  for _, name in ipairs(names) do
    local h = redis.call('HMGET', H .. 'handler:' .. name, 'domains', 'categories', 'disabled')
    if redis.call('SISMEMBER', rk .. ':tried', name) == 0 and takes(h, c[1], c[2]) then
      local rid = tostring(redis.call('INCR', H .. 'referral_seq'))
      redis.call('HSET', H .. 'referral:' .. rid, 'handler', name, 'case', cid,
        'deadline_ms', c[3], 'created_at', iso)
      if keep > 0 then redis.call('EXPIRE', H .. 'referral:' .. rid, keep) end
      -- the feed keeps what the retention keeps: entries older than it go as new ones come
      local sid = redis.call('XADD', H .. 'referrals:' .. name, 'MINID', '~',
        tostring(now - KEEP_MS), '*', 'referral', rid)
      redis.call('HSET', H .. 'referral:' .. rid, 'cursor', sid)
      redis.call('HINCRBY', H .. 'handler:' .. name, 'open', 1)
      redis.call('ZADD', H .. 'ref_open', tonumber(c[3]), rid)
      redis.call('SADD', rk .. ':tried', name)
      redis.call('SADD', rk .. ':open', rid)
      if keep > 0 then
        redis.call('EXPIRE', rk .. ':tried', keep)
        redis.call('EXPIRE', rk .. ':open', keep)
      end
      redis.call('ZADD', H .. 'ref_events', now, 'r:' .. rid)
      hook_schedule(H, name, rid, now, tonumber(c[3]))
      made = made + 1
    end
  end
  if redis.call('SCARD', rk .. ':open') == 0 then
    redis.call('ZADD', H .. 'unrouted', now, cid)
  else
    redis.call('ZREM', H .. 'unrouted', cid)
  end
  return made
end

--[[ jb_handler_add  ARGV: 1 H  2 name  3 domains  4 categories  5 key hash  6 now iso
      7 webhook URL ('' none; checked by the caller)
Returns 'ok' | 'exists'. ]]
local function jb_handler_add(keys, args)
  local H, name = args[1], args[2]
  local hk = H .. 'handler:' .. name
  if redis.call('EXISTS', hk) == 1 then return 'exists' end
  redis.call('HSET', hk, 'name', name, 'domains', args[3], 'categories', args[4],
    'key', args[5], 'disabled', '0', 'created_at', args[6], 'webhook', args[7] or '')
  redis.call('SADD', H .. 'handlers', name)
  for _, d in ipairs(csv(args[3])) do redis.call('SADD', H .. 'hdomain:' .. d, name) end
  for _, c in ipairs(csv(args[4])) do redis.call('SADD', H .. 'hcat:' .. c, name) end
  return 'ok'
end

--[[ jb_handler_disable  ARGV: 1 H  2 name  3 now iso
Returns 'ok' | 'unknown'. Every handler call checks the flag, so it takes effect at once. ]]
local function jb_handler_disable(keys, args)
  local hk = args[1] .. 'handler:' .. args[2]
  if redis.call('EXISTS', hk) == 0 then return 'unknown' end
  redis.call('HSET', hk, 'disabled', '1', 'disabled_at', args[3])
  return 'ok'
end

--[[ jb_handler_list  ARGV: 1 H
Returns {'ok', then for each handler by name: name, domains, categories, disabled, referrals
without an outcome, '1' when it has a webhook else '0'}. ]]
local function jb_handler_list(keys, args)
  local H = args[1]
  local names = redis.call('SMEMBERS', H .. 'handlers')
  table.sort(names)
  local out = {'ok'}
  for _, name in ipairs(names) do
    local h = redis.call('HMGET', H .. 'handler:' .. name, 'domains', 'categories', 'disabled',
      'open', 'webhook')
    out[#out + 1] = name
    for i = 1, 4 do out[#out + 1] = h[i] or '0' end
    out[#out + 1] = (h[5] and h[5] ~= '') and '1' or '0'
  end
  return out
end

--[[ jb_case_brief  ARGV: 1 prefix (the case's shard's)  2 case  3 descriptions at most
What a referral shows of an actioned case: {'ok', url, domain, category decided, severity,
seconds the case has left (retention_days), then the redacted descriptions of its latest
reports (those not empty)} | {'not_found'}. ]]
local function jb_case_brief(keys, args)
  local ck = args[1] .. 'case:' .. args[2]
  local c = redis.call('HMGET', ck, 'url', 'domain', 'decision_category', 'category', 'severity')
  if not c[1] then return {'not_found'} end
  local out = {'ok', c[1], c[2] or '', c[3] or c[4] or '', c[5] or '0',
    tostring(redis.call('TTL', ck))}
  for _, rid in ipairs(redis.call('LRANGE', ck .. ':reports', -tonumber(args[3]), -1)) do
    local d = redis.call('HGET', args[1] .. 'report:' .. rid, 'description_redacted')
    if d and d ~= '' then out[#out + 1] = d end
  end
  return out
end

--[[ jb_refer  ARGV: 1 H  2 decision id  3 case  4 the case's shard prefix  5 url  6 domain
      7 category  8 severity  9 the decision's note  10 now ms  11 now iso  12 deadline ms
      13 seconds to keep (the case's time left; -1 none)  14 number of descriptions, then them
      then the number of feed entries, then platform, report, platform_ref of each
Refers an actioned case, once per decision id (a second call answers 'already'). What it
keeps of the case, and its referrals, expire with the case.
Returns {'ok', referrals made} | {'already'}. ]]
local function jb_refer(keys, args)
  local H, did, cid = args[1], args[2], args[3]
  if redis.call('SET', H .. 'referdid:' .. did, '1', 'NX', 'EX', REF_DID_TTL) == false then
    return {'already'}
  end
  local rk = H .. 'rcase:' .. cid
  redis.call('DEL', rk, rk .. ':desc', rk .. ':feeds', rk .. ':tried', rk .. ':open')
  redis.call('HSET', rk, 'url', args[5], 'domain', args[6], 'category', args[7],
    'severity', args[8], 'note', args[9], 'prefix', args[4], 'deadline_ms', args[12])
  local n = tonumber(args[14])
  for i = 15, 14 + n do redis.call('RPUSH', rk .. ':desc', args[i]) end
  local at = 15 + n
  for i = at + 1, at + 3 * tonumber(args[at]) do redis.call('RPUSH', rk .. ':feeds', args[i]) end
  local keep = tonumber(args[13])
  if keep > 0 then
    for _, k in ipairs({rk, rk .. ':desc', rk .. ':feeds'}) do redis.call('EXPIRE', k, keep) end
  end
  return {'ok', tostring(route(H, cid, tonumber(args[10]), args[11]))}
end

--[[ jb_referrals  ARGV: 1 H  2 handler (the live key's)  3 start (a stream id)  4 count
The handler's referrals from start on. Returns {'forbidden'} (no such handler, or disabled) |
{'ok', then for each: cursor, referral, case, url, category, severity, note, deadline ms,
number of descriptions, descriptions}. ]]
local function jb_referrals(keys, args)
  local H, name = args[1], args[2]
  if redis.call('HGET', H .. 'handler:' .. name, 'disabled') ~= '0' then return {'forbidden'} end
  local out = {'ok'}
  for _, e in ipairs(redis.call('XRANGE', H .. 'referrals:' .. name, args[3], '+', 'COUNT',
      tonumber(args[4]))) do
    local rid = e[2][2]
    local cid = redis.call('HGET', H .. 'referral:' .. rid, 'case')
    if cid then     -- else it expired with its case (retention_days)
      local rk = H .. 'rcase:' .. cid
      local c = redis.call('HMGET', rk, 'url', 'category', 'severity', 'note', 'deadline_ms')
      local desc = redis.call('LRANGE', rk .. ':desc', 0, -1)
      out[#out + 1] = e[1]; out[#out + 1] = rid; out[#out + 1] = cid
      for i = 1, 5 do out[#out + 1] = c[i] or '' end
      out[#out + 1] = tostring(#desc)
      for _, d in ipairs(desc) do out[#out + 1] = d end
    end
  end
  return out
end

--[[ jb_outcome  ARGV: 1 H  2 handler (the live key's)  3 referral  4 outcome  5 note  6 now ms
      7 now iso
Records the handler's outcome of its referral, once; not_ours routes the case again.
Returns {'ok'} | {'forbidden'} (handler unknown or disabled) | {'not_found'} (no such referral
of this handler) | {'conflict'} (it has an outcome). ]]
local function jb_outcome(keys, args)
  local H, name, rid = args[1], args[2], args[3]
  if redis.call('HGET', H .. 'handler:' .. name, 'disabled') ~= '0' then return {'forbidden'} end
  local fk = H .. 'referral:' .. rid
  local r = redis.call('HMGET', fk, 'handler', 'case', 'outcome')
  if r[1] ~= name then return {'not_found'} end
  if r[3] then return {'conflict'} end
  redis.call('HSET', fk, 'outcome', args[4], 'outcome_at', args[7], 'outcome_note', args[5])
  redis.call('ZREM', H .. 'ref_open', rid)
  redis.call('HINCRBY', H .. 'handler:' .. name, 'open', -1)
  redis.call('SREM', H .. 'rcase:' .. r[2] .. ':open', rid)
  redis.call('ZADD', H .. 'ref_events', tonumber(args[6]), 'o:' .. rid)
  if args[4] == 'not_ours' then route(H, r[2], tonumber(args[6]), args[7]) end
  return {'ok'}
end

-- The event ev ('r:<rid>' or 'o:<rid>') as prefix, outcome, by, then an audit record in
-- review.lua's audit_record layout (its id the event's), or nil when its referral is gone.
local function event_record(H, ev)
  local kind, rid = string.sub(ev, 1, 1), string.sub(ev, 3)
  local r = redis.call('HMGET', H .. 'referral:' .. rid, 'handler', 'case', 'deadline_ms',
    'created_at', 'outcome', 'outcome_at', 'outcome_note')
  if not r[1] then return nil end
  local rk = H .. 'rcase:' .. r[2]
  local c = redis.call('HMGET', rk, 'prefix', 'category')
  local h = redis.call('HGET', H .. 'handler:' .. r[1], 'categories')
  local by = (h and h ~= '') and 'agency' or 'platform'
  local feeds = kind == 'o' and redis.call('LRANGE', rk .. ':feeds', 0, -1) or {}
  local out
  if kind == 'r' then
    out = {c[1] or '', '', by, 'referral:' .. rid, r[2], r[4], 'referred', c[2] or '',
      c[2] or '', 'handler:' .. r[1], 'referral ' .. rid .. ' deadline_ms ' .. r[3]}
  else
    out = {c[1] or '', r[5], by, 'outcome:' .. rid, r[2], r[6], 'outcome:' .. r[5],
      c[2] or '', c[2] or '', 'handler:' .. r[1], 'referral ' .. rid .. ': ' .. (r[7] or '')}
  end
  out[#out + 1] = tostring(#feeds / 3)
  for _, f in ipairs(feeds) do out[#out + 1] = f end
  return out
end

--[[ jb_ref_events  ARGV: 1 H  2 age ms
The events older than age still to append to the audit chain, at most 10. Returns {'ok', then
for each: the case's shard prefix, outcome ('' for a referral), by ('platform' or 'agency'),
then its audit record (event id, case, at, verdict 'referred' or 'outcome:<outcome>',
category, category, 'handler:<name>', note, feed entries)}. ]]
local function jb_ref_events(keys, args)
  local H = args[1]
  local out = {'ok'}
  local upto = now_ms() - tonumber(args[2])
  for _, ev in ipairs(redis.call('ZRANGEBYSCORE', H .. 'ref_events', '-inf', upto,
      'LIMIT', 0, 10)) do
    local rec = event_record(H, ev)
    if rec then
      for _, v in ipairs(rec) do out[#out + 1] = v end
    else
      redis.call('ZREM', H .. 'ref_events', ev)
    end
  end
  return out
end

--[[ jb_ref_done  ARGV: 1 H  2 event id ('referral:<rid>' or 'outcome:<rid>')
Clears the event: it is in the audit chain (and in its case). Returns {'ok'}. ]]
local function jb_ref_done(keys, args)
  local kind, rid = string.match(args[2], '^(%a)%a*:(.+)$')
  if kind then redis.call('ZREM', args[1] .. 'ref_events', kind .. ':' .. rid) end
  return {'ok'}
end

--[[ jb_case_outcome  ARGV: 1 prefix (the case's shard's)  2 case  3 event id  4 outcome
      5 by  6 at iso
Writes an outcome to the case, where its reporters' status reads it, once per event.
Returns {'ok'}. ]]
local function jb_case_outcome(keys, args)
  local ck = args[1] .. 'case:' .. args[2]
  local ttl = redis.call('TTL', ck)
  if ttl == -2 then return {'ok'} end   -- the case expired (retention_days)
  if redis.call('HSETNX', ck .. ':outcome_ids', args[3], '1') == 1 then
    redis.call('RPUSH', ck .. ':outcomes', args[4] .. ' ' .. args[5] .. ' ' .. args[6])
  end
  if ttl > 0 then
    redis.call('EXPIRE', ck .. ':outcome_ids', ttl)
    redis.call('EXPIRE', ck .. ':outcomes', ttl)
  end
  return {'ok'}
end

--[[ jb_referral_lists  ARGV: 1 H  2 now ms  3 which: 'overdue' | 'unrouted'  4 count
overdue: {'ok', then for each referral past its deadline, most overdue first: referral,
handler, case, deadline ms}; unrouted: {'ok', then for each case: case, url, category,
severity, since ms}. ]]
local function jb_referral_lists(keys, args)
  local H, now = args[1], tonumber(args[2])
  local out = {'ok'}
  if args[3] == 'overdue' then
    for _, rid in ipairs(redis.call('ZRANGEBYSCORE', H .. 'ref_open', '-inf', now,
        'LIMIT', 0, tonumber(args[4]))) do
      local r = redis.call('HMGET', H .. 'referral:' .. rid, 'handler', 'case', 'deadline_ms')
      if r[1] then
        out[#out + 1] = rid
        for i = 1, 3 do out[#out + 1] = r[i] end
      end
    end
    return out
  end
  local u = redis.call('ZRANGE', H .. 'unrouted', 0, tonumber(args[4]) - 1, 'WITHSCORES')
  for i = 1, #u, 2 do
    local c = redis.call('HMGET', H .. 'rcase:' .. u[i], 'url', 'category', 'severity')
    out[#out + 1] = u[i]
    for k = 1, 3 do out[#out + 1] = c[k] or '' end
    out[#out + 1] = u[i + 1]
  end
  return out
end

--[[ jb_referral_stats  ARGV: 1 H  2 now ms
Returns {'ok', then for each handler with overdue referrals: name, how many} (of the first
LIST_SCAN overdue referrals: the count is a bound when more are overdue). ]]
local function jb_referral_stats(keys, args)
  local H = args[1]
  local count, order = {}, {}
  for _, rid in ipairs(redis.call('ZRANGEBYSCORE', H .. 'ref_open', '-inf', tonumber(args[2]),
      'LIMIT', 0, LIST_SCAN)) do
    local name = redis.call('HGET', H .. 'referral:' .. rid, 'handler')
    if name then
      if not count[name] then count[name] = 0; order[#order + 1] = name end
      count[name] = count[name] + 1
    end
  end
  table.sort(order)
  local out = {'ok'}
  for _, name in ipairs(order) do out[#out + 1] = name; out[#out + 1] = tostring(count[name]) end
  return out
end

redis.register_function('jb_handler_add', jb_handler_add)
redis.register_function('jb_handler_disable', jb_handler_disable)
redis.register_function{function_name = 'jb_handler_list', callback = jb_handler_list,
  flags = {'no-writes'}}
redis.register_function{function_name = 'jb_case_brief', callback = jb_case_brief,
  flags = {'no-writes'}}
redis.register_function('jb_refer', jb_refer)
redis.register_function{function_name = 'jb_referrals', callback = jb_referrals,
  flags = {'no-writes'}}
redis.register_function('jb_outcome', jb_outcome)
redis.register_function('jb_ref_events', jb_ref_events)
redis.register_function('jb_ref_done', jb_ref_done)
redis.register_function('jb_case_outcome', jb_case_outcome)
redis.register_function{function_name = 'jb_referral_lists', callback = jb_referral_lists,
  flags = {'no-writes'}}
redis.register_function{function_name = 'jb_referral_stats', callback = jb_referral_stats,
  flags = {'no-writes'}}

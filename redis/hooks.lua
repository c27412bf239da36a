--[[ Webhooks: each new referral pushed to its handler's webhook, and once more when it is
overdue (docs/API.md, "Webhooks"). Loaded after referrals.lua, under the same handlers' prefix
H. hook_due holds what is to send, scored by when: 'n:<rid>' (the new referral) and 'd:<rid>'
(overdue: due at its deadline, dropped if an outcome came first), both put there by route.

A gateway's webhook thread claims a due member with jb_hook_claim, which moves its score to
the end of a lease, so that no other gateway sends it meanwhile, and counts the try in the
referral (hook_n_tries or hook_d_tries). It then reports with jb_hook_result: sent (member
gone, counted in hook_ok), or failed (counted in hook_failed, due again after the backoff the
gateway chose, or gone when it gave up). A gateway that stopped while sending leaves its
member, due again when the lease ends: a delivery is at least once, never twice at once. ]]

--[[ jb_handler_webhook  ARGV: 1 H  2 name  3 webhook URL ('' clears; checked by the caller)
Returns {'ok', the handler's created_at (its secret's)} | {'unknown'}. Referrals made before
are pushed only if it had a webhook then. ]]
local function jb_handler_webhook(keys, args)
  local hk = args[1] .. 'handler:' .. args[2]
  if redis.call('EXISTS', hk) == 0 then return {'unknown'} end
  redis.call('HSET', hk, 'webhook', args[3])
  return {'ok', redis.call('HGET', hk, 'created_at')}
end

--[[ jb_hook_claim  ARGV: 1 H  2 now ms  3 lease ms
Claims the earliest due member. Returns {'empty'} | {'ok', member, handler, webhook, the
handler's created_at, tries (this one included), lease end ms, then the referral as
jb_referrals gives it: cursor, referral, case, url, category, severity, note, deadline ms,
number of descriptions, descriptions}. Members whose referral, handler or webhook is gone,
and overdue ones with an outcome, are dropped on the way. ]]
local function jb_hook_claim(keys, args)
  local H, now = args[1], tonumber(args[2])
  local due = H .. 'hook_due'
  for _ = 1, 20 do
    local m = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, 1)[1]
    if not m then return {'empty'} end
    local kind, rid = string.sub(m, 1, 1), string.sub(m, 3)
    local fk = H .. 'referral:' .. rid
    local r = redis.call('HMGET', fk, 'handler', 'case', 'outcome', 'cursor')
    local h = r[1] and redis.call('HMGET', H .. 'handler:' .. r[1], 'webhook', 'disabled',
      'created_at') or {}
    if not r[1] or not h[1] or h[1] == '' or h[2] ~= '0' or (kind == 'd' and r[3]) then
      redis.call('ZREM', due, m)
    else
      local tries = redis.call('HINCRBY', fk, 'hook_' .. kind .. '_tries', 1)
      local until_ms = now + tonumber(args[3])
      redis.call('ZADD', due, until_ms, m)
      local rk = H .. 'rcase:' .. r[2]
      local c = redis.call('HMGET', rk, 'url', 'category', 'severity', 'note', 'deadline_ms')
      local desc = redis.call('LRANGE', rk .. ':desc', 0, -1)
      local out = {'ok', m, r[1], h[1], h[3] or '', tostring(tries), tostring(until_ms),
        r[4] or '', rid, r[2]}
      for i = 1, 5 do out[#out + 1] = c[i] or '' end
      out[#out + 1] = tostring(#desc)
      for _, d in ipairs(desc) do out[#out + 1] = d end
      return out
    end
  end
  return {'empty'}
end

--[[ jb_hook_result  ARGV: 1 H  2 member  3 lease end ms (the claim's)  4 'sent' | 'failed'
      5 due again at ms ('' gives up)
Counts the delivery in the handler; reschedules or drops the member unless another gateway
claimed it since (its lease ended). Returns {'ok'} | {'already'}. ]]
local function jb_hook_result(keys, args)
  local H, m = args[1], args[2]
  local due = H .. 'hook_due'
  local name = redis.call('HGET', H .. 'referral:' .. string.sub(m, 3), 'handler')
  if name then
    redis.call('HINCRBY', H .. 'handler:' .. name, args[4] == 'sent' and 'hook_ok' or
      'hook_failed', 1)
  end
  if redis.call('ZSCORE', due, m) ~= args[3] then return {'already'} end
  if args[4] == 'sent' or args[5] == '' then
    redis.call('ZREM', due, m)
  else
    redis.call('ZADD', due, tonumber(args[5]), m)
  end
  return {'ok'}
end

--[[ jb_hook_stats  ARGV: 1 H
Returns {'ok', then for each handler with a webhook or deliveries, by name: name, sent,
failed}. ]]
local function jb_hook_stats(keys, args)
  local H = args[1]
  local names = redis.call('SMEMBERS', H .. 'handlers')
  table.sort(names)
  local out = {'ok'}
  for _, name in ipairs(names) do
    local h = redis.call('HMGET', H .. 'handler:' .. name, 'webhook', 'hook_ok', 'hook_failed')
    if (h[1] and h[1] ~= '') or h[2] or h[3] then
      out[#out + 1] = name; out[#out + 1] = h[2] or '0'; out[#out + 1] = h[3] or '0'
    end
  end
  return out
end

redis.register_function('jb_handler_webhook', jb_handler_webhook)
redis.register_function('jb_hook_claim', jb_hook_claim)
redis.register_function('jb_hook_result', jb_hook_result)
redis.register_function{function_name = 'jb_hook_stats', callback = jb_hook_stats,
  flags = {'no-writes'}}

--[[ Review deadlines (docs/API.md, "Review"): a queue entry's deadline is its time (when the
case entered the band: its queueing, a re-weighing into a higher band, an escalation) plus its
band's time, review_deadline_band<N>, which the gateway passes in seconds, band 0 first. It is
computed, not stored, so that entries from before deadlines have one, and it follows the
configuration. Within a band the stream order is therefore the deadline order: the heads of
the bands and the ended leases are all a claim compares. ]]
local DEADLINE_DEFAULTS = {259200, 86400, 14400, 3600}

-- The bands' times in ms from args[at] on (band 0 first; the defaults when absent).
local function band_times(args, at)
  local d = {}
  for b = 0, BANDS - 1 do
    d[b] = (tonumber(args[at + b]) or DEADLINE_DEFAULTS[b + 1]) * 1000
  end
  return d
end

-- The deadline (ms) of stream entry id of a band.
local function entry_deadline(id, band, times)
  return tonumber(string.match(id, '^(%d+)')) + times[band]
end

-- Whether candidate a ({deadline, band, entry}) goes before b: the earlier deadline, then the
-- higher band, then the older entry.
local function before(a, b)
  if not b then return true end
  if a[1] ~= b[1] then return a[1] < b[1] end
  if a[2] ~= b[2] then return a[2] > b[2] end
  local am, as = string.match(a[3], '^(%d+)-(%d+)$')
  local bm, bs = string.match(b[3], '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end

-- The next entry of stream k not yet delivered to the reviewers, or nil.
local function band_head(k)
  if redis.call('EXISTS', k) == 0 then return nil end
  local last = '0-0'
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', k)) do
    local f = {}
    for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
    if f['name'] == REVIEWERS then last = f['last-delivered-id'] end
  end
  local e = redis.call('XRANGE', k, '(' .. last, '+', 'COUNT', 1)[1]
  return e and e[1]
end

-- What a claim of queue takes first: {deadline, band, entry, stream, case of an ended lease
-- (nil for a band's head)}, or nil. Looks at the first ten ended leases (by their end) and
-- each band's head: bounded work. tidy (a claim's): drops the ended leases of cases that
-- expired under them (retention_days); a peek (no writes) puts such a lease first instead.
local function best_candidate(prefix, queue, times, now, tidy)
  local best
  local lk = prefix .. 'leases:' .. queue
  for _, cid in ipairs(redis.call('ZRANGEBYSCORE', lk, '-inf', now, 'LIMIT', 0, 10)) do
    local c = redis.call('HMGET', prefix .. 'case:' .. cid, 'lease_stream', 'lease_entry')
    if c[1] and c[2] then
      local band = tonumber(string.match(c[1], ':(%d+)$')) or 0
      local cand = {entry_deadline(c[2], band, times), band, c[2], c[1], cid}
      if before(cand, best) then best = cand end
    elseif tidy then
      redis.call('ZREM', lk, cid)
    else          -- a peek sends the claim there first, to drop it
      best = {0, BANDS, '0-0'}
    end
  end
  for band = BANDS - 1, 0, -1 do
    local k = queue_key(prefix, queue, band)
    local id = band_head(k)
    if id then
      local cand = {entry_deadline(id, band, times), band, id, k}
      if before(cand, best) then best = cand end
    end
  end
  return best
end

-- Takes candidate cand for reviewer name: the ended lease's entry claimed, or the band's head
-- delivered. Returns case id, stream, entry id; or nil (an entry without a case).
local function take(cand, name)
  if cand[5] then
    redis.call('XCLAIM', cand[4], REVIEWERS, name, 0, cand[3], 'JUSTID')
    return cand[5], cand[4], cand[3]
  end
  local r = redis.call('XREADGROUP', 'GROUP', REVIEWERS, name, 'COUNT', 1, 'STREAMS', cand[4],
    '>')
  local e = r and r[1] and r[1][2][1]
  if not e then return nil end
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  return f['case'], cand[4], e[1]
end

--[[ jb_peek  ARGV: 1 prefix (a shard's)  2 queue  3.. the bands' deadline times (band 0 first)
What a claim on this shard would take first, without taking it (docs/SCALING.md, review across
shards): {deadline ms, band, entry id}, {'', '', ''} when the queue is empty. ]]
local function jb_peek(keys, args)
  local cand = best_candidate(args[1], args[2], band_times(args, 3), now_ms())
  if not cand then return {'', '', ''} end
  return {tostring(cand[1]), tostring(cand[2]), cand[3]}
end

--[[ jb_claim  ARGV: 1 prefix (the shard's)  2 queue  3 lease ms  4 now iso  5 reports to show
      6 reviewer (of a live session: the gateway resolved it with jb_whoami; the role for the
      escalated queue is checked there too)  7.. the bands' deadline times (band 0 first)
The case with the earliest review deadline (above), an ended lease's or a band's next.
Returns {'unauthorized'} | {'forbidden'} | {'empty'} | {'ok', case, lease until ms, queue,
category, suggested, rule_hits, severity, band, reports, reporters, created_at,
suggested_scores, deadline ms, now ms, then canonical url, redacted title, redacted description,
evidence type ('' none) and report id for each report shown}. ]]
local function jb_claim(keys, args)
  local prefix, queue, name = args[1], args[2], args[6]
  local now = now_ms()
  local times = band_times(args, 7)
  for _ = 1, 100 do
    local cand = best_candidate(prefix, queue, times, now, true)
    if not cand then return {'empty'} end
    local cid, stream, entry = take(cand, name)
    if cid then
      local ck = prefix .. 'case:' .. cid
      local status = redis.call('HGET', ck, 'status')
      if status == 'received' or status == 'in_review' then
        local lease_until = now + tonumber(args[3])
        redis.call('HSET', ck, 'lease_holder', name, 'lease_until', lease_until,
          'lease_stream', stream, 'lease_entry', entry, 'lease_queue', queue)
        if status == 'received' then
          redis.call('HSET', ck, 'status', 'in_review', 'updated_at', args[4])
        end
        redis.call('ZADD', prefix .. 'leases:' .. queue, lease_until, cid)
        local c = redis.call('HMGET', ck, 'category', 'suggested', 'rule_hits', 'severity', 'band',
          'reports', 'reporters', 'created_at', 'suggested_scores')
        local out = {'ok', cid, tostring(lease_until), queue}
        for i = 1, 9 do out[#out + 1] = c[i] or '' end
        out[#out + 1] = tostring(cand[1]); out[#out + 1] = tostring(now)
        for _, rid in ipairs(redis.call('LRANGE', ck .. ':reports', -tonumber(args[5]), -1)) do
          local r = redis.call('HMGET', prefix .. 'report:' .. rid, 'canonical', 'title_redacted',
            'description_redacted', 'evidence_type')
          for i = 1, 4 do out[#out + 1] = r[i] or '' end
          out[#out + 1] = rid
        end
        return out
      end
      -- decided, or gone: the entry is spent
      redis.call('XACK', stream, REVIEWERS, entry)
      redis.call('XDEL', stream, entry)
      redis.call('ZREM', prefix .. 'leases:' .. queue, cid)
    end
  end
  return {'empty'}
end

-- The case's lease fields and whether name holds it live: returns fields, holds, live.
local function lease_of(ck, name, now)
  local c = redis.call('HMGET', ck, 'status', 'lease_holder', 'lease_until', 'lease_stream',
    'lease_entry', 'lease_queue', 'category')
  local live = c[2] and tonumber(c[3]) > now
  return c, live and c[2] == name, live
end

--[[ jb_lease  ARGV: 1 prefix (the case's shard's)  2 case  3 renew | release | break  4 lease ms
      5 reviewer (of a live session, as jb_claim's; a break's supervisor role checked before)
renew and release are for the holder of a live lease; break of anyone's.
Returns {'ok', lease until ms ('0' when ended)} | {'not_found'} | {'conflict'}. ]]
local function jb_lease(keys, args)
  local prefix, cid, action, name = args[1], args[2], args[3], args[5]
  local ck = prefix .. 'case:' .. cid
  local now = now_ms()
  local c, holds, live = lease_of(ck, name, now)
  if not c[1] then return {'not_found'} end
  if not (holds or (action == 'break' and live)) then return {'conflict'} end
  local lk = prefix .. 'leases:' .. c[6]
  if action == 'renew' then
    local lease_until = now + tonumber(args[4])
    redis.call('HSET', ck, 'lease_until', lease_until)
    redis.call('ZADD', lk, lease_until, cid)
    return {'ok', tostring(lease_until)}
  end
  redis.call('HDEL', ck, 'lease_holder', 'lease_until')
  redis.call('ZADD', lk, 0, cid)
  return {'ok', '0'}
end

--[[ jb_evidence  ARGV: 1 prefix (the case's shard's)  2 case  3 report  4 reviewer (as jb_claim's)
The evidence image of a report of the case, for the holder of the case's live lease.
Returns {'ok', type, encrypted bytes} | {'not_found'} | {'conflict'}. ]]
local function jb_evidence(keys, args)
  local prefix, name = args[1], args[4]
  local c, holds = lease_of(prefix .. 'case:' .. args[2], name, now_ms())
  if not c[1] then return {'not_found'} end
  if not holds then return {'conflict'} end
  local r = redis.call('HMGET', prefix .. 'report:' .. args[3], 'case', 'evidence_type', 'evidence')
  if r[1] ~= args[2] or not r[2] then return {'not_found'} end
  return {'ok', r[2], r[3]}
end

--[[ jb_whoami  KEYS: 1 session:<token hash>  ARGV: 1 prefix (the session's: its reviewer's
record is beside it, lib/global.h)
Returns {'ok', reviewer name, role} | {'unauthorized'}. ]]
local function jb_whoami(keys, args)
  local name, role = session_of(args[1], keys[1])
  if not name then return {'unauthorized'} end
  return {'ok', name, role or ''}
end

--[[ A decision takes two calls (docs/SCALING.md, "Decisions on several shards"): jb_decide
writes the case in its shard and leaves on it the decision's pending audit record (fields
audit_*, and the case in the shard's sorted set audit_pending, scored by the time); jb_audit
then writes the audit entry, the platforms' feeds and the count on the audit chain's slot, once
per decision id; jb_audited clears the record. A gateway that stopped between them leaves the
record, which any gateway's auditor completes (jb_audit_pending), so no decided case lacks its
entry, and the chain never skips: jb_audit appends only on the head it was hashed on. ]]

-- The pending audit record of case cid as a reply's tail: decision id, case, at, verdict,
-- category asked ('' the case's), category decided, reviewer, note, then the number of feed
-- entries and for each: platform, report, platform_ref. Nil when there is none.
local function audit_record(prefix, cid)
  local ck = prefix .. 'case:' .. cid
  local a = redis.call('HMGET', ck, 'audit_did', 'audit_at', 'audit_verdict', 'audit_category',
    'audit_decided', 'audit_reviewer', 'audit_note')
  if not a[1] then return nil end
  local out = {a[1], cid, a[2], a[3], a[4], a[5], a[6], a[7]}
  local feeds = {}
  if a[3] ~= 'escalate' then
    for _, rid in ipairs(redis.call('LRANGE', ck .. ':platform_reports', 0, -1)) do
      local r = redis.call('HMGET', prefix .. 'report:' .. rid, 'platform', 'platform_ref')
      if r[1] and r[1] ~= '' then
        feeds[#feeds + 1] = r[1]; feeds[#feeds + 1] = rid; feeds[#feeds + 1] = r[2] or ''
      end
    end
  end
  out[#out + 1] = tostring(#feeds / 3)
  for _, f in ipairs(feeds) do out[#out + 1] = f end
  return out
end

local function answer_with(word, rec)
  local out = {word}
  for _, v in ipairs(rec) do out[#out + 1] = v end
  return out
end

--[[ jb_decide  ARGV: 1 prefix (the case's shard's: the case, its reports and queue entry)
      2 case  3 verdict  4 category ('' keeps the case's)  5 note  6 now iso  7 reviewer (of a
      live session, as jb_claim's)
Decides the case of a live lease held by the reviewer: writes the case, ends the lease and its
queue entry, and leaves the decision's pending audit record (above) for jb_audit. Again by the
same reviewer once the lease has ended with the decision (a retry after a failed jb_audit), it
answers the pending record without deciding again.
Returns {'ok', record} | {'queued', record of an earlier decision of the case still to audit:
audit it, then call again} | {'not_found'} | {'conflict'}. ]]
local function jb_decide(keys, args)
  local prefix, cid, verdict, iso, name = args[1], args[2], args[3], args[6], args[7]
  local ck = prefix .. 'case:' .. cid
  local now = now_ms()
  local c, holds = lease_of(ck, name, now)
  if not c[1] then return {'not_found'} end
  local pending = audit_record(prefix, cid)
  if pending and holds then return answer_with('queued', pending) end
  if pending and pending[7] == name then return answer_with('ok', pending) end
  if not holds then return {'conflict'} end
  redis.call('XACK', c[4], REVIEWERS, c[5])
  redis.call('XDEL', c[4], c[5])
  redis.call('ZREM', prefix .. 'leases:' .. c[6], cid)
  redis.call('HDEL', ck, 'lease_holder', 'lease_until', 'lease_stream', 'lease_entry',
    'lease_queue')
  local category = args[4] ~= '' and args[4] or c[7]
  if verdict == 'escalate' then
    redis.call('HSET', ck, 'queue', QUEUE_ESCALATED, 'escalated_at', iso, 'updated_at', iso)
    queue_add(prefix, QUEUE_ESCALATED, BANDS - 1, cid)
  else
    redis.call('HSET', ck, 'status', verdict, 'verdict', verdict, 'decision_category', category,
      'decided_at', iso, 'decided_ms', now, 'updated_at', iso)
  end
  local did = cid .. ':' .. redis.call('HINCRBY', ck, 'decisions', 1)
  redis.call('HSET', ck, 'audit_did', did, 'audit_at', iso, 'audit_verdict', verdict,
    'audit_category', args[4], 'audit_decided', category, 'audit_reviewer', name,
    'audit_note', args[5])
  redis.call('ZADD', prefix .. 'audit_pending', now, cid)
  return answer_with('ok', audit_record(prefix, cid))
end

--[[ jb_audit  KEYS: 1 the global prefix's stats  2 audit  3 audit:last  4 audit:did:<decision id>
ARGV: 1 the audit head the hash was made on  2 seq  3 hash  4 the global prefix (the feeds)
      5.. the pending record (jb_decide's)
Appends the decision's audit entry, its platforms' feed entries and its count, once per
decision id; or a referral's or an outcome's entry (verdict 'referred' or 'outcome:<outcome>':
redis/referrals.lua, jb_ref_events), an outcome's feed entries, and no count (KEYS[4] remembers it for AUDIT_DID_TTL seconds). When another decision got in
first the head has moved: {'retry', new head}, to hash again on it.
Returns {'ok'} | {'already'} (written before) | {'retry', head}. ]]
local AUDIT_DID_TTL = 7 * 86400
local function jb_audit(keys, args)
  if redis.call('EXISTS', keys[4]) == 1 then return {'already'} end
  local head = redis.call('GET', keys[3]) or ''
  if head ~= args[1] then return {'retry', head} end
  local did, cid, at, verdict, category, decided, name, note =
    args[5], args[6], args[7], args[8], args[9], args[10], args[11], args[12]
  local outcome = string.match(verdict, '^outcome:(.+)$')
  for i = 14, 13 + 3 * tonumber(args[13]), 3 do
    if outcome then       -- a handler's outcome (redis/referrals.lua, jb_ref_events)
      redis.call('XADD', args[4] .. 'decisions:' .. args[i], '*', 'report', args[i + 1],
        'case', cid, 'outcome', outcome, 'outcome_at', at, 'platform_ref', args[i + 2])
    else
      redis.call('XADD', args[4] .. 'decisions:' .. args[i], '*', 'report', args[i + 1],
        'case', cid, 'verdict', verdict, 'category', decided, 'decided_at', at,
        'platform_ref', args[i + 2])
    end
  end
  local prev = string.match(args[1], ' (%x+)$') or ''
  redis.call('XADD', keys[2], '*', 'seq', args[2], 'prev', prev, 'hash', args[3], 'at', at,
    'case', cid, 'verdict', verdict, 'category', category, 'reviewer', name, 'note', note)
  redis.call('SET', keys[3], args[2] .. ' ' .. args[3])
  redis.call('SET', keys[4], args[2], 'EX', AUDIT_DID_TTL)
  if not outcome and verdict ~= 'referred' then
    redis.call('HINCRBY', keys[1], 'decisions:' .. verdict, 1)
  end
  return {'ok'}
end

--[[ jb_audited  ARGV: 1 prefix (the case's shard's)  2 case  3 decision id
Clears the case's pending audit record of that decision (jb_audit wrote it). Returns {'ok'}. ]]
local function jb_audited(keys, args)
  local ck = args[1] .. 'case:' .. args[2]
  if redis.call('HGET', ck, 'audit_did') == args[3] then
    redis.call('HDEL', ck, 'audit_did', 'audit_at', 'audit_verdict', 'audit_category',
      'audit_decided', 'audit_reviewer', 'audit_note')
    redis.call('ZREM', args[1] .. 'audit_pending', args[2])
  end
  return {'ok'}
end

--[[ jb_audit_pending  ARGV: 1 prefix (a shard's)  2 age ms
The pending audit records of the shard older than age (a gateway stopped between jb_decide and
jb_audit), at most 10. Returns {'ok', record, record, ...}. ]]
local function jb_audit_pending(keys, args)
  local out = {'ok'}
  local k = args[1] .. 'audit_pending'
  local upto = now_ms() - tonumber(args[2])
  for _, cid in ipairs(redis.call('ZRANGEBYSCORE', k, '-inf', upto, 'LIMIT', 0, 10)) do
    local rec = audit_record(args[1], cid)
    if rec then
      for _, v in ipairs(rec) do out[#out + 1] = v end
    else
      redis.call('ZREM', k, cid)   -- the case expired (retention_days) or was cleared
    end
  end
  return out
end

--[[ jb_feed  KEYS: 1 decisions:<platform>  ARGV: 1 start (the first stream id to read)  2 count
The gateway checked the key first (jb_apikey_check: the key is in its own slot).
Returns {'ok', id, fields, id, fields, ...} of the platform's feed. ]]
local function jb_feed(keys, args)
  local out = {'ok'}
  for _, e in ipairs(redis.call('XRANGE', keys[1], args[1], '+', 'COUNT', tonumber(args[2]))) do
    out[#out + 1] = e[1]; out[#out + 1] = e[2]
  end
  return out
end

--[[ jb_review_stats  ARGV: 1 prefix  2.. the bands' deadline times (band 0 first)
Returns {dead letters, routed, data loss, actioned, no_violation, escalate, then for each queue:
name, length, leased, oldest entry's age ms (-1 when empty), entries past their deadline}.
The last is counted up to OVERDUE_MAX a band (bounded work per scrape): a band's entries past
their deadline are its oldest, those before (now - the band's time). ]]
local OVERDUE_MAX = 1000
local function jb_review_stats(keys, args)
  local prefix = args[1]
  local now = now_ms()
  local times = band_times(args, 2)
  local s = redis.call('HMGET', prefix .. 'stats', 'dead_letters', 'routed', 'data_loss',
    'decisions:actioned', 'decisions:no_violation', 'decisions:escalate')
  local out = {}
  for i = 1, 6 do out[i] = s[i] or '0' end
  for _, q in ipairs(QUEUES) do
    local len, oldest, overdue = 0, -1, 0
    for band = 0, BANDS - 1 do
      local k = queue_key(prefix, q, band)
      len = len + redis.call('XLEN', k)
      local first = redis.call('XRANGE', k, '-', '+', 'COUNT', 1)[1]
      if first then
        local age = now - tonumber(string.match(first[1], '^(%d+)'))
        if age > oldest then oldest = age end
        if age > times[band] then
          overdue = overdue + #redis.call('XRANGE', k, '-', tostring(now - times[band] - 1),
            'COUNT', OVERDUE_MAX)
        end
      end
    end
    out[#out + 1] = q; out[#out + 1] = tostring(len)
    out[#out + 1] = tostring(redis.call('ZCOUNT', prefix .. 'leases:' .. q, '(' .. now, '+inf'))
    out[#out + 1] = tostring(oldest)
    out[#out + 1] = tostring(overdue)
  end
  return out
end

redis.register_function{function_name = 'jb_peek', callback = jb_peek, flags = {'no-writes'}}
redis.register_function('jb_claim', jb_claim)
redis.register_function('jb_lease', jb_lease)
redis.register_function{function_name = 'jb_whoami', callback = jb_whoami,
  flags = {'no-writes'}}
redis.register_function('jb_decide', jb_decide)
redis.register_function('jb_audit', jb_audit)
redis.register_function('jb_audited', jb_audited)
redis.register_function('jb_audit_pending', jb_audit_pending)
redis.register_function{function_name = 'jb_evidence', callback = jb_evidence,
  flags = {'no-writes'}}
redis.register_function{function_name = 'jb_feed', callback = jb_feed, flags = {'no-writes'}}
redis.register_function{function_name = 'jb_review_stats', callback = jb_review_stats,
  flags = {'no-writes'}}

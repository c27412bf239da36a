#!lua name=jubao
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

-- The categories that always get a reviewer's eyes (workers/route.c puts them first too).
local URGENT = {minors = true, violence_terrorism = true}

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

-- Adds the decision on report rid to the feed of the platform that filed it, if one did.
local function feed_add(prefix, rid, cid, verdict, category, at)
  local r = redis.call('HMGET', prefix .. 'report:' .. rid, 'platform', 'platform_ref')
  if not r[1] or r[1] == '' then return end
  redis.call('XADD', prefix .. 'decisions:' .. r[1], '*', 'report', rid, 'case', cid,
    'verdict', verdict, 'category', category, 'decided_at', at, 'platform_ref', r[2] or '')
end

--[[ jb_report
KEYS: 1 caseurl:<urlhash>  2 report:<id>  3 intake  4 rl:<scope>  5 idem:<hash>  6 apikey:<hash>
      7 rl:<yesterday's scope>  8 idem:<hash in yesterday's scope> (the same as 4 and 5 for
      platforms): a client's limit and retries hold across midnight, when its pseudonym changes
      9 powx:<scope> (reports bought with proofs of work this window)
      10 evb:<scope> (evidence bytes today)
ARGV: 1 prefix  2 id  3 new case id  4 now ms  5 now iso  6 category  7 canonical url
      8 domain  9 original url (url.h: url_parts.original, no userinfo)  10 reporter (pseudonym or p:<platform>)  11 uses apikey (0/1)
      12 rate capacity (0: off)  13 rate window ms  14 idempotency body hash ('' none)
      15 idempotency ttl s  16 secret hash  17 secret box  18 sealed  19 platform_ref
      20 language  21 fingerprint  22 suggested categories (comma-separated)  23 rule hits
      24 severity (0..4)  25 priority boost  26 redacted title  27 redacted description
      28 no_violation window ms  29 evidence type ('' none)  30 evidence (encrypted)
      31 retention s: the report, and the case from its last report, expire after it
      32 bits of a spent proof of work offered for this report (0: none)  33 bits asked for
      the first report bought  34 reports that may be bought per window  35 evidence bytes
      per reporter per day (0: no limit)  36 bytes of this report's evidence
      37 suggestions with scores and sources (rules/triage.h triage_scores)
Returns {'ok', id, case, dup} | {'idem', id, case, dup, secret box} | {'conflict'} |
        {'ratelimited', seconds, bits of the proof of work that buys the next report, or 0} |
        {'evidence_budget', seconds until the day is over} | {'unauthorized'}
]]

-- Past the rate limit, a proof of work may buy a report: at most `max` a window, each asking
-- one bit more (twice the work) than the one before. Returns 0 when this report is bought,
-- else the bits that would buy the next one (0: none can be bought this window).
local function buy_with_work(key, offered, base, max, window_ms)
  local bought = tonumber(redis.call('GET', key) or '0')
  if bought >= max then return 0 end
  if offered >= base + bought then
    if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, window_ms) end
    return nil
  end
  return base + bought
end

-- True when len more evidence bytes fit in the reporter's budget of the day.
local function evidence_fits(key, len, budget)
  if budget <= 0 or len <= 0 then return true end
  return tonumber(redis.call('GET', key) or '0') + len <= budget
end
local function jb_report(keys, args)
  local prefix, id, now, iso = args[1], args[2], tonumber(args[4]), args[5]
  args[37] = args[37] or ''   -- callers built before suggestions had scores
  local platform = ''
  if args[11] == '1' then
    local k = redis.call('HMGET', keys[6], 'name', 'revoked')
    if not k[1] or k[2] == '1' then return {'unauthorized'} end
    platform = k[1]
  end
  if args[14] ~= '' then
    for _, k in ipairs({keys[5], keys[8]}) do
      local r = redis.call('HMGET', k, 'bh', 'id', 'case', 'dup', 'box')
      if r[1] then
        if r[1] == args[14] then return {'idem', r[2], r[3], r[4], r[5]} end
        return {'conflict'}
      end
    end
  end
  local day_left = 86400 - math.floor(now / 1000) % 86400
  local evidence_len, evidence_budget = tonumber(args[36]), tonumber(args[35])
  if not evidence_fits(keys[10], evidence_len, evidence_budget) then
    return {'evidence_budget', tostring(day_left)}
  end
  local wait = take_token(keys[4], tonumber(args[12]), tonumber(args[13]), now, keys[7])
  if wait > 0 then
    local next_bits = buy_with_work(keys[9], tonumber(args[32]), tonumber(args[33]),
      tonumber(args[34]), tonumber(args[13]))
    if next_bits then return {'ratelimited', tostring(wait), tostring(next_bits)} end
  end
  if evidence_budget > 0 and evidence_len > 0 then
    redis.call('INCRBY', keys[10], evidence_len)
    redis.call('EXPIRE', keys[10], day_left + 60)
  end

  local cid, cleared = open_case(prefix, keys[1], now, tonumber(args[28]), args[6],
    tonumber(args[24]))
  local dup, decided = '1', {false}
  if cid then
    local ck = prefix .. 'case:' .. cid
    local c = redis.call('HMGET', ck, 'suggested', 'rule_hits', 'severity', 'priority', 'queue',
      'status', 'reporters', 'suggested_scores')
    local suggested = merge_list(c[1], args[22])
    redis.call('HSET', ck, 'suggested', suggested,
      'suggested_scores', merge_scores(c[8], args[37]),
      'rule_hits', merge_list(c[2], args[23]),
      'severity', math.max(tonumber(c[3]) or 0, tonumber(args[24])),
      'priority', math.max(tonumber(c[4]) or 0, tonumber(args[25])))
    local reports, reporters = redis.call('HINCRBY', ck, 'reports', 1), tonumber(c[7]) or 1
    if redis.call('SADD', ck .. ':reporters', args[10]) == 1 then
      reporters = redis.call('HINCRBY', ck, 'reporters', 1)
    end
    redis.call('HSET', ck, 'updated_at', iso, 'last_report_at', iso)
    redis.call('RPUSH', ck .. ':reports', id)
    decided = redis.call('HMGET', ck, 'verdict', 'decision_category', 'decided_at')
    -- A case waiting in the review queue is weighed again by the worker when a report raises
    -- its severity or suggests a new category, or when its reports or reporters reach the
    -- counts at which its band rises (3 reports, 20 reporters: workers/route.c, route_band).
    if c[5] == 'default' and c[6] == 'received' and (tonumber(args[24]) > (tonumber(c[3]) or 0)
        or suggested ~= (c[1] or '') or reports == 3 or reporters == 20) then
      redis.call('XADD', keys[3], '*', 'case', cid, 'report', id, 'category', args[6],
        'reweigh', '1')
    end
  else
    dup = '0'
    cid = args[3]
    local ck = prefix .. 'case:' .. cid
    redis.call('HSET', ck, 'url', args[7], 'domain', args[8], 'category', args[6],
      'status', 'received', 'reports', 1, 'reporters', 1, 'created_at', iso,
      'updated_at', iso, 'last_report_at', iso, 'first_report', id,
      'suggested', args[22], 'rule_hits', args[23], 'severity', args[24],
      'priority', args[25], 'suggested_scores', args[37])
    if cleared then redis.call('HSET', ck, 'reopens', cleared) end
    redis.call('SADD', ck .. ':reporters', args[10])
    redis.call('RPUSH', ck .. ':reports', id)
    redis.call('SET', keys[1], cid)
    redis.call('XADD', keys[3], '*', 'case', cid, 'report', id, 'category', args[6])
  end
  redis.call('HSET', keys[2], 'case', cid, 'category', args[6], 'received_at', iso,
    'secret', args[16], 'platform', platform, 'platform_ref', args[19], 'language', args[20],
    'url', args[9], 'canonical', args[7], 'fp', args[21], 'sealed', args[18],
    'suggested', args[22], 'rule_hits', args[23], 'severity', args[24],
    'suggested_scores', args[37],
    'title_redacted', args[26], 'description_redacted', args[27])
  if args[29] ~= '' then
    redis.call('HSET', keys[2], 'evidence_type', args[29], 'evidence', args[30])
  end
  if platform ~= '' then
    redis.call('RPUSH', prefix .. 'case:' .. cid .. ':platform_reports', id)
    if decided[1] then feed_add(prefix, id, cid, decided[1], decided[2], decided[3]) end
  end
  local keep = tonumber(args[31])
  local ck = prefix .. 'case:' .. cid
  for _, k in ipairs({keys[2], keys[1], ck, ck .. ':reporters', ck .. ':reports',
      ck .. ':platform_reports'}) do
    redis.call('EXPIRE', k, keep)
  end
  if args[14] ~= '' then
    redis.call('HSET', keys[5], 'bh', args[14], 'id', id, 'case', cid, 'dup', dup, 'box', args[17])
    redis.call('EXPIRE', keys[5], tonumber(args[15]))
  end
  return {'ok', id, cid, dup}
end

--[[ jb_status
KEYS: 1 report:<id>  2 apikey:<hash> (or any key when ARGV[2] is '0')
ARGV: 1 prefix  2 uses apikey (0/1)
Returns {} when the report does not exist, else {secret hash, platform, case, category,
received_at, case status, updated_at, verdict, decision category, decided_at, key name,
key revoked}. The caller compares the secret, in constant time.
]]
local function jb_status(keys, args)
  local r = redis.call('HMGET', keys[1], 'secret', 'platform', 'case', 'category', 'received_at')
  if not r[1] then return {} end
  local c = redis.call('HMGET', args[1] .. 'case:' .. r[3], 'status', 'updated_at', 'verdict',
    'decision_category', 'decided_at')
  local k = {false, false}
  if args[2] == '1' then k = redis.call('HMGET', keys[2], 'name', 'revoked') end
  return {r[1], r[2], r[3], r[4], r[5], c[1] or 'received', c[2] or r[5], c[3] or '',
    c[4] or '', c[5] or '', k[1] or '', k[2] or ''}
end

--[[ jb_rate
KEYS: 1 rl:status:<pseudonym>  2 rl:status:p:<key hash>  3 apikey:<hash>
ARGV: 1 now ms  2 anonymous capacity (0: off)  3 its window ms  4 platform capacity (0: off)
      5 its window ms  6 uses apikey (0/1)
Takes one token for a status lookup: from the platform's bucket when the request carries a
live key, else from the client's, so that a made-up key buys no fresh bucket.
Returns 0, or the seconds until a token is back. ]]
local function jb_rate(keys, args)
  local now = tonumber(args[1])
  if args[6] == '1' then
    local k = redis.call('HMGET', keys[3], 'name', 'revoked')
    if k[1] and k[2] ~= '1' then
      return take_token(keys[2], tonumber(args[4]), tonumber(args[5]), now)
    end
  end
  return take_token(keys[1], tonumber(args[2]), tonumber(args[3]), now)
end

redis.register_function('jb_report', jb_report)
redis.register_function{function_name = 'jb_status', callback = jb_status,
  flags = {'no-writes'}}
redis.register_function('jb_rate', jb_rate)

--[[ jb_apikey_create  KEYS: 1 apikeyname:<name>  2 apikey:<hash>  ARGV: 1 name  2 hash  3 now iso
Returns 'ok', or 'exists' when the name has a key that is not revoked. ]]
local function jb_apikey_create(keys, args)
  local old = redis.call('GET', keys[1])
  if old then
    local prefix = string.sub(keys[1], 1, #keys[1] - #('apikeyname:' .. args[1]))
    if redis.call('HGET', prefix .. 'apikey:' .. old, 'revoked') == '0' then return 'exists' end
  end
  redis.call('HSET', keys[2], 'name', args[1], 'revoked', '0', 'created_at', args[3])
  redis.call('SET', keys[1], args[2])
  return 'ok'
end

--[[ jb_apikey_revoke  KEYS: 1 apikeyname:<name>  ARGV: 1 prefix  2 now iso
Returns 'ok', or 'unknown' when the name has no key. Takes effect for the next request. ]]
local function jb_apikey_revoke(keys, args)
  local h = redis.call('GET', keys[1])
  if not h then return 'unknown' end
  redis.call('HSET', args[1] .. 'apikey:' .. h, 'revoked', '1', 'revoked_at', args[2])
  return 'ok'
end

redis.register_function('jb_apikey_create', jb_apikey_create)
redis.register_function('jb_apikey_revoke', jb_apikey_revoke)

--[[ Reviewers. A reviewer is reviewer:<name> {name, pwhash (Argon2id), role, disabled};
a session is session:<keyed hash of the token> {name, role, expires_at}, expiring by itself;
logins:<name> holds the recent login attempts of a name (jb_login). ]]

--[[ jb_reviewer_add  KEYS: 1 reviewer:<name>  ARGV: 1 name  2 pwhash  3 role  4 now iso
Returns 'ok', or 'exists'. ]]
local function jb_reviewer_add(keys, args)
  if redis.call('EXISTS', keys[1]) == 1 then return 'exists' end
  redis.call('HSET', keys[1], 'name', args[1], 'pwhash', args[2], 'role', args[3],
    'disabled', '0', 'created_at', args[4])
  return 'ok'
end

--[[ jb_reviewer_disable  KEYS: 1 reviewer:<name>  ARGV: 1 now iso
Returns 'ok', or 'unknown'. Sessions check the flag on every use, so it takes effect at once. ]]
local function jb_reviewer_disable(keys, args)
  if redis.call('EXISTS', keys[1]) == 0 then return 'unknown' end
  redis.call('HSET', keys[1], 'disabled', '1', 'disabled_at', args[1])
  return 'ok'
end

--[[ jb_login  KEYS: 1 reviewer:<name>  2 logins:<name>  3 rl:login:<client pseudonym>
ARGV: 1 attempt id (random)  2 attempts per name  3 window ms  4 logins per client (0: off)
      5 client window ms
Counts the attempt before the password is verified, so that however many logins arrive
together, at most ARGV[2] passwords per name are checked in any window: logins:<name> is a
sorted set of attempts scored by Redis' clock, pruned to the window. The client's token bucket
comes first, so that a client past its limit spends none of a name's attempts.
Returns {'ok', pwhash or '', role, disabled} | {'ratelimited', seconds} | {'locked', seconds}. ]]
local function jb_login(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local wait = take_token(keys[3], tonumber(args[4]), tonumber(args[5]), now)
  if wait > 0 then return {'ratelimited', tostring(wait)} end
  local window = tonumber(args[3])
  redis.call('ZREMRANGEBYSCORE', keys[2], '-inf', now - window)
  if redis.call('ZCARD', keys[2]) >= tonumber(args[2]) then
    local oldest = redis.call('ZRANGE', keys[2], 0, 0, 'WITHSCORES')
    return {'locked', tostring(math.max(1, math.ceil((tonumber(oldest[2]) + window - now) / 1000)))}
  end
  redis.call('ZADD', keys[2], now, args[1])
  redis.call('PEXPIRE', keys[2], window)
  local r = redis.call('HMGET', keys[1], 'pwhash', 'role', 'disabled')
  return {'ok', r[1] or '', r[2] or '', r[3] or '1'}
end

--[[ jb_login_done  KEYS: 1 logins:<name>  2 session:<token hash>
ARGV: 1 attempt id  2 name  3 role  4 ttl s  5 expires iso
After the right password: makes the session, and takes back the attempt, so that logging in
costs no attempt. Earlier failures stay until they leave the window: were they forgotten, a
reviewer's own logins would give someone guessing a fresh set of attempts each time. ]]
local function jb_login_done(keys, args)
  redis.call('HSET', keys[2], 'name', args[2], 'role', args[3], 'expires_at', args[5])
  redis.call('EXPIRE', keys[2], tonumber(args[4]))
  redis.call('ZREM', keys[1], args[1])
  return 'ok'
end

--[[ jb_logout  KEYS: 1 session:<token hash>
Ends the session at once. Returns {'ok'}, or {'unauthorized'} when there was none. ]]
local function jb_logout(keys, args)
  if redis.call('DEL', keys[1]) == 0 then return {'unauthorized'} end
  return {'ok'}
end

redis.register_function('jb_reviewer_add', jb_reviewer_add)
redis.register_function('jb_reviewer_disable', jb_reviewer_disable)
redis.register_function('jb_login', jb_login)
redis.register_function('jb_login_done', jb_login_done)
redis.register_function('jb_logout', jb_logout)

--[[ Workers and review.

intake (stream, group 'workers') -> jb_route -> review:<queue>:<band> (streams, group
'reviewers'; bands 3 highest .. 0) -> jb_claim -> a lease -> jb_decide.

A lease is case fields lease_holder, lease_until (ms, Redis' clock), lease_stream, lease_entry
and lease_queue, plus the case in the sorted set leases:<queue> scored by lease_until. The
queue entry stays pending for its holder until the decision acknowledges and deletes it; a
lease that ran out (or was released: score 0) is found in the sorted set by the next claim.
Lease times come from Redis' TIME, so that every gateway agrees on them. ]]

local WORKERS, REVIEWERS = 'workers', 'reviewers'
local QUEUES = {'default', 'escalated'}

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

-- Moves an intake entry to the dead-letter stream and acknowledges it.
local function dead_letter(intake, dl, stats, entry, cid, rid, deliveries, reason, iso)
  redis.call('XADD', dl, '*', 'entry', entry, 'case', cid, 'report', rid,
    'deliveries', deliveries, 'reason', reason, 'at', iso)
  redis.call('XACK', intake, WORKERS, entry)
  redis.call('HINCRBY', stats, 'dead_letters', 1)
end

--[[ jb_route  KEYS: 1 intake  2 case:<id>  3 report:<id>  4 deadletter  5 stats
ARGV: 1 prefix  2 entry id  3 case id  4 report id  5 suggested  6 rule hits  7 severity
      8 priority score  9 band  10 redacted title  11 redacted description  12 now iso
      13 suggestions with scores and sources (rules/triage.h triage_scores)
Puts the case in the default review queue unless it was put there before (or is decided),
and acknowledges the intake entry in the same step. A case already queued takes the new
suggestions, and moves to a higher band if it has one now and no reviewer has seen it yet.
Returns 'queued', 'moved', 'already' or 'dead' (no such case: dead-lettered). ]]
local function jb_route(keys, args)
  local c = redis.call('HMGET', keys[2], 'status', 'queue', 'suggested', 'rule_hits', 'severity',
    'band', 'lease_holder', 'queue_entry', 'suggested_scores')
  if not c[1] then
    dead_letter(keys[1], keys[4], keys[5], args[2], args[3], args[4], '1', 'case not found',
      args[12])
    return 'dead'
  end
  local result = 'already'
  local decided = c[1] == 'actioned' or c[1] == 'no_violation'
  local band = tonumber(args[9])
  if not decided then
    redis.call('HSET', keys[2], 'suggested', merge_list(c[3], args[5]),
      'suggested_scores', merge_scores(c[9], args[13] or ''),
      'rule_hits', merge_list(c[4], args[6]),
      'severity', math.max(tonumber(c[5]) or 0, tonumber(args[7])))
    if redis.call('EXISTS', keys[3]) == 1 then
      redis.call('HSET', keys[3], 'title_redacted', args[10], 'description_redacted', args[11])
    end
  end
  if not c[2] and not decided then
    redis.call('HSET', keys[2], 'priority', args[8], 'band', band, 'queue', 'default',
      'queued_at', args[12], 'queue_entry', queue_add(args[1], 'default', band, args[3]))
    redis.call('HINCRBY', keys[5], 'routed', 1)
    result = 'queued'
  elseif c[2] == 'default' and c[1] == 'received' and not c[7] and c[8]
      and band > (tonumber(c[6]) or 0) then
    redis.call('XDEL', queue_key(args[1], 'default', c[6]), c[8])
    redis.call('HSET', keys[2], 'priority', args[8], 'band', band,
      'queue_entry', queue_add(args[1], 'default', band, args[3]))
    redis.call('HINCRBY', keys[5], 'moved', 1)
    result = 'moved'
  end
  redis.call('XACK', keys[1], WORKERS, args[2])
  return result
end

--[[ jb_dead  KEYS: 1 intake  2 deadletter  3 stats
ARGV: 1 entry id  2 case id  3 report id  4 deliveries  5 reason  6 now iso ]]
local function jb_dead(keys, args)
  dead_letter(keys[1], keys[2], keys[3], args[1], args[2], args[3], args[4], args[5], args[6])
  return 'ok'
end

-- True when stream id a is before b.
local function id_before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end

--[[ jb_trim_intake  KEYS: 1 intake
Trims the intake stream below what every consumer group has acknowledged: below the oldest
pending entry, or the last delivered one. Never MAXLEN, which ignores pending entries.
Returns the number of entries removed. ]]
local function jb_trim_intake(keys, args)
  if redis.call('EXISTS', keys[1]) == 0 then return 0 end
  local floor
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', keys[1])) do
    local info = {}
    for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
    local f = info['last-delivered-id']
    if tonumber(info['pending']) > 0 then f = redis.call('XPENDING', keys[1], info['name'])[2] end
    if not floor or id_before(f, floor) then floor = f end
  end
  if not floor then return 0 end
  return redis.call('XTRIM', keys[1], 'MINID', floor)
end

-- The case of the next entry of a review stream for reviewer name, or nil.
local function next_entry(k, name)
  if redis.call('EXISTS', k) == 0 then return nil end
  local r = redis.call('XREADGROUP', 'GROUP', REVIEWERS, name, 'COUNT', 1, 'STREAMS', k, '>')
  if not r or not r[1] or not r[1][2][1] then return nil end
  local e = r[1][2][1]
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  return f['case'], e[1]
end

-- The next case of a queue to offer: a lease that ran out or was released, else the oldest
-- entry of the highest band. Returns case id, stream, entry id; or nil.
local function next_case(prefix, queue, name, now)
  local lk = prefix .. 'leases:' .. queue
  for _, cid in ipairs(redis.call('ZRANGEBYSCORE', lk, '-inf', now, 'LIMIT', 0, 10)) do
    local c = redis.call('HMGET', prefix .. 'case:' .. cid, 'lease_stream', 'lease_entry')
    if c[1] and c[2] then
      redis.call('XCLAIM', c[1], REVIEWERS, name, 0, c[2], 'JUSTID')
      return cid, c[1], c[2]
    end
    redis.call('ZREM', lk, cid)   -- the case expired (retention_days) under its lease
  end
  for band = 3, 0, -1 do
    local k = queue_key(prefix, queue, band)
    local cid, entry = next_entry(k, name)
    if cid then return cid, k, entry end
  end
  return nil
end

--[[ jb_claim  KEYS: 1 session:<token hash>
ARGV: 1 prefix  2 queue  3 lease ms  4 now iso  5 reports to show
Returns {'unauthorized'} | {'forbidden'} | {'empty'} | {'ok', case, lease until ms, queue,
category, suggested, rule_hits, severity, band, reports, reporters, created_at,
suggested_scores, then canonical url, redacted title, redacted description, evidence type ('' none) and report id
for each report shown}. ]]
local function jb_claim(keys, args)
  local prefix, queue = args[1], args[2]
  local name, role = session_of(prefix, keys[1])
  if not name then return {'unauthorized'} end
  if queue == 'escalated' and role ~= 'supervisor' then return {'forbidden'} end
  local now = now_ms()
  for _ = 1, 100 do
    local cid, stream, entry = next_case(prefix, queue, name, now)
    if not cid then return {'empty'} end
    local ck = prefix .. 'case:' .. cid
    local status = redis.call('HGET', ck, 'status')
    if status == 'received' or status == 'in_review' then
      local lease_until = now + tonumber(args[3])
      redis.call('HSET', ck, 'lease_holder', name, 'lease_until', lease_until,
        'lease_stream', stream, 'lease_entry', entry, 'lease_queue', queue)
      if status == 'received' then redis.call('HSET', ck, 'status', 'in_review', 'updated_at', args[4]) end
      redis.call('ZADD', prefix .. 'leases:' .. queue, lease_until, cid)
      local c = redis.call('HMGET', ck, 'category', 'suggested', 'rule_hits', 'severity', 'band',
        'reports', 'reporters', 'created_at', 'suggested_scores')
      local out = {'ok', cid, tostring(lease_until), queue}
      for i = 1, 9 do out[#out + 1] = c[i] or '' end
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
  return {'empty'}
end

-- The case's lease fields and whether name holds it live: returns fields, holds, live.
local function lease_of(ck, name, now)
  local c = redis.call('HMGET', ck, 'status', 'lease_holder', 'lease_until', 'lease_stream',
    'lease_entry', 'lease_queue', 'category')
  local live = c[2] and tonumber(c[3]) > now
  return c, live and c[2] == name, live
end

--[[ jb_lease  KEYS: 1 session:<token hash>
ARGV: 1 prefix  2 case  3 renew | release | break  4 lease ms
renew and release are for the holder of a live lease; break for supervisors, of anyone's.
Returns {'ok', lease until ms ('0' when ended)} | {'unauthorized'} | {'forbidden'} |
{'not_found'} | {'conflict'}. ]]
local function jb_lease(keys, args)
  local prefix, cid, action = args[1], args[2], args[3]
  local name, role = session_of(prefix, keys[1])
  if not name then return {'unauthorized'} end
  if action == 'break' and role ~= 'supervisor' then return {'forbidden'} end
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

--[[ jb_evidence  KEYS: 1 session:<token hash>  ARGV: 1 prefix  2 case  3 report
The evidence image of a report of the case, for the holder of the case's live lease.
Returns {'ok', type, encrypted bytes} | {'unauthorized'} | {'not_found'} | {'conflict'}. ]]
local function jb_evidence(keys, args)
  local prefix = args[1]
  local name = session_of(prefix, keys[1])
  if not name then return {'unauthorized'} end
  local c, holds = lease_of(prefix .. 'case:' .. args[2], name, now_ms())
  if not c[1] then return {'not_found'} end
  if not holds then return {'conflict'} end
  local r = redis.call('HMGET', prefix .. 'report:' .. args[3], 'case', 'evidence_type', 'evidence')
  if r[1] ~= args[2] or not r[2] then return {'not_found'} end
  return {'ok', r[2], r[3]}
end

--[[ jb_whoami  KEYS: 1 session:<token hash>  2 audit:last  ARGV: 1 prefix
Returns {'ok', reviewer name, role, the audit head: last entry as "seq hash" or ''} |
{'unauthorized'}. ]]
local function jb_whoami(keys, args)
  local name, role = session_of(args[1], keys[1])
  if not name then return {'unauthorized'} end
  return {'ok', name, role or '', redis.call('GET', keys[2]) or ''}
end

--[[ jb_decide  KEYS: 1 session:<token hash>  2 audit  3 audit:last  4 stats
ARGV: 1 prefix  2 case  3 verdict  4 category ('' keeps the case's)  5 note  6 now iso
      7 the audit head the hash was made on  8 seq  9 hash  10 reviewer the hash names
Decides the case of a live lease held by the session's reviewer: writes the case, the
platforms' feeds and the audit entry, and ends the lease and its queue entry. The caller
computes the audit hash (it holds the key); when another decision got in first the head has
moved and the answer is {'retry', new head}, to hash again on it.
Returns {'ok', category decided} | {'retry', head} | {'unauthorized'} | {'not_found'} | {'conflict'}. ]]
local function jb_decide(keys, args)
  local prefix, cid, verdict, iso = args[1], args[2], args[3], args[6]
  local name = session_of(prefix, keys[1])
  if not name then return {'unauthorized'} end
  local ck = prefix .. 'case:' .. cid
  local now = now_ms()
  local c, holds = lease_of(ck, name, now)
  if not c[1] then return {'not_found'} end
  if not holds then return {'conflict'} end
  local head = redis.call('GET', keys[3]) or ''
  if head ~= args[7] or name ~= args[10] then return {'retry', head} end
  redis.call('XACK', c[4], REVIEWERS, c[5])
  redis.call('XDEL', c[4], c[5])
  redis.call('ZREM', prefix .. 'leases:' .. c[6], cid)
  redis.call('HDEL', ck, 'lease_holder', 'lease_until', 'lease_stream', 'lease_entry',
    'lease_queue')
  local category = args[4] ~= '' and args[4] or c[7]
  if verdict == 'escalate' then
    redis.call('HSET', ck, 'queue', 'escalated', 'escalated_at', iso, 'updated_at', iso)
    queue_add(prefix, 'escalated', 3, cid)
  else
    redis.call('HSET', ck, 'status', verdict, 'verdict', verdict, 'decision_category', category,
      'decided_at', iso, 'decided_ms', now, 'updated_at', iso)
    for _, rid in ipairs(redis.call('LRANGE', ck .. ':platform_reports', 0, -1)) do
      feed_add(prefix, rid, cid, verdict, category, iso)
    end
  end
  local prev = string.match(args[7], ' (%x+)$') or ''
  redis.call('XADD', keys[2], '*', 'seq', args[8], 'prev', prev, 'hash', args[9], 'at', iso,
    'case', cid, 'verdict', verdict, 'category', args[4], 'reviewer', name, 'note', args[5])
  redis.call('SET', keys[3], args[8] .. ' ' .. args[9])
  redis.call('HINCRBY', keys[4], 'decisions:' .. verdict, 1)
  return {'ok', category}
end

--[[ jb_feed  KEYS: 1 apikey:<hash>  ARGV: 1 prefix  2 start (the first stream id to read, or ''
when no id can follow the cursor)  3 count
Returns {'unauthorized'} | {'ok', id, fields, id, fields, ...} of the key's platform. ]]
local function jb_feed(keys, args)
  local k = redis.call('HMGET', keys[1], 'name', 'revoked')
  if not k[1] or k[2] == '1' then return {'unauthorized'} end
  local out = {'ok'}
  if args[2] == '' then return out end
  for _, e in ipairs(redis.call('XRANGE', args[1] .. 'decisions:' .. k[1], args[2], '+',
      'COUNT', tonumber(args[3]))) do
    out[#out + 1] = e[1]; out[#out + 1] = e[2]
  end
  return out
end

--[[ jb_review_stats  ARGV: 1 prefix
Returns {dead letters, routed, data loss, actioned, no_violation, escalate, then for each queue:
name, length, leased, oldest entry's age ms (-1 when empty)}. ]]
local function jb_review_stats(keys, args)
  local prefix = args[1]
  local now = now_ms()
  local s = redis.call('HMGET', prefix .. 'stats', 'dead_letters', 'routed', 'data_loss',
    'decisions:actioned', 'decisions:no_violation', 'decisions:escalate')
  local out = {}
  for i = 1, 6 do out[i] = s[i] or '0' end
  for _, q in ipairs(QUEUES) do
    local len, oldest = 0, -1
    for band = 0, 3 do
      local k = queue_key(prefix, q, band)
      len = len + redis.call('XLEN', k)
      local first = redis.call('XRANGE', k, '-', '+', 'COUNT', 1)[1]
      if first then
        local age = now - tonumber(string.match(first[1], '^(%d+)'))
        if age > oldest then oldest = age end
      end
    end
    out[#out + 1] = q; out[#out + 1] = tostring(len)
    out[#out + 1] = tostring(redis.call('ZCOUNT', prefix .. 'leases:' .. q, '(' .. now, '+inf'))
    out[#out + 1] = tostring(oldest)
  end
  return out
end

redis.register_function('jb_route', jb_route)
redis.register_function('jb_dead', jb_dead)
redis.register_function('jb_trim_intake', jb_trim_intake)
redis.register_function('jb_claim', jb_claim)
redis.register_function('jb_lease', jb_lease)
redis.register_function{function_name = 'jb_whoami', callback = jb_whoami,
  flags = {'no-writes'}}
redis.register_function('jb_decide', jb_decide)
redis.register_function{function_name = 'jb_evidence', callback = jb_evidence,
  flags = {'no-writes'}}
redis.register_function{function_name = 'jb_feed', callback = jb_feed, flags = {'no-writes'}}
redis.register_function{function_name = 'jb_review_stats', callback = jb_review_stats,
  flags = {'no-writes'}}

--[[ Triage models (docs/RULES.md, "The retraining loop").

model {version, blob, label, trained_at, examples, holdout, decisions_at, bytes}: the model in
force, blob being model_save's bytes; version comes from HINCRBY, so it only ever grows, and
gateways and workers load a model when the version they see is not the one they hold.
model:retrain {at_ms, decisions}: when a worker last tried to retrain and at what count of
decisions, whatever came of it, so that a model that came out worse is not tried again at
once. model:lock: held by the one worker that trains (SET NX PX with a random token). ]]

--[[ jb_model_install  KEYS: 1 model  2 model:lock
ARGV: 1 blob  2 label  3 trained_at iso  4 examples  5 held-back score  6 decisions at training
      7 bytes at most  8 the version the training was compared with ('' installs whatever is
      in force)  9 the lock's token ('' when the caller holds no lock)
Returns {'ok', version} | {'too_large'} | {'moved', version in force} (another model was
installed since the comparison) | {'locked'} (a worker's training holds the lock). ]]
local function jb_model_install(keys, args)
  if #args[1] > tonumber(args[7]) then return {'too_large'} end
  local holder = redis.call('GET', keys[2])
  if holder and holder ~= args[9] then return {'locked'} end
  local now = redis.call('HGET', keys[1], 'version') or '0'
  if args[8] ~= '' and args[8] ~= now then return {'moved', now} end
  local v = redis.call('HINCRBY', keys[1], 'version', 1)
  redis.call('HSET', keys[1], 'blob', args[1], 'label', args[2], 'trained_at', args[3],
    'examples', args[4], 'holdout', args[5], 'decisions_at', args[6], 'bytes', #args[1])
  return {'ok', tostring(v)}
end

--[[ jb_model_unlock  KEYS: 1 model:lock  ARGV: 1 token
Releases the training lock if the token still holds it. Returns 1 or 0. ]]
local function jb_model_unlock(keys, args)
  if redis.call('GET', keys[1]) == args[1] then return redis.call('DEL', keys[1]) end
  return 0
end

--[[ jb_model_due  KEYS: 1 model:retrain  2 stats
ARGV: 1 now ms  2 decisions that start a retraining (0: never)  3 interval ms
Whether a retraining is due: enough decisions (actioned and no_violation) since the last
attempt, and the interval passed. Returns {due (0/1), decisions now}. ]]
local function jb_model_due(keys, args)
  local s = redis.call('HMGET', keys[2], 'decisions:actioned', 'decisions:no_violation')
  local total = (tonumber(s[1]) or 0) + (tonumber(s[2]) or 0)
  local r = redis.call('HMGET', keys[1], 'at_ms', 'decisions')
  local need = tonumber(args[2])
  local due = need > 0 and total - (tonumber(r[2]) or 0) >= need
    and tonumber(args[1]) - (tonumber(r[1]) or 0) >= tonumber(args[3])
  return {due and 1 or 0, total}
end

--[[ jb_decided  KEYS: 1 audit
ARGV: 1 prefix  2 start: the audit entry to read back from ('+': the newest; '(id': before
      id)  3 audit entries to read at most  4 reports per case at most
The learning examples of the cases decided actioned or no_violation, newest first: for each
report of such a case still kept, its case, the decided category ('none' for no_violation) and
the reviewers' redacted title and description (never the sealed originals). Returns {next
start ('' at the oldest entry), then case, category, title, description for each report}. ]]
local function jb_decided(keys, args)
  local prefix, per_case = args[1], tonumber(args[4])
  local entries = redis.call('XREVRANGE', keys[1], args[2], '-', 'COUNT', tonumber(args[3]))
  local out = {''}
  if #entries == tonumber(args[3]) then out[1] = '(' .. entries[#entries][1] end
  for _, e in ipairs(entries) do
    local f = {}
    for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
    if f['verdict'] == 'actioned' or f['verdict'] == 'no_violation' then
      local ck = prefix .. 'case:' .. f['case']
      local c = redis.call('HMGET', ck, 'status', 'decision_category')
      if c[1] == f['verdict'] then
        local cat = c[1] == 'no_violation' and 'none' or c[2]
        for _, rid in ipairs(redis.call('LRANGE', ck .. ':reports', 0, per_case - 1)) do
          local r = redis.call('HMGET', prefix .. 'report:' .. rid, 'title_redacted',
            'description_redacted')
          if (r[1] and r[1] ~= '') or (r[2] and r[2] ~= '') then
            out[#out + 1] = f['case']; out[#out + 1] = cat
            out[#out + 1] = r[1] or ''; out[#out + 1] = r[2] or ''
          end
        end
      end
    end
  end
  return out
end

--[[ jb_model_stats  KEYS: 1 model  2 stats
Returns {version in Redis ('0': none), retrainings installed, worse, failed}. ]]
local function jb_model_stats(keys, args)
  local s = redis.call('HMGET', keys[2], 'model_retrain:installed', 'model_retrain:worse',
    'model_retrain:failed')
  return {redis.call('HGET', keys[1], 'version') or '0', s[1] or '0', s[2] or '0', s[3] or '0'}
end

redis.register_function('jb_model_install', jb_model_install)
redis.register_function('jb_model_unlock', jb_model_unlock)
redis.register_function{function_name = 'jb_model_due', callback = jb_model_due,
  flags = {'no-writes'}}
redis.register_function{function_name = 'jb_decided', callback = jb_decided,
  flags = {'no-writes'}}
redis.register_function{function_name = 'jb_model_stats', callback = jb_model_stats,
  flags = {'no-writes'}}

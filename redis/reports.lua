--[[ jb_admit — the first of a report's two calls, on the reporter's slot (docs/SCALING.md)
KEYS: 1 rl:<scope>  2 idem:<hash>  3 apikey:<hash>  4 rl:<yesterday's scope>
      5 idem:<hash in yesterday's scope> (the same as 1 and 2 for platforms): a client's limit
      and retries hold across midnight, when its pseudonym changes
      6 powx:<scope> (reports bought with proofs of work this window)  7 evb:<scope> (evidence
      bytes today)
ARGV: 1 now ms  2 uses apikey (0/1)  3 rate capacity (0: off)  4 rate window ms
      5 idempotency body hash ('' none)  6 idempotency ttl s  7 the report id the gateway drew
      8 its secret wrapped (crypto_wrap)  9 bits of a spent proof of work offered (0: none)
      10 bits asked for the first report bought  11 reports that may be bought per window
      12 evidence bytes per reporter per day (0: no limit)  13 bytes of this report's evidence
Checks the key, answers a known Idempotency-Key, takes the token (or a proof of work) and the
evidence bytes, and records the Idempotency-Key's report id and wrapped secret BEFORE the
report exists: the gateway then sends jb_report with them, and a retry after a failure between
the two calls gets them back here and sends jb_report again, which stores the report once.
Returns {'ok', platform} | {'idem', id, box, platform, case, dup} (case '' for a record made
here: the report is in jb_report's hands; a record from before the split holds the case) |
{'conflict'} | {'ratelimited', seconds, bits that buy the next report, or 0} |
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

-- The case, its list of reports and its URL key of a report that opens a case (jb_report's
-- KEYS and ARGV), each expiring after keep seconds. reopens: the cleared case it follows.
-- Every redis.call here takes its arguments written out, not a table unpacked: a table of ~40
-- strings built and unpacked per report is work the call does not need (1-2 us of ~40).
local NONE = {}
local function create_case(ck, keys, args, reopens, keep)
  local id, iso = args[2], args[5]
  redis.call('HSET', ck, 'url', args[7], 'domain', args[8], 'category', args[6],
    'status', 'received', 'reports', '1', 'reporters', '1', 'created_at', iso,
    'updated_at', iso, 'last_report_at', iso, 'first_report', id,
    'suggested', args[22], 'rule_hits', args[23], 'severity', args[24],
    'priority', args[25], 'suggested_scores', args[37], 'first_reporter', args[10],
    unpack(reopens and {'reopens', reopens} or NONE))
  local rk = ck .. ':reports'
  redis.call('RPUSH', rk, id)
  redis.call('SET', keys[1], args[3], 'EX', keep)
  redis.call('XADD', keys[3], '*', 'case', args[3], 'report', id, 'category', args[6])
  redis.call('EXPIRE', ck, keep)
  redis.call('EXPIRE', rk, keep)
end

-- The report's hash (jb_report's KEYS[2]), in case cid, expiring after keep seconds.
local function create_report(key, args, cid, platform, keep)
  redis.call('HSET', key, 'case', cid, 'category', args[6], 'received_at', args[5],
    'secret', args[16], 'platform', platform, 'platform_ref', args[19],
    'language', args[20], 'url', args[9], 'canonical', args[7], 'fp', args[21],
    'sealed', args[18], 'suggested', args[22], 'rule_hits', args[23],
    'severity', args[24], 'suggested_scores', args[37], 'title_redacted', args[26],
    'description_redacted', args[27],
    unpack(args[29] ~= '' and {'evidence_type', args[29], 'evidence', args[30]} or NONE))
  redis.call('EXPIRE', key, keep)
end

-- merge(old, new), or old as it is when the report brings the list the case has (a flood of
-- duplicates): splitting, sorting and joining it again would make the same string.
local function merged(merge, old, new)
  if old == new then return old end
  return merge(old, new)
end

-- The higher of the numbers old (the case's, a string or false) and new (the report's), as
-- the string it came in, which Redis stores without printing a Lua number again.
local function higher(old, new)
  if not tonumber(old) or tonumber(new) > tonumber(old) then return new end
  return old
end

--[[ jb_report — the second call, on the case's shard (every key in the shard's tag)
KEYS: 1 caseurl:<urlhash>  2 report:<id>  3 intake  (more keys are accepted and not read)
ARGV: 1 prefix (the shard's)  2 id  3 new case id  4 now ms  5 now iso  6 category
      7 canonical url  8 domain  9 original url (url.h: url_parts.original, no userinfo)
      10 reporter (pseudonym or p:<platform>)  11-15 unused (were jb_admit's)  16 secret hash
      17 unused  18 sealed  19 platform_ref  20 language  21 fingerprint
      22 suggested categories (comma-separated)  23 rule hits  24 severity (0..4)
      25 priority boost  26 redacted title  27 redacted description
      28 no_violation window ms  29 evidence type ('' none)  30 evidence (encrypted)
      31 retention s: the report, and the case from its last report, expire after it
      32-36 unused  37 suggestions with scores and sources (rules/triage.h triage_scores)
      38 the platform's name ('' none: jb_admit read it)
Idempotent by report id: a report that exists is answered as stored ('idem'), not written
again, so that the gateway may send it again after a failure.
A case opened by one report keeps that reporter in its field first_reporter; the set
case:<id>:reporters is made by the second report (cases written before hold the set from their
first report, and join as before).
The C side of this contract is lib/fcall.c (fcall_report): change both together.
Returns {'ok', id, case, dup, verdict, decision category, decided_at} (the last three when a
platform's report joined a decided case: the gateway adds it to the platform's feed, a global
key) | {'idem', id, case, dup}
]]
local function jb_admit(keys, args)
  local now = tonumber(args[1])
  local platform = ''
  if args[2] == '1' then
    local k = redis.call('HMGET', keys[3], 'name', 'revoked', 'report')
    if not k[1] or k[2] == '1' or k[3] == '0' then return {'unauthorized'} end
    platform = k[1]
  end
  if args[5] ~= '' then
    for _, k in ipairs({keys[2], keys[5]}) do
      local r = redis.call('HMGET', k, 'bh', 'id', 'box', 'case', 'dup')
      if r[1] then
        if r[1] ~= args[5] then return {'conflict'} end
        return {'idem', r[2], r[3] or '', platform, r[4] or '', r[5] or '1'}
      end
    end
  end
  local day_left = 86400 - math.floor(now / 1000) % 86400
  local evidence_len, evidence_budget = tonumber(args[13]), tonumber(args[12])
  if not evidence_fits(keys[7], evidence_len, evidence_budget) then
    return {'evidence_budget', tostring(day_left)}
  end
  local wait = take_token(keys[1], tonumber(args[3]), tonumber(args[4]), now, keys[4])
  if wait > 0 then
    local next_bits = buy_with_work(keys[6], tonumber(args[9]), tonumber(args[10]),
      tonumber(args[11]), tonumber(args[4]))
    if next_bits then return {'ratelimited', tostring(wait), tostring(next_bits)} end
  end
  if evidence_budget > 0 and evidence_len > 0 then
    redis.call('INCRBY', keys[7], evidence_len)
    redis.call('EXPIRE', keys[7], day_left + 60)
  end
  if args[5] ~= '' then
    redis.call('HSET', keys[2], 'bh', args[5], 'id', args[7], 'box', args[8])
    redis.call('EXPIRE', keys[2], tonumber(args[6]))
  end
  return {'ok', platform}
end

local function jb_report(keys, args)
  local prefix, id, now, iso = args[1], args[2], tonumber(args[4]), args[5]
  args[37] = args[37] or ''   -- callers built before suggestions had scores
  local platform = args[38] or ''
  local known = redis.call('HGET', keys[2], 'case')
  if known then
    local first = redis.call('HGET', prefix .. 'case:' .. known, 'first_report')
    return {'idem', id, known, first == id and '0' or '1'}
  end

  local cid, cleared = open_case(prefix, keys[1], now, tonumber(args[28]), args[6],
    tonumber(args[24]))
  local dup, decided, keep = '1', {false}, args[31]
  -- Each write is a command Redis runs, checks and appends to its AOF: a report costs as few
  -- as its data allows (one HSET per hash, SET with its expiry, no EXPIRE of a key that
  -- cannot exist), every field as before. Numbers go to Redis as the strings they came in
  -- (a Lua number is printed with printf's %.17g on every call). A new case keeps its first
  -- reporter in the case (first_reporter) instead of a set of one: the set of reporters is
  -- made by the second report, so that the one report most cases have writes two keys fewer.
  if cid then
    local ck = prefix .. 'case:' .. cid
    local sk, rk = ck .. ':reporters', ck .. ':reports'
    local c = redis.call('HMGET', ck, 'suggested', 'rule_hits', 'severity', 'priority', 'queue',
      'status', 'reporters', 'suggested_scores', 'reports', 'verdict', 'decision_category',
      'decided_at', 'first_reporter')
    local suggested = merged(merge_list, c[1], args[22])
    local reports, reporters = (tonumber(c[9]) or 0) + 1, tonumber(c[7]) or 1
    if c[13] and c[9] == '1' then
      reporters = redis.call('SADD', sk, c[13], args[10])
    elseif redis.call('SADD', sk, args[10]) == 1 then
      reporters = (tonumber(c[7]) or 0) + 1
    end
    redis.call('HSET', ck, 'suggested', suggested,
      'suggested_scores', merged(merge_scores, c[8], args[37]),
      'rule_hits', merged(merge_list, c[2], args[23]), 'severity', higher(c[3], args[24]),
      'priority', higher(c[4], args[25]), 'reports', reports, 'reporters', reporters, 'updated_at', iso,
      'last_report_at', iso)
    redis.call('RPUSH', rk, id)
    decided = {c[10], c[11], c[12]}
    -- A case waiting in the review queue is weighed again by the worker when a report raises
    -- its severity or suggests a new category, or when its reports or reporters reach the
    -- counts at which its band rises (lib/schema.h; workers/route.c, route_band).
    if c[5] == QUEUE_DEFAULT and c[6] == 'received' and (tonumber(args[24]) > (tonumber(c[3]) or 0)
        or suggested ~= (c[1] or '') or reports == BAND_REPORTS or reporters == BAND_REPORTERS) then
      redis.call('XADD', keys[3], '*', 'case', cid, 'report', id, 'category', args[6],
        'reweigh', '1')
    end
    redis.call('EXPIRE', keys[1], keep)
    redis.call('EXPIRE', ck, keep)
    redis.call('EXPIRE', sk, keep)
    redis.call('EXPIRE', rk, keep)
    redis.call('EXPIRE', ck .. ':platform_reports', keep)
  else
    dup = '0'
    cid = args[3]
    create_case(prefix .. 'case:' .. cid, keys, args, cleared, keep)
  end
  create_report(keys[2], args, cid, platform, keep)
  if platform ~= '' then
    local pk = prefix .. 'case:' .. cid .. ':platform_reports'
    redis.call('RPUSH', pk, id)
    redis.call('EXPIRE', pk, keep)
    if decided[1] then return {'ok', id, cid, dup, decided[1], decided[2], decided[3]} end
  end
  return {'ok', id, cid, dup}
end

--[[ jb_status
KEYS: 1 report:<id>  ARGV: 1 prefix (the report's shard's)
Returns {} when the report does not exist, else {secret hash, platform, case, category,
received_at, case status, updated_at, verdict, decision category, decided_at, then outcome,
by ('platform' or 'agency'), at for each handler's outcome (redis/referrals.lua,
jb_case_outcome)}. The caller
compares the secret, in constant time, or the platform with the key's name (jb_rate's answer:
the key is in another slot).
]]
local function jb_status(keys, args)
  local r = redis.call('HMGET', keys[1], 'secret', 'platform', 'case', 'category', 'received_at')
  if not r[1] then return {} end
  local c = redis.call('HMGET', args[1] .. 'case:' .. r[3], 'status', 'updated_at', 'verdict',
    'decision_category', 'decided_at')
  local out = {r[1], r[2], r[3], r[4], r[5], c[1] or 'received', c[2] or r[5], c[3] or '',
    c[4] or '', c[5] or ''}
  for _, o in ipairs(redis.call('LRANGE', args[1] .. 'case:' .. r[3] .. ':outcomes', 0, 19)) do
    local word, by, at = string.match(o, '^(%S+) (%S+) (%S+)$')
    if word then out[#out + 1] = word; out[#out + 1] = by; out[#out + 1] = at end
  end
  return out
end

--[[ jb_rate
KEYS: 1 the bucket: rl:status:p:<key hash> (the platform's) when ARGV[4] is '1', else
      rl:status:<pseudonym> (the client's)  2 apikey:<hash> (the bucket again when ARGV[4] is '0')
ARGV: 1 now ms  2 capacity (0: off)  3 window ms  4 uses apikey (0/1)
Takes one token for a status lookup from the bucket. A key that is not live takes none: the
gateway then takes the client's (another slot), so that a made-up key buys no fresh bucket.
Returns {'ok', seconds until a token is back (0: taken), the key's name ('' without one)} |
{'unauthorized'} (the key is unknown or revoked). ]]
local function jb_rate(keys, args)
  local name = ''
  if args[4] == '1' then
    local k = redis.call('HMGET', keys[2], 'name', 'revoked', 'report')
    if not k[1] or k[2] == '1' or k[3] == '0' then return {'unauthorized'} end
    name = k[1]
  end
  return {'ok', tostring(take_token(keys[1], tonumber(args[2]), tonumber(args[3]),
    tonumber(args[1]))), name}
end

redis.register_function('jb_admit', jb_admit)
redis.register_function('jb_report', jb_report)
redis.register_function{function_name = 'jb_status', callback = jb_status,
  flags = {'no-writes'}}
redis.register_function('jb_rate', jb_rate)

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

local function take_token(key, cap, window_ms, now)
  if cap <= 0 then return 0 end
  local b = redis.call('HMGET', key, 't', 'ts')
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

-- The open case for a URL, or nil. A case that was actioned is closed: a new report about
-- the same URL opens a new case.
local function open_case(prefix, url_key)
  local cid = redis.call('GET', url_key)
  if not cid then return nil end
  local status = redis.call('HGET', prefix .. 'case:' .. cid, 'status')
  if status == false or status == 'actioned' then return nil end
  return cid
end

--[[ jb_report
KEYS: 1 caseurl:<urlhash>  2 report:<id>  3 intake  4 rl:<scope>  5 idem:<hash>  6 apikey:<hash>
ARGV: 1 prefix  2 id  3 new case id  4 now ms  5 now iso  6 category  7 canonical url
      8 domain  9 original url  10 reporter (pseudonym or p:<platform>)  11 uses apikey (0/1)
      12 rate capacity (0: off)  13 rate window ms  14 idempotency body hash ('' none)
      15 idempotency ttl s  16 secret hash  17 secret box  18 sealed  19 platform_ref
      20 language  21 fingerprint  22 suggested categories (comma-separated)  23 rule hits
      24 severity (0..4)  25 priority boost  26 redacted title  27 redacted description
Returns {'ok', id, case, dup} | {'idem', id, case, dup, secret box} | {'conflict'} |
        {'ratelimited', seconds} | {'unauthorized'}
]]
local function jb_report(keys, args)
  local prefix, id, now, iso = args[1], args[2], tonumber(args[4]), args[5]
  local platform = ''
  if args[11] == '1' then
    local k = redis.call('HMGET', keys[6], 'name', 'revoked')
    if not k[1] or k[2] == '1' then return {'unauthorized'} end
    platform = k[1]
  end
  if args[14] ~= '' then
    local r = redis.call('HMGET', keys[5], 'bh', 'id', 'case', 'dup', 'box')
    if r[1] then
      if r[1] == args[14] then return {'idem', r[2], r[3], r[4], r[5]} end
      return {'conflict'}
    end
  end
  local wait = take_token(keys[4], tonumber(args[12]), tonumber(args[13]), now)
  if wait > 0 then return {'ratelimited', tostring(wait)} end

  local cid = open_case(prefix, keys[1])
  local dup = '1'
  if cid then
    local ck = prefix .. 'case:' .. cid
    local c = redis.call('HMGET', ck, 'suggested', 'rule_hits', 'severity', 'priority')
    redis.call('HSET', ck, 'suggested', merge_list(c[1], args[22]),
      'rule_hits', merge_list(c[2], args[23]),
      'severity', math.max(tonumber(c[3]) or 0, tonumber(args[24])),
      'priority', math.max(tonumber(c[4]) or 0, tonumber(args[25])))
    redis.call('HINCRBY', ck, 'reports', 1)
    if redis.call('SADD', ck .. ':reporters', args[10]) == 1 then
      redis.call('HINCRBY', ck, 'reporters', 1)
    end
    redis.call('HSET', ck, 'updated_at', iso, 'last_report_at', iso)
    redis.call('RPUSH', ck .. ':reports', id)
  else
    dup = '0'
    cid = args[3]
    local ck = prefix .. 'case:' .. cid
    redis.call('HSET', ck, 'url', args[7], 'domain', args[8], 'category', args[6],
      'status', 'received', 'reports', 1, 'reporters', 1, 'created_at', iso,
      'updated_at', iso, 'last_report_at', iso, 'first_report', id,
      'suggested', args[22], 'rule_hits', args[23], 'severity', args[24],
      'priority', args[25])
    redis.call('SADD', ck .. ':reporters', args[10])
    redis.call('RPUSH', ck .. ':reports', id)
    redis.call('SET', keys[1], cid)
    redis.call('XADD', keys[3], '*', 'case', cid, 'report', id, 'category', args[6])
  end
  redis.call('HSET', keys[2], 'case', cid, 'category', args[6], 'received_at', iso,
    'secret', args[16], 'platform', platform, 'platform_ref', args[19], 'language', args[20],
    'url', args[9], 'canonical', args[7], 'fp', args[21], 'sealed', args[18],
    'suggested', args[22], 'rule_hits', args[23], 'severity', args[24],
    'title_redacted', args[26], 'description_redacted', args[27])
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

redis.register_function('jb_report', jb_report)
redis.register_function{function_name = 'jb_status', callback = jb_status,
  flags = {'no-writes'}}

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
loginfail:<name> counts failed logins in a window. ]]

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

--[[ jb_login  KEYS: 1 reviewer:<name>  2 loginfail:<name>
Returns {pwhash or '', role, disabled, failures so far, seconds until they are forgotten}. ]]
local function jb_login(keys, args)
  local r = redis.call('HMGET', keys[1], 'pwhash', 'role', 'disabled')
  local fails = tonumber(redis.call('GET', keys[2]) or '0')
  return {r[1] or '', r[2] or '', r[3] or '1', tostring(fails),
    tostring(math.max(redis.call('TTL', keys[2]), 0))}
end

--[[ jb_login_done  KEYS: 1 loginfail:<name>  2 session:<token hash>
ARGV: 1 ok (0/1)  2 name  3 role  4 ttl s  5 expires iso  6 failure window s
On success makes the session and forgets the failures; else counts one more failure. ]]
local function jb_login_done(keys, args)
  if args[1] == '1' then
    redis.call('HSET', keys[2], 'name', args[2], 'role', args[3], 'expires_at', args[5])
    redis.call('EXPIRE', keys[2], tonumber(args[4]))
    redis.call('DEL', keys[1])
    return 'ok'
  end
  if redis.call('INCR', keys[1]) == 1 then redis.call('EXPIRE', keys[1], tonumber(args[6])) end
  return 'failed'
end

redis.register_function('jb_reviewer_add', jb_reviewer_add)
redis.register_function('jb_reviewer_disable', jb_reviewer_disable)
redis.register_function{function_name = 'jb_login', callback = jb_login, flags = {'no-writes'}}
redis.register_function('jb_login_done', jb_login_done)

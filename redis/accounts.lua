--[[ API keys. A key is apikey:<keyed hash of the key> {name, revoked, created_at, revoked_at,
handler, report} in the key's own slot: handler names the handler whose referrals it may pull
(jubao-admin handler add), report '0' says that it may not file reports nor read a platform's
feed (a handler's key that is not also its platform's; absent: it may); apikeyname:<name> holds the hash of the name's latest key, in the name's
slot. jubao-admin writes them in steps it can repeat (gateway/admin.c), so no Function spans
both. ]]

--[[ jb_apikey_check  KEYS: 1 apikey:<hash>
Returns {'ok', the key's platform, its handler ('' none), may report ('0' or '1')} |
{'unauthorized'} (unknown or revoked). ]]
local function jb_apikey_check(keys, args)
  local k = redis.call('HMGET', keys[1], 'name', 'revoked', 'handler', 'report')
  if not k[1] or k[2] == '1' then return {'unauthorized'} end
  return {'ok', k[1], k[3] or '', k[4] == '0' and '0' or '1'}
end

redis.register_function{function_name = 'jb_apikey_check', callback = jb_apikey_check,
  flags = {'no-writes'}}

--[[ Reviewers. A reviewer is reviewer:<name> {name, pwhash (Argon2id), role, disabled};
a session is session:<keyed hash of the token> {name, role, expires_at}, expiring by itself;
logins:<name> holds the recent login attempts of a name (jb_login). The three share the
reviewer's slot (lib/global.h: a token names its reviewer's bucket), so that the session and
the reviewer's record are read together. ]]

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

--[[ jb_login_client  KEYS: 1 rl:login:<client pseudonym> (the client's slot)
ARGV: 1 logins per client (0: off)  2 window ms
The first step of a login: the client's token bucket, before jb_login counts an attempt of the
name, so that a client past its limit spends none of a name's attempts.
Returns {'ok'} | {'ratelimited', seconds}. ]]
local function jb_login_client(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local wait = take_token(keys[1], tonumber(args[1]), tonumber(args[2]), now)
  if wait > 0 then return {'ratelimited', tostring(wait)} end
  return {'ok'}
end

--[[ jb_login  KEYS: 1 reviewer:<name>  2 logins:<name>
ARGV: 1 attempt id (random)  2 attempts per name  3 window ms
Counts the attempt before the password is verified, so that however many logins arrive
together, at most ARGV[2] passwords per name are checked in any window: logins:<name> is a
sorted set of attempts scored by Redis' clock, pruned to the window.
Returns {'ok', pwhash or '', role, disabled} | {'locked', seconds}. ]]
local function jb_login(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
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
redis.register_function('jb_login_client', jb_login_client)
redis.register_function('jb_login', jb_login)
redis.register_function('jb_login_done', jb_login_done)
redis.register_function('jb_logout', jb_logout)

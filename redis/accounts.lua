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

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
redis.register_function{function_name = 'jb_model_stats', callback = jb_model_stats,
  flags = {'no-writes'}}

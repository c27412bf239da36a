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
    redis.call('HSET', keys[2], 'priority', args[8], 'band', band, 'queue', QUEUE_DEFAULT,
      'queued_at', args[12], 'queue_entry', queue_add(args[1], QUEUE_DEFAULT, band, args[3]))
    redis.call('HINCRBY', keys[5], 'routed', 1)
    result = 'queued'
  elseif c[2] == QUEUE_DEFAULT and c[1] == 'received' and not c[7] and c[8]
      and band > (tonumber(c[6]) or 0) then
    redis.call('XDEL', queue_key(args[1], QUEUE_DEFAULT, c[6]), c[8])
    redis.call('HSET', keys[2], 'priority', args[8], 'band', band,
      'queue_entry', queue_add(args[1], QUEUE_DEFAULT, band, args[3]))
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

--[[ jb_forget_consumers  KEYS: 1 intake  ARGV: 1 group  2 idle ms
Deletes the group's consumers that hold no entry and have not read for longer than ARGV[2]: the
names of worker processes that stopped (each process has its own name, workers/main.c). Checked
and deleted in one call, so that no entry a consumer reads meanwhile leaves the pending list
with it. A live consumer reads every few seconds, and one deleted while between reads is made
again by its next XREADGROUP. Returns the number deleted. ]]
local function jb_forget_consumers(keys, args)
  if redis.call('EXISTS', keys[1]) == 0 then return 0 end
  local gone, limit = 0, tonumber(args[2])
  local ok, list = pcall(redis.call, 'XINFO', 'CONSUMERS', keys[1], args[1])
  if not ok then return 0 end     -- no such group yet
  for _, c in ipairs(list) do
    local info = {}
    for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
    if tonumber(info['pending']) == 0 and tonumber(info['idle']) > limit then
      redis.call('XGROUP', 'DELCONSUMER', keys[1], args[1], info['name'])
      gone = gone + 1
    end
  end
  return gone
end

redis.register_function('jb_route', jb_route)
redis.register_function('jb_dead', jb_dead)
redis.register_function('jb_trim_intake', jb_trim_intake)
redis.register_function('jb_forget_consumers', jb_forget_consumers)

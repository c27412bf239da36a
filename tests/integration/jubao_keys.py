"""Where jubao's keys are, for the integration tests (jubao_testlib.py re-exports all of it).

A Redis holds the data in a fixed number of shards (lib/shard.h; 16 for a new Redis), each a
key prefix "jb:{<tag>}:"; a case's and a report's keys are in the shard its id names. The
functions are lib/shard.c's and lib/cluster.c's in Python; ShardedKeys gives a RedisServer and
a redis_cluster.RedisCluster the same helpers over their client()."""

import functools
import random

from redis.crc import key_slot

# The global keys' prefix (API keys, reviewers, sessions, rate limits, idempotency, the audit
# chain, feeds), and the one shard of the unsharded layout.
PREFIX = "jb:{0}:"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
QUEUES = ("default", "escalated")   # the review queues


@functools.lru_cache(maxsize=None)
def shard_prefix(i, n):
    """The key prefix of shard i of n (lib/cluster.c, cluster_shard_tag): "jb:{0}:" for the
    one shard of the unsharded layout, else "jb:{s<k>}:", k the smallest whose slot starts
    i's share of the 16384 slots."""
    if n == 1:
        return PREFIX
    want = i * 16384 // n
    k = 0
    while key_slot(b"{s%d}" % k) != want:
        k += 1
    return "jb:{s%d}:" % k


def _id_number(ident):
    v = 0
    for ch in ident[2:].replace("-", ""):
        v = v * 32 + CROCKFORD.index(ch)
    return v


def shard_of_id(ident, n):
    """The shard an id names (lib/shard.c, shards_of_id): its 60-bit number mod n."""
    return _id_number(ident) % n


def id_of_shard(letter, i, n):
    """A random id whose 60-bit number names shard i of n."""
    while True:
        d = "".join(random.choice(CROCKFORD) for _ in range(12))
        ident = "%s-%s-%s-%s" % (letter, d[:4], d[4:8], d[8:])
        if shard_of_id(ident, n) == i:
            return ident


class ShardedKeys:
    """Where jubao's keys are, for a RedisServer and a redis_cluster.RedisCluster alike (each
    gives client(), a client for any key): the number of shards is the data's (jb:meta; 1
    without it, the unsharded layout), and a case's or a report's keys are in the shard its id
    names (or, for an id from before a migration, the one its at:<id> alias names)."""

    def shards(self):
        return int(self.client().hget("jb:meta", "shards") or 1)

    def shard_prefixes(self):
        n = self.shards()
        return [shard_prefix(i, n) for i in range(n)]

    def prefix_of(self, ident):
        n = self.shards()
        p = shard_prefix(shard_of_id(ident, n), n)
        alias = self.client().get(p + "at:" + ident) if n > 1 else None
        return shard_prefix(int(alias), n) if alias is not None else p

    def case_key(self, case_id, suffix=""):
        """case:<id> (suffix ":reports", ":reporters", ...) in the case's shard."""
        return self.prefix_of(case_id) + "case:" + case_id + suffix

    def report_key(self, report_id):
        return self.prefix_of(report_id) + "report:" + report_id

    def case(self, case_id):
        return self.client().hgetall(self.case_key(case_id))

    def report(self, report_id):
        return self.client().hgetall(self.report_key(report_id))

    def intake_of(self, case_id):
        """The intake stream of the case's shard."""
        return self.prefix_of(case_id) + "intake"

    def intake_streams(self):
        return [p + "intake" for p in self.shard_prefixes()]

    def review_streams(self):
        return [p + "review:%s:%d" % (q, b) for p in self.shard_prefixes() for q in QUEUES
                for b in range(4)]

    def deadletter_streams(self):
        return [p + "deadletter" for p in self.shard_prefixes()]

    def intake_entries_for_case(self, case_id):
        return [(eid, f) for eid, f in self.client().xrange(self.intake_of(case_id))
                if f.get("case") == case_id]

    def keys_of_shards(self, suffix):
        """Every key matching <shard prefix><suffix> (a SCAN pattern), over every shard."""
        c = self.client()
        return [k for p in self.shard_prefixes() for k in c.scan_iter(match=p + suffix,
                                                                       count=1000)]

    def dump_everything(self):
        """Every key and every value of every type, as bytes: (key, type, [bytes...])."""
        c = self.client(decode_responses=False)
        out = []
        for key in c.scan_iter(count=1000):
            t = c.type(key).decode()
            vals = []
            if t == "string":
                vals = [c.get(key)]
            elif t == "hash":
                for k, v in c.hgetall(key).items():
                    vals += [k, v]
            elif t == "list":
                vals = c.lrange(key, 0, -1)
            elif t == "set":
                vals = list(c.smembers(key))
            elif t == "zset":
                vals = [m for m, _ in c.zrange(key, 0, -1, withscores=True)]
            elif t == "stream":
                for eid, fields in c.xrange(key):
                    vals.append(eid)
                    for k, v in fields.items():
                        vals += [k, v]
            else:
                raise AssertionError("key %r has a type the scan does not know: %s" % (key, t))
            out.append((key, t, [v for v in vals if v is not None]))
        return out

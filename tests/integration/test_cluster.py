"""A real Redis Cluster on loopback (redis_cluster.py), and lib/cluster.c's rules against it.

The cluster is what jubao's sharded layout (issue 12, docs/SCALING.md) runs on: three
primaries with a replica each; keys with the same hash tag share one slot and one primary, so
one Function call may touch them all; a killed primary's replica takes over with the data it
acknowledged; a reshard moves slots with their keys. lib/cluster.c's slot and redirection
parsing are compared with the real server's answers through build/tests/test_cluster's helper
modes (built with `make build/tests/test_cluster`; `make integration` builds it).
"""

import os
import random
import subprocess

import pytest
import redis as redislib

from jubao_testlib import BUILD
from redis_cluster import SLOTS

CLUSTER_TEST = BUILD / "tests" / "test_cluster"


def helper(mode, lines=(), args=()):
    """build/tests/test_cluster <mode> [args], one input line per item; its output lines."""
    if not CLUSTER_TEST.exists():
        pytest.fail("%s is missing: make %s" % (CLUSTER_TEST, os.path.relpath(CLUSTER_TEST)))
    r = subprocess.run([str(CLUSTER_TEST), mode, *args], input="".join(x + "\n" for x in lines),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_three_primaries_each_with_one_replica(redis_cluster):
    c = redis_cluster
    primaries = c.primaries()
    assert len(primaries) == 3
    counts = c.slot_counts()
    assert sum(counts.values()) == SLOTS
    for p in primaries:
        assert abs(counts[p] - SLOTS / 3) <= 1, counts
        replicas = c.replicas_of(p)
        assert len(replicas) == 1
        assert c.primary_of(replicas[0]) is p
    assert len({n.port for n in c.nodes}) == 6
    for n in c.nodes:
        info = n.client().info("cluster")
        assert info["cluster_enabled"] == 1
        # the settings of deploy/redis.conf apply to every node
        assert n.client().config_get("appendfsync")["appendfsync"] == "always"


def test_keyslot_agrees_with_cluster_keyslot(redis_cluster):
    rnd = random.Random(12)
    keys = [b"", b"{", b"}", b"{}", b"{}x", b"a{b}c", b"foo{{bar}}zap", b"foo{bar}{zap}",
            b"jb:{0}:intake", b"jb:{15}:case:C-0000-0000-0000", "jb:{\u4e3e}:x".encode(),
            b"\x00{\x00}\xff", b"{" * 40 + b"}" * 40]
    for _ in range(300):
        k = bytearray(rnd.randbytes(rnd.randrange(0, 40)))
        for _ in range(rnd.randrange(0, 3)):
            k.insert(rnd.randrange(0, len(k) + 1), rnd.choice(b"{}"))
        keys.append(bytes(k.replace(b"\n", b"")))
    got = helper("keyslot", [k.hex() for k in keys])
    r = redis_cluster.alive()[0].client(decode_responses=False)
    want = [str(r.execute_command("CLUSTER KEYSLOT", k)) for k in keys]
    mismatches = [(k, g, w) for k, g, w in zip(keys, got, want) if g != w]
    assert len(got) == len(keys) and not mismatches, mismatches[:5]


def test_same_tag_is_one_slot_on_one_primary(redis_cluster):
    c = redis_cluster
    case_keys = ["jb:{7}:case:C-1", "jb:{7}:report:R-1", "jb:{7}:intake"]
    slots = {c.keyslot(k) for k in case_keys}
    assert len(slots) == 1
    owner = c.node_for_slot(slots.pop())
    # one script over every key of the tag runs on its primary, as one intake Function will
    script = "for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1]) end return #KEYS"
    assert owner.client().eval(script, len(case_keys), *case_keys, "v") == 3
    assert owner.client().mget(case_keys) == ["v", "v", "v"]
    # keys of two tags on two slots cannot be one call
    other = next("jb:{%d}:case:C-1" % i for i in range(100)
                 if c.node_for_key("jb:{%d}:case:C-1" % i) is owner
                 and c.keyslot("jb:{%d}:case:C-1" % i) != c.keyslot(case_keys[0]))
    with pytest.raises(redislib.exceptions.ResponseError, match="CROSSSLOT"):
        owner.client().eval(script, 2, case_keys[0], other, "v")


def test_shard_tags_spread_evenly_over_the_primaries(redis_cluster):
    c = redis_cluster

    def per_primary(tags):
        counts = {p: 0 for p in c.primaries()}
        for t in tags:
            counts[c.node_for_key("jb:{%s}:intake" % t)] += 1
        return sorted(counts.values())
    tags = helper("shardtags", args=["16"])
    assert len(set(tags)) == 16
    # 16 shards over 3 primaries: as even as can be, each within 15% of an even share
    assert per_primary(tags) == [5, 5, 6]
    # what the plain numbers would give: one primary with a third fewer
    assert per_primary(str(i) for i in range(16)) == [4, 6, 6]


def test_redirections_are_read_as_the_server_writes_them(redis_cluster):
    c = redis_cluster
    key = "jb:{3}:case:C-2"
    slot, owner = c.keyslot(key), c.node_for_key(key)
    wrong = next(p for p in c.primaries() if p is not owner)
    with pytest.raises(redislib.exceptions.ResponseError) as e:
        wrong.client().get(key)
    text = str(e.value)
    assert text.startswith("MOVED ")
    assert helper("redirect", ["127.0.0.1\t" + text, "127.0.0.1\tERR unknown command"]) == [
        "MOVED %d 127.0.0.1 %d" % (slot, owner.port), "other"]


def test_failover_promotes_the_replica_with_acknowledged_writes(redis_cluster_factory):
    c = redis_cluster_factory()
    key = "jb:{5}:report:R-1"
    primary = c.node_for_key(key)
    replica = c.replicas_of(primary)[0]
    r = primary.client()
    r.set(key, "stored")
    assert r.execute_command("WAIT", 1, 5000) == 1  # the replica has it
    new = c.kill_primary(primary)
    assert new is replica
    assert c.node_for_key(key) is replica
    assert replica.client().get(key) == "stored"
    replica.client().set(key, "after")
    assert len(c.primaries()) == 3
    for n in c.alive():
        assert n.client().execute_command("CLUSTER INFO")["cluster_state"] == "ok"


def test_reshard_moves_slots_with_their_keys(redis_cluster_factory):
    c = redis_cluster_factory()
    src, dst = c.primaries()[0], c.primaries()[1]
    before = c.slot_counts()
    first = min(s for s, _, p, _ in c.slots() if p is src)
    # a key in each of the first 20 slots of src (redis-cli moves the lowest slots first)
    keys = {}
    for i in range(20000):
        k = "k%d" % i
        s = c.keyslot(k)
        if first <= s < first + 20 and s not in keys:
            keys[s] = k
            src.client().set(k, s)
        if len(keys) == 20:
            break
    c.reshard(src, dst, 20)
    after = c.slot_counts()
    assert after[src] == before[src] - 20
    assert after[dst] == before[dst] + 20
    for s, k in keys.items():
        assert c.node_for_slot(s) is dst
        assert dst.client().get(k) == str(s)
        with pytest.raises(redislib.exceptions.ResponseError, match="MOVED %d " % s):
            src.client().get(k)

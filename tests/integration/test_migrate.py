"""jubao-admin migrate (issue 12; docs/SCALING.md): a Redis written by an earlier build
(tests/data/redis-compat, the {0} layout) moved to 4 shards loses no report, receipt, lease,
pending intake entry or audit entry, and a second run changes nothing."""
import json
import pathlib

import pytest

from jubao_testlib import PREFIX
from test_shard_workers import SHARDS, shard_prefix

# gateway/admin_migrate.c is built but not dispatched by jubao-admin until the gateway reads
# the at:<id> aliases (status for reports, review and decisions for cases)
pytestmark = pytest.mark.skip(reason="jubao-admin migrate is not reachable yet")

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "data" / "redis-compat"
GLOBAL = ("apikey:", "apikeyname:", "audit", "daykey:", "decisions:", "reviewer:", "session:",
          "stats")


def shard_of_id(i):
    """lib/shard.c, shards_of_id: the id's twelve Crockford base32 characters mod SHARDS."""
    v = 0
    for ch in i[2:].replace("-", ""):
        v = v * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(ch)
    return v % SHARDS


def migrated(redis_factory, gateway):
    r = redis_factory()
    r.load_json(FIXTURE / "redis.json")
    g = gateway(redis=r, data_from=FIXTURE / "data")
    g.stop()
    return r, g


def test_migrate_moves_every_case_to_its_shard_and_keeps_the_rest(redis_factory, gateway):
    fx = json.loads((FIXTURE / "receipts.json").read_text())
    r, g = migrated(redis_factory, gateway)
    c = r.client()
    before = {k: c.pttl(k) for k in c.scan_iter()}
    p = g.admin("migrate", "--shards", str(SHARDS))
    assert "moved" in p.stdout, p.stdout
    assert c.hget("jb:meta", "shards") == str(SHARDS)
    left = [k for k in c.scan_iter(PREFIX + "*")]
    assert all(k[len(PREFIX):].startswith(GLOBAL) for k in left), left
    prefixes = [shard_prefix(i) for i in range(SHARDS)]
    for rep in fx["reports"].values():
        where = [pf for pf in prefixes if c.exists(pf + "report:" + rep["id"])]
        assert len(where) == 1, (rep, where)
        pf = where[0]
        assert c.exists(pf + "case:" + rep["case"])
        for i in (rep["id"], rep["case"]):      # ids from before: an alias where the id points
            named = prefixes[shard_of_id(i)]
            assert named == pf or c.get(named + "at:" + i) == str(prefixes.index(pf)), i
        assert abs(c.pttl(pf + "report:" + rep["id"]) - before[PREFIX + "report:" + rep["id"]]) < 60000
    # the waiting intake entry is in its case's shard's stream, undelivered, ids kept
    entries = {eid: f["case"] for pf in prefixes for eid, f in c.xrange(pf + "intake")}
    assert len(entries) == 5
    # the lease: pending for its reviewer in its case's shard, the case pointing at it
    leased = fx["reports"]["e"]["case"]
    pf = [pf for pf in prefixes if c.exists(pf + "case:" + leased)][0]
    assert c.hget(pf + "case:" + leased, "lease_stream") == pf + "review:default:0"
    pend = c.xpending_range(pf + "review:default:0", "reviewers", "-", "+", 10)
    assert [x["consumer"] for x in pend] == [fx["reviewer"]], pend
    assert c.zscore(pf + "leases:default", leased) is not None

    dump = sorted(r.dump_everything())
    again = g.admin("migrate", "--shards", str(SHARDS))
    assert "nothing changed" in again.stdout
    assert sorted(r.dump_everything()) == dump

"""jubao-admin migrate (issue 12; docs/SCALING.md): a Redis written by an earlier build
(tests/data/redis-compat, the {0} layout) moved to 4 shards loses no report, receipt, lease,
pending intake entry or audit entry, and a second run changes nothing. After the move a gateway
and a worker with redis_shards = 4 find every receipt, route what was waiting and let the
reviewer decide the old cases, whose ids name another shard than theirs (the at:<id> aliases);
a move killed halfway and run again ends the same, nothing lost or twice."""
import json
import os
import pathlib
import signal
import subprocess
import time

from jubao_testlib import (ADMIN_BIN, PREFIX, QUEUES, Reviewer, unique_url, wait_queued,
                           wait_until)
from test_shard_workers import SHARDS, shard_of_id, shard_prefix

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "data" / "redis-compat"
GLOBAL = ("apikey:", "apikeyname:", "audit", "daykey:", "decisions:", "reviewer:", "session:",
          "stats")



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


def where(c, rest):
    """The shard prefixes that hold key rest."""
    return [pf for pf in (shard_prefix(i) for i in range(SHARDS)) if c.exists(pf + rest)]


def test_after_the_move_the_gateway_and_worker_on_4_shards_serve_the_old_data(
        redis_factory, gateway, worker):
    fx = json.loads((FIXTURE / "receipts.json").read_text())
    rep = fx["reports"]
    r, g = migrated(redis_factory, gateway)
    g.admin("migrate", "--shards", str(SHARDS))
    c = r.client()
    # the old ids that need their alias: this test reads them through it
    moved = [i for x in rep.values() for i in (x["id"], x["case"])
             if where(c, ("report:" if i[0] == "R" else "case:") + i)[0]
             != shard_prefix(shard_of_id(i))]
    assert rep["e"]["case"] in moved and any(i[0] == "R" for i in moved), moved
    g4 = gateway(redis=r, config="redis_shards = %d\n" % SHARDS, data_from=FIXTURE / "data")

    for x in rep.values():      # every receipt, by its secret
        st = g4.status(x["id"], secret=x["secret"])
        assert st.status_code == 200 and st.json()["case"] == x["case"], (x, st.text)
        assert g4.status(x["id"], secret="not-" + x["secret"]).status_code == 404
    d = g4.status(rep["d"]["id"], key=fx["apikey"])
    assert d.status_code == 200 and d.json()["decision"]["verdict"] == "no_violation", d.text
    assert g4.status("R-0000-0000-0000", secret="x").status_code == 404

    # the worker routes the report that was waiting in the intake stream, in its case's shard
    worker(g4)
    fcase = rep["f"]["case"]
    wait_until(lambda: c.hget(where(c, "case:" + fcase)[0] + "case:" + fcase, "queue")
               == "default", 30, interval=0.1, what="the waiting report routed")

    # the stored supervisor breaks the old lease and claims and decides every open case
    rev = Reviewer(g4, name=fx["reviewer"], password=fx["password"], add=False)
    assert rev.break_lease(rep["e"]["case"]).status_code in (204, 409)
    assert rev.break_lease("C-0000-0000-0000").status_code == 404
    open_cases = {rep["c"]["case"], rep["e"]["case"], rep["f"]["case"]}
    seen = []
    while True:
        got = rev.claim()
        if got.status_code == 204:
            break
        assert got.status_code == 200, got.text
        seen.append(got.json()["case"])
        res = rev.decide(seen[-1], "no_violation", note="migrated")
        assert res.status_code == 200, res.text
    assert seen[0] == rep["e"]["case"] and set(seen) == open_cases, seen
    assert rev.decide("C-0000-0000-0000", "no_violation").status_code == 404
    e = g4.status(rep["e"]["id"], secret=rep["e"]["secret"])
    assert e.json()["decision"]["verdict"] == "no_violation", e.text
    assert g4.admin("audit", "verify").returncode == 0
    assert c.xlen(PREFIX + "audit") == 2 + len(open_cases)
    assert "nothing changed" in g4.admin("migrate", "--shards", str(SHARDS)).stdout


def migrate_killed(g, c, moved_enough):
    """Runs jubao-admin migrate and kill -9s it once moved_enough(c) holds (or it ended)."""
    cmd = [str(ADMIN_BIN)] + (["-c", str(g.config_path)] if g.config_path else [])
    p = subprocess.Popen(cmd + ["migrate", "--shards", str(SHARDS)], env=g.env, cwd=g.dir,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None and not moved_enough(c):
        time.sleep(0.01)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)


def test_a_move_killed_halfway_and_run_again_loses_nothing(redis_factory, gateway, worker):
    r = redis_factory()
    g = gateway(redis=r, config="redis_shards = 1\n")      # the unsharded layout, to move
    filed = []
    for _ in range(200):
        x = g.report({"url": unique_url("mg"), "category": "fraud"})
        assert x.status_code == 202, x.text
        filed.append(x.json())
    cases = {x["case"] for x in filed}
    w = worker(g)
    wait_queued(r, [x["case"] for x in filed[:150]])   # most routed, some maybe still waiting
    w.stop()
    g.stop()
    c = r.client()

    def new_keys(kind):
        return len(c.keys("jb:{s*}:" + kind + ":*"))
    migrate_killed(g, c, lambda c: new_keys("review") or new_keys("intake"))
    migrate_killed(g, c, lambda c: new_keys("case") >= len(cases) // 3)
    assert c.keys(PREFIX + "case:*"), "the second kill came after every case had moved"
    assert c.hget("jb:meta", "shards") != str(SHARDS)
    g.admin("migrate", "--shards", str(SHARDS))
    assert c.hget("jb:meta", "shards") == str(SHARDS)

    left = [k for k in c.scan_iter(PREFIX + "*")]
    assert all(k[len(PREFIX):].startswith(GLOBAL) for k in left), left
    prefixes = [shard_prefix(i) for i in range(SHARDS)]
    for x in filed:     # every report and case in one shard, the case's, with its alias
        at = where(c, "report:" + x["id"])
        assert len(at) == 1 and where(c, "case:" + x["case"]) == at, (x, at)
        for i in (x["id"], x["case"]):
            named = prefixes[shard_of_id(i)]
            assert named == at[0] or c.get(named + "at:" + i) == str(prefixes.index(at[0])), i

    # the gateway at 4 shards finds every receipt; the worker queues every case exactly once
    g4 = gateway(redis=r, config="redis_shards = %d\n" % SHARDS, data_from=g.data_dir)
    for x in filed:
        st = g4.status(x["id"], secret=x["secret"])
        assert st.status_code == 200 and st.json()["case"] == x["case"], (x, st.text)
    worker(g4)
    streams = [pf + "review:%s:%d" % (q, b) for pf in prefixes for q in QUEUES for b in range(4)]

    def queued():
        return [f["case"] for k in streams for _, f in c.xrange(k)]
    wait_until(lambda: set(queued()) == cases, 30, interval=0.1, what="every case queued")
    assert sorted(queued()) == sorted(cases)
    assert all(c.xpending(pf + "intake", "workers")["pending"] == 0 for pf in prefixes
               if c.exists(pf + "intake"))


def test_the_move_takes_api_keys_and_reviewers_to_their_own_slots(redis_factory, gateway):
    """Global keys (lib/global.h): with more than one shard an API key, its name and a reviewer
    live in slots of their own; the move takes them there (sessions end: their slot is named by
    the token, which Redis never held), and a run over data that an earlier build moved, which
    left them under {0}, takes them still."""
    fx = json.loads((FIXTURE / "receipts.json").read_text())
    r, g = migrated(redis_factory, gateway)
    c = r.client()
    assert c.keys(PREFIX + "session:*") and c.exists(PREFIX + "reviewer:" + fx["reviewer"])
    g.admin("migrate", "--shards", str(SHARDS))
    for kind in ("apikey:", "apikeyname:", "reviewer:", "session:", "logins:", "rl:p:"):
        assert not c.keys(PREFIX + kind + "*"), kind
    assert [k for k in c.keys("jb:{r:*}:reviewer:" + fx["reviewer"])]
    records = c.keys("jb:{k:*}:apikey:*")
    assert len(records) == 1 and records[0].startswith("jb:{k:%s}:" % records[0][-64:][:16])

    g4 = gateway(redis=r, config="redis_shards = %d\n" % SHARDS, data_from=FIXTURE / "data")
    d = fx["reports"]["d"]
    assert g4.status(d["id"], key=fx["apikey"]).status_code == 200
    Reviewer(g4, name=fx["reviewer"], password=fx["password"], add=False)

    # as an earlier build left it: moved to 4 shards, the key's record still under {0}
    c.rename(records[0], PREFIX + records[0].split("}:", 1)[1])
    assert g4.status(d["id"], key=fx["apikey"]).status_code == 401
    p = g4.admin("migrate", "--shards", str(SHARDS))
    assert "moved 1 global keys" in p.stdout, p.stdout
    assert g4.status(d["id"], key=fx["apikey"]).status_code == 200
    assert "nothing changed" in g4.admin("migrate", "--shards", str(SHARDS)).stdout

    # the name finds the moved record: a revoke takes effect
    g4.admin("apikey", "revoke", apikey_name(c))
    assert g4.status(d["id"], key=fx["apikey"]).status_code == 401


def apikey_name(c):
    """The one API key name in Redis (its key apikeyname:<name>)."""
    names = c.keys("*apikeyname:*")
    assert len(names) == 1, names
    return names[0].split("apikeyname:", 1)[1]

#!/usr/bin/python3
"""make_fixture.py BUILD — writes the Redis compatibility fixture of this directory with the
programs in BUILD (a build of the jubao whose data the fixture is to hold: jubao-gateway,
jubao-worker and jubao-admin), through tests/integration/jubao_testlib.py:

  redis.json     every key the programs wrote (RedisServer.save_json)
  data/          the data directory's keys (jubao-admin init): test keys, for this fixture only
  receipts.json  what the story below handed out: report ids, secrets, cases, the API key,
                 and the reviewer

The story: a platform key and a supervisor; five reports (one anonymous and one platform's
report of the same URL, a platform's report decided no_violation, an anonymous report left in
the queue, one under a reviewer's lease); decisions; the worker stopped, then one more report left in the intake stream. tests/integration/test_compat.py
loads the fixture into a fresh Redis and drives today's programs over it.
"""
import json
import os
import pathlib
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
os.environ["JUBAO_BUILD"] = str(pathlib.Path(sys.argv[1]).resolve())
sys.path.insert(0, str(HERE.parents[1] / "integration"))
import jubao_testlib as t  # noqa: E402

PASSWORD = "compat fixture password"


def report(g, url, category, key=None, **extra):
    r = g.post("/api/v1/reports", dict({"url": url, "category": category}, **extra), key=key)
    assert r.status_code == 202, r.text
    return r.json()


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="jubao-compat-"))
    r = t.RedisServer(tmp / "redis")
    g = w = None
    try:
        g = t.Gateway(tmp / "gateway", r)
        key = g.apikey("compat-platform")
        rev = t.Reviewer(g, role="supervisor", name="compat-supervisor", password=PASSWORD)
        w = t.Worker(tmp / "worker", r, g.data_dir)
        a = report(g, "https://compat.example.com/fraud", "fraud",
                   title="投资返利 guaranteed returns", description="asks for a deposit first")
        b = report(g, "https://compat.example.com/fraud", "fraud", key=key, platform_ref="ref-b")
        d = report(g, "https://compat.example.net/rumour", "rumor", key=key,
                   platform_ref="ref-d")
        e = report(g, "https://compat.example.com/leased", "pornography")
        t.wait_queued(r, [a["case"], d["case"], e["case"]])
        decided = {a["case"]: "actioned", d["case"]: "no_violation"}
        for _ in range(3):      # e stays under the lease
            got = rev.claim()
            assert got.status_code == 200, got.text
            case = got.json()["case"]
            if case in decided:
                cat = "fraud" if decided[case] == "actioned" else None
                res = rev.decide(case, decided[case], category=cat, note="compat fixture")
                assert res.status_code == 200, res.text
        c = report(g, "https://compat.example.org/gambling", "gambling",
                   description="online casino without a licence")
        t.wait_queued(r, [c["case"]])
        w.stop()
        f = report(g, "https://compat.example.com/pending", "fraud")
        r.save_json(HERE / "redis.json")
        shutil.rmtree(HERE / "data", ignore_errors=True)
        shutil.copytree(g.data_dir, HERE / "data")
        receipts = {"apikey": key, "reviewer": rev.name, "password": PASSWORD,
                    "reports": {n: x for n, x in zip("abcdef", (a, b, c, d, e, f))},
                    "decided": decided}
        (HERE / "receipts.json").write_text(json.dumps(receipts, indent=1) + "\n")
    finally:
        if w is not None and not w.stopped:
            w.stop()
        if g is not None:
            g.stop()
        r.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

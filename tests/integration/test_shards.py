"""redis_shards is fixed when the data is created (lib/shard.h): the number is kept in Redis
(jb:meta) by the first program that runs, and a gateway or worker configured with another
number refuses to start, as does one asked for the sharded layout over data of the unsharded
layout (which `jubao-admin migrate` must move first). Not set (the default), it is the data's:
16 for a Redis without data, jb:meta's, or 1 for data of the unsharded layout."""
import subprocess

from jubao_testlib import (GATEWAY_BIN, WORKER_BIN, add_reviewer, login, shard_of_id,
                           shard_prefix, spare_port, wait_until)


def run_with_shards(g, binary, shards, tmp_path):
    """Runs binary on g's Redis and data with redis_shards = shards until it exits (or 5 s):
    returns (exit status or None while it still runs, its output)."""
    conf = tmp_path / ("shards-%d.conf" % shards)
    conf.write_text("redis_shards = %d\n" % shards)
    env = dict(g.env, JUBAO_LISTEN="127.0.0.1:%d" % spare_port(),
               JUBAO_METRICS_LISTEN="127.0.0.1:%d" % spare_port())
    p = subprocess.Popen([str(binary), "-c", str(conf)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        out, _ = p.communicate(timeout=5)
        return p.returncode, out.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        p.terminate()
        out, _ = p.communicate(timeout=15)
        return None, out.decode("utf-8", "replace")


def test_the_number_of_shards_is_kept_and_another_refused(redis_factory, gateway, tmp_path):
    r = redis_factory()
    g = gateway(redis=r)                      # not set, a Redis without data: 16
    assert r.client().hget("jb:meta", "shards") == "16"
    assert g.report({"url": "https://shards.example/a", "category": "fraud"}).status_code == 202
    for binary in (GATEWAY_BIN, WORKER_BIN):
        rc, out = run_with_shards(g, binary, 4, tmp_path)
        assert rc not in (None, 0), out
        assert "made with 16 shards" in out, out
    assert r.client().hget("jb:meta", "shards") == "16"


def test_not_set_the_data_keeps_its_number(redis_factory, gateway, worker):
    r = redis_factory()
    r.client().hset("jb:meta", "shards", "4")      # data made with 4 shards
    g = gateway(redis=r)
    w = worker(g)
    res = g.report({"url": "https://shards.example/k", "category": "fraud"})
    assert res.status_code == 202, res.text
    rid = res.json()["id"]
    assert shard_of_id(rid, 4) in range(4)
    assert r.client().exists(shard_prefix(shard_of_id(rid, 4), 4) + "report:" + rid)
    assert g.status(rid, secret=res.json()["secret"]).status_code == 200
    assert r.client().hget("jb:meta", "shards") == "4"
    assert w.alive()


def test_jubao_admin_first_on_a_fresh_redis_keeps_the_default(redis_factory, gateway):
    """An operator may make API keys and reviewers before any gateway or worker ran: jubao-admin
    then fixes the data's number as they would (16), and they find the key where it put it."""
    r = redis_factory()
    g = gateway(redis=r)
    r.client().flushall()                           # as if no program had run yet
    key = g.apikey("p-first")
    name = add_reviewer(g)
    assert r.client().hget("jb:meta", "shards") == "16"
    g2 = gateway(redis=r, data_from=g.data_dir)
    res = g2.report({"url": "https://shards.example/first", "category": "fraud"}, key=key)
    assert res.status_code == 202, res.text
    assert login(g2, name)


def test_not_set_unsharded_data_keeps_one_shard_and_says_to_migrate(redis_factory, gateway,
                                                                     tmp_path):
    r = redis_factory()
    g = gateway(redis=r, config="redis_shards = 1\n")
    res = g.report({"url": "https://shards.example/o", "category": "fraud"})
    assert res.status_code == 202, res.text
    g.stop()
    r.client().delete("jb:meta")              # as a Redis written before jb:meta existed
    g2 = gateway(redis=r, data_from=g.data_dir)   # the same keys; redis_shards not set
    assert "jubao-admin migrate" in g2.log_text()
    assert g2.status(res.json()["id"], secret=res.json()["secret"]).status_code == 200
    res2 = g2.report({"url": "https://shards.example/o2", "category": "fraud"})
    assert res2.status_code == 202, res2.text
    assert r.client().exists("jb:{0}:report:" + res2.json()["id"])
    assert r.client().hget("jb:meta", "shards") == "1"


def test_a_gateway_started_before_redis_learns_the_number(gateway, redis_factory):
    r = redis_factory()
    r.client().hset("jb:meta", "shards", "4")
    r.kill()
    g = gateway(redis=r, wait_ready=False)
    assert g.get("/healthz").status_code == 200
    assert g.report(timeout=10).status_code == 503
    r.start()
    wait_until(lambda: g.report().status_code == 202, 10, what="a 202 once Redis is up")
    res = g.report({"url": "https://shards.example/late", "category": "fraud"})
    rid = res.json()["id"]
    assert r.client().exists(shard_prefix(shard_of_id(rid, 4), 4) + "report:" + rid)


def test_the_sharded_layout_is_refused_over_unsharded_data(redis_factory, gateway, tmp_path):
    r = redis_factory()
    g = gateway(redis=r, config="redis_shards = 1\n")
    assert g.report({"url": "https://shards.example/b", "category": "fraud"}).status_code == 202
    r.client().delete("jb:meta")              # as a Redis written before jb:meta existed
    rc, out = run_with_shards(g, GATEWAY_BIN, 16, tmp_path)
    assert rc not in (None, 0), out
    assert "jubao-admin migrate" in out, out
    assert not r.client().exists("jb:meta")   # nothing written for the refused number


def test_a_fresh_redis_takes_the_configured_number(redis_factory, gateway, tmp_path):
    r = redis_factory()
    g = gateway(redis=r)
    r.client().flushall()                     # nothing written yet
    rc, out = run_with_shards(g, WORKER_BIN, 16, tmp_path)
    assert rc is None, out                    # still running: it accepted the number
    assert r.client().hget("jb:meta", "shards") == "16"

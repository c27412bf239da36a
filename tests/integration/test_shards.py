"""redis_shards is fixed when the data is created (lib/shard.h): the number is kept in Redis
(jb:meta) by the first program that runs, and a gateway or worker configured with another
number refuses to start, as does one asked for the sharded layout over data of the unsharded
layout (which `jubao-admin migrate` must move first)."""
import subprocess

from jubao_testlib import GATEWAY_BIN, WORKER_BIN, spare_port


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
    g = gateway(redis=r)                      # the default: one shard, the layout of before
    assert r.client().hget("jb:meta", "shards") == "1"
    assert g.report({"url": "https://shards.example/a", "category": "fraud"}).status_code == 202
    for binary in (GATEWAY_BIN, WORKER_BIN):
        rc, out = run_with_shards(g, binary, 16, tmp_path)
        assert rc not in (None, 0), out
        assert "made with 1 shards" in out, out
    assert r.client().hget("jb:meta", "shards") == "1"


def test_the_sharded_layout_is_refused_over_unsharded_data(redis_factory, gateway, tmp_path):
    r = redis_factory()
    g = gateway(redis=r)
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
